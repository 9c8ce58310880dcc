// CudaBackend: memory and stream management; ops forward to the per-family entry points.
#include "kernels/core/cuda_backend.h"

#include <cmath>
#include <cstdio>
#include <utility>

#include "kernels/ops/activations.cuh"
#include "kernels/ops/bias.cuh"
#include "kernels/core/cuda_check.h"
#include "kernels/ops/elementwise.cuh"
#include "kernels/blas/gemm.h"
#include "kernels/ops/layernorm.cuh"
#include "kernels/ops/optimizers.cuh"
#include "kernels/ops/softmax_xent.cuh"
#include "kernels/ops/reductions.cuh"

namespace ridgeline::cuda {

CudaBackend::CudaBackend() {
  CUDA_CHECK(cudaSetDevice(device_));
  cudaDeviceProp prop{};
  CUDA_CHECK(cudaGetDeviceProperties(&prop, device_));
  char memory[32];
  std::snprintf(memory, sizeof memory, "%.1f GiB",
                double(prop.totalGlobalMem) / (1024.0 * 1024.0 * 1024.0));
  description_ = "CUDA device " + std::to_string(device_) + ": " + prop.name + " (compute " +
                 std::to_string(prop.major) + "." + std::to_string(prop.minor) + ", " + memory +
                 ")";
  CUDA_CHECK(cudaStreamCreate(&stream_));
  try {
    CUBLAS_CHECK(cublas().create(&cublas_));
    CUBLAS_CHECK(cublas().set_stream(cublas_, stream_));
    // Default math mode: no TF32 tensor-op rounding for float32 GEMMs (see gemm.cpp).
    CUBLAS_CHECK(cublas().set_math_mode(cublas_, CUBLAS_DEFAULT_MATH));
    void* workspace = nullptr;
    CUDA_CHECK(cudaMalloc(&workspace, kReductionWorkspace * sizeof(double)));
    reduction_workspace_ = static_cast<double*>(workspace);
    void* flag = nullptr;
    CUDA_CHECK(cudaMalloc(&flag, sizeof(int)));
    label_flag_ = static_cast<int*>(flag);
  } catch (...) {
    cudaFree(label_flag_);
    cudaFree(reduction_workspace_);
    if (cublas_) cublas().destroy(cublas_);
    cudaStreamDestroy(stream_);
    throw;
  }
}

CudaBackend::~CudaBackend() {
  // Destructors must not throw: errors here are ignored (the process is tearing this down).
  cudaStreamSynchronize(stream_);
  cudaFree(label_flag_);
  cudaFree(reduction_workspace_);
  cublas().destroy(cublas_);
  cudaStreamDestroy(stream_);
}

void CudaBackend::throw_deferred_error() {
  if (deferred_error_.empty()) return;
  throw RunError(std::exchange(deferred_error_, std::string()));
}

void* CudaBackend::device_alloc(size_t bytes) {
  if (bytes == 0) return nullptr;
  void* p = nullptr;
  const cudaError_t err = cudaMalloc(&p, bytes);
  if (err != cudaSuccess) {
    (void)cudaGetLastError();
    char size[32];
    std::snprintf(size, sizeof size, "%.1f MiB", double(bytes) / (1024.0 * 1024.0));
    throw RunError(std::string("CUDA error: cannot allocate ") + size + " on " + description_ +
                   ": " + cuda_error_text(err));
  }
  const cudaError_t zero = cudaMemsetAsync(p, 0, bytes, stream_);
  if (zero != cudaSuccess) {
    cudaFree(p);
    CUDA_CHECK(zero);
  }
  return p;
}

void CudaBackend::device_free(void* p) {
  if (p == nullptr) return;
  const cudaError_t err = cudaFree(p);  // implicitly waits for work using p
  if (err != cudaSuccess && deferred_error_.empty())
    deferred_error_ = "CUDA error: cudaFree failed: " + cuda_error_text(err);
}

float* CudaBackend::allocate(size_t n) {
  return static_cast<float*>(device_alloc(n * sizeof(float)));
}

void CudaBackend::release(float* p) { device_free(p); }

int* CudaBackend::allocate_int(size_t n) { return static_cast<int*>(device_alloc(n * sizeof(int))); }

void CudaBackend::release_int(int* p) { device_free(p); }

void CudaBackend::upload_int(int* dst, const int* host_src, size_t n) {
  if (n == 0) return;
  CUDA_CHECK(cudaMemcpyAsync(dst, host_src, n * sizeof(int), cudaMemcpyHostToDevice, stream_));
}

void CudaBackend::download_int(int* host_dst, const int* src, size_t n) {
  if (n != 0)
    CUDA_CHECK(cudaMemcpyAsync(host_dst, src, n * sizeof(int), cudaMemcpyDeviceToHost, stream_));
  synchronize();
}

void CudaBackend::upload(float* dst, const float* host_src, size_t n) {
  if (n == 0) return;
  // From pageable memory the call returns once host_src has been staged: safe to reuse it.
  CUDA_CHECK(cudaMemcpyAsync(dst, host_src, n * sizeof(float), cudaMemcpyHostToDevice, stream_));
}

void CudaBackend::download(float* host_dst, const float* src, size_t n) {
  if (n != 0)
    CUDA_CHECK(cudaMemcpyAsync(host_dst, src, n * sizeof(float), cudaMemcpyDeviceToHost, stream_));
  synchronize();
}

void CudaBackend::copy(float* dst, const float* src, size_t n) {
  if (n == 0 || dst == src) return;
  CUDA_CHECK(cudaMemcpyAsync(dst, src, n * sizeof(float), cudaMemcpyDeviceToDevice, stream_));
}

void CudaBackend::fill(float* dst, float value, size_t n) { cuda::fill(stream_, dst, value, n); }

void CudaBackend::synchronize() {
  CUDA_CHECK(cudaStreamSynchronize(stream_));
  throw_deferred_error();
}

void CudaBackend::gemm(Trans ta, Trans tb, int m, int n, int k, float alpha, const float* A,
                       int lda, const float* B, int ldb, float beta, float* C, int ldc) {
  cuda::gemm(cublas_, ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}

void CudaBackend::gemm_batched(Trans ta, Trans tb, int m, int n, int k, float alpha, const float* A,
                               int lda, long long strideA, const float* B, int ldb,
                               long long strideB, float beta, float* C, int ldc, long long strideC,
                               int batch) {
  cuda::gemm_batched(cublas_, ta, tb, m, n, k, alpha, A, lda, strideA, B, ldb, strideB, beta, C,
                     ldc, strideC, batch);
}

void CudaBackend::add_bias(float* Y, const float* b, int rows, int cols) {
  cuda::add_bias(stream_, Y, b, rows, cols);
}

void CudaBackend::scale_columns(float* Y, const float* s, int rows, int cols) {
  cuda::scale_columns(stream_, Y, s, rows, cols);
}

void CudaBackend::relu(float* Y, size_t n) { cuda::relu(stream_, Y, n); }

void CudaBackend::relu_backward(float* dY, const float* Y, size_t n) {
  cuda::relu_backward(stream_, dY, Y, n);
}

void CudaBackend::gelu(const float* Z, float* Y, size_t n) { cuda::gelu(stream_, Z, Y, n); }

void CudaBackend::gelu_backward(float* dY, const float* Z, size_t n) {
  cuda::gelu_backward(stream_, dY, Z, n);
}

void CudaBackend::layernorm(const float* X, const float* gamma, const float* beta, int rows,
                            int cols, float eps, float* Y, float* mean, float* rstd) {
  cuda::layernorm(stream_, X, gamma, beta, rows, cols, eps, Y, mean, rstd);
}

void CudaBackend::layernorm_backward(const float* dY, const float* X, const float* gamma,
                                     const float* mean, const float* rstd, int rows, int cols,
                                     float* dX, float* dgamma, float* dbeta) {
  cuda::layernorm_backward(stream_, dY, X, gamma, mean, rstd, rows, cols, dX, dgamma, dbeta);
}

void CudaBackend::column_sums(const float* X, int rows, int cols, float beta, float* out) {
  cuda::column_sums(stream_, X, rows, cols, beta, out);
}

void CudaBackend::softmax_xent(const float* logits, const float* labels, int rows, int cols,
                               int label_period, float* loss, float* correct, float* grad,
                               float scale) {
  cuda::softmax_xent(stream_, logits, labels, rows, cols, label_period, loss, correct, grad, scale);
}

void CudaBackend::softmax_xent_i32(const float* logits, const int* labels, int rows, int cols,
                                   int label_period, float* loss, float* correct, float* grad,
                                   float scale) {
  cuda::softmax_xent_i32(stream_, logits, labels, rows, cols, label_period, loss, correct, grad,
                         scale, label_flag_);
}

double CudaBackend::dot(const float* x, const float* y, size_t n) {
  return cuda::dot(stream_, x, y, n, reduction_workspace_);
}

double CudaBackend::nrm2(const float* x, size_t n) {
  return std::sqrt(cuda::dot(stream_, x, x, n, reduction_workspace_));
}

void CudaBackend::lerp(float* out, const float* a, const float* d, float alpha, size_t n) {
  cuda::lerp(stream_, out, a, d, alpha, n);
}

void CudaBackend::axpby(float alpha, const float* x, float beta, float* y, size_t n) {
  cuda::axpby(stream_, alpha, x, beta, y, n);
}

void CudaBackend::sgd_step(float* p, const float* g, float* v, size_t n, const SgdParams& hp) {
  cuda::sgd_step(stream_, p, g, v, n, hp);
}

void CudaBackend::adam_step(float* p, const float* g, float* m, float* v, size_t n,
                            const AdamParams& hp) {
  cuda::adam_step(stream_, p, g, m, v, n, hp);
}

}  // namespace ridgeline::cuda
