// Elementwise kernels: grid-stride loops over size_t indices, one element per thread step.
#include "kernels/core/cuda_check.h"
#include "kernels/ops/elementwise.cuh"

namespace ridgeline::cuda {
namespace {

constexpr unsigned kBlock = 256;

#define RIDGELINE_GRID_STRIDE(i, n)                                       \
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < (n); \
       i += size_t(gridDim.x) * blockDim.x)

__global__ void fill_kernel(float* dst, float value, size_t n) {
  RIDGELINE_GRID_STRIDE(i, n) dst[i] = value;
}

__global__ void relu_kernel(float* y, size_t n) {
  RIDGELINE_GRID_STRIDE(i, n) y[i] = y[i] > 0.0f ? y[i] : 0.0f;
}

__global__ void relu_backward_kernel(float* dy, const float* y, size_t n) {
  RIDGELINE_GRID_STRIDE(i, n) dy[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

__global__ void lerp_kernel(float* out, const float* a, const float* d, float alpha, size_t n) {
  RIDGELINE_GRID_STRIDE(i, n) out[i] = a[i] + alpha * d[i];
}

__global__ void axpby_kernel(float alpha, const float* x, float beta, float* y, size_t n) {
  // beta == 0 does not read y (BLAS convention), so stale NaNs in y do not propagate.
  RIDGELINE_GRID_STRIDE(i, n) y[i] = beta == 0.0f ? alpha * x[i] : alpha * x[i] + beta * y[i];
}

__global__ void scale_matrices_kernel(float* C, size_t rows, size_t cols, size_t ld, size_t stride,
                                      size_t batch, float beta) {
  RIDGELINE_GRID_STRIDE(i, rows * cols * batch) {
    const size_t c = i % cols, r = i / cols % rows, b = i / (cols * rows);
    float& x = C[b * stride + r * ld + c];
    x = beta == 0.0f ? 0.0f : beta * x;
  }
}

#undef RIDGELINE_GRID_STRIDE

}  // namespace

void fill(cudaStream_t stream, float* dst, float value, size_t n) {
  if (n == 0) return;
  CUDA_REQUIRE(dst != nullptr, "fill: null buffer");
  fill_kernel<<<grid_for(n, kBlock), kBlock, 0, stream>>>(dst, value, n);
  CUDA_CHECK_LAUNCH();
}

void relu(cudaStream_t stream, float* y, size_t n) {
  if (n == 0) return;
  CUDA_REQUIRE(y != nullptr, "relu: null buffer");
  relu_kernel<<<grid_for(n, kBlock), kBlock, 0, stream>>>(y, n);
  CUDA_CHECK_LAUNCH();
}

void relu_backward(cudaStream_t stream, float* dy, const float* y, size_t n) {
  if (n == 0) return;
  CUDA_REQUIRE(dy != nullptr && y != nullptr, "relu_backward: null buffer");
  relu_backward_kernel<<<grid_for(n, kBlock), kBlock, 0, stream>>>(dy, y, n);
  CUDA_CHECK_LAUNCH();
}

void lerp(cudaStream_t stream, float* out, const float* a, const float* d, float alpha, size_t n) {
  if (n == 0) return;
  CUDA_REQUIRE(out != nullptr && a != nullptr && d != nullptr, "lerp: null buffer");
  lerp_kernel<<<grid_for(n, kBlock), kBlock, 0, stream>>>(out, a, d, alpha, n);
  CUDA_CHECK_LAUNCH();
}

void axpby(cudaStream_t stream, float alpha, const float* x, float beta, float* y, size_t n) {
  if (n == 0) return;
  CUDA_REQUIRE(x != nullptr && y != nullptr, "axpby: null buffer");
  axpby_kernel<<<grid_for(n, kBlock), kBlock, 0, stream>>>(alpha, x, beta, y, n);
  CUDA_CHECK_LAUNCH();
}

void scale_matrices(cudaStream_t stream, float* C, int rows, int cols, int ld, long long stride,
                    int batch, float beta) {
  CUDA_REQUIRE(rows >= 0 && cols >= 0 && batch >= 0 && ld >= cols && stride >= 0,
               "scale_matrices: bad size");
  const size_t n = size_t(rows) * size_t(cols) * size_t(batch);
  if (n == 0 || beta == 1.0f) return;
  CUDA_REQUIRE(C != nullptr, "scale_matrices: null buffer");
  scale_matrices_kernel<<<grid_for(n, kBlock), kBlock, 0, stream>>>(
      C, size_t(rows), size_t(cols), size_t(ld), size_t(stride), size_t(batch), beta);
  CUDA_CHECK_LAUNCH();
}

const char* kernel_image_problem() {
  cudaFuncAttributes attributes{};
  const cudaError_t err = cudaFuncGetAttributes(&attributes, fill_kernel);
  if (err == cudaSuccess) return "";
  (void)cudaGetLastError();  // clear, so the failure does not leak into later checks
  return cudaGetErrorString(err);
}

}  // namespace ridgeline::cuda
