// `ridgeline merge`: MergeMany — match every model to the mean of the others until stable,
// check each permuted model's function, save the average.
#include "ridgeline/align/merge.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "cli/provenance.h"
#include "ridgeline/align/alignment.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/core/format.h"
#include "ridgeline/experiment/preflight.h"
#include "ridgeline/io/safetensors.h"
#include "ridgeline/models/mlp/mlp_model.h"
#include "ridgeline/models/model_io.h"
#include "ridgeline/models/transformer/transformer.h"
#include "ridgeline/train/evaluate.h"

namespace ridgeline::cli {

const CommandSpec& merge_spec() {
  static const CommandSpec s{
      "merge",
      "MergeMany: match every model to the mean of the others until stable, check each permuted "
      "model's function, and save the average.",
      {"merge M1.safetensors M2.safetensors [M3.safetensors...] --out MERGED.safetensors "
       "[options]"},
      join({{"out", "FILE", "", "(required) where the merged model is saved (safetensors)"},
            {"seed", "S", "0", "seed of the model visiting order and the sweep orders"},
            {"max-sweeps", "N", "100", "most sweeps over all models"},
            {"activation", "relu|gelu", "relu",
             "activation of PyTorch files without Ridgeline metadata (Ridgeline files record theirs)"}},
           {data_option_specs(), compute_option_specs(),
            {{"json", "", "",
              "print one JSON object (distances, function checks, merged and naive-average test "
              "loss and error, provenance) on stdout"},
             {"quiet", "", "", "no summary lines"}}}),
      {"ridgeline merge M1.safetensors M2.safetensors M3.safetensors --data fashion-mnist --out "
       "MERGED.safetensors"}};
  return s;
}

int cmd_merge(int argc, char** argv) {
  Args a(argc, argv, 2, merge_spec());
  if (a.positionals().size() < 2) throw InputError("expected at least two model files");
  const std::string out = a.required("out");
  check_output_file(out, "--out");
  // Every option is read before any work, so a bad one is found at once.
  const int threads = static_cast<int>(a.integer("threads", 0, 1024));
  MergeConfig cfg;
  cfg.seed = static_cast<uint64_t>(a.integer("seed", 0, (1ll << 62)));
  cfg.max_sweeps = static_cast<int>(a.integer("max-sweeps", 1, 100000));
  auto [models, data] = load_any_models_and_data(a, a.positionals());
  auto backend = make_backend(a.str("device"), threads);
  const std::vector<Model>& inputs = models;
  if (!as_mlp_arch(*inputs[0].arch) && !as_transformer_arch(*inputs[0].arch))
    throw InputError(a.positionals()[0] + ": merging needs MLPs or transformers, not " +
                     inputs[0].arch->to_string());
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
  Model naive = models[0];
  for (size_t k = 0; k < naive.params.size(); ++k) {
    double s = 0;
    for (const auto& m : models) s += m.params[k];
    naive.params[k] = static_cast<float>(s / models.size());
  }
  const LossError em = evaluate(*backend, r.merged, data.test),
                  en = evaluate(*backend, naive, data.test);
  save_model(out, r.merged, {{"ridgeline.merged_from", std::to_string(models.size()) + " models"}});
  if (a.flag("json")) {
    nlohmann::json j = {{"models", a.positionals()}, {"sweeps", r.sweeps}, {"seconds", r.seconds},
                        {"distance_before", r.distance_before},
                        {"distance_per_sweep", r.distance_per_sweep},
                        {"function_check_max_abs_logit_diff", checks},
                        {"merged_test", {{"loss", em.loss}, {"error", em.error}}},
                        {"naive_average_test", {{"loss", en.loss}, {"error", en.error}}},
                        {"out", out}};
    ProvenanceFacts pf;
    pf.models = a.positionals();
    pf.out = out;
    pf.data = {{a.str("data"), data_options(a)}};
    pf.backend = backend.get();
    j["provenance"] = provenance_json(a, pf);
    std::printf("%s\n", j.dump().c_str());
  } else if (!a.flag("quiet")) {
    std::printf("merged %zu models in %d sweep(s), wall-clock %s; distance to the others %.5g -> %.5g\n",
                models.size(), r.sweeps, format_seconds(r.seconds).c_str(), r.distance_before,
                r.distance_per_sweep.empty() ? r.distance_before : r.distance_per_sweep.back());
    std::printf("test loss %s, error %s (naive average: loss %s, error %s)\n",
                format_loss(em.loss).c_str(), format_error(em.error).c_str(),
                format_loss(en.loss).c_str(), format_error(en.error).c_str());
    std::printf("saved %s\n", out.c_str());
  }
  return 0;
}

}  // namespace ridgeline::cli
