#pragma once
/// @file reductions.cuh
/// Full reductions to a host double: dot and squared norm, accumulated in float64.
/// Entry points check sizes, enqueue on `stream` and wait for the result.
#include <cuda_runtime_api.h>

#include <cstddef>

namespace ridgeline::cuda {

/// Doubles of device workspace the reductions need (partial sums + the result).
constexpr size_t kReductionWorkspace = 1024 + 1;

/// Σ x[i]·y[i] in float64 (y may equal x). Two passes with a grid that depends only on n and
/// fixed-order tree sums: the same bits on every run. `workspace` holds kReductionWorkspace
/// doubles of device memory.
double dot(cudaStream_t stream, const float* x, const float* y, size_t n, double* workspace);

}  // namespace ridgeline::cuda
