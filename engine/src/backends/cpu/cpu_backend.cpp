// CPU backend: Eigen (or OpenBLAS) for GEMMs, OpenMP loops with static schedules for
// everything else; reductions (column sums, LayerNorm statistics and parameter gradients)
// run in a fixed order. Every op's result is independent of the thread count except GEMM,
// whose blocking the library fixes per thread count: same threads, same bits.
#include "backends/cpu/cpu_backend.h"

#include <omp.h>

#include <Eigen/Core>
#ifdef RIDGELINE_HAVE_OPENBLAS
#include <cblas.h>
#endif
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "ridgeline/core/errors.h"

namespace ridgeline {
namespace {

using RowMat = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstMap = Eigen::Map<const RowMat, 0, Eigen::OuterStride<>>;
using MutMap = Eigen::Map<RowMat, 0, Eigen::OuterStride<>>;

constexpr long long kParallelMin = 1 << 15;  // below this, threads cost more than they save
constexpr float kInvSqrt2 = 0.70710678118654752f;
constexpr float kInvSqrt2Pi = 0.39894228040143268f;  // 1/√(2π)

template <class Fn>
void parallel_for(long long n, Fn&& fn) {
  if (n >= kParallelMin) {
#pragma omp parallel for schedule(static)
    for (long long i = 0; i < n; ++i) fn(i);
  } else {
    for (long long i = 0; i < n; ++i) fn(i);
  }
}

class CpuBackend final : public Backend {
 public:
  explicit CpuBackend(int threads) : threads_(threads) {
    Eigen::setNbThreads(threads);
#ifdef RIDGELINE_HAVE_OPENBLAS
    openblas_set_num_threads(threads);
#endif
  }

  std::string name() const override { return "cpu"; }
  std::string description() const override {
#ifdef RIDGELINE_HAVE_OPENBLAS
    std::string gemm = OPENBLAS_VERSION;  // " OpenBLAS 0.3.21 "
    gemm = gemm.substr(gemm.find_first_not_of(' '));
    gemm = gemm.substr(0, gemm.find_last_not_of(' ') + 1);
#else
    const std::string gemm = "Eigen " + std::to_string(EIGEN_WORLD_VERSION) + "." +
                             std::to_string(EIGEN_MAJOR_VERSION) + "." +
                             std::to_string(EIGEN_MINOR_VERSION);
#endif
    return "CPU (" + gemm + ", " + std::to_string(threads_) +
           (threads_ == 1 ? " thread)" : " threads)");
  }
  int device_index() const override { return 0; }
  bool supports(Op) const override { return true; }

  float* allocate(size_t n) override { return static_cast<float*>(zeroed(n * sizeof(float))); }
  void release(float* p) override { std::free(p); }
  void upload(float* dst, const float* src, size_t n) override { std::memcpy(dst, src, n * 4); }
  void download(float* dst, const float* src, size_t n) override { std::memcpy(dst, src, n * 4); }
  void copy(float* dst, const float* src, size_t n) override { std::memmove(dst, src, n * 4); }
  void fill(float* dst, float value, size_t n) override { std::fill(dst, dst + n, value); }
  void synchronize() override {}

  int* allocate_int(size_t n) override { return static_cast<int*>(zeroed(n * sizeof(int))); }
  void release_int(int* p) override { std::free(p); }
  void upload_int(int* dst, const int* src, size_t n) override {
    if (n) std::memcpy(dst, src, n * sizeof(int));
  }
  void download_int(int* dst, const int* src, size_t n) override {
    if (n) std::memcpy(dst, src, n * sizeof(int));
  }

  void gemm(Trans ta, Trans tb, int m, int n, int k, float alpha, const float* A, int lda,
            const float* B, int ldb, float beta, float* C, int ldc) override {
    if (m == 0 || n == 0) return;
#ifdef RIDGELINE_HAVE_OPENBLAS
    if (k > 0) {
      cblas_sgemm(CblasRowMajor, ta == Trans::No ? CblasNoTrans : CblasTrans,
                  tb == Trans::No ? CblasNoTrans : CblasTrans, m, n, k, alpha, A, lda, B, ldb, beta,
                  C, ldc);
      return;
    }
#endif
    MutMap c(C, m, n, Eigen::OuterStride<>(ldc));
    ConstMap a(A, ta == Trans::No ? m : k, ta == Trans::No ? k : m, Eigen::OuterStride<>(lda));
    ConstMap b(B, tb == Trans::No ? k : n, tb == Trans::No ? n : k, Eigen::OuterStride<>(ldb));
    auto run = [&](const auto& opa, const auto& opb) {
      if (beta == 0.0f) {
        c.noalias() = alpha * (opa * opb);
      } else {
        if (beta != 1.0f) c *= beta;
        c.noalias() += alpha * (opa * opb);
      }
    };
    if (ta == Trans::No && tb == Trans::No) run(a, b);
    else if (ta == Trans::No) run(a, b.transpose());
    else if (tb == Trans::No) run(a.transpose(), b);
    else run(a.transpose(), b.transpose());
  }

