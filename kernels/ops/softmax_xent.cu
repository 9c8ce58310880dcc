// One warp per row, kWarps rows per block. Three passes over the row (logits stay in L1/L2):
// first argmax and max, Σ exp(x − max), then the gradient. Warp reductions use a fixed
// butterfly pattern, so results are run-to-run identical.
#include <cmath>

#include "kernels/core/cuda_check.h"
#include "kernels/ops/softmax_xent.cuh"

namespace ridgeline::cuda {
namespace {

constexpr int kWarps = 8;

__global__ void softmax_xent_kernel(const float* logits, const float* labels, int rows, int cols,
                                    int label_period, float* loss, float* correct, float* grad,
                                    float scale) {
  const int lane = threadIdx.x % 32;
  const int r = blockIdx.x * kWarps + threadIdx.x / 32;
  if (r >= rows) return;  // whole warps exit together: r is uniform within a warp
  const float* x = logits + size_t(r) * cols;

  // Max and first argmax: each lane starts at its first column and keeps strict improvements;
  // lanes merge by larger value, then smaller index.
  int arg = lane < cols ? lane : cols;
  float best = lane < cols ? x[lane] : -INFINITY;
  for (int c = lane + 32; c < cols; c += 32)
    if (x[c] > best) best = x[c], arg = c;
  for (int offset = 16; offset > 0; offset /= 2) {
    const float other = __shfl_xor_sync(0xffffffffu, best, offset);
    const int other_arg = __shfl_xor_sync(0xffffffffu, arg, offset);
    if (other > best || (other == best && other_arg < arg)) best = other, arg = other_arg;
  }

  float sum = 0.0f;
  for (int c = lane; c < cols; c += 32) sum += expf(x[c] - best);
  for (int offset = 16; offset > 0; offset /= 2) sum += __shfl_xor_sync(0xffffffffu, sum, offset);

  const float label_value = labels[r % label_period];
  const bool valid = label_value >= 0.0f && label_value < float(cols);
  const int label = valid ? int(label_value) : -1;
  if (lane == 0) {
    // logsumexp − x[label] = (max − x[label]) + log Σ exp(x − max): no overflow.
    if (loss) loss[r] = valid ? (best - x[label]) + logf(sum) : NAN;
    if (correct) correct[r] = valid && arg == label ? 1.0f : 0.0f;
  }
  if (grad) {
    float* g = grad + size_t(r) * cols;
    for (int c = lane; c < cols; c += 32)
      g[c] = scale * (expf(x[c] - best) / sum - (c == label ? 1.0f : 0.0f));
  }
}

}  // namespace

void softmax_xent(cudaStream_t stream, const float* logits, const float* labels, int rows, int cols,
                  int label_period, float* loss, float* correct, float* grad, float scale) {
  CUDA_REQUIRE(rows >= 0 && cols >= 1, "softmax_xent: need rows >= 0 and cols >= 1");
  CUDA_REQUIRE(label_period >= 1, "softmax_xent: label_period must be >= 1");
  if (rows == 0) return;
  CUDA_REQUIRE(logits != nullptr && labels != nullptr, "softmax_xent: null buffer");
  const unsigned grid = unsigned((rows + kWarps - 1) / kWarps);
  softmax_xent_kernel<<<grid, kWarps * 32, 0, stream>>>(logits, labels, rows, cols, label_period,
                                                        loss, correct, grad, scale);
  CUDA_CHECK_LAUNCH();
}

}  // namespace ridgeline::cuda
