// Training of any model kind (see train_model.h).
#include "ridgeline/train/train_model.h"

#include <chrono>
#include <cmath>
#include <limits>

#include "ridgeline/core/errors.h"
#include "ridgeline/models/mlp/mlp_model.h"
#include "ridgeline/train/distill.h"
#include "ridgeline/train/optimizer.h"

namespace ridgeline {

namespace {

// One full-gradient step per epoch for a model whose loss uses no data.
ModelTrainResult train_full_batch(Backend& be, const std::shared_ptr<const ModelArch>& arch,
                                  const TrainConfig& cfg, uint64_t seed,
                                  const ModelTrainCallbacks& cb, const CancelToken* cancel,
                                  const TrainStart& start) {
  cfg.validate("train.");
  ModelTrainResult r;
  r.model = {arch, arch->init(seed)};
  const size_t P = arch->num_params();
  if (start.params) {
    if (start.params->size() != P)
      throw InputError("training start: " + std::to_string(start.params->size()) +
                       " parameters for " + arch->to_string());
    r.model.params = *start.params;
  }
  if (start.step < 0 || start.step >= cfg.epochs)
    throw InputError("training start: step " + std::to_string(start.step) + " is outside 0.." +
                     std::to_string(cfg.epochs - 1));
  const auto t0 = std::chrono::steady_clock::now();
  auto net = arch->compute(be, 1);
  DeviceBuffer params(be, P), grad(be, P);
  be.upload(params.data(), r.model.params.data(), P);
  Optimizer opt(be, P, cfg);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (int e = static_cast<int>(start.step) + 1; e <= cfg.epochs; ++e) {
    if (cancel) cancel->check();
    const auto te = std::chrono::steady_clock::now();
    net->forward(params.data(), nullptr, 1);
    net->loss(nullptr, 1, true);
    double loss = 0, correct = 0;
    net->sums(1, loss, correct);
    if (!std::isfinite(loss))
      throw RunError("diverged: non-finite loss at epoch " + std::to_string(e) + ", step " +
                     std::to_string(e));
    net->backward(params.data(), grad.data(), 1);
    const double lr = opt.step(params.data(), grad.data(), e - 1);
    if (cb.on_step) cb.on_step({e, e, cfg.epochs, loss, nan});
    EpochMetrics m;
    m.epoch = e;
    m.train_loss = loss;  // at the parameters before this epoch's step
    m.train_error = nan;
    m.lr = lr;
    m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - te).count();
    r.epochs.push_back(m);
    if (cb.on_epoch || cb.on_checkpoint_step) be.download(r.model.params.data(), params.data(), P);
    if (cb.on_checkpoint_step && cfg.checkpoint_every_steps > 0 && e % cfg.checkpoint_every_steps == 0)
      cb.on_checkpoint_step(e, r.model);
    if (cb.on_epoch) cb.on_epoch(m, r.model);
  }
  be.download(r.model.params.data(), params.data(), P);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace

ModelTrainResult train_model(Backend& be, const std::shared_ptr<const ModelArch>& arch,
                             const DataSplits& data, const TrainConfig& cfg, uint64_t seed,
                             const ModelTrainCallbacks& cb, const CancelToken* cancel,
                             const TrainStart& start) {
  if (cfg.distill > 0) {
    const std::string why = distill_unsupported(*arch);
    if (!why.empty()) throw InputError("train.distill: " + why);
  }
  if (arch->uses_data()) return train_on_data(be, arch, data, cfg, seed, cb, cancel, start);
  return train_full_batch(be, arch, cfg, seed, cb, cancel, start);
}

int model_steps_per_epoch(const ModelArch& arch, const TrainConfig& cfg, const DataSplits& data) {
  if (!arch.uses_data()) return 1;
  return steps_per_epoch(cfg, data.train.n);
}

}  // namespace ridgeline