  void gemm_batched(Trans ta, Trans tb, int m, int n, int k, float alpha, const float* A, int lda,
                    long long sA, const float* B, int ldb, long long sB, float beta, float* C,
                    int ldc, long long sC, int batch) override {
    for (int i = 0; i < batch; ++i)
      gemm(ta, tb, m, n, k, alpha, A + i * sA, lda, B + i * sB, ldb, beta, C + i * sC, ldc);
  }

  void add_bias(float* Y, const float* b, int rows, int cols) override {
    parallel_rows(rows, cols, [&](long long r) {
      float* y = Y + r * cols;
      for (int c = 0; c < cols; ++c) y[c] += b[c];
    });
  }

  void scale_columns(float* Y, const float* s, int rows, int cols) override {
    parallel_rows(rows, cols, [&](long long r) {
      float* y = Y + r * cols;
      for (int c = 0; c < cols; ++c) y[c] *= s[c];
    });
  }

  void relu(float* Y, size_t n) override {
    parallel_for(static_cast<long long>(n), [&](long long i) { Y[i] = Y[i] > 0.0f ? Y[i] : 0.0f; });
  }

  void relu_backward(float* dY, const float* Y, size_t n) override {
    // Written as a select that always stores, so it vectorises: the conditional store it
    // replaces ran scalar with a mispredicted branch per element (~3 ms per 512k-element call,
    // 6% of a Hessian-vector product; docs/PERFORMANCE.md, "Curvature").
    parallel_for(static_cast<long long>(n), [&](long long i) {
      dY[i] = Y[i] > 0.0f ? dY[i] : 0.0f;
    });
  }

  void gelu(const float* Z, float* Y, size_t n) override {
    parallel_for(static_cast<long long>(n), [&](long long i) {
      const float z = Z[i];
      Y[i] = 0.5f * z * (1.0f + std::erf(z * kInvSqrt2));
    });
  }

  void gelu_backward(float* dY, const float* Z, size_t n) override {
    parallel_for(static_cast<long long>(n), [&](long long i) {
      const float z = Z[i];
      // d/dz z·Φ(z) = Φ(z) + z·φ(z)
      dY[i] *= 0.5f * (1.0f + std::erf(z * kInvSqrt2)) + z * kInvSqrt2Pi * std::exp(-0.5f * z * z);
    });
  }

  void layernorm(const float* X, const float* gamma, const float* beta, int rows, int cols,
                 float eps, float* Y, float* mean, float* rstd) override {
    // Row statistics in double, two passes (mean, then Σ(x − mean)²): no cancellation.
    parallel_rows(rows, cols, [&](long long r) {
      const float* x = X + r * cols;
      float* y = Y + r * cols;
      double m = 0.0, v = 0.0;
      for (int c = 0; c < cols; ++c) m += x[c];
      m /= cols;
      for (int c = 0; c < cols; ++c) v += (x[c] - m) * (x[c] - m);
      v /= cols;
      const double s = 1.0 / std::sqrt(v + static_cast<double>(eps));
      for (int c = 0; c < cols; ++c)
        y[c] = static_cast<float>((x[c] - m) * s * gamma[c] + beta[c]);
      if (mean) mean[r] = static_cast<float>(m);
      if (rstd) rstd[r] = static_cast<float>(s);
    });
  }

