// The "hessian" step kind: curvature of one model's loss on a batch, per selection, and along
// the path to a second model with the second-order barrier predictions
// (curvature/hessian_report.h; docs/USER_GUIDE.md, "Curvature").
#include "ridgeline/experiment/steps/hessian_step.h"

#include "experiment/steps/step_kind.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/core/format.h"
#include "ridgeline/curvature/hessian_report.h"
#include "ridgeline/paths/interpolation.h"

namespace ridgeline::detail {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using nlohmann::ordered_json;

class HessianStep final : public StepKind {
 public:
  std::string type() const override { return "hessian"; }

  std::any parse_params(const json& j) const override {
    HessianParams p;
    p.split = j["split"];
    p.samples = j["samples"];
    if (j.contains("block")) p.block = j["block"];
    p.per_layer = j["per_layer"];
    p.top_k = j["top_k"];
    p.max_iter = j["max_iter"];
    p.tol = j["tol"];
    p.trace_samples = j["trace_samples"];
    p.density_vectors = j["density_vectors"];
    p.density_steps = j["density_steps"];
    if (j.contains("lr")) p.lr = j["lr"];
    p.path_points = j["path_points"];
    p.path_lanczos = j["path_lanczos"];
    p.path_trace_samples = j["path_trace_samples"];
    p.seed = j["seed"];
    p.chunk = j["chunk"];
    return p;
  }
  void parse_inputs(const json& j, StepSpec& st, const std::string& where) const override {
    if (!j.contains("model")) throw InputError(where + ".model: required key is missing");
    st.a = j["model"];
    if (j.contains("path_to")) st.b = j["path_to"];
    st.params = parse_params(j);
  }
  std::vector<std::pair<std::string, std::string>> inputs(const StepSpec& st) const override {
    std::vector<std::pair<std::string, std::string>> out = {{"model", st.a}};
    if (!st.b.empty()) out.emplace_back("path_to", st.b);
    return out;
  }
  void check(const StepSpec& st, const std::string& where) const override {
    const HessianParams& p = st.as<HessianParams>();
    if (st.a == st.b) throw InputError(where + ".path_to: the path needs two different models");
    if (!p.block.empty() && p.per_layer)
      throw InputError(where + ".block: give either block or per_layer, not both");
    if (p.top_k > p.max_iter) throw InputError(where + ".top_k: larger than max_iter");
  }
  void check_in_spec(const StepSpec&, const ExperimentSpec& spec,
                     const std::string& where) const override {
    require_hvps(spec, where);
  }
  void write(const StepSpec& st, ordered_json& out) const override {
    const HessianParams& p = st.as<HessianParams>();
    out["model"] = st.a;
    if (!st.b.empty()) out["path_to"] = st.b;
    out["split"] = p.split;
    out["samples"] = p.samples;
    if (!p.block.empty()) out["block"] = p.block;
    out["per_layer"] = p.per_layer;
    out["top_k"] = p.top_k;
    out["max_iter"] = p.max_iter;
    out["tol"] = p.tol;
    out["trace_samples"] = p.trace_samples;
    out["density_vectors"] = p.density_vectors;
    out["density_steps"] = p.density_steps;
    if (p.lr > 0) out["lr"] = p.lr;
    out["path_points"] = p.path_points;
    out["path_lanczos"] = p.path_lanczos;
    out["path_trace_samples"] = p.path_trace_samples;
    out["seed"] = p.seed;
    out["chunk"] = p.chunk;
  }
  std::string default_id(const StepSpec& st) const override {
    return st.b.empty() ? "hessian-" + st.a : "hessian-" + st.a + "-" + st.b;
  }

  StepResult run(const StepSpec& st, ModelMap& models, StepContext& ctx) const override {
    const HessianParams& p = st.as<HessianParams>();
    const Model& ma = models.at(st.a);
    const ModelArch& arch = *ma.arch;
    std::vector<ParamSelection> sels;
    if (!p.block.empty()) {
      sels.push_back(select_blocks(arch, p.block, "steps." + st.id + ".block"));
    } else {
      sels.push_back(select_all(arch));
      if (p.per_layer)
        for (ParamSelection& l : layer_selections(arch)) sels.push_back(std::move(l));
    }
    HessianConfig cfg;
    cfg.top_k = p.top_k;
    cfg.max_iter = p.max_iter;
    cfg.tol = p.tol;
    cfg.trace_samples = p.trace_samples;
    cfg.density_vectors = p.density_vectors;
    cfg.density_steps = p.density_steps;
    cfg.lr = p.lr;
    cfg.seed = p.seed;
    cfg.path = !st.b.empty();
    cfg.path_options.alphas = alpha_grid(p.path_points);
    cfg.path_options.lanczos_iter = p.path_lanczos;
    cfg.path_options.eigen = p.path_lanczos > 0;
    cfg.path_options.trace_samples = p.path_trace_samples;
    cfg.path_options.trace = p.path_trace_samples > 0;
    cfg.path_options.tol = p.tol;
    cfg.path_options.seed = p.seed;
    Dataset batch;
    if (arch.uses_data()) batch = hessian_batch(ctx.data, p.split, p.samples, p.seed);
    HessianOperator H(ctx.backend, ma.arch, arch.uses_data() ? &batch : nullptr, p.chunk);
    auto on_progress = [&](const Progress& pr) {
      ctx.progress(st, pr.done, pr.total, pr.stage, "hessian");
    };
    HessianReport r = hessian_report(H, ma.params, st.b.empty() ? nullptr : &models.at(st.b).params,
                                     sels, cfg, ctx.cancel, on_progress);
    r.model = st.a;
    r.batch = arch.uses_data() ? batch.name : "";
    r.path_to = st.b;
    write_hessian_report(r, (ctx.dir / "results").string(), st.id);
    for (const SelectionCurvature& s : r.selections) {
      std::string line = "step " + st.id + ": " + (s.name.empty() ? "whole model" : s.name);
      if (!s.eigen.values.empty()) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.4g", s.eigen.values.front());
        line += ": λ_max " + std::string(buf);
      }
      if (s.trace) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.4g ± %.2g", s.trace->mean, s.trace->se);
        line += ", tr H " + std::string(buf);
      }
      ctx.log(line);
    }
    for (const PathCurvature& pc : r.paths)
      ctx.log("step " + st.id + ": path to " + st.b + ", " +
              (pc.selection.empty() ? "whole model" : pc.selection) + ": largest barrier " +
              format_loss_barrier(pc.measured_max) + " at α = " + format_alpha(pc.measured_alpha) +
              ", endpoint prediction of b(½) " + format_loss_barrier(pc.endpoint_prediction));
    ctx.log("step " + st.id + ": " + std::to_string(r.hvps) + " HVPs (wall-clock " +
            format_seconds(r.seconds) + ")");
    const double seconds = r.seconds;
    return {st.id, type(), std::move(r), seconds};
  }

  std::optional<StepResult> load(const StepSpec& st, const fs::path& dir) const override {
    const auto f = dir / "results" / (st.id + ".json");
    if (!fs::exists(f)) return std::nullopt;
    return StepResult{st.id, type(), load_hessian_report(f.string())};
  }
  // No catalog rows: the catalog's rows are interpolation barriers.
};

}  // namespace

const StepKind& hessian_step_kind() {
  static const HessianStep kind;
  return kind;
}

}  // namespace ridgeline::detail
