// Deterministic float64 reductions: pass 1, a grid of at most 1024 blocks (a function of n
// only) where each thread accumulates a grid-stride slice in double and the block adds its
// 256 partials in a fixed shared-memory tree; pass 2, one block adds the block partials the
// same way. No atomics, so the result is run-to-run identical.
#include "kernels/core/cuda_check.h"
#include "kernels/ops/reductions.cuh"

namespace ridgeline::cuda {
namespace {

constexpr unsigned kBlock = 256;
constexpr unsigned kMaxBlocks = 1024;

// Tree sum of the block's kBlock values in shared memory; thread 0 gets the total.
__device__ double block_sum(double value, double* shared) {
  shared[threadIdx.x] = value;
  __syncthreads();
  for (unsigned half = kBlock / 2; half > 0; half /= 2) {
    if (threadIdx.x < half) shared[threadIdx.x] += shared[threadIdx.x + half];
    __syncthreads();
  }
  return shared[0];
}

__global__ void dot_partial_kernel(const float* x, const float* y, size_t n, double* partial) {
  __shared__ double shared[kBlock];
  double acc = 0.0;
  for (size_t i = blockIdx.x * size_t(kBlock) + threadIdx.x; i < n; i += size_t(gridDim.x) * kBlock)
    acc += double(x[i]) * double(y[i]);
  const double total = block_sum(acc, shared);
  if (threadIdx.x == 0) partial[blockIdx.x] = total;
}

__global__ void sum_partials_kernel(const double* partial, unsigned count, double* result) {
  __shared__ double shared[kBlock];
  double acc = 0.0;
  for (unsigned i = threadIdx.x; i < count; i += kBlock) acc += partial[i];
  const double total = block_sum(acc, shared);
  if (threadIdx.x == 0) *result = total;
}

}  // namespace

double dot(cudaStream_t stream, const float* x, const float* y, size_t n, double* workspace) {
  if (n == 0) return 0.0;
  CUDA_REQUIRE(x != nullptr && y != nullptr && workspace != nullptr, "dot: null buffer");
  const size_t wanted = (n + kBlock - 1) / kBlock;
  const unsigned blocks = unsigned(wanted < kMaxBlocks ? wanted : kMaxBlocks);
  static_assert(kMaxBlocks + 1 <= kReductionWorkspace, "workspace too small");
  double* result = workspace + kMaxBlocks;
  dot_partial_kernel<<<blocks, kBlock, 0, stream>>>(x, y, n, workspace);
  CUDA_CHECK_LAUNCH();
  sum_partials_kernel<<<1, kBlock, 0, stream>>>(workspace, blocks, result);
  CUDA_CHECK_LAUNCH();
  double host = 0.0;
  CUDA_CHECK(cudaMemcpyAsync(&host, result, sizeof host, cudaMemcpyDeviceToHost, stream));
  CUDA_CHECK(cudaStreamSynchronize(stream));
  return host;
}

}  // namespace ridgeline::cuda
