// `ridgeline merge`: MergeMany — match every model to the mean of the others until stable,
// check each permuted model's function, save the average.
#include "ridgeline/align/merge.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "ridgeline/align/alignment.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/experiment/preflight.h"
#include "ridgeline/io/safetensors.h"
#include "ridgeline/models/mlp/mlp_model.h"
#include "ridgeline/models/model_io.h"
#include "ridgeline/train/evaluate.h"

namespace ridgeline::cli {

int cmd_merge(int argc, char** argv) {
  std::set<std::string> opts = data_option_names();
  opts.insert({"out", "seed", "max-sweeps", "activation"});
  Args a(argc, argv, 2, opts, {"json", "standardize", "quiet"}, "merge");
  if (a.positionals().size() < 2) throw InputError("merge: expected at least two model files");
  const std::string out = a.required("out");
  check_output_file(out, "--out");
  // Every option is read before any work, so a bad one is found at once.
  const int threads = static_cast<int>(a.integer("threads", 0, 0, 1024));
  MergeConfig cfg;
  cfg.seed = static_cast<uint64_t>(a.integer("seed", 0, 0, (1ll << 62)));
  cfg.max_sweeps = static_cast<int>(a.integer("max-sweeps", 100, 1, 100000));
  auto [models, data] = load_models_and_data(a, a.positionals());
  auto backend = make_backend(a.str("device", "auto"), threads);
  std::vector<Model> inputs;
  for (const Mlp& m : models) inputs.push_back(to_model(m));
  MergeResult r = merge_many(inputs, cfg, &interrupt_token());
  // Every permuted copy must compute its source's function.
  nlohmann::json checks = nlohmann::json::array();
  for (size_t i = 0; i < models.size(); ++i) {
    AlignmentResult check;
    check.method = "merge (model " + std::to_string(i) + ")";
    check.aligned = r.aligned[i];
    check_alignment(*backend, inputs[i], check, data.test);
    checks.push_back(check.function_max_diff);
  }
  // The merged model against the naive (unaligned) average, on the test split.
  Mlp naive = models[0];
  for (size_t k = 0; k < naive.params.size(); ++k) {
    double s = 0;
    for (const auto& m : models) s += m.params[k];
    naive.params[k] = static_cast<float>(s / models.size());
  }
  const LossError em = evaluate(*backend, r.merged, data.test),
                  en = evaluate(*backend, to_model(naive), data.test);
  save_model(out, r.merged, {{"ridgeline.merged_from", std::to_string(models.size()) + " models"}});
  if (a.flag("json")) {
    nlohmann::json j = {{"models", a.positionals()}, {"sweeps", r.sweeps}, {"seconds", r.seconds},
                        {"distance_before", r.distance_before},
                        {"distance_per_sweep", r.distance_per_sweep},
                        {"function_check_max_abs_logit_diff", checks},
                        {"merged_test", {{"loss", em.loss}, {"error", em.error}}},
                        {"naive_average_test", {{"loss", en.loss}, {"error", en.error}}},
                        {"out", out}};
    std::printf("%s\n", j.dump().c_str());
  } else if (!a.flag("quiet")) {
    std::printf("merged %zu models in %d sweep(s), %.2f s; distance to the others %.5g -> %.5g\n",
                models.size(), r.sweeps, r.seconds, r.distance_before,
                r.distance_per_sweep.empty() ? r.distance_before : r.distance_per_sweep.back());
    std::printf("test loss %.4f, accuracy %.2f%% (naive average: %.4f, %.2f%%)\n", em.loss,
                100 * (1 - em.error), en.loss, 100 * (1 - en.error));
    std::printf("saved %s\n", out.c_str());
  }
  return 0;
}

}  // namespace ridgeline::cli
