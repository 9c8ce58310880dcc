// The MLP's layer steps (see mlp_layers.h).
#include "ridgeline/models/mlp/mlp_layers.h"

namespace ridgeline {

void mlp_linear(Backend& be, const MlpArch& arch, const ParamLayout& lay, int l,
                const float* params, size_t param_stride, int P, const float* x,
                long long x_stride, int rows, float* z) {
  const int in = arch.widths[l], out = arch.widths[l + 1];
  const long long zs = static_cast<long long>(rows) * out;
  if (P == 1)
    be.gemm(Trans::No, Trans::Yes, rows, out, in, 1.0f, x, in, params + lay.weight_offset[l], in,
            0.0f, z, out);
  else
    be.gemm_batched(Trans::No, Trans::Yes, rows, out, in, 1.0f, x, in, x_stride,
                    params + lay.weight_offset[l], in, static_cast<long long>(param_stride), 0.0f,
                    z, out, zs, P);
  for (int k = 0; k < P; ++k)
    be.add_bias(z + k * zs, params + k * param_stride + lay.bias_offset[l], rows, out);
}

void mlp_hidden_post(Backend& be, const MlpArch& arch, const ParamLayout& lay, int l,
                     const float* params, size_t param_stride, int P, int rows, const float* z,
                     float* ln_out, float* mean, float* rstd, float* act) {
  const int w = arch.widths[l + 1];
  const size_t per = static_cast<size_t>(rows) * w;
  const float* src = z;
  if (arch.layernorm) {
    for (int k = 0; k < P; ++k) {
      const float* p = params + k * param_stride;
      be.layernorm(z + k * per, p + lay.ln_weight_offset[l], p + lay.ln_bias_offset[l], rows, w,
                   kLayerNormEps, ln_out + k * per, mean ? mean + static_cast<size_t>(k) * rows : nullptr,
                   rstd ? rstd + static_cast<size_t>(k) * rows : nullptr);
    }
    src = ln_out;
  }
  const size_t n = per * P;
  if (arch.activation == Activation::Gelu) {
    be.gelu(src, act, n);
  } else {
    if (src != act) be.copy(act, src, n);  // ReLU runs in place
    be.relu(act, n);
  }
}

}  // namespace ridgeline
