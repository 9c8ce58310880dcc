// The "landscape" step kind: a grid of loss and error on a plane through three models or
// around one model, with its lowest pass and persistence (landscape/landscape.h).
#include "ridgeline/experiment/steps/landscape_step.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "experiment/steps/step_kind.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/core/format.h"
#include "ridgeline/curvature/hessian_plane.h"

namespace ridgeline::detail {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using nlohmann::ordered_json;

bool hessian(const LandscapeParams& p) { return p.directions != "random"; }

// The two Hessian eigenvectors around the centre, on a seeded subset of the chosen split.
LandscapeBasis hessian_directions(const StepSpec& st, const LandscapeParams& p, const Model& centre,
                                  StepContext& ctx) {
  const ModelArch& arch = *centre.arch;
  Dataset batch;
  if (arch.uses_data()) batch = hessian_batch(ctx.data, p.hessian_split, p.hessian_samples, p.seed);
  HessianOperator H(ctx.backend, centre.arch, arch.uses_data() ? &batch : nullptr);
  H.set_cancel(ctx.cancel);
  HessianPlaneOptions opt;
  opt.pair = p.directions == "hessian_top2" ? "top2" : "top_bottom";
  opt.max_iter = p.hessian_max_iter;
  opt.seed = p.seed;
  const std::string what =
      arch.uses_data() ? p.hessian_split + ", " + std::to_string(batch.n) + " samples" : "";
  ctx.log("step " + st.id + ": Hessian eigenvectors (" + opt.pair + ") of " + st.models[0] +
          (what.empty() ? "" : " on " + what));
  LandscapeBasis b = hessian_basis(st.models[0], H, centre, opt, what, ctx.cancel,
                                   [&](const Progress& q) {
                                     ctx.progress(st, q.done, q.total, q.message, "hessian");
                                   });
  char line[160];
  std::snprintf(line, sizeof line, "λ = %.5g, %.5g (residuals %.2g, %.2g%s)", b.info.eigenvalues[0],
                b.info.eigenvalues[1], b.info.eigen_residuals[0], b.info.eigen_residuals[1],
                b.info.eigen_converged ? "" : "; not converged");
  ctx.log("step " + st.id + ": " + line);
  return b;
}

class LandscapeStep final : public StepKind {
 public:
  std::string type() const override { return "landscape"; }

  std::any parse_params(const json& j) const override {
    LandscapeParams p;
    p.plane = j.contains("plane");
    p.seed = j["seed"].get<uint64_t>();
    p.keep_1d = j["keep_1d"];
    p.directions = j["directions"];
    p.hessian_split = j["hessian_split"];
    p.hessian_samples = j["hessian_samples"];
    p.hessian_max_iter = j["hessian_max_iter"];
    for (const auto& m : j["project"]) p.project.push_back(m);
    p.grid.nx = j["grid"][0];
    p.grid.ny = j["grid"][1];
    // Default ranges: a plane shows A, B and their surroundings; random directions are
    // symmetric about the centre.
    const double lo = p.plane ? -0.5 : -1.0, hi = p.plane ? 1.5 : 1.0;
    p.grid.x0 = j.contains("x") ? j["x"][0].get<double>() : lo;
    p.grid.x1 = j.contains("x") ? j["x"][1].get<double>() : hi;
    p.grid.y0 = j.contains("y") ? j["y"][0].get<double>() : lo;
    p.grid.y1 = j.contains("y") ? j["y"][1].get<double>() : hi;
    p.split = j["split"];
    p.subset = j["subset"];
    p.pass = j["pass"];
    p.connectivity = j["connectivity"];
    p.precision = parse_precision(j["precision"].get<std::string>(), "precision");
    return p;
  }
  void parse_inputs(const json& j, StepSpec& st, const std::string& where) const override {
    const bool plane = j.contains("plane"), centre = j.contains("center");
    if (plane == centre)
      throw InputError(where +
                       ": a landscape step needs either 'plane' (three models) or 'center' "
                       "(one model), not " +
                       (plane ? "both" : "neither"));
    if (plane)
      for (const auto& m : j["plane"]) st.models.push_back(m);
    else
      st.models.push_back(j["center"]);
    // inputs() runs before parse_params: the parameters it needs are read here already.
    st.params = parse_params(j);
  }
  std::vector<std::pair<std::string, std::string>> inputs(const StepSpec& st) const override {
    std::vector<std::pair<std::string, std::string>> out;
    const LandscapeParams& p = st.as<LandscapeParams>();
    if (p.plane)
      for (size_t k = 0; k < st.models.size(); ++k)
        out.emplace_back("plane[" + std::to_string(k) + "]", st.models[k]);
    else
      if (!st.models.empty()) out.emplace_back("center", st.models.front());
    for (size_t k = 0; k < p.project.size(); ++k)
      out.emplace_back("project[" + std::to_string(k) + "]", p.project[k]);
    return out;
  }
  void check(const StepSpec& st, const std::string& where) const override {
    const LandscapeParams& p = st.as<LandscapeParams>();
    if (p.plane && p.directions != "random")
      throw InputError(where + ".directions: only around a 'center' (a plane's axes are its models)");
    if (p.plane && (st.models[0] == st.models[1] || st.models[0] == st.models[2] ||
                    st.models[1] == st.models[2]))
      throw InputError(where + ".plane: the three models must differ");
    // bf16 where it cannot run fails before any training (the model kind is checked when
    // the step runs: evaluate_grid names a kind without a bf16 path).
    if (p.precision == Precision::Bf16) {
      const std::string why = bf16_unavailable_reason();
      if (!why.empty()) throw InputError(where + ".precision: " + why);
    }
    for (const auto& [key, lo, hi] :
         {std::tuple{"x", p.grid.x0, p.grid.x1}, std::tuple{"y", p.grid.y0, p.grid.y1}}) {
      if (!(lo < hi)) throw InputError(where + "." + key + ": lo must be below hi");
      // Around one model the grid is symmetric about it (Li et al. 2018).
      if (!p.plane && lo != -hi)
        throw InputError(where + "." + key +
                         ": a grid around one model is symmetric: give [-r, r]");
    }
  }
  void check_in_spec(const StepSpec& st, const ExperimentSpec& spec,
                     const std::string& where) const override {
    if (hessian(st.as<LandscapeParams>())) require_hvps(spec, where + ".directions");
  }
  void write(const StepSpec& st, ordered_json& out) const override {
    const LandscapeParams& p = st.as<LandscapeParams>();
    // A step made from defaults (make_step: the editor's "Add step") has no models yet.
    if (p.plane)
      out["plane"] = st.models;
    else if (!st.models.empty())
      out["center"] = st.models.front();
    out["directions"] = p.directions;
    out["seed"] = p.seed;
    out["keep_1d"] = p.keep_1d;
    if (hessian(p)) {
      out["hessian_split"] = p.hessian_split;
      out["hessian_samples"] = p.hessian_samples;
      out["hessian_max_iter"] = p.hessian_max_iter;
    }
    out["project"] = p.project;
    out["grid"] = {p.grid.nx, p.grid.ny};
    out["x"] = {p.grid.x0, p.grid.x1};
    out["y"] = {p.grid.y0, p.grid.y1};
    out["split"] = p.split;
    out["subset"] = p.subset;
    out["pass"] = p.pass;
    out["connectivity"] = p.connectivity;
    out["precision"] = to_string(p.precision);
  }
  std::string default_id(const StepSpec& st) const override {
    std::string id = type();
    for (const auto& m : st.models) id += "-" + m;
    return id;
  }

