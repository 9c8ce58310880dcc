// `ridgeline layerwise`: layer-wise barriers between two models (paths/layerwise.h).
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "cli/progress.h"
#include "cli/provenance.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/core/format.h"
#include "ridgeline/paths/layerwise.h"

namespace ridgeline::cli {

const CommandSpec& layerwise_spec() {
  static const CommandSpec s{
      "layerwise",
      "Layer-wise linear mode connectivity: the barriers of partial paths that interpolate one "
      "layer (weight and bias) — or the first ℓ layers — between A and B while every other layer "
      "stays at A, or at B (Adilova et al., ICLR 2024).",
      {"layerwise A.safetensors B.safetensors [options]"},
      join({{"points", "N", "25", "evenly spaced α in [0, 1] on every partial path"},
            {"split", "train|test|both", "test", "which splits to evaluate"},
            {"no-cumulative", "", "", "only the single-layer paths"},
            {"no-from-b", "", "", "only the paths with the other layers at A"},
            {"activation", "relu|gelu", "relu",
             "activation of PyTorch files without Ridgeline metadata (Ridgeline files record theirs)"},
            {"chunk", "N", "1000", "samples per batched evaluation chunk"}},
           {data_option_specs(), compute_option_specs(),
            {{"json", "", "", "print one JSON object (every path's curves and barriers, provenance) on stdout"},
             {"quiet", "", "", "no device or progress lines"}}}),
      {"ridgeline layerwise A.safetensors B.safetensors --data fashion-mnist",
       "ridgeline layerwise A.safetensors B_to_A.safetensors --data fashion-mnist --json"},
      {"A layer is the blocks that share a name prefix (fc1.weight and fc1.bias); LayerNorm "
       "parameters are layers of their own. Align B first (`ridgeline align`) to see the "
       "barriers after alignment.",
       "Text: one row per path with its linear-form loss and error barriers and the α where "
       "each occurs (docs/USER_GUIDE.md, \"Layer-wise barriers\")."}};
  return s;
}

int cmd_layerwise(int argc, char** argv) {
  Args a(argc, argv, 2, layerwise_spec());
  if (a.positionals().size() != 2)
    throw InputError("expected two model files A.safetensors B.safetensors");
  const std::string fa = a.positionals()[0], fb = a.positionals()[1];
  LayerwiseConfig cfg;
  cfg.points = static_cast<int>(a.integer("points", 2, 100001));
  cfg.chunk = static_cast<int>(a.integer("chunk", 1, 1 << 20));
  const std::string split = a.str("split");
  if (split != "train" && split != "test" && split != "both")
    throw InputError("--split: '" + split + "' is not one of train, test, both");
  cfg.train = split != "test";
  cfg.test = split != "train";
  cfg.cumulative = !a.flag("no-cumulative");
  cfg.from_b = !a.flag("no-from-b");
  const int threads = static_cast<int>(a.integer("threads", 0, 1024));
  const bool json_out = a.flag("json"), quiet = a.flag("quiet");

  auto [models, data] = load_any_models_and_data(a, {fa, fb});
  auto backend = make_backend(a.str("device"), threads);
  ProgressPrinter progress;
  if (!quiet) progress.line("device: " + backend->description());
  auto on_progress = [&](const Progress& p) {
    if (!quiet) progress(p);
  };
  const LayerwiseResult r = layerwise(*backend, models[0], fa, models[1], fb, data, cfg,
                                      on_progress, &interrupt_token());
  progress.finish();
  if (json_out) {
    ProvenanceFacts pf;
    pf.models = {fa, fb};
    if (models[0].arch->uses_data()) pf.data = {{a.str("data"), data_options(a)}};
    pf.points = cfg.points;
    pf.backend = backend.get();
    nlohmann::ordered_json j;
    j["layerwise"] = nlohmann::ordered_json::parse(layerwise_to_json(r, -1));
    j["provenance"] = provenance_json(a, pf);
    std::printf("%s\n", j.dump().c_str());
    return 0;
  }
  const bool test = cfg.test;
  std::printf("%s loss and error barriers (linear form) of the partial paths from A to B "
              "(\"none\": no interior barrier):\n",
              test ? "test" : "train");
  std::printf("  %-28s %12s %7s %12s %7s\n", "path", "loss", "at α", "error", "at α");
  auto row = [&](const std::string& label, const InterpolationResult& c) {
    const SplitCurve& k = test ? *c.test : *c.train;
    // α only where the barrier is interior; "none" where the curve never rises above its chord.
    auto where = [](double value, double alpha) {
      return has_interior_barrier(value, alpha) ? format_alpha(alpha) : std::string("none");
    };
    std::printf("  %-28s %12s %7s %12s %7s\n", label.c_str(),
                format_loss_barrier(k.barriers.loss_lin).c_str(),
                where(k.barriers.loss_lin, k.barriers.loss_alpha).c_str(),
                format_error_barrier(k.barriers.error_lin).c_str(),
                where(k.barriers.error_lin, k.barriers.error_alpha).c_str());
  };
  for (const auto& p : r.paths) row(layerwise_path_label(p), p.curve);
  row("every layer (the whole path)", r.whole);
  std::printf("wall-clock %s on %s\n", format_seconds(r.seconds).c_str(),
              backend->description().c_str());
  return 0;
}

}  // namespace ridgeline::cli
