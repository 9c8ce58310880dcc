// `ridgeline train`: train one model (an MLP or a transformer) and save it as safetensors.
#include "ridgeline/train/train_model.h"

#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "cli/progress.h"
#include "cli/provenance.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/core/format.h"
#include "ridgeline/experiment/preflight.h"
#include "ridgeline/io/safetensors.h"
#include "ridgeline/models/mlp/mlp_model.h"
#include "ridgeline/models/model_io.h"
#include "ridgeline/train/distill.h"

namespace ridgeline::cli {

const CommandSpec& train_spec() {
  static const CommandSpec s{
      "train",
      "Train one model (an MLP or a tiny transformer) on a data set and save it as safetensors.",
      {"train --arch ARCH --out MODEL.safetensors [options]"},
      join({{"arch", "ARCH", "",
             "(required) mlp:IN,HIDDEN...,CLASSES, optionally +ln (LayerNorm) and +gelu (GELU); or "
             "transformer:... (see the user guide, \"The attention lab\")"},
            {"out", "FILE", "", "(required) where the trained model is saved (safetensors)"},
            {"seed", "S", "0", "seed of the initialisation and the batch order"},
            {"epochs", "N", "10", "training epochs"},
            {"batch", "N", "128", "mini-batch size"},
            {"optimizer", "adam|sgd", "adam", "optimiser"},
            {"lr", "X", "", "learning rate", "1e-3 with adam, 0.05 with sgd"},
            {"momentum", "X", "0.9", "SGD momentum"},
            {"weight-decay", "X", "0", "weight decay"},
            {"schedule", "constant|step|cosine|triangular", "constant", "learning-rate schedule"},
            {"warmup-epochs", "X", "",
             "triangular schedule: epochs of linear rise to --lr before the linear decay",
             "min(5, epochs)"},
            {"checkpoint-every", "N", "0",
             "also save MODEL-epochK.safetensors every N epochs (0: the final model only)"},
            {"distill", "W", "0",
             "transformers with attn=hedgehog: add W times the attention-distillation loss (each "
             "head's cross-entropy to the softmax map of its own queries and keys; it trains the "
             "Hedgehog maps only) to the task loss; 0: the task loss only"}},
           {data_option_specs(), compute_option_specs(),
            {{"json", "", "", "print one JSON object (epochs, provenance) on stdout"},
             {"quiet", "", "", "no progress or per-epoch lines"}}}),
      {"ridgeline train --arch mlp:784,512,512,512,10 --data fashion-mnist --seed 0 --epochs 10 "
       "--out A.safetensors",
       "ridgeline train --arch mlp:8,16,3+ln+gelu --data gmm:600,200,8,3,7 --optimizer sgd "
       "--schedule triangular --warmup-epochs 2 --out A.safetensors --json",
       "ridgeline train --arch transformer:tokens=32,seq=16,d=64,heads=2,layers=2,ff=128,"
       "attn=softmax,causal --data task:mqar,vocab=32,length=16,pairs=4,train=4000,test=500 "
       "--batch 32 --epochs 10 --out mqar.safetensors",
       "ridgeline train --arch transformer:tokens=32,seq=16,d=64,heads=2,layers=2,ff=128,"
       "attn=hedgehog,causal --data task:mqar,vocab=32,length=16,pairs=4,train=4000,test=500 "
       "--batch 32 --epochs 10 --distill 1 --out mqar-hedgehog.safetensors"},
      {"Per-epoch lines give loss (4 significant digits) and error (% misclassified) of both "
       "splits, and the epoch's wall-clock time; with --distill also the epoch's mean "
       "distillation loss."}};
  return s;
}

int cmd_train(int argc, char** argv) {
  Args a(argc, argv, 2, train_spec());
  if (!a.positionals().empty())
    throw InputError("unexpected argument '" + a.positionals()[0] + "'");
  const auto arch = parse_model_arch(a.required("arch"), "--arch");
  if (!arch->uses_data())
    throw InputError("--arch: " + arch->to_string() + " uses no data; train it in a spec");
  const std::string out = a.required("out");
  check_output_file(out, "--out");
  TrainConfig cfg;
  cfg.optimizer = parse_optimizer(a.str("optimizer"), "--optimizer");
  cfg.lr = a.number("lr", cfg.optimizer == OptimizerKind::Adam ? 1e-3 : 0.05);
  cfg.momentum = a.number("momentum");
  cfg.weight_decay = a.number("weight-decay");
  cfg.batch = static_cast<int>(a.integer("batch", 1, 1 << 20));
  cfg.epochs = static_cast<int>(a.integer("epochs", 1, 100000));
  cfg.schedule = parse_schedule(a.str("schedule"), "--schedule");
  cfg.warmup_epochs = a.number("warmup-epochs", std::min(5.0, static_cast<double>(cfg.epochs)));
  cfg.checkpoint_every = static_cast<int>(a.integer("checkpoint-every", 0, 1000000));
  cfg.distill = a.number("distill");
  cfg.validate("--");
  if (cfg.distill > 0) {
    const std::string why = distill_unsupported(*arch);
    if (!why.empty()) throw InputError("--distill: " + why);
  }
  const uint64_t seed = static_cast<uint64_t>(a.integer("seed", 0, (1ll << 62)));
  const int threads = static_cast<int>(a.integer("threads", 0, 1024));
  const bool json_out = a.flag("json"), quiet = a.flag("quiet");
  // Before any work: the model, its gradients and a batch's activations must fit in memory.
  check_fits_memory(*arch, std::max(cfg.batch, 2000), 1, "--arch");
  DataOptions data_opts = data_options(a);

  auto backend = make_backend(a.str("device"), threads);
  DataSplits data = load_data(a.str("data"), data_opts);
  arch->check_fits(data.train, "--arch");
  ProgressPrinter progress;
  ModelTrainCallbacks cb;
  cb.on_step = [&](const StepMetrics& s) {
    // Printed once training has started, so bad input stays a single error line.
    if (!quiet && s.step == 1) progress.line("device: " + backend->description());
    if (!quiet && (s.step % 10 == 0 || s.step == s.total_steps))
      progress({"train", s.step, s.total_steps,
                "epoch " + std::to_string(s.epoch) + " loss " + format_loss(s.loss) +
                    (cfg.distill > 0 ? " distill " + format_loss(s.distill_loss) : "")});
  };
  // Per-epoch checkpoints next to the output: A.safetensors → A-epoch3.safetensors.
  const std::string stem = out.size() > 12 && out.ends_with(".safetensors") ? out.substr(0, out.size() - 12) : out;
  cb.on_epoch = [&](const EpochMetrics& e, const Model& model) {
    if (cfg.checkpoint_every > 0 && e.epoch % cfg.checkpoint_every == 0 && e.epoch < cfg.epochs)
      save_model(stem + "-epoch" + std::to_string(e.epoch) + ".safetensors", model,
               {{"ridgeline.seed", std::to_string(seed)}, {"ridgeline.epoch", std::to_string(e.epoch)}});
    if (quiet) return;
    progress.line("epoch " + std::to_string(e.epoch) + "/" + std::to_string(cfg.epochs) +
                  ": train loss " + format_loss(e.train_loss) + ", error " +
                  format_error(e.train_error) +
                  (cfg.distill > 0 ? ", distillation loss " + format_loss(e.distill_loss) : "") +
                  "; test loss " + format_loss(e.test_loss) +
                  ", error " + format_error(e.test_error) + " (wall-clock " +
                  format_seconds(e.seconds) + ")");
  };
  ModelTrainResult r = train_model(*backend, arch, data, cfg, seed, cb, &interrupt_token());
  progress.finish();
  std::map<std::string, std::string> meta{{"ridgeline.seed", std::to_string(seed)},
                                          {"ridgeline.optimizer", to_string(cfg.optimizer)},
                                          {"ridgeline.epochs", std::to_string(cfg.epochs)}};
  if (cfg.distill > 0) meta["ridgeline.distill"] = nlohmann::json(cfg.distill).dump();
  save_model(out, r.model, meta);
  if (json_out) {
    ProvenanceFacts pf;
    pf.out = out;
    pf.data = {{a.str("data"), data_opts}};
    pf.backend = backend.get();
    nlohmann::json j = {{"out", out}, {"arch", arch->to_string()}, {"seed", seed},
                        {"device", backend->description()}, {"seconds", r.seconds},
                        {"samples_per_second", r.samples_per_second}, {"epochs", nlohmann::json::array()}};
    if (cfg.distill > 0) j["distill"] = cfg.distill;
    for (const auto& e : r.epochs) {
      j["epochs"].push_back({{"epoch", e.epoch}, {"train_loss", e.train_loss},
                             {"train_error", e.train_error}, {"test_loss", e.test_loss},
                             {"test_error", e.test_error}, {"seconds", e.seconds}});
      if (cfg.distill > 0) j["epochs"].back()["distill_loss"] = e.distill_loss;
    }
    j["provenance"] = provenance_json(a, pf);
    std::printf("%s\n", j.dump().c_str());
  } else if (!quiet) {
    std::fprintf(stderr, "saved %s (wall-clock %s, %.0f samples/s)\n", out.c_str(),
                 format_seconds(r.seconds).c_str(), r.samples_per_second);
  }
  return 0;
}

}  // namespace ridgeline::cli
