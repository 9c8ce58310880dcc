// GELU forward and backward: grid-stride loops, one element per thread step, float math with
// the CUDA erff/expf (a few ulp from the host's).
#include "kernels/ops/activations.cuh"
#include "kernels/core/cuda_check.h"
#include "kernels/ops/elementwise.cuh"

namespace ridgeline::cuda {
namespace {

constexpr unsigned kBlock = 256;
constexpr float kInvSqrt2 = 0.70710678118654752f;
constexpr float kInvSqrt2Pi = 0.39894228040143268f;  // 1/√(2π)

#define RIDGELINE_GRID_STRIDE(i, n)                                       \
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < (n); \
       i += size_t(gridDim.x) * blockDim.x)

__global__ void gelu_kernel(const float* z, float* y, size_t n) {
  RIDGELINE_GRID_STRIDE(i, n) {
    const float v = z[i];
    y[i] = 0.5f * v * (1.0f + erff(v * kInvSqrt2));
  }
}

__global__ void gelu_backward_kernel(float* dy, const float* z, size_t n) {
  RIDGELINE_GRID_STRIDE(i, n) {
    const float v = z[i];
    dy[i] *= 0.5f * (1.0f + erff(v * kInvSqrt2)) + v * kInvSqrt2Pi * expf(-0.5f * v * v);
  }
}

#undef RIDGELINE_GRID_STRIDE

}  // namespace

void gelu(cudaStream_t stream, const float* z, float* y, size_t n) {
  if (n == 0) return;
  CUDA_REQUIRE(z != nullptr && y != nullptr, "gelu: null buffer");
  gelu_kernel<<<grid_for(n, kBlock), kBlock, 0, stream>>>(z, y, n);
  CUDA_CHECK_LAUNCH();
}

void gelu_backward(cudaStream_t stream, float* dy, const float* z, size_t n) {
  if (n == 0) return;
  CUDA_REQUIRE(dy != nullptr && z != nullptr, "gelu_backward: null buffer");
  gelu_backward_kernel<<<grid_for(n, kBlock), kBlock, 0, stream>>>(dy, z, n);
  CUDA_CHECK_LAUNCH();
}

}  // namespace ridgeline::cuda
