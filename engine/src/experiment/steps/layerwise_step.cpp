// The "layerwise" step kind: layer-wise barriers between two models (paths/layerwise.h).
#include "ridgeline/experiment/steps/layerwise_step.h"

#include <cmath>

#include "experiment/steps/step_kind.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/core/format.h"
#include "ridgeline/io/fileio.h"
#include "ridgeline/paths/layerwise.h"

namespace ridgeline::detail {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using nlohmann::ordered_json;

class LayerwiseStep final : public PairStepKind {
 public:
  std::string type() const override { return "layerwise"; }
  std::any parse_params(const json& j) const override {
    LayerwiseParams p;
    p.points = j["points"];
    const std::string split = j["split"];
    p.train = split != "test";
    p.test = split != "train";
    p.cumulative = j["cumulative"];
    p.from_b = j["from_b"];
    p.subset = j["subset"];
    return p;
  }
  void check(const StepSpec& st, const std::string& where) const override {
    if (st.a == st.b) throw InputError(where + ".b: the same model as a ('" + st.a + "')");
  }
  void write(const StepSpec& st, ordered_json& out) const override {
    const LayerwiseParams& p = st.as<LayerwiseParams>();
    out["a"] = st.a;
    out["b"] = st.b;
    out["points"] = p.points;
    out["split"] = p.train && p.test ? "both" : p.train ? "train" : "test";
    out["cumulative"] = p.cumulative;
    out["from_b"] = p.from_b;
    out["subset"] = p.subset;
  }
  std::string default_id(const StepSpec& st) const override {
    return type() + "-" + st.a + "-" + st.b;
  }

  StepResult run(const StepSpec& st, ModelMap& models, StepContext& ctx) const override {
    const LayerwiseParams& p = st.as<LayerwiseParams>();
    LayerwiseConfig cfg;
    cfg.points = p.points;
    cfg.train = p.train;
    cfg.test = p.test;
    cfg.cumulative = p.cumulative;
    cfg.from_b = p.from_b;
    auto progress = [&](const Progress& q) { ctx.progress(st, q.done, q.total, q.message, q.stage); };
    // A subset of each evaluated split (the other split stays empty: it is not evaluated).
    DataSplits sub;
    const bool use_subset = p.subset > 0 && models.at(st.a).arch->uses_data();
    if (use_subset) {
      if (p.train) sub.train = subset(ctx.data.train, p.subset, 0);
      if (p.test) sub.test = subset(ctx.data.test, p.subset, 0);
      ctx.log("step " + st.id + ": layer-wise paths on " + std::to_string(p.subset) +
              " samples of each split (subset, seed 0)");
    }
    LayerwiseResult r = layerwise(ctx.backend, models.at(st.a), st.a, models.at(st.b), st.b,
                                  use_subset ? sub : ctx.data, cfg, progress, ctx.cancel);
    write_file_atomic((ctx.dir / "results" / (st.id + ".json")).string(),
                      layerwise_to_json(r, 1) + "\n");
    // The log names the single layer with the highest barrier, next to the whole path's.
    const bool train = !p.test;
    if (const LayerwisePath* worst = highest_single_layer(r, train))
      ctx.log("step " + st.id + ": highest single-layer " + (train ? "train" : "test") +
              " loss barrier " + format_loss_barrier(layerwise_loss_barrier(worst->curve, train)) +
              " (" + layerwise_path_label(*worst) + "); whole path " +
              format_loss_barrier(layerwise_loss_barrier(r.whole, train)) + " (wall-clock " +
              format_seconds(r.seconds) + ")");
    const double seconds = r.seconds;
    return {st.id, type(), std::move(r), seconds};
  }

  std::optional<StepResult> load(const StepSpec& st, const fs::path& dir) const override {
    const auto f = dir / "results" / (st.id + ".json");
    if (!fs::exists(f)) return std::nullopt;
    return StepResult{st.id, type(), layerwise_from_json(read_file(f.string()), f.string())};
  }
};

}  // namespace

const StepKind& layerwise_step_kind() {
  static const LayerwiseStep kind;
  return kind;
}

}  // namespace ridgeline::detail
