// `ridgeline interpolate`: loss and error along the linear path between two models.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/common.h"
#include "cli/progress.h"
#include "cli/provenance.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/core/format.h"
#include "ridgeline/io/safetensors.h"
#include "ridgeline/models/mlp/mlp_model.h"
#include "ridgeline/paths/interpolation.h"
#include "ridgeline/paths/repair.h"

namespace ridgeline::cli {

const CommandSpec& interpolate_spec() {
  static const CommandSpec s{
      "interpolate",
      "Loss and error along the linear path θ(α) = (1−α)·θ_A + α·θ_B between two models, and "
      "its barriers.",
      {"interpolate A.safetensors B.safetensors [options]"},
      join({{"points", "N", "25", "evenly spaced α in [0, 1], endpoints included"},
            {"split", "train|test|both", "both", "which splits to evaluate"},
            {"repair", "", "",
             "REPAIR every interpolated network (statistics from the training split; MLPs only)"},
            {"repair-samples", "N", "5000", "first N training samples for REPAIR's statistics (0: all)"},
            {"activation", "relu|gelu", "relu",
             "activation of PyTorch files without Ridgeline metadata (Ridgeline files record theirs)"},
            {"chunk", "N", "1000", "samples per batched evaluation chunk"}},
           {data_option_specs(), compute_option_specs(),
            {{"json", "", "", "print one JSON object (curves, barriers, provenance) on stdout"},
             {"quiet", "", "", "no device or progress lines"}}}),
      {"ridgeline interpolate A.safetensors B.safetensors --data fashion-mnist --points 25 --json",
       "ridgeline interpolate A.safetensors B_to_A.safetensors --data fashion-mnist --repair"},
      {"Any model kind: MLPs, PyTorch state_dicts, quadratic checkpoints (which read no --data "
       "and have no error curve).",
       "Text: loss to 4 significant digits, error in % (JSON: fractions); barriers as in "
       "docs/USER_GUIDE.md, \"Barriers\"."}};
  return s;
}

int cmd_interpolate(int argc, char** argv) {
  Args a(argc, argv, 2, interpolate_spec());
  if (a.positionals().size() != 2)
    throw InputError("expected two model files A.safetensors B.safetensors");
  const std::string fa = a.positionals()[0], fb = a.positionals()[1];
  InterpolationConfig cfg;
  cfg.points = static_cast<int>(a.integer("points", 2, 100001));
  cfg.chunk = static_cast<int>(a.integer("chunk", 1, 1 << 20));
  const std::string split = a.str("split");
  if (split != "train" && split != "test" && split != "both")
    throw InputError("--split: '" + split + "' is not one of train, test, both");
  cfg.train = split != "test";
  cfg.test = split != "train";
  const int threads = static_cast<int>(a.integer("threads", 0, 1024));
  const bool json_out = a.flag("json"), quiet = a.flag("quiet");
  // Every option is read before any work (and before the device line), so a bad one is the
  // only line printed.
  RepairConfig rc;
  rc.samples = static_cast<int>(a.integer("repair-samples", 0, 1 << 30));

  auto [models, data] = load_any_models_and_data(a, {fa, fb});
  const Model& ma = models[0];
  const Model& mb = models[1];
  // REPAIR acts on hidden units: checked before any work starts.
  if (a.flag("repair"))
    if (const std::string why = repair_unsupported(*ma.arch); !why.empty())
      throw InputError(fa + ": " + why);
  auto backend = make_backend(a.str("device"), threads);
  ProgressPrinter progress;
  if (!quiet) progress.line("device: " + backend->description());
  auto on_progress = [&](const Progress& p) {
    if (!quiet) progress(p);
  };
  InterpolationResult r;
  if (a.flag("repair")) {
    // REPAIR every interpolated network with statistics from the training split.
    r = interpolate_repaired(*backend, ma, mb, data, cfg, rc, on_progress, &interrupt_token());
  } else {
    r = interpolate(*backend, ma, mb, data, cfg, on_progress, &interrupt_token());
  }
  progress.finish();
  if (json_out) {
    ProvenanceFacts pf;
    pf.models = {fa, fb};
    if (ma.arch->uses_data()) pf.data = {{a.str("data"), data_options(a)}};
    pf.points = cfg.points;
    pf.backend = backend.get();
    nlohmann::json j = nlohmann::json::parse(interpolation_to_json(r));
    j["provenance"] = provenance_json(a, pf);
    std::printf("%s\n", j.dump().c_str());
    return 0;
  }
  std::printf("%7s", "alpha");
  if (r.train) std::printf("  %10s %11s", "train loss", "train error");
  if (r.test) std::printf("  %10s %11s", "test loss", "test error");
  std::printf("\n");
  for (size_t k = 0; k < r.alpha.size(); ++k) {
    std::printf("%7s", format_alpha(r.alpha[k]).c_str());
    // An undefined error (a model without accuracy) prints as n/a.
    for (const auto* c : {&r.train, &r.test})
      if (*c)
        std::printf("  %10s %11s", format_loss((**c).loss[k]).c_str(),
                    format_error((**c).error[k]).c_str());
    std::printf("\n");
  }
  for (const auto& [name, c] : {std::pair{"train", &r.train}, std::pair{"test", &r.test}})
    if (*c) std::printf("%s: %s\n", name, barrier_summary((*c)->barriers).c_str());
  std::printf("wall-clock %s on %s\n", format_seconds(r.seconds).c_str(),
              backend->description().c_str());
  return 0;
}

}  // namespace ridgeline::cli
