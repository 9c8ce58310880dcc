#pragma once
// A test-only backend that forwards everything to another backend but declares some ops
// unsupported: the dispatcher's require() and the table's skip path are tested with it.
#include <set>
#include <string>

#include "ridgeline/core/backend.h"

namespace ridgeline::test {

class LimitedBackend final : public Backend {
 public:
  LimitedBackend(Backend& inner, std::set<Op> missing) : in_(inner), missing_(std::move(missing)) {}

  std::string name() const override { return in_.name(); }
  std::string description() const override { return in_.description() + " (limited)"; }
  int device_index() const override { return in_.device_index(); }
  bool supports(Op op) const override { return !missing_.count(op) && in_.supports(op); }

  float* allocate(size_t n) override { return in_.allocate(n); }
  void release(float* p) override { in_.release(p); }
  void upload(float* d, const float* s, size_t n) override { in_.upload(d, s, n); }
  void download(float* d, const float* s, size_t n) override { in_.download(d, s, n); }
  void copy(float* d, const float* s, size_t n) override { in_.copy(d, s, n); }
  void fill(float* d, float v, size_t n) override { in_.fill(d, v, n); }
  void synchronize() override { in_.synchronize(); }
  int* allocate_int(size_t n) override { return in_.allocate_int(n); }
  void release_int(int* p) override { in_.release_int(p); }
  void upload_int(int* d, const int* s, size_t n) override { in_.upload_int(d, s, n); }
  void download_int(int* d, const int* s, size_t n) override { in_.download_int(d, s, n); }

  void gemm(Trans ta, Trans tb, int m, int n, int k, float alpha, const float* A, int lda,
            const float* B, int ldb, float beta, float* C, int ldc) override {
    in_.gemm(ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
  }
  void gemm_batched(Trans ta, Trans tb, int m, int n, int k, float alpha, const float* A, int lda,
                    long long sA, const float* B, int ldb, long long sB, float beta, float* C,
                    int ldc, long long sC, int batch) override {
    in_.gemm_batched(ta, tb, m, n, k, alpha, A, lda, sA, B, ldb, sB, beta, C, ldc, sC, batch);
  }
  void add_bias(float* Y, const float* b, int r, int c) override { in_.add_bias(Y, b, r, c); }
  void scale_columns(float* Y, const float* s, int r, int c) override {
    in_.scale_columns(Y, s, r, c);
  }
  void relu(float* Y, size_t n) override { in_.relu(Y, n); }
  void relu_backward(float* dY, const float* Y, size_t n) override { in_.relu_backward(dY, Y, n); }
  void gelu(const float* Z, float* Y, size_t n) override { in_.gelu(Z, Y, n); }
  void gelu_backward(float* dY, const float* Z, size_t n) override { in_.gelu_backward(dY, Z, n); }
  void layernorm(const float* X, const float* g, const float* b, int rows, int cols, float eps,
                 float* Y, float* mean, float* rstd) override {
    in_.layernorm(X, g, b, rows, cols, eps, Y, mean, rstd);
  }
  void layernorm_backward(const float* dY, const float* X, const float* g, const float* mean,
                          const float* rstd, int rows, int cols, float* dX, float* dg,
                          float* db) override {
    in_.layernorm_backward(dY, X, g, mean, rstd, rows, cols, dX, dg, db);
  }
  void column_sums(const float* X, int r, int c, float beta, float* out) override {
    in_.column_sums(X, r, c, beta, out);
  }
  void softmax_xent(const float* z, const float* l, int r, int c, int p, float* loss,
                    float* correct, float* grad, float scale) override {
    in_.softmax_xent(z, l, r, c, p, loss, correct, grad, scale);
  }
  void softmax_xent_i32(const float* z, const int* l, int r, int c, int p, float* loss,
                        float* correct, float* grad, float scale) override {
    in_.softmax_xent_i32(z, l, r, c, p, loss, correct, grad, scale);
  }
  void lerp(float* out, const float* a, const float* d, float alpha, size_t n) override {
    in_.lerp(out, a, d, alpha, n);
  }
  void axpby(float alpha, const float* x, float beta, float* y, size_t n) override {
    in_.axpby(alpha, x, beta, y, n);
  }
  double dot(const float* x, const float* y, size_t n) override { return in_.dot(x, y, n); }
  double nrm2(const float* x, size_t n) override { return in_.nrm2(x, n); }
  void sgd_step(float* p, const float* g, float* v, size_t n, const SgdParams& hp) override {
    in_.sgd_step(p, g, v, n, hp);
  }
  void adam_step(float* p, const float* g, float* m, float* v, size_t n,
                 const AdamParams& hp) override {
    in_.adam_step(p, g, m, v, n, hp);
  }

 private:
  Backend& in_;
  std::set<Op> missing_;
};

}  // namespace ridgeline::test