  StepResult run(const StepSpec& st, ModelMap& models, StepContext& ctx) const override {
    const LandscapeParams& p = st.as<LandscapeParams>();
    const Model& first = models.at(st.models[0]);
    LandscapeBasis basis =
        p.plane      ? plane_basis(st.models, first, models.at(st.models[1]), models.at(st.models[2]))
        : hessian(p) ? hessian_directions(st, p, first, ctx)
                     : random_basis(st.models[0], first, p.seed, p.keep_1d);
    for (const auto& name : p.project) {
      check_compatible(*first.arch, st.models[0], *models.at(name).arch, name);
      basis.project(name, models.at(name).params);
    }
    const Dataset& split = p.split == "train" ? ctx.data.train : ctx.data.test;
    Dataset sub;
    const Dataset* data = nullptr;
    if (first.arch->uses_data()) {
      data = &split;
      if (p.subset > 0 && p.subset < split.n) {
        sub = subset(split, p.subset, 0);
        data = &sub;
      }
    }
    ctx.log("step " + st.id + ": landscape " + (p.plane ? "plane" : "around") + " " +
            [&] {
              std::string s;
              for (const auto& m : st.models) s += (s.empty() ? "" : ", ") + m;
              return s;
            }() +
            ", " + std::to_string(p.grid.nx) + "×" + std::to_string(p.grid.ny) + " points" +
            (data ? " on " + std::to_string(data->n) + " " + p.split + " samples" : "") +
            (p.precision == Precision::Fp32 ? "" : ", " + to_string(p.precision) + " GEMMs"));
    LandscapeConfig cfg;
    cfg.grid = p.grid;
    cfg.split = p.split;
    cfg.subset = data ? data->n : 0;
    cfg.pass = p.pass;
    cfg.connectivity = p.connectivity;
    cfg.options.precision = p.precision;
    const fs::path res = ctx.dir / "results";
    // Finished rows survive a cancel or a crash: a rerun into the folder resumes them.
    cfg.options.resume_dir = (res / (st.id + ".resume")).string();
    cfg.options.cancel = ctx.cancel;
    cfg.options.progress = [&](const Progress& q) {
      ctx.progress(st, q.done, q.total, q.message, "grid");
    };
    LandscapeResult r = compute_landscape(ctx.backend, *first.arch, basis, data, cfg);
    write_landscape(r, res.string(), st.id, (ctx.dir / "surfaces" / (st.id + ".vts")).string());
    remove_resume_folder(cfg.options.resume_dir);
    ctx.log("step " + st.id + ": " + landscape_summary(r) + " (wall-clock " +
            format_seconds(r.seconds) +
            (r.rows_resumed ? ", " + std::to_string(r.rows_resumed) + " row(s) resumed" : "") +
            ")");
    const double seconds = r.seconds;
    return {st.id, type(), std::move(r), seconds};
  }

  std::optional<StepResult> load(const StepSpec& st, const fs::path& dir) const override {
    const auto f = dir / "results" / (st.id + ".json");
    if (!fs::exists(f)) return std::nullopt;
    return StepResult{st.id, type(), load_landscape(f.string())};
  }

  void catalog_rows(const StepResult& r, std::vector<RunBarrier>& rows) const override {
    const auto* res = r.as<LandscapeResult>();
    if (!res || !res->pass) return;
    // Named for what it is: the catalog's "best" next to a path's barrier must not read as
    // another linear path ("best plane +0.01").
    rows.push_back({r.id + " (lowest pass)", res->split.empty() ? "test" : res->split,
                    res->pass->loss_mid, res->pass->error_mid});
  }
};

}  // namespace

const StepKind& landscape_step_kind() {
  static const LandscapeStep kind;
  return kind;
}

}  // namespace ridgeline::detail
