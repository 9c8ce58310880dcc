#pragma once
/// @file run.h
/// Running an experiment spec into a run folder (docs/ARCHITECTURE.md, "Run folders"):
///   experiment.json, provenance.json, log.txt, checkpoints/<model>.safetensors,
///   results/<step>.json (+ .npy arrays). Every file is written atomically; a checkpoint that
///   already exists in the folder for the same spec is reused, so a cancelled or crashed run
///   resumes without losing finished models.
#include <any>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "ridgeline/align/alignment.h"
#include "ridgeline/align/alignment_report.h"
#include "ridgeline/paths/interpolation.h"
#include "ridgeline/core/progress.h"
#include "ridgeline/experiment/spec.h"
#include "ridgeline/experiment/steps/align_step.h"
#include "ridgeline/experiment/steps/interpolate_step.h"
#include "ridgeline/experiment/steps/merge_step.h"
#include "ridgeline/train/train.h"

namespace ridgeline {

struct RunOptions {
  /// The run folder itself; empty = a new <workspace>/runs/<name>-<timestamp>[-N] (created
  /// atomically: concurrent runs never share one).
  std::string out_dir;
  std::string workspace;   ///< empty = RIDGELINE_WORKSPACE or ~/.local/share/ridgeline
  std::string device = "auto";
  int threads = 0;
};

/// What a run is doing: structured, so that no front end parses strings back into meaning.
enum class StageKind { Train, Step };

struct RunProgress {
  StageKind kind = StageKind::Train;
  std::string model;      ///< Train: the model trained
  std::string step_id;    ///< Step: the step's id
  std::string step_type;  ///< Step: its kind ("interpolate", "align", "merge")
  std::string part;       ///< Step: the analysis' own sub-stage ("repair statistics"); display only
  long long done = 0;     ///< units done (mini-batches, points, data chunks, epochs)
  long long total = 0;
  std::string message;    ///< a short human line; display only

  /// The display label: "train seed0", "step interp-wm", "step interp-wm (repair statistics)".
  std::string label() const;
  /// The same as a plain Progress (label as its stage), for progress printers.
  Progress plain() const { return {label(), done, total, message}; }
};

/// One step's typed result: `payload` holds the kind's result type (InterpolationResult,
/// AlignStepResult, MergeStepResult); as<T>() is null when it holds another.
struct StepResult {
  std::string id;
  std::string type;
  std::any payload;
  double seconds = -1;  ///< recorded in provenance.json when >= 0

  template <class T> const T* as() const { return std::any_cast<T>(&payload); }
};

/// Callbacks run on the worker thread (see progress.h for the threading contract).
struct RunEvents {
  std::function<void(const std::string& line)> on_log;
  std::function<void(const RunProgress&)> on_progress;
  std::function<void(const std::string& model, const StepMetrics&)> on_step;
  std::function<void(const std::string& model, const EpochMetrics&)> on_epoch;
  /// After each step, once its results are written.
  std::function<void(const StepResult&)> on_result;
};

/// The train stage's result (StepResult type "train", id "train-<model>"): one model's
/// training record, as results/train-<model>.json holds it. A model whose checkpoint a rerun
/// reused has none.
struct TrainStageResult {
  std::string model;
  std::vector<EpochMetrics> epochs;
  double seconds = 0;
  double samples_per_second = 0;
};

struct RunSummary {
  std::string run_dir;
  std::string device;      ///< backend description
  /// "finished", "cancelled", "failed"; load_run also gives "running" (a live run) and
  /// "interrupted" (recorded as running, but its process is gone: a killed run).
  std::string status;
  /// The train stage's results (type "train", in model order), then every step's, in step
  /// order: live runs, and load_run for the stages and steps whose results exist.
  std::vector<StepResult> results;
  double seconds = 0;

  /// (step id, payload) of every result holding a T, in step order.
  template <class T> std::vector<std::pair<std::string, T>> results_of() const {
    std::vector<std::pair<std::string, T>> out;
    for (const auto& r : results)
      if (const T* p = r.as<T>()) out.emplace_back(r.id, *p);
    return out;
  }
  // Thin typed views of the existing kinds' results.
  std::vector<std::pair<std::string, InterpolationResult>> interpolations() const {
    return results_of<InterpolationResult>();
  }
  /// Every align step's report, and after it "<id>+orth" for a step with the orthogonal map.
  std::vector<std::pair<std::string, AlignmentReport>> alignment_reports() const;
  /// (model, per-epoch records) of every trained model, in model order.
  std::vector<std::pair<std::string, std::vector<EpochMetrics>>> training() const;
  /// Full alignment results (live runs only; load_run has the reports).
  std::vector<std::pair<std::string, AlignmentResult>> alignments() const;
};

std::string default_workspace();

/// Runs every model's training and every step. Checks its input first (output folder,
/// memory for the model, device, data), before creating anything or reporting a line, and
/// throws InputError naming the option or key. While it runs it owns the folder (a lock that
/// ends with the process; a second run into the same folder is an InputError). On cancel
/// writes status "cancelled" to provenance.json and throws Cancelled; on failure writes
/// "failed" and rethrows.
RunSummary run_experiment(const ExperimentSpec& spec, const RunOptions& options,
                          const RunEvents& events = {}, const CancelToken* cancel = nullptr);

/// Reads a run folder's spec and results (for the GUI and `render`): training records,
/// interpolations and alignment reports of the steps whose results file exists (a cancelled
/// run lacks the later ones). Throws InputError naming the file when one present is malformed.
RunSummary load_run(const std::string& run_dir, ExperimentSpec* spec = nullptr);

}  // namespace ridgeline
