// The "merge" step kind: MergeMany over several models, producing the model named by its id.
#include "ridgeline/experiment/steps/merge_step.h"

#include <cstdio>

#include "experiment/steps/step_kind.h"
#include "ridgeline/models/mlp/mlp_model.h"
#include "ridgeline/models/model_io.h"
#include "ridgeline/align/merge.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/io/fileio.h"
#include "ridgeline/io/safetensors.h"

namespace ridgeline::detail {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

class MergeStep final : public StepKind {
 public:
  std::string type() const override { return "merge"; }
  std::any parse_params(const json& j) const override {
    MergeParams p;
    p.seed = j["seed"].get<uint64_t>();
    p.max_sweeps = j["max_sweeps"];
    return p;
  }
  void parse_inputs(const json& j, StepSpec& st, const std::string& where) const override {
    if (!j.contains("models")) throw InputError(where + ".models: required for a merge step");
    for (const auto& m : j["models"]) st.models.push_back(m);
  }
  std::vector<std::pair<std::string, std::string>> inputs(const StepSpec& st) const override {
    std::vector<std::pair<std::string, std::string>> out;
    for (size_t k = 0; k < st.models.size(); ++k)
      out.emplace_back("models[" + std::to_string(k) + "]", st.models[k]);
    return out;
  }
  void write(const StepSpec& st, ordered_json& out) const override {
    const MergeParams& p = st.as<MergeParams>();
    out["seed"] = p.seed;
    out["max_sweeps"] = p.max_sweeps;
    out["models"] = st.models;
  }
  std::string default_id(const StepSpec&) const override { return "merged"; }
  std::vector<std::string> outputs(const StepSpec& st) const override { return {st.id}; }
  void add_outputs(const StepSpec& st, std::vector<std::string>& available,
                   const std::string& where) const override {
    if (std::find(available.begin(), available.end(), st.id) != available.end())
      throw InputError(where + ".id: model '" + st.id + "' already exists");
    available.push_back(st.id);
  }

  StepResult run(const StepSpec& st, ModelMap& models, StepContext& ctx) const override {
    const MergeParams& p = st.as<MergeParams>();
    std::string names;
    std::vector<Model> inputs;
    for (const auto& n : st.models) {
      inputs.push_back(models.at(n));
      names += (names.empty() ? "" : ", ") + n;
    }
    ctx.log("step " + st.id + ": merge " + names);
    MergeConfig cfg;
    cfg.seed = p.seed;
    cfg.max_sweeps = p.max_sweeps;
    MergeResult r = merge_many(inputs, cfg, ctx.cancel);
    MergeStepResult out;
    for (size_t i = 0; i < inputs.size(); ++i) {
      AlignmentResult check;
      check.method = "merge of " + st.models[i];
      check.aligned = r.aligned[i];
      check_alignment(ctx.backend, inputs[i], check, ctx.data.test);
      out.function_checks.push_back(check.function_max_diff);
    }
    const LossError e = evaluate(ctx.backend, r.merged, ctx.data.test, 2000, ctx.cancel);
    save_model((ctx.dir / "checkpoints" / (st.id + ".safetensors")).string(), r.merged,
             {{"ridgeline.merged_from", names}});
    json report = {{"models", st.models}, {"sweeps", r.sweeps}, {"seconds", r.seconds},
                   {"distance_before", r.distance_before}, {"distance_per_sweep", r.distance_per_sweep},
                   {"function_check_max_abs_logit_diff", out.function_checks},
                   {"merged_test", {{"loss", e.loss}, {"error", e.error}}}};
    write_file_atomic((ctx.dir / "results" / (st.id + ".json")).string(), report.dump(2) + "\n");
    char line[256];
    std::snprintf(line, sizeof line, "step %s: %zu models, %d sweep(s); merged test loss %.4f, error %.4f",
                  st.id.c_str(), inputs.size(), r.sweeps, e.loss, e.error);
    ctx.log(line);
    out.sweeps = r.sweeps;
    out.seconds = r.seconds;
    out.merged_test = e;
    models[st.id] = r.merged;
    return {st.id, type(), std::move(out)};  // provenance keeps no time for merges (as before)
  }
};

}  // namespace

const StepKind& merge_step_kind() {
  static const MergeStep kind;
  return kind;
}

}  // namespace ridgeline::detail
