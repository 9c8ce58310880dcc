// Mini-batch training (see train.h).
#include "ridgeline/train/train.h"

#include <chrono>
#include <cmath>
#include <numbers>
#include <random>

#include "ridgeline/core/errors.h"
#include "ridgeline/train/evaluate.h"
#include "ridgeline/models/mlp/mlp_compute.h"

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
  require(finite(step_gamma) && step_gamma > 0, where, "step_gamma", "must be a finite number > 0");
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

double learning_rate_at(const TrainConfig& cfg, double t) {
  switch (cfg.schedule) {
    case Schedule::Constant: return cfg.lr;
    case Schedule::Step: return cfg.lr * std::pow(cfg.step_gamma, std::floor(t / cfg.step_every));
    case Schedule::Cosine: return cfg.lr * 0.5 * (1.0 + std::cos(std::numbers::pi * t / cfg.epochs));
    case Schedule::Triangular: {
      // Linear warm-up to the peak over warmup_epochs, then linear decay to 0 at the end.
      if (t < cfg.warmup_epochs) return cfg.lr * t / cfg.warmup_epochs;  // as REPAIR: 0 at step 0
      const double rest = cfg.epochs - cfg.warmup_epochs;
      return rest > 0 ? cfg.lr * std::max(0.0, (cfg.epochs - t) / rest) : cfg.lr;
    }
  }
  return cfg.lr;
}

TrainResult train_mlp(Backend& be, const MlpArch& arch, const DataSplits& data,
                      const TrainConfig& cfg, uint64_t seed, const TrainCallbacks& cb,
                      const CancelToken* cancel) {
  cfg.validate("train.");
  const Dataset& tr = data.train;
  if (tr.dim != arch.in_dim())
    throw InputError("architecture " + arch.to_string() + " expects " +
                     std::to_string(arch.in_dim()) + " inputs but " + tr.name + " has " +
                     std::to_string(tr.dim));
  if (tr.classes > arch.classes())
    throw InputError("architecture " + arch.to_string() + " has " +
                     std::to_string(arch.classes()) + " outputs but " + tr.name + " has " +
                     std::to_string(tr.classes) + " classes");
  if (tr.n == 0) throw InputError(tr.name + ": no training samples");

  TrainResult result;
  result.model = init_mlp(arch, seed);
  const size_t P = result.model.params.size();
  const int batch = std::min(cfg.batch, tr.n);
  const int steps_per_epoch =
      cfg.drop_last ? std::max(1, tr.n / batch) : (tr.n + batch - 1) / batch;
  const long long total_steps = static_cast<long long>(steps_per_epoch) * cfg.epochs;

  MlpCompute net(be, arch, batch);
  require(be, cfg.optimizer == OptimizerKind::Adam ? Op::Adam : Op::Sgd);
  DeviceBuffer params(be, P), grad(be, P), m1(be, P), m2(be, P);
  be.upload(params.data(), result.model.params.data(), P);
  DeviceBuffer x(be, static_cast<size_t>(batch) * tr.dim), y(be, batch);
  std::vector<float> hx(static_cast<size_t>(batch) * tr.dim), hy(batch);
  std::vector<int> order(tr.n);
  for (int i = 0; i < tr.n; ++i) order[i] = i;
  std::mt19937_64 shuffle_rng(seed ^ 0x9E3779B97F4A7C15ull);

  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  long long step = 0;
  double samples = 0;
  for (int epoch = 1; epoch <= cfg.epochs; ++epoch) {
    const auto te = clock::now();
    for (int i = tr.n - 1; i > 0; --i) std::swap(order[i], order[shuffle_rng() % (i + 1)]);
    double ep_loss = 0, ep_correct = 0, ep_seen = 0, lr = cfg.lr;
    for (int s = 0; s < steps_per_epoch; ++s) {
      if (cancel) cancel->check();
      const int start = s * batch;
      const int rows = std::min(batch, tr.n - start);
      for (int r = 0; r < rows; ++r) {
        const int idx = order[start + r];
        std::copy_n(tr.x.data() + static_cast<size_t>(idx) * tr.dim, tr.dim,
                    hx.data() + static_cast<size_t>(r) * tr.dim);
        hy[r] = static_cast<float>(tr.y[idx]);
      }
      be.upload(x.data(), hx.data(), static_cast<size_t>(rows) * tr.dim);
      be.upload(y.data(), hy.data(), rows);
      net.forward(params.data(), x.data(), rows);
      net.loss(y.data(), rows, true);
      net.backward(params.data(), grad.data(), rows);
      ++step;
      lr = learning_rate_at(cfg, (epoch - 1) + static_cast<double>(s) / steps_per_epoch);
      if (cfg.optimizer == OptimizerKind::Adam) {
        AdamParams hp;
        hp.lr = static_cast<float>(lr);
        hp.beta1 = static_cast<float>(cfg.beta1);
        hp.beta2 = static_cast<float>(cfg.beta2);
        hp.eps = static_cast<float>(cfg.eps);
        hp.weight_decay = static_cast<float>(cfg.weight_decay);
        hp.step = step;
        be.adam_step(params.data(), grad.data(), m1.data(), m2.data(), P, hp);
      } else {
        SgdParams hp;
        hp.lr = static_cast<float>(lr);
        hp.momentum = static_cast<float>(cfg.momentum);
        hp.weight_decay = static_cast<float>(cfg.weight_decay);
        hp.first_step = step == 1;
        be.sgd_step(params.data(), grad.data(), m1.data(), P, hp);
      }
      double l, c;
      net.sums(rows, l, c);
      if (!std::isfinite(l))
        throw RunError("training diverged: non-finite loss at epoch " + std::to_string(epoch) +
                       ", step " + std::to_string(s + 1) + " (lr " + std::to_string(lr) +
                       "); lower the learning rate");
      ep_loss += l;
      ep_correct += c;
      ep_seen += rows;
      samples += rows;
      if (cb.on_step) cb.on_step({epoch, step, total_steps, l / rows, 1.0 - c / rows});
    }
    be.download(result.model.params.data(), params.data(), P);
    EpochMetrics em;
    em.epoch = epoch;
    em.train_loss = ep_loss / ep_seen;
    em.train_error = 1.0 - ep_correct / ep_seen;
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

}  // namespace ridgeline
