// Row-major GEMMs through cuBLAS. Compute type CUBLAS_COMPUTE_32F: plain float32 arithmetic,
// no TF32 tensor-core rounding (which keeps only 10 mantissa bits), so results agree with the
// CPU float32 reference to accumulation-order rounding.
#include "kernels/blas/gemm.h"

#include <algorithm>
#include <string>

#include "kernels/core/cuda_check.h"
#include "kernels/ops/elementwise.cuh"

namespace ridgeline::cuda {
namespace {

cublasOperation_t op(Trans t) { return t == Trans::Yes ? CUBLAS_OP_T : CUBLAS_OP_N; }

// k = 0: C = beta·C by our own kernel rather than relying on cuBLAS's handling of an empty
// inner dimension.
void scale_only(cublasHandle_t handle, int m, int n, float* C, int ldc, long long strideC,
                int batch, float beta) {
  cudaStream_t stream = nullptr;
  CUBLAS_CHECK(cublas().get_stream(handle, &stream));
  scale_matrices(stream, C, m, n, ldc, strideC, batch, beta);
}

// Checks sizes; returns false when there is nothing to compute (m or n is 0).
// cuBLAS wants ld ≥ 1 even for an empty operand, hence max(1, ·).
bool check_shapes(const char* what, Trans ta, Trans tb, int m, int n, int k, const float* A,
                  int lda, const float* B, int ldb, const float* C, int ldc) {
  const std::string name = what;
  CUDA_REQUIRE(m >= 0 && n >= 0 && k >= 0, name + ": negative size");
  if (m == 0 || n == 0) return false;
  // Row-major A is m×k (ta = No) or k×m (ta = Yes); B is k×n or n×k; C is m×n.
  const int a_cols = ta == Trans::No ? k : m;
  const int b_cols = tb == Trans::No ? n : k;
  // With k = 0, A and B are not read (C = beta·C), so their leading dimensions do not matter.
  CUDA_REQUIRE(k == 0 || lda >= std::max(1, a_cols), name + ": lda " + std::to_string(lda) + " < " +
                                                         std::to_string(a_cols) + " columns of A");
  CUDA_REQUIRE(k == 0 || ldb >= std::max(1, b_cols), name + ": ldb " + std::to_string(ldb) + " < " +
                                                         std::to_string(b_cols) + " columns of B");
  CUDA_REQUIRE(ldc >= n,
               name + ": ldc " + std::to_string(ldc) + " < " + std::to_string(n) + " columns of C");
  CUDA_REQUIRE(C != nullptr && (k == 0 || (A != nullptr && B != nullptr)), name + ": null matrix");
  return true;
}

}  // namespace

void gemm(cublasHandle_t handle, Trans ta, Trans tb, int m, int n, int k, float alpha,
          const float* A, int lda, const float* B, int ldb, float beta, float* C, int ldc) {
  if (!check_shapes("gemm", ta, tb, m, n, k, A, lda, B, ldb, C, ldc)) return;
  if (k == 0) {
    scale_only(handle, m, n, C, ldc, 0, 1, beta);
    return;
  }
  CUBLAS_CHECK(cublas().gemm_ex(handle, op(tb), op(ta), n, m, k, &alpha, B, CUDA_R_32F, ldb, A,
                            CUDA_R_32F, lda, &beta, C, CUDA_R_32F, ldc, CUBLAS_COMPUTE_32F,
                            CUBLAS_GEMM_DEFAULT));
}

void gemm_batched(cublasHandle_t handle, Trans ta, Trans tb, int m, int n, int k, float alpha,
                  const float* A, int lda, long long strideA, const float* B, int ldb,
                  long long strideB, float beta, float* C, int ldc, long long strideC, int batch) {
  CUDA_REQUIRE(batch >= 0, "gemm_batched: negative batch");
  if (batch == 0) return;
  if (!check_shapes("gemm_batched", ta, tb, m, n, k, A, lda, B, ldb, C, ldc)) return;
  CUDA_REQUIRE(strideA >= 0 && strideB >= 0 && strideC >= 0, "gemm_batched: negative stride");
  // Outputs of different batch entries must not overlap: they are written concurrently.
  CUDA_REQUIRE(
      batch == 1 || strideC >= (long long)(m - 1) * ldc + n,
      "gemm_batched: strideC " + std::to_string(strideC) + " makes output matrices overlap");
  if (k == 0) {
    scale_only(handle, m, n, C, ldc, strideC, batch, beta);
    return;
  }
  CUBLAS_CHECK(cublas().gemm_strided_batched_ex(
      handle, op(tb), op(ta), n, m, k, &alpha, B, CUDA_R_32F, ldb, strideB, A, CUDA_R_32F, lda,
      strideA, &beta, C, CUDA_R_32F, ldc, strideC, batch, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
}

}  // namespace ridgeline::cuda
