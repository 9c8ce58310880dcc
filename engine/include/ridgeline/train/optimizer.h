#pragma once
/// @file optimizer.h
/// The optimiser step shared by training (train.h) and the straight-through estimator
/// (ste.h): an object that owns its state buffers on a backend and applies one SGD or Adam
/// step per call at the learning rate of the configured schedule.
#include <cstddef>

#include "ridgeline/core/backend.h"
#include "ridgeline/train/train.h"

namespace ridgeline {

/// SGD with momentum and coupled weight decay, or Adam with coupled weight decay, with the
/// semantics of torch.optim.SGD / torch.optim.Adam (Backend::sgd_step, Backend::adam_step).
/// Reads from the TrainConfig: optimizer, lr, momentum, weight_decay, beta1, beta2, eps and
/// the schedule fields (learning_rate_at). The state (SGD's momentum buffer, Adam's first and
/// second moments) lives on the backend, zero-initialised, and the step count starts at 0.
class Optimizer {
 public:
  /// State for `n` parameters on `backend` (which must outlive the optimiser).
  Optimizer(Backend& backend, size_t n, const TrainConfig& cfg);

  /// One step on `params` (device, n floats) with gradient `grad` (device, n floats) at the
  /// scheduled learning rate learning_rate_at(cfg, epoch_position), computed in double and
  /// passed to the backend as float. SGD's momentum buffer is set to the gradient on the first
  /// step; Adam's bias corrections use the 1-based step count. Returns the learning rate used.
  double step(float* params, const float* grad, double epoch_position);

  /// Steps taken so far.
  long long steps() const { return steps_; }

 private:
  Backend* backend_;
  TrainConfig cfg_;
  size_t n_;
  DeviceBuffer m1_;  ///< SGD momentum buffer / Adam first moment
  DeviceBuffer m2_;  ///< Adam second moment (empty for SGD)
  long long steps_ = 0;
};

}  // namespace ridgeline
