// The straight-through estimator's training loop (ste_loop.h).
#include "ste_loop.h"

#include <chrono>
#include <cmath>
#include <random>

#include "ridgeline/core/errors.h"
#include "ridgeline/train/batch_sampler.h"
#include "ridgeline/train/evaluate.h"
#include "ridgeline/train/optimizer.h"

namespace ridgeline::detail {

namespace {

void interpolate_into(const std::vector<float>& a, const std::vector<float>& proj, double lambda,
                      std::vector<float>& out) {
  out.resize(a.size());
  if (lambda == 0.5) {
    for (size_t k = 0; k < a.size(); ++k) out[k] = 0.5f * (a[k] + proj[k]);
    return;
  }
  const auto l = static_cast<float>(lambda), m = static_cast<float>(1.0 - lambda);
  for (size_t k = 0; k < a.size(); ++k) out[k] = m * a[k] + l * proj[k];
}

}  // namespace

uint64_t mix_seed(uint64_t seed, uint64_t k) {
  uint64_t z = seed ^ (k * 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

std::vector<double> run_ste_loop(Backend& be, const Model& anchor_model,
                                 const std::vector<float>& tilde0, const Dataset& train,
                                 const SteLoopSettings& cfg, SteProjection& projection,
                                 const std::function<void(const SteProgress&)>& on_epoch,
                                 const CancelToken* cancel, int& best_epoch, long long& steps) {
  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  const std::vector<float>& anchor = anchor_model.params;
  const ModelArch& arch = anchor_model.architecture();
  const size_t P = anchor.size();
  long long projections = 0;
  std::vector<float> tilde = tilde0, proj;
  auto project = [&]() { return projection.project(tilde, mix_seed(cfg.seed, projections++), proj); };
  Model mid = anchor_model;
  auto midpoint_train_loss = [&]() {
    interpolate_into(anchor, proj, 0.5, mid.params);
    return evaluate(be, mid, train, 2000, cancel).loss;
  };

  project();
  projection.keep_best();
  std::vector<double> scores{midpoint_train_loss()};
  double best_loss = scores[0];
  best_epoch = 0;

  // Mini-batches of ⌈n/batch⌉ per epoch, shuffled from their own seed; SGD with momentum on θ̃
  // at a constant learning rate. λ is drawn per step from its own generator (not at all when
  // the range is one point, so STEv2's runs are unchanged).
  BatchSampler sampler(be, train, cfg.batch, cfg.seed ^ 0x5DEECE66Dull);
  std::mt19937_64 lambda_rng(cfg.seed ^ 0xA5A5A5A5A5A5A5A5ull);
  std::uniform_real_distribution<double> lambda_dist(cfg.lambda_min, cfg.lambda_max);
  const int steps_per_epoch = sampler.steps_per_epoch();
  TrainConfig sgd;
  sgd.optimizer = OptimizerKind::Sgd;
  sgd.lr = cfg.lr;
  sgd.momentum = cfg.momentum;
  sgd.weight_decay = 0;
  sgd.schedule = Schedule::Constant;
  Optimizer optimizer(be, P, sgd);
  const std::unique_ptr<ModelCompute> compute = arch.compute(be, sampler.batch());
  ModelCompute& net = *compute;
  DeviceBuffer d_tilde(be, P), d_mid(be, P), d_grad(be, P);
  be.upload(d_tilde.data(), tilde.data(), P);

  steps = 0;
  bool fresh = true;  // `proj` already is the projection of the current θ̃
  for (int epoch = 1; epoch <= cfg.epochs; ++epoch) {
    sampler.shuffle();
    double ep_loss = 0;
    int changes = 0;
    for (int s = 0; s < steps_per_epoch; ++s) {
      if (cancel) cancel->check();
      if (!fresh) {
        be.download(tilde.data(), d_tilde.data(), P);
        changes += project() ? 1 : 0;
      }
      fresh = false;
      const double lambda =
          cfg.lambda_min == cfg.lambda_max ? cfg.lambda_min : lambda_dist(lambda_rng);
      interpolate_into(anchor, proj, lambda, mid.params);
      be.upload(d_mid.data(), mid.params.data(), P);
      const int rows = sampler.gather(s);
      net.forward(d_mid.data(), sampler.x(), rows);
      net.loss(sampler.y(), rows, true);
      net.backward(d_mid.data(), d_grad.data(), rows);
      // Straight through the projection: d θ_λ / d θ̃ = λ.
      be.axpby(0.0f, d_grad.data(), static_cast<float>(lambda), d_grad.data(), P);
      ++steps;
      optimizer.step(d_tilde.data(), d_grad.data(), sampler.epoch_position(epoch, s));
      double l, c;
      net.sums(rows, l, c);
      if (!std::isfinite(l))
        throw RunError(cfg.who + " diverged: non-finite midpoint loss at epoch " +
                       std::to_string(epoch) + ", step " + std::to_string(s + 1) + "; lower " +
                       cfg.lr_key);
      ep_loss += l;
    }
    // The end-of-epoch projection is the one the next step uses (same θ̃, same seed).
    be.download(tilde.data(), d_tilde.data(), P);
    changes += project() ? 1 : 0;
    fresh = true;
    const double loss = midpoint_train_loss();
    scores.push_back(loss);
    if (loss < best_loss) {
      best_loss = loss;
      best_epoch = epoch;
      projection.keep_best();
    }
    if (on_epoch) {
      SteProgress p;
      p.epoch = epoch;
      p.epochs = cfg.epochs;
      p.batch_loss = ep_loss / train.n;
      p.midpoint_loss = loss;
      p.best_loss = best_loss;
      p.best_epoch = best_epoch;
      p.perm_changes = changes;
      p.steps = steps;
      p.seconds = std::chrono::duration<double>(clock::now() - t0).count();
      on_epoch(p);
    }
  }
  return scores;
}

}  // namespace ridgeline::detail
