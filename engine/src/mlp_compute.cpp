// MLP forward/backward on a backend (see mlp_compute.h).
#include "ridgeline/mlp_compute.h"

#include <algorithm>

namespace ridgeline {

MlpCompute::MlpCompute(Backend& backend, const MlpArch& arch, int max_rows)
    : be_(backend), arch_(arch), lay_(arch), max_rows_(max_rows) {
  int widest = 0;
  for (int l = 0; l < arch.num_layers(); ++l) {
    acts_.emplace_back(backend, static_cast<size_t>(max_rows) * arch.widths[l + 1]);
    widest = std::max(widest, arch.widths[l + 1]);
  }
  delta_a_ = DeviceBuffer(backend, static_cast<size_t>(max_rows) * widest);
  delta_b_ = DeviceBuffer(backend, static_cast<size_t>(max_rows) * widest);
  row_loss_ = DeviceBuffer(backend, max_rows);
  row_correct_ = DeviceBuffer(backend, max_rows);
}

void MlpCompute::forward(const float* params, const float* x, int rows) {
  x_ = x;
  const float* in = x;
  const int L = arch_.num_layers();
  for (int l = 0; l < L; ++l) {
    const int fin = arch_.widths[l], fout = arch_.widths[l + 1];
    float* out = acts_[l].data();
    // Z = X·Wᵀ + b
    be_.gemm(Trans::No, Trans::Yes, rows, fout, fin, 1.0f, in, fin, params + lay_.weight_offset[l],
             fin, 0.0f, out, fout);
    be_.add_bias(out, params + lay_.bias_offset[l], rows, fout);
    if (l + 1 < L) be_.relu(out, static_cast<size_t>(rows) * fout);
    in = out;
  }
}

void MlpCompute::loss(const float* labels, int rows, bool want_grad) {
  be_.softmax_xent(logits(), labels, rows, arch_.classes(), rows, row_loss_.data(),
                   row_correct_.data(), want_grad ? delta_a_.data() : nullptr, 1.0f / rows);
}

void MlpCompute::backward(const float* params, float* grad, int rows) {
  const int L = arch_.num_layers();
  float* delta = delta_a_.data();  // dL/dZ of layer l
  float* other = delta_b_.data();
  for (int l = L - 1; l >= 0; --l) {
    const int fin = arch_.widths[l], fout = arch_.widths[l + 1];
    const float* in = l == 0 ? x_ : acts_[l - 1].data();
    // dW = δᵀ·X  [out×in];  db = Σ_rows δ
    be_.gemm(Trans::Yes, Trans::No, fout, fin, rows, 1.0f, delta, fout, in, fin, 0.0f,
             grad + lay_.weight_offset[l], fin);
    be_.column_sums(delta, rows, fout, 0.0f, grad + lay_.bias_offset[l]);
    if (l == 0) break;
    // δ_prev = (δ·W) ⊙ 1[act > 0]
    be_.gemm(Trans::No, Trans::No, rows, fin, fout, 1.0f, delta, fout,
             params + lay_.weight_offset[l], fin, 0.0f, other, fin);
    be_.relu_backward(other, acts_[l - 1].data(), static_cast<size_t>(rows) * fin);
    std::swap(delta, other);
  }
}

void MlpCompute::sums(int rows, double& loss_sum, double& correct_sum) {
  host_scratch_.resize(2 * static_cast<size_t>(rows));
  be_.download(host_scratch_.data(), row_loss_.data(), rows);
  be_.download(host_scratch_.data() + rows, row_correct_.data(), rows);
  loss_sum = 0;
  correct_sum = 0;
  for (int r = 0; r < rows; ++r) {
    loss_sum += host_scratch_[r];
    correct_sum += host_scratch_[rows + r];
  }
}

}  // namespace ridgeline
