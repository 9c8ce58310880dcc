// The "curve" step kind: a trained Bézier curve or polygonal chain between two models
// (landscape/curve.h; Garipov et al. 2018, arXiv 1802.10026).
#include "ridgeline/experiment/steps/curve_step.h"

#include <algorithm>

#include "experiment/steps/step_kind.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/core/format.h"
#include "ridgeline/io/fileio.h"
#include "ridgeline/models/model_io.h"

namespace ridgeline::detail {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using nlohmann::ordered_json;

class CurveStep final : public PairStepKind {
 public:
  std::string type() const override { return "curve"; }
  std::any parse_params(const json& j) const override {
    CurveParams p;
    p.config.kind = j["curve"] == "chain" ? CurveKind::Chain : CurveKind::Bezier;
    p.config.epochs = j["epochs"];
    p.config.lr = j["lr"];
    p.config.momentum = j["momentum"];
    p.config.batch = j["batch"];
    p.config.seed = j["seed"].get<uint64_t>();
    p.points = j["points"];
    const std::string split = j["split"];
    p.train = split != "test";
    p.test = split != "train";
    return p;
  }
  void check(const StepSpec& st, const std::string& where) const override {
    if (st.a == st.b) throw InputError(where + ": a curve needs two different models");
  }
  void write(const StepSpec& st, ordered_json& out) const override {
    const CurveParams& p = st.as<CurveParams>();
    out["a"] = st.a;
    out["b"] = st.b;
    out["curve"] = p.config.kind == CurveKind::Chain ? "chain" : "bezier";
    out["epochs"] = p.config.epochs;
    out["lr"] = p.config.lr;
    out["momentum"] = p.config.momentum;
    out["batch"] = p.config.batch;
    out["seed"] = p.config.seed;
    out["points"] = p.points;
    out["split"] = p.train && p.test ? "both" : p.train ? "train" : "test";
  }
  std::string default_id(const StepSpec& st) const override { return "curve-" + st.a + "-" + st.b; }
  std::vector<std::string> outputs(const StepSpec& st) const override { return {st.id}; }
  void add_outputs(const StepSpec& st, std::vector<std::string>& available,
                   const std::string& where) const override {
    if (std::find(available.begin(), available.end(), st.id) != available.end())
      throw InputError(where + ".id: model '" + st.id + "' already exists");
    available.push_back(st.id);
  }

  StepResult run(const StepSpec& st, ModelMap& models, StepContext& ctx) const override {
    const CurveParams& p = st.as<CurveParams>();
    const Model& a = models.at(st.a);
    const Model& b = models.at(st.b);
    const char* kind = p.config.kind == CurveKind::Chain ? "chain" : "bezier";
    ctx.log("step " + st.id + ": " + kind + " curve " + st.a + " → " + st.b + ", bend trained " +
            std::to_string(p.config.epochs) + " epoch(s)");
    auto progress = [&](const Progress& q) {
      ctx.progress(st, q.done, q.total, q.message, "bend");
    };
    const CurveTraining t =
        train_curve(ctx.backend, a, b, ctx.data.train, p.config, progress, ctx.cancel);
    InterpolationResult r = evaluate_curve(ctx.backend, p.config.kind, a, b, t.bend, ctx.data,
                                           p.points, p.train, p.test);
    r.seconds += t.seconds;
    const Model bend{a.arch, t.bend};
    save_model((ctx.dir / "checkpoints" / (st.id + ".safetensors")).string(), bend,
               {{"ridgeline.curve", std::string(kind) + " " + st.a + " " + st.b}});
    json j = json::parse(interpolation_to_json(r, 2));
    j["curve"] = {{"kind", kind},
                  {"a", st.a},
                  {"b", st.b},
                  {"epochs", p.config.epochs},
                  {"epoch_loss", t.epoch_loss}};
    const fs::path res = ctx.dir / "results";
    write_file_atomic((res / (st.id + ".json")).string(), j.dump(2) + "\n");
    const int64_t n = static_cast<int64_t>(r.alpha.size());
    write_npy((res / (st.id + ".alpha.npy")).string(), r.alpha, {n});
    for (const auto& [name, c] : {std::pair{"train", &r.train}, std::pair{"test", &r.test}})
      if (*c) {
        write_npy((res / (st.id + "." + name + "_loss.npy")).string(), (*c)->loss, {n});
        write_npy((res / (st.id + "." + name + "_error.npy")).string(), (*c)->error, {n});
      }
    const SplitCurve& c = r.test ? *r.test : *r.train;
    ctx.log("step " + st.id + ": " + (r.test ? "test " : "train ") + barrier_summary(c.barriers) +
            " (wall-clock " + format_seconds(r.seconds) + ")");
    models[st.id] = bend;
    const double seconds = r.seconds;
    return {st.id, type(), CurveResult{kind, std::move(r), t.epoch_loss}, seconds};
  }

  std::optional<StepResult> load(const StepSpec& st, const fs::path& dir) const override {
    const auto f = dir / "results" / (st.id + ".json");
    if (!fs::exists(f)) return std::nullopt;
    const std::string text = read_file(f.string());
    CurveResult r{"", interpolation_from_json(text, f.string()), {}};
    try {
      const json j = json::parse(text);
      r.kind = j.at("curve").at("kind").get<std::string>();
      r.epoch_loss = j.at("curve").at("epoch_loss").get<std::vector<double>>();
    } catch (const json::exception&) {
      throw InputError(f.string() + ": curve: missing or malformed (kind, epoch_loss)");
    }
    return StepResult{st.id, type(), std::move(r)};
  }

  void catalog_rows(const StepResult& r, std::vector<RunBarrier>& rows) const override {
    const auto* cr = r.as<CurveResult>();
    if (!cr) return;
    const InterpolationResult* res = &cr->path;
    for (const auto& [split, curve] :
         {std::pair{"test", &res->test}, std::pair{"train", &res->train}})
      if (*curve)
        rows.push_back({r.id + " (curve)", split, (*curve)->barriers.loss_mid, (*curve)->barriers.error_mid});
  }
};

}  // namespace

const StepKind& curve_step_kind() {
  static const CurveStep kind;
  return kind;
}

}  // namespace ridgeline::detail
