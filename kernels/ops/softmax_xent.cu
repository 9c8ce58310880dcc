// One warp per row, kWarps rows per block. Three passes over the row (logits stay in L1/L2):
// first argmax and max, Σ exp(x − max), then the gradient. Warp reductions use a fixed
// butterfly pattern, so results are run-to-run identical. The int32-label variant shares
// the kernel; a row with a label outside [0, cols) lowers an error flag to its index
// (atomicMin: the first bad row), which the launcher reads back and reports.
#include <climits>
#include <cmath>
#include <string>

#include "kernels/core/cuda_check.h"
#include "kernels/ops/softmax_xent.cuh"

namespace ridgeline::cuda {
namespace {

constexpr int kWarps = 8;

// A float label is valid when in [0, cols) (its integer part is used); an int32 label when
// in [0, cols).
__device__ inline bool valid_label(float value, int cols) {
  return value >= 0.0f && value < float(cols);
}
__device__ inline bool valid_label(int value, int cols) { return value >= 0 && value < cols; }

template <class Label>
__global__ void softmax_xent_kernel(const float* logits, const Label* labels, int rows, int cols,
                                    int label_period, float* loss, float* correct, float* grad,
                                    float scale, int* bad_row) {
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

  const Label label_value = labels[r % label_period];
  const bool valid = valid_label(label_value, cols);
  const int label = valid ? int(label_value) : -1;
  if (lane == 0) {
    if (!valid && bad_row) atomicMin(bad_row, r);
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
  softmax_xent_kernel<float><<<grid, kWarps * 32, 0, stream>>>(
      logits, labels, rows, cols, label_period, loss, correct, grad, scale, nullptr);
  CUDA_CHECK_LAUNCH();
}

void softmax_xent_i32(cudaStream_t stream, const float* logits, const int* labels, int rows,
                      int cols, int label_period, float* loss, float* correct, float* grad,
                      float scale, int* flag) {
  CUDA_REQUIRE(rows >= 0 && cols >= 1, "softmax_xent_i32: need rows >= 0 and cols >= 1");
  CUDA_REQUIRE(label_period >= 1, "softmax_xent_i32: label_period must be >= 1");
  if (rows == 0) return;
  CUDA_REQUIRE(logits != nullptr && labels != nullptr && flag != nullptr,
               "softmax_xent_i32: null buffer");
  const int none = INT_MAX;
  CUDA_CHECK(cudaMemcpyAsync(flag, &none, sizeof none, cudaMemcpyHostToDevice, stream));
  const unsigned grid = unsigned((rows + kWarps - 1) / kWarps);
  softmax_xent_kernel<int><<<grid, kWarps * 32, 0, stream>>>(
      logits, labels, rows, cols, label_period, loss, correct, grad, scale, flag);
  CUDA_CHECK_LAUNCH();
  int bad_row = none;
  CUDA_CHECK(cudaMemcpyAsync(&bad_row, flag, sizeof bad_row, cudaMemcpyDeviceToHost, stream));
  CUDA_CHECK(cudaStreamSynchronize(stream));
  if (bad_row == none) return;
  int label = 0;
  CUDA_CHECK(cudaMemcpyAsync(&label, labels + bad_row % label_period, sizeof label,
                             cudaMemcpyDeviceToHost, stream));
  CUDA_CHECK(cudaStreamSynchronize(stream));
  throw InputError("softmax_xent_i32: label " + std::to_string(label) + " of row " +
                   std::to_string(bad_row) + " is outside [0, " + std::to_string(cols) + ")");
}

}  // namespace ridgeline::cuda
