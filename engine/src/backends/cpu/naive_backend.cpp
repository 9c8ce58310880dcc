// The naive CPU reference backend: each op written as its definition in backend.h, one loop
// per formula, float64 accumulation, results rounded to float once at the end.
#include "backends/cpu/naive_backend.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "ridgeline/core/errors.h"

namespace ridgeline {
namespace {

class NaiveBackend final : public Backend {
 public:
  std::string name() const override { return "reference"; }
  std::string description() const override {
    return "CPU reference (naive loops, float64 accumulation, 1 thread)";
  }
  int device_index() const override { return 0; }
  bool supports(Op) const override { return true; }

  float* allocate(size_t n) override { return static_cast<float*>(zeroed(n, sizeof(float))); }
  void release(float* p) override { std::free(p); }
  void upload(float* dst, const float* src, size_t n) override { move(dst, src, n); }
  void download(float* dst, const float* src, size_t n) override { move(dst, src, n); }
  void copy(float* dst, const float* src, size_t n) override { move(dst, src, n); }
  void fill(float* dst, float value, size_t n) override {
    for (size_t i = 0; i < n; ++i) dst[i] = value;
  }
  void synchronize() override {}

  int* allocate_int(size_t n) override { return static_cast<int*>(zeroed(n, sizeof(int))); }
  void release_int(int* p) override { std::free(p); }
  void upload_int(int* dst, const int* src, size_t n) override { move(dst, src, n); }
  void download_int(int* dst, const int* src, size_t n) override { move(dst, src, n); }

  void gemm(Trans ta, Trans tb, int m, int n, int k, float alpha, const float* A, int lda,
            const float* B, int ldb, float beta, float* C, int ldc) override {
    for (int i = 0; i < m; ++i)
      for (int j = 0; j < n; ++j) {
        double acc = 0.0;
        for (int p = 0; p < k; ++p) {
          const float a = ta == Trans::No ? A[size_t(i) * lda + p] : A[size_t(p) * lda + i];
          const float b = tb == Trans::No ? B[size_t(p) * ldb + j] : B[size_t(j) * ldb + p];
          acc += double(a) * double(b);
        }
        float& c = C[size_t(i) * ldc + j];
        // beta = 0 does not read C (BLAS convention).
        c = float(double(alpha) * acc + (beta == 0.0f ? 0.0 : double(beta) * double(c)));
      }
  }

  void gemm_batched(Trans ta, Trans tb, int m, int n, int k, float alpha, const float* A, int lda,
                    long long sA, const float* B, int ldb, long long sB, float beta, float* C,
                    int ldc, long long sC, int batch) override {
    for (int i = 0; i < batch; ++i)
      gemm(ta, tb, m, n, k, alpha, A + i * sA, lda, B + i * sB, ldb, beta, C + i * sC, ldc);
  }

  void add_bias(float* Y, const float* b, int rows, int cols) override {
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < cols; ++c) Y[size_t(r) * cols + c] += b[c];
  }

  void scale_columns(float* Y, const float* s, int rows, int cols) override {
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < cols; ++c) Y[size_t(r) * cols + c] *= s[c];
  }

  void relu(float* Y, size_t n) override {
    for (size_t i = 0; i < n; ++i) Y[i] = Y[i] > 0.0f ? Y[i] : 0.0f;
  }
  void relu_backward(float* dY, const float* Y, size_t n) override {
    for (size_t i = 0; i < n; ++i)
      if (!(Y[i] > 0.0f)) dY[i] = 0.0f;
  }

  // gelu(z) = z·Φ(z), Φ(z) = (1 + erf(z/√2))/2; gelu'(z) = Φ(z) + z·φ(z).
  static double phi_cdf(double z) { return 0.5 * (1.0 + std::erf(z / std::sqrt(2.0))); }
  void gelu(const float* Z, float* Y, size_t n) override {
    for (size_t i = 0; i < n; ++i) Y[i] = float(double(Z[i]) * phi_cdf(Z[i]));
  }
  void gelu_backward(float* dY, const float* Z, size_t n) override {
    const double inv_sqrt_2pi = 1.0 / std::sqrt(2.0 * M_PI);
    for (size_t i = 0; i < n; ++i) {
      const double z = Z[i];
      dY[i] = float(dY[i] * (phi_cdf(z) + z * inv_sqrt_2pi * std::exp(-0.5 * z * z)));
    }
  }

