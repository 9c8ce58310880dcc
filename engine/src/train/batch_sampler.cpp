// Shuffled mini-batches (batch_sampler.h).
#include "ridgeline/train/batch_sampler.h"

#include <algorithm>
#include <utility>

#include "ridgeline/core/errors.h"

namespace ridgeline {

BatchSampler::BatchSampler(Backend& backend, const Dataset& data, int batch,
                           uint64_t shuffle_seed, bool drop_last)
    : backend_(&backend), data_(&data), rng_(shuffle_seed) {
  if (batch < 1) throw InputError("batch sampler: batch must be >= 1");
  if (data.n < 1) throw InputError(data.name + ": no samples");
  batch_ = std::min(batch, data.n);
  steps_per_epoch_ = drop_last ? std::max(1, data.n / batch_) : (data.n + batch_ - 1) / batch_;
  order_.resize(data.n);
  for (int i = 0; i < data.n; ++i) order_[i] = i;
  hx_.resize(static_cast<size_t>(batch_) * data.dim);
  hy_.resize(static_cast<size_t>(batch_) * data.label_width);
  x_ = DeviceBuffer(backend, static_cast<size_t>(batch_) * data.dim);
  y_ = DeviceBuffer(backend, hy_.size());
}

void BatchSampler::shuffle() {
  for (int i = data_->n - 1; i > 0; --i) std::swap(order_[i], order_[rng_() % (i + 1)]);
}

int BatchSampler::gather(int s) {
  const Dataset& d = *data_;
  const int start = s * batch_;
  const int rows = std::min(batch_, d.n - start);
  for (int r = 0; r < rows; ++r) {
    const int idx = order_[start + r];
    std::copy_n(d.x.data() + static_cast<size_t>(idx) * d.dim, d.dim,
                hx_.data() + static_cast<size_t>(r) * d.dim);
    labels_as_float(d, idx, 1, hy_.data() + static_cast<size_t>(r) * d.label_width);
  }
  backend_->upload(x_.data(), hx_.data(), static_cast<size_t>(rows) * d.dim);
  backend_->upload(y_.data(), hy_.data(), static_cast<size_t>(rows) * d.label_width);
  return rows;
}

}  // namespace ridgeline
