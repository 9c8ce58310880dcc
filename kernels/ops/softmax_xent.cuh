#pragma once
/// @file softmax_xent.cuh
/// Row-wise softmax cross-entropy with accuracy and optional gradient.
#include <cuda_runtime_api.h>

namespace ridgeline::cuda {

/// See Backend::softmax_xent. Row r of logits[rows×cols] uses labels[r % label_period]:
/// loss[r] = logsumexp(row) − row[label], correct[r] = (first argmax == label),
/// grad (when not null) = scale·(softmax − onehot). A label outside [0, cols) gives loss NaN,
/// correct 0 and no one-hot term. loss and correct may be null to skip them.
void softmax_xent(cudaStream_t stream, const float* logits, const float* labels, int rows, int cols,
                  int label_period, float* loss, float* correct, float* grad, float scale);

/// See Backend::softmax_xent_i32: as softmax_xent with int32 labels, except that a label
/// outside [0, cols) throws InputError naming the first such row once the kernel has run
/// (the launch waits for the stream). `flag` is one int of device scratch memory.
void softmax_xent_i32(cudaStream_t stream, const float* logits, const int* labels, int rows,
                      int cols, int label_period, float* loss, float* correct, float* grad,
                      float scale, int* flag);

}  // namespace ridgeline::cuda
