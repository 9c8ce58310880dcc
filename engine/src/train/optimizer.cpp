// The optimiser step and the learning-rate schedules (optimizer.h, train.h).
#include "ridgeline/train/optimizer.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace ridgeline {

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

Optimizer::Optimizer(Backend& backend, size_t n, const TrainConfig& cfg)
    : backend_(&backend),
      cfg_(cfg),
      n_(n),
      m1_(backend, n),
      m2_(backend, cfg.optimizer == OptimizerKind::Adam ? n : 0) {
  backend.fill(m1_.data(), 0.0f, n);
  if (m2_.data()) backend.fill(m2_.data(), 0.0f, n);
}

double Optimizer::step(float* params, const float* grad, double epoch_position) {
  ++steps_;
  const double lr = learning_rate_at(cfg_, epoch_position);
  if (cfg_.optimizer == OptimizerKind::Adam) {
    AdamParams hp;
    hp.lr = static_cast<float>(lr);
    hp.beta1 = static_cast<float>(cfg_.beta1);
    hp.beta2 = static_cast<float>(cfg_.beta2);
    hp.eps = static_cast<float>(cfg_.eps);
    hp.weight_decay = static_cast<float>(cfg_.weight_decay);
    hp.step = steps_;
    backend_->adam_step(params, grad, m1_.data(), m2_.data(), n_, hp);
  } else {
    SgdParams hp;
    hp.lr = static_cast<float>(lr);
    hp.momentum = static_cast<float>(cfg_.momentum);
    hp.weight_decay = static_cast<float>(cfg_.weight_decay);
    hp.first_step = steps_ == 1;
    backend_->sgd_step(params, grad, m1_.data(), n_, hp);
  }
  return lr;
}

}  // namespace ridgeline
