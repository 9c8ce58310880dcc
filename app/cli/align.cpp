// `ridgeline align`: permute B's hidden units to match A, check the function is unchanged,
// save π(B).
#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "cli/progress.h"
#include "ridgeline/align/alignment.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/experiment/preflight.h"
#include "ridgeline/experiment/spec.h"
#include "ridgeline/experiment/steps/align_step.h"
#include "ridgeline/io/safetensors.h"
#include "ridgeline/paths/interpolation.h"
#include "ridgeline/paths/repair.h"

namespace ridgeline::cli {

int cmd_align(int argc, char** argv) {
  std::set<std::string> opts = data_option_names();
  opts.insert({"method", "out", "seed", "max-sweeps", "samples", "activation", "epochs", "lr", "batch"});
  Args a(argc, argv, 2, opts, {"json", "standardize", "quiet", "repair"}, "align");
  if (a.positionals().size() != 2)
    throw InputError("align: expected two model files A.safetensors B.safetensors");
  const std::string fa = a.positionals()[0], fb = a.positionals()[1];
  const std::string out = a.required("out");
  check_output_file(out, "--out");
  const std::string method = a.str("method", "wm");
  const std::vector<std::string> methods = step_key_choices("method");
  if (std::find(methods.begin(), methods.end(), method) == methods.end()) {
    std::string list;
    for (const auto& m : methods) list += (list.empty() ? "" : ", ") + m;
    throw InputError("--method: '" + method + "' is not one of " + list);
  }
  const int threads = static_cast<int>(a.integer("threads", 0, 0, 1024));
  const bool json_out = a.flag("json"), quiet = a.flag("quiet");
  // Every option is read before any work, so a bad one is found at once.
  const int samples = static_cast<int>(a.integer("samples", 10000, 0, 1 << 30));
  AlignParams p;
  p.method = method;
  p.samples = samples;
  // Read (and range-checked) whatever the method: a bad value is an error even where unused.
  const auto seed = static_cast<uint64_t>(a.integer("seed", 0, 0, (1ll << 62)));
  const int max_sweeps = static_cast<int>(a.integer("max-sweeps", 100, 1, 100000));
  const int epochs = static_cast<int>(a.integer("epochs", 10, 1, 100000));
  const int batch = static_cast<int>(a.integer("batch", 1000, 1, 1 << 24));
  const double lr = a.number("lr", 1e-2);
  int ste_batch = 0;
  if (method == "wm" || method == "ste") {
    p.seed = seed;
    p.max_sweeps = max_sweeps;
  }
  if (method == "ste") {
    p.epochs = epochs;
    ste_batch = batch;
    p.lr = lr;
  }
  auto [models, data] = load_models_and_data(a, {fa, fb});
  const Model ma = to_model(models[0]);
  const Model mb = to_model(models[1]);
  auto backend = make_backend(a.str("device", "auto"), threads);

  ProgressPrinter progress;
  AlignmentResult r = align_by_method(
      *backend, ma, mb, data.train, p, ste_batch,
      [&](const SteProgress& s) {
        if (!quiet) progress({"ste", s.epoch, s.epochs, "midpoint loss " + std::to_string(s.midpoint_loss)});
      },
      &interrupt_token());
  check_alignment(*backend, mb, r, data.test);
  // --repair: the midpoint (α = ½) on the test split, naive, aligned, aligned + REPAIR.
  nlohmann::json midpoint;
  if (a.flag("repair")) {
    InterpolationConfig ic;
    ic.points = 3;
    ic.train = false;
    RepairConfig rc;
    rc.samples = samples;
    const InterpolationResult naive = interpolate(*backend, ma, mb, data, ic, {}, &interrupt_token());
    const InterpolationResult aligned = interpolate(*backend, ma, r.aligned, data, ic, {}, &interrupt_token());
    const InterpolationResult repaired =
        interpolate_repaired(*backend, ma, r.aligned, data, ic, rc, {}, &interrupt_token());
    for (const auto& [name, res] : {std::pair{"naive", &naive}, std::pair{"aligned", &aligned},
                                    std::pair{"aligned_repair", &repaired}})
      midpoint[name] = {{"test_loss", res->test->loss[1]}, {"test_error", res->test->error[1]}};
  }
  save_mlp(out, to_mlp(r.aligned, "align"), {{"ridgeline.aligned_to", fa}, {"ridgeline.aligned_from", fb},
                            {"ridgeline.alignment", r.method}});
  if (json_out) {
    nlohmann::json j = nlohmann::json::parse(alignment_to_json(r, ma.arch->permutation_spec()));
    j["out"] = out;
    if (!midpoint.is_null()) j["midpoint"] = midpoint;
    std::printf("%s\n", j.dump().c_str());
  } else if (!quiet) {
    std::printf("method %s: %d sweep(s), %.3f s\n", r.method.c_str(), r.sweeps, r.seconds);
    std::printf("objective %.6g -> %.6g; L2 distance %.6g -> %.6g\n", r.objective_before,
                r.objective_after, r.l2_before, r.l2_after);
    const PermutationSpec spec = ma.arch->permutation_spec();
    for (size_t p = 0; p < r.perms.size(); ++p) {
      int moved = 0;
      for (size_t i = 0; i < r.perms[p].size(); ++i) moved += r.perms[p][i] != static_cast<int>(i);
      std::printf("  %s (%d units): gain %.6g, %d units moved\n", spec.names[p].c_str(),
                  spec.sizes[p], r.layer_gain[p], moved);
    }
    std::printf("function check: max |logit difference| %.3g (largest |logit| %.3g): passed\n",
                r.function_max_diff, r.function_max_logit);
    if (!midpoint.is_null())
      for (const char* name : {"naive", "aligned", "aligned_repair"})
        std::printf("midpoint %-15s test loss %.4f, accuracy %.2f%%\n", name,
                    midpoint[name]["test_loss"].get<double>(),
                    100 * (1 - midpoint[name]["test_error"].get<double>()));
    std::printf("saved %s\n", out.c_str());
  }
  return 0;
}

}  // namespace ridgeline::cli
