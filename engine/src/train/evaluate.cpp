// Evaluation of one model over a data set, in chunks, through the model interface.
#include "ridgeline/train/evaluate.h"

#include <algorithm>
#include <limits>

#include "ridgeline/core/errors.h"

namespace ridgeline {

LossError evaluate(Backend& backend, const Model& model, const Dataset& data, int batch,
                   const CancelToken* cancel) {
  const ModelArch& arch = *model.arch;
  if (model.params.size() != arch.num_params())
    throw InputError("model: " + std::to_string(model.params.size()) +
                     " parameters do not fit " + arch.to_string());
  DeviceBuffer params(backend, model.params.size());
  backend.upload(params.data(), model.params.data(), model.params.size());
  if (!arch.uses_data()) {
    // The loss does not depend on data: one evaluation of the parameters.
    auto net = arch.compute(backend, 1);
    net->forward(params.data(), nullptr, 1);
    net->loss(nullptr, 1, false);
    double l = 0, c = 0;
    net->sums(1, l, c);
    return {l, arch.has_accuracy() ? 1.0 - c : std::numeric_limits<double>::quiet_NaN()};
  }
  arch.check_fits(data, "model");
  if (data.n == 0) return {};
  batch = std::max(1, std::min(batch, data.n));
  auto net = arch.compute(backend, batch);
  DeviceBuffer x(backend, static_cast<size_t>(batch) * data.dim), y(backend, static_cast<size_t>(batch) * data.label_width);
  std::vector<float> labels(static_cast<size_t>(batch) * data.label_width);
  double loss = 0, correct = 0;
  for (int start = 0; start < data.n; start += batch) {
    if (cancel) cancel->check();
    const int rows = std::min(batch, data.n - start);
    backend.upload(x.data(), data.x.data() + static_cast<size_t>(start) * data.dim,
                   static_cast<size_t>(rows) * data.dim);
    labels_as_float(data, start, rows, labels.data());
    backend.upload(y.data(), labels.data(), static_cast<size_t>(rows) * data.label_width);
    net->forward(params.data(), x.data(), rows);
    net->loss(y.data(), rows, false);
    double l, c;
    net->sums(rows, l, c);
    loss += l;
    correct += c;
  }
  return {loss / data.n, 1.0 - correct / data.n};
}

}  // namespace ridgeline
