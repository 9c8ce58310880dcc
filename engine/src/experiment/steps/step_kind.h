#pragma once
// The registry of step kinds (docs/ARCHITECTURE.md, "Step kinds"). A kind owns its schema
// fragment ($defs/step.<type> in resources/schema/experiment.schema.json), its parsing and writing, its run, the results it writes and loads back, and
// its rows of the run catalog. Adding a kind: one file here, listed in step_kinds().
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ridgeline/experiment/run.h"
#include "ridgeline/experiment/run_catalog.h"
#include "ridgeline/models/model.h"

namespace ridgeline::detail {

/// The run's models by name, of the spec's model kind (models/model.h).
using ModelMap = std::map<std::string, Model>;

/// What a running step may use; progress() and log() report under the step's id.
struct StepContext {
  Backend& backend;
  const DataSplits& data;
  std::filesystem::path dir;  ///< the run folder
  const RunEvents& events;
  const CancelToken* cancel;
  std::function<void(const std::string&)> log;
  const ExperimentSpec& spec;
  const RunSummary& summary;  ///< results of the earlier steps
  std::shared_ptr<const ModelArch> model_arch;  ///< spec.model(), built once per run

  void progress(const StepSpec& st, long long done, long long total, const std::string& message,
                const std::string& part = {}) const;
};

class StepKind {
 public:
  virtual ~StepKind() = default;
  virtual std::string type() const = 0;
  /// Reads the kind's parameters from a step object validated against the kind's schema
  /// fragment, its defaults filled in.
  virtual std::any parse_params(const nlohmann::json& j) const = 0;
  /// Reads the models the step refers to (a, b or models); `where` = "spec.json: steps[2]".
  /// (The train kind reads none: its step is built from a `models` entry, train_step.h.)
  virtual void parse_inputs(const nlohmann::json& /*j*/, StepSpec& /*st*/,
                            const std::string& /*where*/) const {}
  /// The models it refers to, as (key path, name), for the generic "unknown model" check.
  virtual std::vector<std::pair<std::string, std::string>> inputs(const StepSpec&) const {
    return {};
  }
  /// Kind-specific checks after the inputs are known (align: two different models).
  virtual void check(const StepSpec&, const std::string& /*where*/) const {}
  /// Checks that need the spec read so far: its models and training (spectra's
  /// over_training needs saved epochs).
  virtual void check_in_spec(const StepSpec&, const ExperimentSpec&,
                             const std::string& /*where*/) const {}
  /// Writes the kind's keys (inputs and parameters) into the step object, every key of its
  /// fragment, in the order the file shows them.
  virtual void write(const StepSpec& st, nlohmann::ordered_json& out) const = 0;
  virtual std::string default_id(const StepSpec& st) const = 0;
  /// Models the step produces (after it ran).
  virtual std::vector<std::string> outputs(const StepSpec&) const { return {}; }
  /// Registers the outputs as available to later steps, failing with the kind's own message
  /// when a name is taken.
  virtual void add_outputs(const StepSpec&, std::vector<std::string>& /*available*/,
                           const std::string& /*where*/) const {}
  /// Runs the step: writes its results into ctx.dir, adds produced models to `models`. A
  /// result without payload means there was nothing to record (a reused checkpoint).
  virtual StepResult run(const StepSpec& st, ModelMap& models, StepContext& ctx) const = 0;
  /// Reads results/<id>.json back (nullopt when the kind keeps nothing to show).
  virtual std::optional<StepResult> load(const StepSpec&, const std::filesystem::path& /*dir*/) const {
    return std::nullopt;
  }
  /// The result's headline barriers for the run catalog.
  virtual void catalog_rows(const StepResult&, std::vector<RunBarrier>&) const {}
};

/// A kind that reads two models, `a` and `b` (interpolate, align).
class PairStepKind : public StepKind {
 public:
  void parse_inputs(const nlohmann::json& j, StepSpec& st, const std::string& where) const override;
  std::vector<std::pair<std::string, std::string>> inputs(const StepSpec& st) const override {
    return {{"a", st.a}, {"b", st.b}};
  }
};

/// The kinds of the spec's `steps`, in the schema's order.
const std::vector<const StepKind*>& step_kinds();
/// The kind of `type` ("train" included), or nullptr.
const StepKind* find_step_kind(const std::string& type);
/// The kind of a parsed step (its type is valid by then); throws std::logic_error otherwise.
const StepKind& step_kind_of(const StepSpec& st);

// One per kind (steps/<kind>_step.cpp). "train" is the training stage: one step per entry of
// the spec's `models`, run before the `steps` (find_step_kind finds it; step_kinds() lists
// the kinds of the `steps` array).
const StepKind& train_step_kind();
const StepKind& interpolate_step_kind();
const StepKind& align_step_kind();
const StepKind& merge_step_kind();
const StepKind& landscape_step_kind();
const StepKind& curve_step_kind();
const StepKind& spectra_step_kind();
const StepKind& layerwise_step_kind();
const StepKind& hessian_step_kind();
const StepKind& attention_step_kind();

/// Throws InputError ("<where>: <why>") when the spec's model has no Hessian-vector products
/// (ModelArch::hvp_unsupported), so a curvature step fails before anything trains.
void require_hvps(const ExperimentSpec& spec, const std::string& where);

/// results/barriers.json and barriers.csv: one row per interpolation step and split.
void write_barrier_table(const std::filesystem::path& results_dir, const ExperimentSpec& spec,
                         const std::vector<std::pair<std::string, InterpolationResult>>& interpolations);

}  // namespace ridgeline::detail
