#pragma once
/// @file gemm.h
/// Row-major float32 GEMMs on cuBLAS (which is column-major). A row-major matrix is the
/// transpose of the same memory read column-major, so C = op(A)·op(B) is computed as
/// Cᵀ = op(B)ᵀ·op(A)ᵀ: swap the operands and swap m and n; leading dimensions stay as given.
#include <cublas_v2.h>

#include "ridgeline/core/backend.h"

namespace ridgeline::cuda {

/// C[m×n] = alpha·op(A)·op(B) + beta·C, row-major; checks sizes and leading dimensions.
void gemm(cublasHandle_t handle, Trans ta, Trans tb, int m, int n, int k, float alpha,
          const float* A, int lda, const float* B, int ldb, float beta, float* C, int ldc);
/// `batch` gemms, matrix i at A + i·strideA (likewise B, C); strideA or strideB may be 0.
void gemm_batched(cublasHandle_t handle, Trans ta, Trans tb, int m, int n, int k, float alpha,
                  const float* A, int lda, long long strideA, const float* B, int ldb,
                  long long strideB, float beta, float* C, int ldc, long long strideC, int batch);

}  // namespace ridgeline::cuda
