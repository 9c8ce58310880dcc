// `ridgeline interpolate`: loss and error along the linear path between two models.
#include <cmath>
#include <cstdio>
#include <optional>

#include "cli/common.h"
#include "cli/progress.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/paths/interpolation.h"
#include "ridgeline/models/mlp/mlp_model.h"
#include "ridgeline/paths/repair.h"
#include "ridgeline/io/safetensors.h"

namespace ridgeline::cli {

int cmd_interpolate(int argc, char** argv) {
  std::set<std::string> opts = data_option_names();
  opts.insert({"points", "split", "chunk", "activation", "repair-samples"});
  Args a(argc, argv, 2, opts, {"json", "standardize", "quiet", "repair"}, "interpolate");
  if (a.positionals().size() != 2)
    throw InputError("interpolate: expected two model files A.safetensors B.safetensors");
  const std::string fa = a.positionals()[0], fb = a.positionals()[1];
  InterpolationConfig cfg;
  cfg.points = static_cast<int>(a.integer("points", 25, 2, 100001));
  cfg.chunk = static_cast<int>(a.integer("chunk", 1000, 1, 1 << 20));
  const std::string split = a.str("split", "both");
  if (split != "train" && split != "test" && split != "both")
    throw InputError("--split: '" + split + "' is not one of train, test, both");
  cfg.train = split != "test";
  cfg.test = split != "train";
  const int threads = static_cast<int>(a.integer("threads", 0, 0, 1024));
  const bool json_out = a.flag("json"), quiet = a.flag("quiet");
  // Every option is read before any work (and before the device line), so a bad one is the
  // only line printed.
  RepairConfig rc;
  rc.samples = static_cast<int>(a.integer("repair-samples", 5000, 0, 1 << 30));

  auto [models, data] = load_any_models_and_data(a, {fa, fb});
  const Model& ma = models[0];
  const Model& mb = models[1];
  // REPAIR acts on hidden units: checked before any work starts.
  if (a.flag("repair")) to_mlp(ma, fa + ": REPAIR");
  auto backend = make_backend(a.str("device", "auto"), threads);
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
    std::printf("%s\n", interpolation_to_json(r).c_str());
    return 0;
  }
  std::printf("%8s", "alpha");
  if (r.train) std::printf("  %11s %11s", "train_loss", "train_err");
  if (r.test) std::printf("  %11s %11s", "test_loss", "test_err");
  std::printf("\n");
  for (size_t k = 0; k < r.alpha.size(); ++k) {
    std::printf("%8.4f", r.alpha[k]);
    // An undefined error (a model without accuracy) prints as n/a.
    for (const auto* c : {&r.train, &r.test})
      if (*c) {
        std::printf("  %11.5f", (**c).loss[k]);
        if (std::isnan((**c).error[k])) std::printf(" %11s", "n/a");
        else std::printf(" %11.5f", (**c).error[k]);
      }
    std::printf("\n");
  }
  for (const auto& [name, c] : {std::pair{"train", &r.train}, std::pair{"test", &r.test}})
    if (*c)
      std::printf("%s: %s\n", name, barrier_summary((*c)->barriers).c_str());
  std::printf("%.2f s on %s\n", r.seconds, backend->description().c_str());
  return 0;
}

}  // namespace ridgeline::cli
