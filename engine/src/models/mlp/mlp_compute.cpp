// MLP forward/backward on a backend (see mlp_compute.h).
#include "ridgeline/models/mlp/mlp_compute.h"

#include <algorithm>

#include "mlp_hvp_nonlinear.h"  // complete for hv_nonlinear_'s destructor
#include "ridgeline/models/mlp/mlp_layers.h"

namespace ridgeline {

MlpCompute::MlpCompute(Backend& backend, const MlpArch& arch, int max_rows)
    : be_(backend),
      arch_(arch),
      lay_(arch),
      max_rows_(max_rows),
      ln_(arch.layernorm),
      gelu_(arch.activation == Activation::Gelu) {
  // Fail by name before allocating when the backend lacks an op this network uses.
  for (Op op : {Op::Gemm, Op::Bias, Op::ColumnSums, Op::SoftmaxXent})
    require(backend, op);
  require(backend, gelu_ ? Op::Gelu : Op::Relu);
  if (ln_) require(backend, Op::LayerNorm);
  int widest = 0;
  const size_t rows = static_cast<size_t>(max_rows);
  for (int l = 0; l < arch.num_layers(); ++l) {
    acts_.emplace_back(backend, rows * arch.widths[l + 1]);
    widest = std::max(widest, arch.widths[l + 1]);
    if (l + 1 == arch.num_layers()) break;
    if (ln_) {
      lnin_.emplace_back(backend, rows * arch.widths[l + 1]);
      mean_.emplace_back(backend, rows);
      rstd_.emplace_back(backend, rows);
    }
    if (gelu_) pre_.emplace_back(backend, rows * arch.widths[l + 1]);
  }
  delta_a_ = DeviceBuffer(backend, rows * widest);
  delta_b_ = DeviceBuffer(backend, rows * widest);
  row_loss_ = DeviceBuffer(backend, max_rows);
  row_correct_ = DeviceBuffer(backend, max_rows);
}

void MlpCompute::forward(const float* params, const float* x, int rows, const LayerHook& hook) {
  x_ = x;
  hv_delta_valid_ = false;
  const float* in = x;
  const int L = arch_.num_layers();
  for (int l = 0; l < L; ++l) {
    const int fout = arch_.widths[l + 1];
    const bool hidden = l + 1 < L;
    float* out = acts_[l].data();
    // Z = X·Wᵀ + b, written where the next stage reads it (in place for plain ReLU); the
    // layer steps are the engine's one forward pass (mlp_layers.h).
    float* z = !hidden ? out : ln_ ? lnin_[l].data() : gelu_ ? pre_[l].data() : out;
    mlp_linear(be_, arch_, lay_, l, params, 0, 1, in, 0, rows, z);
    if (hidden) {
      const size_t n = static_cast<size_t>(rows) * fout;
      // The Linear output survives in lnin_ (LayerNorm) or pre_ (GELU); a plain ReLU runs in
      // place, so an observer gets a copy taken before it.
      const float* linear = ln_ ? lnin_[l].data() : gelu_ ? pre_[l].data() : out;
      if (hook && !ln_ && !gelu_) {
        if (hook_linear_.empty())
          for (int h = 0; h + 1 < L; ++h)
            hook_linear_.emplace_back(be_, static_cast<size_t>(max_rows_) * arch_.widths[h + 1]);
        be_.copy(hook_linear_[l].data(), out, n);
        linear = hook_linear_[l].data();
      }
      // LayerNorm into the GELU's input (or, for ReLU, the output), keeping its statistics
      // for backward; then the activation into out.
      mlp_hidden_post(be_, arch_, lay_, l, params, 0, 1, rows, z, gelu_ ? pre_[l].data() : out,
                      ln_ ? mean_[l].data() : nullptr, ln_ ? rstd_[l].data() : nullptr, out);
      if (hook) hook(HiddenLayerView{l, linear, out, rows, fout});
    }
    in = out;
  }
}

void MlpCompute::loss(const float* labels, int rows, bool want_grad) {
  labels_ = labels;  // hvp() computes δ of every layer from them, once (mlp_hvp.cpp)
  hv_delta_valid_ = false;
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
    // Hidden layer h = l − 1: dL/d(its output) = δ·W, then back through the activation
    // and the LayerNorm (in place) to dL/dZ_h.
    const int h = l - 1;
    const size_t n = static_cast<size_t>(rows) * fin;
    be_.gemm(Trans::No, Trans::No, rows, fin, fout, 1.0f, delta, fout,
             params + lay_.weight_offset[l], fin, 0.0f, other, fin);
    if (gelu_) be_.gelu_backward(other, pre_[h].data(), n);
    else be_.relu_backward(other, acts_[h].data(), n);
    if (ln_)
      be_.layernorm_backward(other, lnin_[h].data(), params + lay_.ln_weight_offset[h],
                             mean_[h].data(), rstd_[h].data(), rows, fin, other,
                             grad + lay_.ln_weight_offset[h], grad + lay_.ln_bias_offset[h]);
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
