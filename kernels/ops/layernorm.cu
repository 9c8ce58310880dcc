// LayerNorm. Row work (forward, dX) is one warp per row, kWarps rows per block: the row is
// read once for the mean, once for the variance (two passes, no cancellation) and once to
// write, with butterfly reductions that leave every lane the same bits. The parameter
// gradients are column reductions laid out as column_sums: 32 columns × 16 row lanes per
// block, partial sums added in a fixed order. dgamma/dbeta run before dX, so dX may
// overwrite dY.
#include "kernels/core/cuda_check.h"
#include "kernels/ops/layernorm.cuh"

namespace ridgeline::cuda {
namespace {

constexpr int kWarps = 8;
constexpr int kColsPerBlock = 32;
constexpr int kRowLanes = 16;

__device__ float warp_sum(float v) {
  for (int offset = 16; offset > 0; offset /= 2) v += __shfl_xor_sync(0xffffffffu, v, offset);
  return v;
}

__global__ void layernorm_kernel(const float* X, const float* gamma, const float* beta, int rows,
                                 int cols, float eps, float* Y, float* mean, float* rstd) {
  const int lane = threadIdx.x % 32;
  const int r = blockIdx.x * kWarps + threadIdx.x / 32;
  if (r >= rows) return;  // whole warps exit together
  const float* x = X + size_t(r) * cols;
  float* y = Y + size_t(r) * cols;
  float s = 0.0f;
  for (int c = lane; c < cols; c += 32) s += x[c];
  const float m = warp_sum(s) / float(cols);
  float v = 0.0f;
  for (int c = lane; c < cols; c += 32) {
    const float d = x[c] - m;
    v += d * d;
  }
  const float rs = 1.0f / sqrtf(warp_sum(v) / float(cols) + eps);
  // Every lane has read its elements before the reductions complete: in-place is safe.
  for (int c = lane; c < cols; c += 32) y[c] = (x[c] - m) * rs * gamma[c] + beta[c];
  if (lane == 0) {
    if (mean) mean[r] = m;
    if (rstd) rstd[r] = rs;
  }
}

__global__ void layernorm_param_grad_kernel(const float* dY, const float* X, const float* mean,
                                            const float* rstd, int rows, int cols, float* dgamma,
                                            float* dbeta) {
  __shared__ float pg[kRowLanes][kColsPerBlock];
  __shared__ float pb[kRowLanes][kColsPerBlock];
  const int c = blockIdx.x * kColsPerBlock + threadIdx.x;
  float sg = 0.0f, sb = 0.0f;
  if (c < cols)
    for (int r = threadIdx.y; r < rows; r += kRowLanes) {
      const size_t i = size_t(r) * cols + c;
      sg += dY[i] * ((X[i] - mean[r]) * rstd[r]);
      sb += dY[i];
    }
  pg[threadIdx.y][threadIdx.x] = sg;
  pb[threadIdx.y][threadIdx.x] = sb;
  __syncthreads();
  if (threadIdx.y != 0 || c >= cols) return;
  float tg = pg[0][threadIdx.x], tb = pb[0][threadIdx.x];
  for (int lane = 1; lane < kRowLanes; ++lane) {
    tg += pg[lane][threadIdx.x];
    tb += pb[lane][threadIdx.x];
  }
  if (dgamma) dgamma[c] = tg;
  if (dbeta) dbeta[c] = tb;
}

__global__ void layernorm_dx_kernel(const float* dY, const float* X, const float* gamma,
                                    const float* mean, const float* rstd, int rows, int cols,
                                    float* dX) {
  const int lane = threadIdx.x % 32;
  const int r = blockIdx.x * kWarps + threadIdx.x / 32;
  if (r >= rows) return;
  const float* dy = dY + size_t(r) * cols;
  const float* x = X + size_t(r) * cols;
  float* dx = dX + size_t(r) * cols;
  const float m = mean[r], rs = rstd[r];
  float s1 = 0.0f, s2 = 0.0f;
  for (int c = lane; c < cols; c += 32) {
    const float g = dy[c] * gamma[c];
    s1 += g;
    s2 += g * ((x[c] - m) * rs);
  }
  const float a = warp_sum(s1) / float(cols), b = warp_sum(s2) / float(cols);
  for (int c = lane; c < cols; c += 32)
    dx[c] = rs * (dy[c] * gamma[c] - a - ((x[c] - m) * rs) * b);
}

}  // namespace

void layernorm(cudaStream_t stream, const float* X, const float* gamma, const float* beta,
               int rows, int cols, float eps, float* Y, float* mean, float* rstd) {
  CUDA_REQUIRE(rows >= 0 && cols >= 1, "layernorm: need rows >= 0 and cols >= 1");
  if (rows == 0) return;
  CUDA_REQUIRE(X != nullptr && gamma != nullptr && beta != nullptr && Y != nullptr,
               "layernorm: null buffer");
  const unsigned grid = unsigned((rows + kWarps - 1) / kWarps);
  layernorm_kernel<<<grid, kWarps * 32, 0, stream>>>(X, gamma, beta, rows, cols, eps, Y, mean,
                                                     rstd);
  CUDA_CHECK_LAUNCH();
}

void layernorm_backward(cudaStream_t stream, const float* dY, const float* X, const float* gamma,
                        const float* mean, const float* rstd, int rows, int cols, float* dX,
                        float* dgamma, float* dbeta) {
  CUDA_REQUIRE(rows >= 0 && cols >= 1, "layernorm_backward: need rows >= 0 and cols >= 1");
  CUDA_REQUIRE(rows == 0 || (dY != nullptr && X != nullptr && gamma != nullptr &&
                             mean != nullptr && rstd != nullptr && dX != nullptr),
               "layernorm_backward: null buffer");
  if (dgamma || dbeta) {  // with rows = 0 this writes zeros
    const dim3 block(kColsPerBlock, kRowLanes);
    const unsigned grid = unsigned((cols + kColsPerBlock - 1) / kColsPerBlock);
    layernorm_param_grad_kernel<<<grid, block, 0, stream>>>(dY, X, mean, rstd, rows, cols, dgamma,
                                                            dbeta);
    CUDA_CHECK_LAUNCH();
  }
  if (rows == 0) return;
  const unsigned grid = unsigned((rows + kWarps - 1) / kWarps);
  layernorm_dx_kernel<<<grid, kWarps * 32, 0, stream>>>(dY, X, gamma, mean, rstd, rows, cols, dX);
  CUDA_CHECK_LAUNCH();
}

}  // namespace ridgeline::cuda
