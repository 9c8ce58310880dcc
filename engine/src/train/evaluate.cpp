// Evaluation of one model over a data set, in chunks.
#include "ridgeline/train/evaluate.h"

#include <algorithm>

#include "ridgeline/core/errors.h"
#include "ridgeline/models/mlp/mlp_compute.h"

namespace ridgeline {

LossError evaluate(Backend& backend, const Mlp& model, const Dataset& data, int batch,
                   const CancelToken* cancel) {
  check_fits(model.arch, data, "model");
  if (data.n == 0) return {};
  batch = std::max(1, std::min(batch, data.n));
  MlpCompute net(backend, model.arch, batch);
  DeviceBuffer params(backend, model.params.size());
  backend.upload(params.data(), model.params.data(), model.params.size());
  DeviceBuffer x(backend, static_cast<size_t>(batch) * data.dim), y(backend, batch);
  std::vector<float> labels(batch);
  double loss = 0, correct = 0;
  for (int start = 0; start < data.n; start += batch) {
    if (cancel) cancel->check();
    const int rows = std::min(batch, data.n - start);
    backend.upload(x.data(), data.x.data() + static_cast<size_t>(start) * data.dim,
                   static_cast<size_t>(rows) * data.dim);
    for (int r = 0; r < rows; ++r) labels[r] = static_cast<float>(data.y[start + r]);
    backend.upload(y.data(), labels.data(), rows);
    net.forward(params.data(), x.data(), rows);
    net.loss(y.data(), rows, false);
    double l, c;
    net.sums(rows, l, c);
    loss += l;
    correct += c;
  }
  return {loss / data.n, 1.0 - correct / data.n};
}

}  // namespace ridgeline
