// `ridgeline train`: train one MLP and save it as safetensors.
#include "ridgeline/train/train.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "cli/progress.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/experiment/preflight.h"
#include "ridgeline/io/safetensors.h"
#include "ridgeline/models/mlp/mlp_model.h"

namespace ridgeline::cli {

int cmd_train(int argc, char** argv) {
  std::set<std::string> opts = data_option_names();
  opts.insert({"arch", "seed", "epochs", "batch", "optimizer", "lr", "momentum", "weight-decay",
               "schedule", "warmup-epochs", "out", "checkpoint-every"});
  Args a(argc, argv, 2, opts, {"json", "standardize", "quiet"}, "train");
  if (!a.positionals().empty())
    throw InputError("train: unexpected argument '" + a.positionals()[0] + "'");
  const MlpArch arch = parse_arch(a.required("arch"), "--arch");
  const std::string out = a.required("out");
  check_output_file(out, "--out");
  TrainConfig cfg;
  cfg.optimizer = parse_optimizer(a.str("optimizer", "adam"), "--optimizer");
  cfg.lr = a.number("lr", cfg.optimizer == OptimizerKind::Adam ? 1e-3 : 0.05);
  cfg.momentum = a.number("momentum", 0.9);
  cfg.weight_decay = a.number("weight-decay", 0.0);
  cfg.batch = static_cast<int>(a.integer("batch", 128, 1, 1 << 20));
  cfg.epochs = static_cast<int>(a.integer("epochs", 10, 1, 100000));
  cfg.schedule = parse_schedule(a.str("schedule", "constant"), "--schedule");
  cfg.warmup_epochs = a.number("warmup-epochs", std::min(5.0, static_cast<double>(cfg.epochs)));
  cfg.checkpoint_every = static_cast<int>(a.integer("checkpoint-every", 0, 0, 1000000));
  cfg.validate("--");
  const uint64_t seed = static_cast<uint64_t>(a.integer("seed", 0, 0, (1ll << 62)));
  const int threads = static_cast<int>(a.integer("threads", 0, 0, 1024));
  const bool json_out = a.flag("json"), quiet = a.flag("quiet");
  // Before any work: the model, its gradients and a batch's activations must fit in memory.
  check_fits_memory(*mlp_model_arch(arch), std::max(cfg.batch, 2000), 1, "--arch");
  DataOptions data_opts = data_options(a);

  auto backend = make_backend(a.str("device", "auto"), threads);
  DataSplits data = load_data(a.str("data", "fashion-mnist"), data_opts);
  check_fits(arch, data.train, "--arch");
  ProgressPrinter progress;
  TrainCallbacks cb;
  cb.on_step = [&](const StepMetrics& s) {
    // Printed once training has started, so bad input stays a single error line.
    if (!quiet && s.step == 1) progress.line("device: " + backend->description());
    if (!quiet && (s.step % 10 == 0 || s.step == s.total_steps))
      progress({"train", s.step, s.total_steps,
                "epoch " + std::to_string(s.epoch) + " loss " + std::to_string(s.loss).substr(0, 6)});
  };
  // Per-epoch checkpoints next to the output: A.safetensors → A-epoch3.safetensors.
  const std::string stem = out.size() > 12 && out.ends_with(".safetensors") ? out.substr(0, out.size() - 12) : out;
  cb.on_epoch = [&](const EpochMetrics& e, const Mlp& model) {
    if (cfg.checkpoint_every > 0 && e.epoch % cfg.checkpoint_every == 0 && e.epoch < cfg.epochs)
      save_mlp(stem + "-epoch" + std::to_string(e.epoch) + ".safetensors", model,
               {{"ridgeline.seed", std::to_string(seed)}, {"ridgeline.epoch", std::to_string(e.epoch)}});
    if (quiet) return;
    char line[200];
    std::snprintf(line, sizeof line,
                  "epoch %d/%d: train loss %.4f acc %.2f%%, test loss %.4f acc %.2f%% (%.1f s)",
                  e.epoch, cfg.epochs, e.train_loss, 100 * (1 - e.train_error), e.test_loss,
                  100 * (1 - e.test_error), e.seconds);
    progress.line(line);
  };
  TrainResult r = train_mlp(*backend, arch, data, cfg, seed, cb, &interrupt_token());
  progress.finish();
  save_mlp(out, r.model, {{"ridgeline.seed", std::to_string(seed)},
                          {"ridgeline.optimizer", to_string(cfg.optimizer)},
                          {"ridgeline.epochs", std::to_string(cfg.epochs)}});
  if (json_out) {
    nlohmann::json j = {{"out", out}, {"arch", arch.to_string()}, {"seed", seed},
                        {"device", backend->description()}, {"seconds", r.seconds},
                        {"samples_per_second", r.samples_per_second}, {"epochs", nlohmann::json::array()}};
    for (const auto& e : r.epochs)
      j["epochs"].push_back({{"epoch", e.epoch}, {"train_loss", e.train_loss},
                             {"train_error", e.train_error}, {"test_loss", e.test_loss},
                             {"test_error", e.test_error}});
    std::printf("%s\n", j.dump().c_str());
  } else if (!quiet) {
    std::fprintf(stderr, "saved %s (%.1f s, %.0f samples/s)\n", out.c_str(), r.seconds,
                 r.samples_per_second);
  }
  return 0;
}

}  // namespace ridgeline::cli
