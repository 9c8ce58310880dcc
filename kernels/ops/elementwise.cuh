#pragma once
/// @file elementwise.cuh
/// Elementwise ops on float arrays: fill, relu, relu_backward, lerp, axpby.
/// Entry points check sizes and enqueue on `stream`; they are callable from host-compiled code.
#include <cuda_runtime_api.h>

#include <cstddef>

namespace ridgeline::cuda {

void fill(cudaStream_t stream, float* dst, float value, size_t n);
/// y = max(y, 0).
void relu(cudaStream_t stream, float* y, size_t n);
/// dy *= (y > 0).
void relu_backward(cudaStream_t stream, float* dy, const float* y, size_t n);
/// out = a + alpha·d (out may alias a).
void lerp(cudaStream_t stream, float* out, const float* a, const float* d, float alpha, size_t n);
/// y = alpha·x + beta·y.
void axpby(cudaStream_t stream, float alpha, const float* x, float beta, float* y, size_t n);

/// C = beta·C on `batch` rows×cols matrices (row stride ld, matrix stride `stride`);
/// beta = 0 writes zeros without reading C (BLAS convention). The k = 0 case of GEMM.
void scale_matrices(cudaStream_t stream, float* C, int rows, int cols, int ld, long long stride,
                    int batch, float beta);

/// Empty string when this build holds a kernel image the current device can run, else why not
/// (e.g. a device older than the architectures compiled for).
const char* kernel_image_problem();

/// Grid size for a grid-stride loop over n elements with `block` threads per block.
inline unsigned grid_for(size_t n, unsigned block) {
  const size_t blocks = (n + block - 1) / block;
  return static_cast<unsigned>(blocks < 65535 ? blocks : 65535);
}

}  // namespace ridgeline::cuda