  void layernorm_backward(const float* dY, const float* X, const float* gamma, const float* mean,
                          const float* rstd, int rows, int cols, float* dX, float* dgamma,
                          float* dbeta) override {
    // dgamma/dbeta first (dX may overwrite dY): columns in blocks of 64, rows summed in order
    // in double, so the result does not depend on the thread count.
    if (dgamma || dbeta) {
      const int block = 64;
      const int nblocks = (cols + block - 1) / block;
      auto body = [&](long long bi) {
        const int c0 = static_cast<int>(bi) * block, c1 = std::min(cols, c0 + block);
        double ag[64] = {}, ab[64] = {};
        for (int r = 0; r < rows; ++r) {
          const float* dy = dY + static_cast<long long>(r) * cols;
          const float* x = X + static_cast<long long>(r) * cols;
          const float m = mean[r], s = rstd[r];
          for (int c = c0; c < c1; ++c) {
            ag[c - c0] += static_cast<double>(dy[c]) * ((x[c] - m) * s);
            ab[c - c0] += dy[c];
          }
        }
        for (int c = c0; c < c1; ++c) {
          if (dgamma) dgamma[c] = static_cast<float>(ag[c - c0]);
          if (dbeta) dbeta[c] = static_cast<float>(ab[c - c0]);
        }
      };
      if (static_cast<long long>(rows) * cols >= kParallelMin) {
#pragma omp parallel for schedule(static)
        for (long long bi = 0; bi < nblocks; ++bi) body(bi);
      } else {
        for (long long bi = 0; bi < nblocks; ++bi) body(bi);
      }
    }
    // dX = rstd·(g − mean(g) − x̂·mean(g·x̂)) with g = dY·γ, row by row.
    parallel_rows(rows, cols, [&](long long r) {
      const float* dy = dY + r * cols;
      const float* x = X + r * cols;
      float* dx = dX + r * cols;
      const float m = mean[r], s = rstd[r];
      double s1 = 0.0, s2 = 0.0;
      for (int c = 0; c < cols; ++c) {
        const double g = static_cast<double>(dy[c]) * gamma[c];
        s1 += g;
        s2 += g * ((x[c] - m) * s);
      }
      const double a = s1 / cols, b = s2 / cols;
      for (int c = 0; c < cols; ++c) {
        const double g = static_cast<double>(dy[c]) * gamma[c];
        dx[c] = static_cast<float>(s * (g - a - ((x[c] - m) * s) * b));
      }
    });
  }

  void column_sums(const float* X, int rows, int cols, float beta, float* out) override {
    // Columns in blocks of 64, rows summed in order: deterministic for any thread count.
    const int block = 64;
    const int nblocks = (cols + block - 1) / block;
    auto body = [&](long long bi) {
      int c0 = static_cast<int>(bi) * block, c1 = std::min(cols, c0 + block);
      float acc[64] = {};
      for (int r = 0; r < rows; ++r) {
        const float* x = X + static_cast<long long>(r) * cols;
        for (int c = c0; c < c1; ++c) acc[c - c0] += x[c];
      }
      for (int c = c0; c < c1; ++c) out[c] = (beta == 0.0f ? 0.0f : beta * out[c]) + acc[c - c0];
    };
    if (static_cast<long long>(rows) * cols >= kParallelMin) {
#pragma omp parallel for schedule(static)
      for (long long bi = 0; bi < nblocks; ++bi) body(bi);
    } else {
      for (long long bi = 0; bi < nblocks; ++bi) body(bi);
    }
  }

  void softmax_xent(const float* logits, const float* labels, int rows, int cols,
                    int label_period, float* loss, float* correct, float* grad,
                    float scale) override {
    // Labels are checked before any row is computed: row r < label_period is the first user
    // of labels[r]. A non-integer or out-of-range label would index outside the row.
    if (label_period < 1) throw InputError("softmax_xent: label_period must be >= 1");
    for (int r = 0; r < std::min(rows, label_period); ++r) {
      const float l = labels[r];
      if (!(l >= 0.0f && l < static_cast<float>(cols) && l == std::floor(l)))
        throw InputError("softmax_xent: label " + std::to_string(l) + " of row " +
                         std::to_string(r) + " is not an integer in [0, " +
                         std::to_string(cols) + ")");
    }
    softmax_rows(logits, rows, cols, loss, correct, grad, scale,
                 [&](long long r) { return static_cast<int>(labels[r % label_period]); });
  }

  void softmax_xent_i32(const float* logits, const int* labels, int rows, int cols,
                        int label_period, float* loss, float* correct, float* grad,
                        float scale) override {
    if (label_period < 1) throw InputError("softmax_xent_i32: label_period must be >= 1");
    for (int r = 0; r < std::min(rows, label_period); ++r)
      if (labels[r] < 0 || labels[r] >= cols)
        throw InputError("softmax_xent_i32: label " + std::to_string(labels[r]) + " of row " +
                         std::to_string(r) + " is outside [0, " + std::to_string(cols) + ")");
    softmax_rows(logits, rows, cols, loss, correct, grad, scale,
                 [&](long long r) { return labels[r % label_period]; });
  }

  double dot(const float* x, const float* y, size_t n) override {
    return blocked_sum(n, [&](size_t i) { return static_cast<double>(x[i]) * y[i]; });
  }

  double nrm2(const float* x, size_t n) override {
    return std::sqrt(blocked_sum(n, [&](size_t i) { return static_cast<double>(x[i]) * x[i]; }));
  }

  void lerp(float* out, const float* a, const float* d, float alpha, size_t n) override {
    parallel_for(static_cast<long long>(n), [&](long long i) { out[i] = a[i] + alpha * d[i]; });
  }

  void axpby(float alpha, const float* x, float beta, float* y, size_t n) override {
    parallel_for(static_cast<long long>(n), [&](long long i) { y[i] = alpha * x[i] + beta * y[i]; });
  }

