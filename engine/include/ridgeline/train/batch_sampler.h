#pragma once
/// @file batch_sampler.h
/// Shuffled mini-batches of a data set, shared by training (train.h) and the
/// straight-through estimator (ste.h): a seeded shuffle per epoch, the batch count with or
/// without drop_last, and the gather of one batch's rows into host and device buffers.
#include <cstdint>
#include <random>
#include <vector>

#include "ridgeline/core/backend.h"
#include "ridgeline/data/dataset.h"

namespace ridgeline {

class BatchSampler {
 public:
  /// Batches of min(batch, data.n) rows (batch ≥ 1, data.n ≥ 1) of `data` (which must outlive
  /// the sampler); the shuffle generator is std::mt19937_64 seeded with `shuffle_seed`.
  /// drop_last: an epoch has ⌊n/batch⌋ batches (at least one) and the remainder rows are not
  /// visited; otherwise ⌈n/batch⌉, the last one possibly short.
  BatchSampler(Backend& backend, const Dataset& data, int batch, uint64_t shuffle_seed,
               bool drop_last = false);

  int batch() const { return batch_; }
  int steps_per_epoch() const { return steps_per_epoch_; }

  /// Starts an epoch: a Fisher–Yates shuffle of the current order (it carries over from the
  /// previous epoch) drawing j = rng() mod (i + 1) for i = n−1 down to 1.
  void shuffle();

  /// Gathers batch s (0-based, < steps_per_epoch) of the current order: rows into x
  /// [rows × dim], labels as floats into y, both on the device. Returns the row count.
  int gather(int s);

  /// Fractional epoch position of batch s of epoch `epoch` (1-based): (epoch − 1) + s/steps.
  double epoch_position(int epoch, int s) const {
    return (epoch - 1) + static_cast<double>(s) / steps_per_epoch_;
  }

  const float* x() const { return x_.data(); }  ///< device, batch × dim
  const float* y() const { return y_.data(); }  ///< device, batch labels (as floats)

 private:
  Backend* backend_;
  const Dataset* data_;
  int batch_;
  int steps_per_epoch_;
  std::vector<int> order_;
  std::mt19937_64 rng_;
  std::vector<float> hx_, hy_;
  DeviceBuffer x_, y_;
};

}  // namespace ridgeline