  void layernorm(const float* X, const float* gamma, const float* beta, int rows, int cols,
                 float eps, float* Y, float* mean, float* rstd) override {
    for (int r = 0; r < rows; ++r) {
      const float* x = X + size_t(r) * cols;
      double m = 0.0, v = 0.0;
      for (int c = 0; c < cols; ++c) m += x[c];
      m /= cols;
      for (int c = 0; c < cols; ++c) v += (x[c] - m) * (x[c] - m);
      v /= cols;
      const double s = 1.0 / std::sqrt(v + double(eps));
      if (mean) mean[r] = float(m);
      if (rstd) rstd[r] = float(s);
      float* y = Y + size_t(r) * cols;  // may alias x: each element is read before written
      for (int c = 0; c < cols; ++c) y[c] = float((x[c] - m) * s * gamma[c] + beta[c]);
    }
  }

  void layernorm_backward(const float* dY, const float* X, const float* gamma, const float* mean,
                          const float* rstd, int rows, int cols, float* dX, float* dgamma,
                          float* dbeta) override {
    // Parameter gradients first: dX may overwrite dY.
    for (int c = 0; c < cols; ++c) {
      double g = 0.0, b = 0.0;
      for (int r = 0; r < rows; ++r) {
        const size_t i = size_t(r) * cols + c;
        g += double(dY[i]) * ((double(X[i]) - mean[r]) * rstd[r]);
        b += dY[i];
      }
      if (dgamma) dgamma[c] = float(g);
      if (dbeta) dbeta[c] = float(b);
    }
    // dX = rstd·(g − mean(g) − x̂·mean(g·x̂)), g = dY·γ.
    for (int r = 0; r < rows; ++r) {
      const float* dy = dY + size_t(r) * cols;
      const float* x = X + size_t(r) * cols;
      const double m = mean[r], s = rstd[r];
      double s1 = 0.0, s2 = 0.0;
      for (int c = 0; c < cols; ++c) {
        const double g = double(dy[c]) * gamma[c];
        s1 += g;
        s2 += g * ((x[c] - m) * s);
      }
      const double a = s1 / cols, b = s2 / cols;
      float* dx = dX + size_t(r) * cols;
      for (int c = 0; c < cols; ++c) {
        const double g = double(dy[c]) * gamma[c];
        dx[c] = float(s * (g - a - ((x[c] - m) * s) * b));
      }
    }
  }

  void column_sums(const float* X, int rows, int cols, float beta, float* out) override {
    for (int c = 0; c < cols; ++c) {
      double acc = 0.0;
      for (int r = 0; r < rows; ++r) acc += X[size_t(r) * cols + c];
      out[c] = float((beta == 0.0f ? 0.0 : double(beta) * out[c]) + acc);
    }
  }

  void softmax_xent(const float* logits, const float* labels, int rows, int cols,
                    int label_period, float* loss, float* correct, float* grad,
                    float scale) override {
    if (label_period < 1) throw InputError("softmax_xent: label_period must be >= 1");
    for (int r = 0; r < rows; ++r) {
      const float l = labels[r % label_period];
      if (!(l >= 0.0f && l < float(cols) && l == std::floor(l)))
        throw InputError("softmax_xent: label " + std::to_string(l) + " of row " +
                         std::to_string(r) + " is not an integer in [0, " +
                         std::to_string(cols) + ")");
    }
    for (int r = 0; r < rows; ++r)
      softmax_row(logits, r, cols, int(labels[r % label_period]), loss, correct, grad, scale);
  }

  void softmax_xent_i32(const float* logits, const int* labels, int rows, int cols,
                        int label_period, float* loss, float* correct, float* grad,
                        float scale) override {
    if (label_period < 1) throw InputError("softmax_xent_i32: label_period must be >= 1");
    for (int r = 0; r < rows; ++r) {
      const int l = labels[r % label_period];
      if (l < 0 || l >= cols)
        throw InputError("softmax_xent_i32: label " + std::to_string(l) + " of row " +
                         std::to_string(r) + " is outside [0, " + std::to_string(cols) + ")");
    }
    for (int r = 0; r < rows; ++r)
      softmax_row(logits, r, cols, labels[r % label_period], loss, correct, grad, scale);
  }

