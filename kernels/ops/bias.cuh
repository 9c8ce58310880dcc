#pragma once
/// @file bias.cuh
/// Row-broadcast bias add and its adjoint, the column sums (bias gradient).
#include <cuda_runtime_api.h>

namespace ridgeline::cuda {

/// Y[r, c] += b[c] for a rows×cols row-major matrix.
void add_bias(cudaStream_t stream, float* Y, const float* b, int rows, int cols);
/// Y[r, c] *= s[c] for a rows×cols row-major matrix.
void scale_columns(cudaStream_t stream, float* Y, const float* s, int rows, int cols);
/// out[c] = beta·out[c] + Σ_r X[r, c]. Deterministic: a fixed summation order, no atomics.
void column_sums(cudaStream_t stream, const float* X, int rows, int cols, float beta, float* out);

}  // namespace ridgeline::cuda
