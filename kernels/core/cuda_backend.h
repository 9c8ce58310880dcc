#pragma once
/// @file cuda_backend.h
/// The CUDA backend: device 0, one stream, one cuBLAS handle bound to that stream. Every op is
/// enqueued on the stream; download() and synchronize() wait for it. Device errors throw
/// ridgeline::RunError (see cuda_check.h). Use one CudaBackend from one thread at a time.
#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <string>

#include "ridgeline/core/backend.h"

namespace ridgeline::cuda {

class CudaBackend final : public Backend {
 public:
  /// Throws RunError when device 0 cannot be initialised.
  CudaBackend();
  ~CudaBackend() override;
  CudaBackend(const CudaBackend&) = delete;
  CudaBackend& operator=(const CudaBackend&) = delete;

  std::string name() const override { return "cuda"; }
  std::string description() const override { return description_; }
  int device_index() const override { return device_; }
  bool supports(Op) const override { return true; }

  float* allocate(size_t n) override;
  /// Never throws (it runs in destructors); a failure is reported by the next synchronize().
  void release(float* p) override;
  void upload(float* dst, const float* host_src, size_t n) override;
  void download(float* host_dst, const float* src, size_t n) override;
  void copy(float* dst, const float* src, size_t n) override;
  void fill(float* dst, float value, size_t n) override;
  void synchronize() override;

  int* allocate_int(size_t n) override;
  /// Never throws, as release().
  void release_int(int* p) override;
  void upload_int(int* dst, const int* host_src, size_t n) override;
  void download_int(int* host_dst, const int* src, size_t n) override;

  void gemm(Trans ta, Trans tb, int m, int n, int k, float alpha, const float* A, int lda,
            const float* B, int ldb, float beta, float* C, int ldc) override;
  void gemm_batched(Trans ta, Trans tb, int m, int n, int k, float alpha, const float* A, int lda,
                    long long strideA, const float* B, int ldb, long long strideB, float beta,
                    float* C, int ldc, long long strideC, int batch) override;
  void add_bias(float* Y, const float* b, int rows, int cols) override;
  void scale_columns(float* Y, const float* s, int rows, int cols) override;
  void relu(float* Y, size_t n) override;
  void relu_backward(float* dY, const float* Y, size_t n) override;
  void gelu(const float* Z, float* Y, size_t n) override;
  void gelu_backward(float* dY, const float* Z, size_t n) override;
  void layernorm(const float* X, const float* gamma, const float* beta, int rows, int cols,
                 float eps, float* Y, float* mean, float* rstd) override;
  void layernorm_backward(const float* dY, const float* X, const float* gamma, const float* mean,
                          const float* rstd, int rows, int cols, float* dX, float* dgamma,
                          float* dbeta) override;
  void column_sums(const float* X, int rows, int cols, float beta, float* out) override;
  void softmax_xent(const float* logits, const float* labels, int rows, int cols, int label_period,
                    float* loss, float* correct, float* grad, float scale) override;
  /// Waits for the stream (the label check reads back an error flag).
  void softmax_xent_i32(const float* logits, const int* labels, int rows, int cols,
                        int label_period, float* loss, float* correct, float* grad,
                        float scale) override;
  double dot(const float* x, const float* y, size_t n) override;
  double nrm2(const float* x, size_t n) override;
  void lerp(float* out, const float* a, const float* d, float alpha, size_t n) override;
  void axpby(float alpha, const float* x, float beta, float* y, size_t n) override;
  void sgd_step(float* p, const float* g, float* v, size_t n, const SgdParams& hp) override;
  void adam_step(float* p, const float* g, float* m, float* v, size_t n,
                 const AdamParams& hp) override;

 private:
  void throw_deferred_error();
  void* device_alloc(size_t bytes);
  void device_free(void* p);

  int device_ = 0;
  cudaStream_t stream_ = nullptr;
  cublasHandle_t cublas_ = nullptr;
  double* reduction_workspace_ = nullptr;  // kReductionWorkspace doubles (dot, nrm2)
  int* label_flag_ = nullptr;              // one int (softmax_xent_i32's bad-row flag)
  std::string description_;
  std::string deferred_error_;  // from release(), which must not throw
};

}  // namespace ridgeline::cuda
