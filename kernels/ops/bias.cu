// add_bias, scale_columns: grid-stride over all elements. column_sums: a block of 32 columns × 16 row lanes;
// each thread sums every 16th row of its column (coalesced: a warp reads 32 adjacent floats),
// then the 16 partial sums are added in a fixed order, so results are run-to-run identical.
#include "kernels/ops/bias.cuh"
#include "kernels/core/cuda_check.h"
#include "kernels/ops/elementwise.cuh"

namespace ridgeline::cuda {
namespace {

constexpr int kColsPerBlock = 32;
constexpr int kRowLanes = 16;

__global__ void add_bias_kernel(float* Y, const float* b, size_t rows, size_t cols) {
  const size_t n = rows * cols;
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n;
       i += size_t(gridDim.x) * blockDim.x)
    Y[i] += b[i % cols];
}

__global__ void scale_columns_kernel(float* Y, const float* s, size_t rows, size_t cols) {
  const size_t n = rows * cols;
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n;
       i += size_t(gridDim.x) * blockDim.x)
    Y[i] *= s[i % cols];
}

__global__ void column_sums_kernel(const float* X, int rows, int cols, float beta, float* out) {
  __shared__ float partial[kRowLanes][kColsPerBlock];
  const int c = blockIdx.x * kColsPerBlock + threadIdx.x;
  float sum = 0.0f;
  if (c < cols)
    for (int r = threadIdx.y; r < rows; r += kRowLanes) sum += X[size_t(r) * cols + c];
  partial[threadIdx.y][threadIdx.x] = sum;
  __syncthreads();
  if (threadIdx.y != 0 || c >= cols) return;
  float total = partial[0][threadIdx.x];
  for (int lane = 1; lane < kRowLanes; ++lane) total += partial[lane][threadIdx.x];
  // beta == 0 does not read out (BLAS convention).
  out[c] = beta == 0.0f ? total : beta * out[c] + total;
}

}  // namespace

void add_bias(cudaStream_t stream, float* Y, const float* b, int rows, int cols) {
  CUDA_REQUIRE(rows >= 0 && cols >= 0, "add_bias: negative size");
  if (rows == 0 || cols == 0) return;
  CUDA_REQUIRE(Y != nullptr && b != nullptr, "add_bias: null buffer");
  const size_t n = size_t(rows) * size_t(cols);
  add_bias_kernel<<<grid_for(n, 256), 256, 0, stream>>>(Y, b, size_t(rows), size_t(cols));
  CUDA_CHECK_LAUNCH();
}

void scale_columns(cudaStream_t stream, float* Y, const float* s, int rows, int cols) {
  CUDA_REQUIRE(rows >= 0 && cols >= 0, "scale_columns: negative size");
  if (rows == 0 || cols == 0) return;
  CUDA_REQUIRE(Y != nullptr && s != nullptr, "scale_columns: null buffer");
  const size_t n = size_t(rows) * size_t(cols);
  scale_columns_kernel<<<grid_for(n, 256), 256, 0, stream>>>(Y, s, size_t(rows), size_t(cols));
  CUDA_CHECK_LAUNCH();
}

void column_sums(cudaStream_t stream, const float* X, int rows, int cols, float beta, float* out) {
  CUDA_REQUIRE(rows >= 0 && cols >= 0, "column_sums: negative size");
  if (cols == 0) return;
  CUDA_REQUIRE(out != nullptr && (rows == 0 || X != nullptr), "column_sums: null buffer");
  const dim3 block(kColsPerBlock, kRowLanes);
  const unsigned grid = unsigned((cols + kColsPerBlock - 1) / kColsPerBlock);
  column_sums_kernel<<<grid, block, 0, stream>>>(X, rows, cols, beta, out);
  CUDA_CHECK_LAUNCH();
}

}  // namespace ridgeline::cuda