  void sgd_step(float* p, const float* g, float* v, size_t n, const SgdParams& hp) override {
    parallel_for(static_cast<long long>(n), [&](long long i) {
      float gi = g[i] + hp.weight_decay * p[i];
      if (hp.momentum != 0.0f) {
        v[i] = hp.first_step ? gi : hp.momentum * v[i] + gi;
        gi = v[i];
      }
      p[i] -= hp.lr * gi;
    });
  }

  void adam_step(float* p, const float* g, float* m, float* v, size_t n,
                 const AdamParams& hp) override {
    const float bc1 = 1.0f - static_cast<float>(std::pow(hp.beta1, hp.step));
    const float bc2 = 1.0f - static_cast<float>(std::pow(hp.beta2, hp.step));
    const float step_size = hp.lr / bc1;
    const float bc2_sqrt = std::sqrt(bc2);
    parallel_for(static_cast<long long>(n), [&](long long i) {
      float gi = g[i] + hp.weight_decay * p[i];
      m[i] = hp.beta1 * m[i] + (1.0f - hp.beta1) * gi;
      v[i] = hp.beta2 * v[i] + (1.0f - hp.beta2) * gi * gi;
      p[i] -= step_size * m[i] / (std::sqrt(v[i]) / bc2_sqrt + hp.eps);
    });
  }

 private:
  static void* zeroed(size_t bytes) {
    // 64-byte alignment for vector loads; zero-initialised as the interface promises.
    bytes = ((bytes + 63) / 64) * 64;
    void* p = std::aligned_alloc(64, bytes ? bytes : 64);
    if (!p) throw std::bad_alloc();
    std::memset(p, 0, bytes);
    return p;
  }

  // Row-wise softmax cross-entropy; label_of(r) is row r's (checked) label.
  template <class LabelOf>
  void softmax_rows(const float* logits, int rows, int cols, float* loss, float* correct,
                    float* grad, float scale, LabelOf&& label_of) {
    parallel_rows(rows, cols, [&](long long r) {
      const float* z = logits + r * cols;
      const int label = label_of(r);
      int arg = 0;
      float mx = z[0];
      for (int c = 1; c < cols; ++c)
        if (z[c] > mx) {
          mx = z[c];
          arg = c;
        }
      double sum = 0.0;
      for (int c = 0; c < cols; ++c) sum += std::exp(static_cast<double>(z[c] - mx));
      const double lse = mx + std::log(sum);
      loss[r] = static_cast<float>(lse - z[label]);
      correct[r] = arg == label ? 1.0f : 0.0f;
      if (grad) {
        float* g = grad + r * cols;
        for (int c = 0; c < cols; ++c) {
          double p = std::exp(static_cast<double>(z[c]) - lse);
          g[c] = static_cast<float>(scale * (p - (c == label ? 1.0 : 0.0)));
        }
      }
    });
  }

  // Σ term(i) in double over fixed blocks of 4096, the block sums added in order: the same
  // bits for any thread count.
  template <class Term>
  static double blocked_sum(size_t n, Term&& term) {
    constexpr size_t kBlock = 4096;
    const long long nblocks = static_cast<long long>((n + kBlock - 1) / kBlock);
    std::vector<double> partial(static_cast<size_t>(nblocks), 0.0);
    auto body = [&](long long b) {
      const size_t i0 = static_cast<size_t>(b) * kBlock, i1 = std::min(n, i0 + kBlock);
      double s = 0.0;
      for (size_t i = i0; i < i1; ++i) s += term(i);
      partial[static_cast<size_t>(b)] = s;
    };
    if (static_cast<long long>(n) >= kParallelMin) {
#pragma omp parallel for schedule(static)
      for (long long b = 0; b < nblocks; ++b) body(b);
    } else {
      for (long long b = 0; b < nblocks; ++b) body(b);
    }
    double total = 0.0;
    for (double p : partial) total += p;
    return total;
  }

  template <class Fn>
  void parallel_rows(int rows, int cols, Fn&& fn) {
    if (static_cast<long long>(rows) * cols >= kParallelMin) {
#pragma omp parallel for schedule(static)
      for (long long r = 0; r < rows; ++r) fn(r);
    } else {
      for (long long r = 0; r < rows; ++r) fn(r);
    }
  }

  int threads_;
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(int threads) {
  return std::make_unique<CpuBackend>(threads > 0 ? threads : omp_get_max_threads());
}

BackendFactory cpu_backend_factory() {
  return {"cpu", [] { return std::string(); },
          [](int threads) -> std::unique_ptr<Backend> { return make_cpu_backend(threads); },
          BackendRole::Host};
}

}  // namespace ridgeline
