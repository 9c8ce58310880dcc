// Mini-batch training (see train.h).
#include "ridgeline/models/mlp/mlp_model.h"
#include "ridgeline/train/train.h"

#include <chrono>
#include <algorithm>
#include <cmath>

#include "ridgeline/core/errors.h"
#include "ridgeline/train/distill.h"
#include "ridgeline/train/train_model.h"
#include "ridgeline/train/batch_sampler.h"
#include "ridgeline/train/evaluate.h"
#include "ridgeline/train/optimizer.h"

namespace ridgeline {

namespace {

// `where` prefixes the key: "spec.json: train." gives "spec.json: train.lr must ...", and
// "--" gives CLI option names ("--weight-decay").
void require(bool ok, const std::string& where, std::string key, const std::string& what) {
  if (ok) return;
  if (where.size() >= 2 && where.compare(where.size() - 2, 2, "--") == 0)
    for (auto& ch : key)
      if (ch == '_') ch = '-';
  throw InputError(where + key + ": " + what);
}

}  // namespace

void TrainConfig::validate(const std::string& where) const {
  auto finite = [](double v) { return std::isfinite(v); };
  require(finite(lr) && lr > 0, where, "lr", "must be a finite number > 0");
  require(finite(momentum) && momentum >= 0 && momentum < 1, where, "momentum",
          "must be a finite number in [0, 1)");
  require(finite(weight_decay) && weight_decay >= 0, where, "weight_decay",
          "must be a finite number >= 0");
  require(finite(beta1) && beta1 >= 0 && beta1 < 1, where, "beta1", "must be in [0, 1)");
  require(finite(beta2) && beta2 >= 0 && beta2 < 1, where, "beta2", "must be in [0, 1)");
  require(finite(eps) && eps > 0, where, "eps", "must be a finite number > 0");
  require(batch >= 1, where, "batch", "must be an integer >= 1");
  require(epochs >= 1, where, "epochs", "must be an integer >= 1");
  require(schedule != Schedule::Triangular ||
              (finite(warmup_epochs) && warmup_epochs >= 0 && warmup_epochs <= epochs), where,
          "warmup_epochs", "must be a finite number in [0, epochs]");
  require(step_every >= 1, where, "step_every", "must be an integer >= 1");
  require(checkpoint_every >= 0, where, "checkpoint_every", "must be an integer >= 0");
  require(checkpoint_every_steps >= 0, where, "checkpoint_every_steps", "must be an integer >= 0");
  require(finite(step_gamma) && step_gamma > 0, where, "step_gamma", "must be a finite number > 0");
  require(finite(distill) && distill >= 0, where, "distill", "must be a finite number >= 0");
}

OptimizerKind parse_optimizer(const std::string& s, const std::string& where) {
  if (s == "sgd") return OptimizerKind::Sgd;
  if (s == "adam") return OptimizerKind::Adam;
  throw InputError(where + ": unknown optimizer '" + s + "' (expected sgd or adam)");
}

Schedule parse_schedule(const std::string& s, const std::string& where) {
  if (s == "constant") return Schedule::Constant;
  if (s == "step") return Schedule::Step;
  if (s == "cosine") return Schedule::Cosine;
  if (s == "triangular") return Schedule::Triangular;
  throw InputError(where + ": unknown schedule '" + s +
                   "' (expected constant, step, cosine or triangular)");
}

std::string to_string(OptimizerKind k) { return k == OptimizerKind::Sgd ? "sgd" : "adam"; }

std::string to_string(Schedule s) {
  switch (s) {
    case Schedule::Constant: return "constant";
    case Schedule::Step: return "step";
    case Schedule::Cosine: return "cosine";
    case Schedule::Triangular: return "triangular";
  }
  return "constant";
}

ModelTrainResult train_on_data(Backend& be, const std::shared_ptr<const ModelArch>& arch_ptr,
                               const DataSplits& data, const TrainConfig& cfg, uint64_t seed,
                               const ModelTrainCallbacks& cb, const CancelToken* cancel,
                               const TrainStart& start) {
  cfg.validate("train.");
  const ModelArch& arch = *arch_ptr;
  const Dataset& tr = data.train;
  arch.check_fits(tr, "architecture");
  const bool distill = cfg.distill > 0;
  if (distill) {
    const std::string why = distill_unsupported(arch);
    if (!why.empty()) throw InputError("train.distill: " + why);
  }
  if (tr.n == 0) throw InputError(tr.name + ": no training samples");

  ModelTrainResult result;
  result.model = {arch_ptr, arch.init(seed)};
  const size_t P = result.model.params.size();
  if (start.params) {
    if (start.params->size() != P)
      throw InputError("training start: " + std::to_string(start.params->size()) +
                       " parameters for " + arch.to_string() + " (" + std::to_string(P) + ")");
    result.model.params = *start.params;
  }
  BatchSampler sampler(be, tr, cfg.batch, seed ^ 0x9E3779B97F4A7C15ull, cfg.drop_last);
  const int steps_per_epoch = sampler.steps_per_epoch();
  const long long total_steps = static_cast<long long>(steps_per_epoch) * cfg.epochs;

  const std::unique_ptr<ModelCompute> compute = arch.compute(be, sampler.batch());
  ModelCompute& net = *compute;
  require(be, cfg.optimizer == OptimizerKind::Adam ? Op::Adam : Op::Sgd);
  DeviceBuffer params(be, P), grad(be, P);
  be.upload(params.data(), result.model.params.data(), P);
  Optimizer optimizer(be, P, cfg);

  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  if (start.step < 0 || start.step >= total_steps)
    throw InputError("training start: step " + std::to_string(start.step) + " is outside 0.." +
                     std::to_string(total_steps - 1));
  long long step = start.step;
  double samples = 0;
  const int first_epoch = static_cast<int>(start.step / steps_per_epoch) + 1;
  for (int epoch = first_epoch; epoch <= cfg.epochs; ++epoch) {
    const auto te = clock::now();
    sampler.shuffle();
    double ep_loss = 0, ep_correct = 0, ep_seen = 0, ep_distill = 0, lr = cfg.lr;
    const int first_batch = epoch == first_epoch ? static_cast<int>(start.step % steps_per_epoch) : 0;
    for (int s = first_batch; s < steps_per_epoch; ++s) {
      if (cancel) cancel->check();
      const int rows = sampler.gather(s);
      net.forward(params.data(), sampler.x(), rows);
      net.loss(sampler.y(), rows, true);
      net.backward(params.data(), grad.data(), rows);
      // Hedgehog distillation: its loss's gradient joins the task loss's, on the maps' W only.
      const double dl = distill ? add_distillation(net, arch, grad.data(), rows, cfg.distill)
                                : std::numeric_limits<double>::quiet_NaN();
      ++step;
      lr = optimizer.step(params.data(), grad.data(), sampler.epoch_position(epoch, s));
      double l, c;
      net.sums(rows, l, c);
      if (!std::isfinite(l) || (distill && !std::isfinite(dl)))
        throw RunError("training diverged: non-finite " +
                       std::string(std::isfinite(l) ? "distillation " : "") + "loss at epoch " +
                       std::to_string(epoch) +
                       ", step " + std::to_string(s + 1) + " (lr " + std::to_string(lr) +
                       "); lower the learning rate");
      ep_loss += l;
      ep_correct += c;
      ep_seen += rows;
      if (distill) ep_distill += dl * rows;
      samples += rows;
      if (cb.on_step) cb.on_step({epoch, step, total_steps, l / rows, 1.0 - c / rows, dl});
      if (cfg.checkpoint_every_steps > 0 && step % cfg.checkpoint_every_steps == 0 &&
          cb.on_checkpoint_step) {
        be.download(result.model.params.data(), params.data(), P);
        cb.on_checkpoint_step(step, result.model);
      }
    }
    be.download(result.model.params.data(), params.data(), P);
    EpochMetrics em;
    em.epoch = epoch;
    em.train_loss = ep_loss / ep_seen;
    em.train_error = 1.0 - ep_correct / ep_seen;
    if (distill) em.distill_loss = ep_distill / ep_seen;
    em.lr = lr;
    if (cfg.eval_test_each_epoch && data.test.n > 0) {
      LossError t = evaluate(be, result.model, data.test, 2000, cancel);
      em.test_loss = t.loss;
      em.test_error = t.error;
    }
    em.seconds = std::chrono::duration<double>(clock::now() - te).count();
    result.epochs.push_back(em);
    if (cb.on_epoch) cb.on_epoch(em, result.model);
  }
  result.seconds = std::chrono::duration<double>(clock::now() - t0).count();
  result.samples_per_second = result.seconds > 0 ? samples / result.seconds : 0;
  return result;
}

TrainResult train_mlp(Backend& be, const MlpArch& arch, const DataSplits& data,
                      const TrainConfig& cfg, uint64_t seed, const TrainCallbacks& cb,
                      const CancelToken* cancel, const TrainStart& start) {
  ModelTrainCallbacks mcb;
  mcb.on_step = cb.on_step;
  if (cb.on_epoch)
    mcb.on_epoch = [&](const EpochMetrics& e, const Model& m) { cb.on_epoch(e, Mlp{arch, m.params}); };
  if (cb.on_checkpoint_step)
    mcb.on_checkpoint_step = [&](long long s, const Model& m) {
      cb.on_checkpoint_step(s, Mlp{arch, m.params});
    };
  ModelTrainResult r = train_on_data(be, mlp_model_arch(arch), data, cfg, seed, mcb, cancel, start);
  TrainResult t;
  t.model = Mlp{arch, std::move(r.model.params)};
  t.epochs = std::move(r.epochs);
  t.seconds = r.seconds;
  t.samples_per_second = r.samples_per_second;
  return t;
}

int steps_per_epoch(const TrainConfig& cfg, int n) {
  if (n < 1) return 1;
  const int b = std::min(std::max(cfg.batch, 1), n);
  return cfg.drop_last ? std::max(1, n / b) : (n + b - 1) / b;
}

}  // namespace ridgeline
