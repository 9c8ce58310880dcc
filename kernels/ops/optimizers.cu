// Optimizer steps: one fused grid-stride pass, each parameter read and written once.
// Bias corrections are computed on the host in double precision and passed in.
#include <cmath>

#include "kernels/core/cuda_check.h"
#include "kernels/ops/elementwise.cuh"
#include "kernels/ops/optimizers.cuh"

namespace ridgeline::cuda {
namespace {

constexpr unsigned kBlock = 256;

__global__ void sgd_kernel(float* p, const float* g, float* v, size_t n, float lr, float momentum,
                           float wd, bool first_step) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n;
       i += size_t(gridDim.x) * blockDim.x) {
    float grad = g[i];
    if (wd != 0.0f) grad += wd * p[i];
    if (momentum != 0.0f) {
      const float buf = first_step ? grad : momentum * v[i] + grad;
      v[i] = buf;
      p[i] -= lr * buf;
    } else {
      p[i] -= lr * grad;
    }
  }
}

struct AdamArgs {
  float lr_over_bc1;  // lr / (1 − β1^t)
  float sqrt_bc2;     // √(1 − β2^t)
  float beta1, beta2, eps, wd;
};

// The form torch.optim.Adam evaluates: p −= (lr/bc1)·m / (√v/√bc2 + eps), which equals
// lr·m̂/(√v̂ + eps) with m̂ = m/bc1, v̂ = v/bc2.
__global__ void adam_kernel(float* p, const float* g, float* m, float* v, size_t n, AdamArgs a) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n;
       i += size_t(gridDim.x) * blockDim.x) {
    float grad = g[i];
    if (a.wd != 0.0f) grad += a.wd * p[i];
    const float m_new = a.beta1 * m[i] + (1.0f - a.beta1) * grad;
    const float v_new = a.beta2 * v[i] + (1.0f - a.beta2) * grad * grad;
    m[i] = m_new;
    v[i] = v_new;
    p[i] -= a.lr_over_bc1 * m_new / (sqrtf(v_new) / a.sqrt_bc2 + a.eps);
  }
}

}  // namespace

void sgd_step(cudaStream_t stream, float* p, const float* g, float* v, size_t n,
              const SgdParams& hp) {
  if (n == 0) return;
  CUDA_REQUIRE(p != nullptr && g != nullptr, "sgd_step: null buffer");
  CUDA_REQUIRE(hp.momentum == 0.0f || v != nullptr, "sgd_step: momentum needs a buffer");
  sgd_kernel<<<grid_for(n, kBlock), kBlock, 0, stream>>>(p, g, v, n, hp.lr, hp.momentum,
                                                         hp.weight_decay, hp.first_step);
  CUDA_CHECK_LAUNCH();
}

void adam_step(cudaStream_t stream, float* p, const float* g, float* m, float* v, size_t n,
               const AdamParams& hp) {
  CUDA_REQUIRE(hp.step >= 1, "adam_step: step must be >= 1 (1-based)");
  if (n == 0) return;
  CUDA_REQUIRE(p != nullptr && g != nullptr && m != nullptr && v != nullptr,
               "adam_step: null buffer");
  const double t = double(hp.step);
  const double bc1 = 1.0 - std::pow(double(hp.beta1), t);
  const double bc2 = 1.0 - std::pow(double(hp.beta2), t);
  const AdamArgs args{float(double(hp.lr) / bc1),
                      float(std::sqrt(bc2)),
                      hp.beta1,
                      hp.beta2,
                      hp.eps,
                      hp.weight_decay};
  adam_kernel<<<grid_for(n, kBlock), kBlock, 0, stream>>>(p, g, m, v, n, args);
  CUDA_CHECK_LAUNCH();
}

}  // namespace ridgeline::cuda
