#pragma once
// The analysis steps of a run (run.cpp orchestrates; these do one step each and write its
// results into the run folder).
#include <filesystem>
#include <functional>
#include <map>
#include <string>

#include "ridgeline/align/alignment.h"
#include "ridgeline/experiment/run.h"

namespace ridgeline::detail {

struct StepContext {
  Backend& backend;
  const DataSplits& data;
  std::filesystem::path dir;  ///< the run folder
  const RunEvents& events;
  const CancelToken* cancel;
  std::function<void(const std::string&)> log;
};

/// Aligns models[b] to models[a]; saves checkpoints/<b>@<method>.safetensors and
/// results/<id>.json; throws RunError when the function check fails.
AlignmentResult run_align_step(const StepSpec& st, const std::map<std::string, Mlp>& models,
                               StepContext& ctx);

/// MergeMany over st.merge_models; saves checkpoints/<id>.safetensors and results/<id>.json;
/// returns the merged model.
Mlp run_merge_step(const StepSpec& st, const std::map<std::string, Mlp>& models, StepContext& ctx);

/// Evaluates the path (REPAIRed when asked); writes results/<id>.json and .npy curves.
InterpolationResult run_interpolate_step(const StepSpec& st, const std::map<std::string, Mlp>& models,
                                         StepContext& ctx);

/// results/barriers.json and barriers.csv: one row per interpolation step and split.
void write_barrier_table(const std::filesystem::path& results_dir, const ExperimentSpec& spec,
                         const RunSummary& summary);

}  // namespace ridgeline::detail
