#pragma once
/// @file run.h
/// Running an experiment spec into a run folder (DESIGN.md "Run folder"):
///   experiment.json, provenance.json, log.txt, checkpoints/<model>.safetensors,
///   results/<step>.json (+ .npy arrays). Every file is written atomically; a checkpoint that
///   already exists in the folder for the same spec is reused, so a cancelled or crashed run
///   resumes without losing finished models.
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "ridgeline/align/alignment.h"
#include "ridgeline/align/alignment_report.h"
#include "ridgeline/paths/interpolation.h"
#include "ridgeline/core/progress.h"
#include "ridgeline/experiment/spec.h"
#include "ridgeline/train/train.h"

namespace ridgeline {

struct RunOptions {
  std::string out_dir;     ///< the run folder itself; empty = <workspace>/runs/<name>-<timestamp>
  std::string workspace;   ///< empty = RIDGELINE_WORKSPACE or ~/.local/share/ridgeline
  std::string device = "auto";
  int threads = 0;
};

/// Callbacks run on the worker thread (see progress.h for the threading contract).
struct RunEvents {
  std::function<void(const std::string& line)> on_log;
  ProgressFn on_progress;
  std::function<void(const std::string& model, const StepMetrics&)> on_step;
  std::function<void(const std::string& model, const EpochMetrics&)> on_epoch;
  std::function<void(const std::string& step_id, const InterpolationResult&)> on_interpolation;
  /// After each align step, once its results/<step>.json is written.
  std::function<void(const std::string& step_id, const AlignmentReport&)> on_alignment;
};

struct RunSummary {
  std::string run_dir;
  std::string device;      ///< backend description
  std::string status;      ///< "finished", "cancelled", "failed"
  std::vector<std::pair<std::string, InterpolationResult>> interpolations;  ///< by step id
  std::vector<std::pair<std::string, std::vector<EpochMetrics>>> training;  ///< by model
  std::vector<std::pair<std::string, AlignmentResult>> alignments;  ///< by step id (live runs)
  /// By step id, in step order: live runs and load_run (from results/<step>.json).
  std::vector<std::pair<std::string, AlignmentReport>> alignment_reports;
  double seconds = 0;
};

std::string default_workspace();

/// Runs every model's training and every step. On cancel writes status "cancelled" to
/// provenance.json and throws Cancelled; on failure writes "failed" and rethrows.
RunSummary run_experiment(const ExperimentSpec& spec, const RunOptions& options,
                          const RunEvents& events = {}, const CancelToken* cancel = nullptr);

/// Reads a run folder's spec and results (for the GUI and `render`): training records,
/// interpolations and alignment reports of the steps whose results file exists (a cancelled
/// run lacks the later ones). Throws InputError naming the file when one present is malformed.
RunSummary load_run(const std::string& run_dir, ExperimentSpec* spec = nullptr);

}  // namespace ridgeline