  void lerp(float* out, const float* a, const float* d, float alpha, size_t n) override {
    for (size_t i = 0; i < n; ++i) out[i] = float(double(a[i]) + double(alpha) * d[i]);
  }

  void axpby(float alpha, const float* x, float beta, float* y, size_t n) override {
    for (size_t i = 0; i < n; ++i)
      y[i] = float(double(alpha) * x[i] + (beta == 0.0f ? 0.0 : double(beta) * y[i]));
  }

  double dot(const float* x, const float* y, size_t n) override {
    double acc = 0.0;
    for (size_t i = 0; i < n; ++i) acc += double(x[i]) * double(y[i]);
    return acc;
  }

  double nrm2(const float* x, size_t n) override { return std::sqrt(dot(x, x, n)); }

  void sgd_step(float* p, const float* g, float* v, size_t n, const SgdParams& hp) override {
    for (size_t i = 0; i < n; ++i) {
      double gi = double(g[i]) + double(hp.weight_decay) * p[i];
      if (hp.momentum != 0.0f) {
        v[i] = float(hp.first_step ? gi : double(hp.momentum) * v[i] + gi);
        gi = v[i];
      }
      p[i] = float(p[i] - double(hp.lr) * gi);
    }
  }

  void adam_step(float* p, const float* g, float* m, float* v, size_t n,
                 const AdamParams& hp) override {
    const double bc1 = 1.0 - std::pow(double(hp.beta1), double(hp.step));
    const double bc2 = 1.0 - std::pow(double(hp.beta2), double(hp.step));
    for (size_t i = 0; i < n; ++i) {
      const double gi = double(g[i]) + double(hp.weight_decay) * p[i];
      m[i] = float(hp.beta1 * double(m[i]) + (1.0 - hp.beta1) * gi);
      v[i] = float(hp.beta2 * double(v[i]) + (1.0 - hp.beta2) * gi * gi);
      // p −= lr·m̂/(√v̂ + eps) with m̂ = m/bc1, v̂ = v/bc2 (torch.optim.Adam).
      p[i] = float(p[i] - double(hp.lr) * (m[i] / bc1) /
                              (std::sqrt(double(v[i]) / bc2) + double(hp.eps)));
    }
  }

 private:
  static void* zeroed(size_t n, size_t size) {
    void* p = std::calloc(n ? n : 1, size);
    if (!p) throw std::bad_alloc();
    return p;
  }
  template <class T>
  static void move(T* dst, const T* src, size_t n) {
    if (n) std::memmove(dst, src, n * sizeof(T));
  }

  // One row of softmax cross-entropy with a checked label; loss and correct may be null.
  static void softmax_row(const float* logits, int r, int cols, int label, float* loss,
                          float* correct, float* grad, float scale) {
    const float* z = logits + size_t(r) * cols;
    int arg = 0;
    for (int c = 1; c < cols; ++c)
      if (z[c] > z[arg]) arg = c;  // first index on ties
    const double mx = z[arg];
    double sum = 0.0;
    for (int c = 0; c < cols; ++c) sum += std::exp(double(z[c]) - mx);
    const double lse = mx + std::log(sum);
    if (loss) loss[r] = float(lse - z[label]);
    if (correct) correct[r] = arg == label ? 1.0f : 0.0f;
    if (grad)
      for (int c = 0; c < cols; ++c)
        grad[size_t(r) * cols + c] =
            float(double(scale) * (std::exp(double(z[c]) - lse) - (c == label ? 1.0 : 0.0)));
  }
};

}  // namespace

std::unique_ptr<Backend> make_reference_backend() { return std::make_unique<NaiveBackend>(); }

BackendFactory reference_backend_factory() {
  return {"reference", [] { return std::string(); },
          [](int) -> std::unique_ptr<Backend> { return make_reference_backend(); },
          BackendRole::Reference};
}

}  // namespace ridgeline
