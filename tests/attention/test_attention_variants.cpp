// Every registered attention variant against its paper's formula, written out again here
// independently in float64: the O(N) forward equals the materialised map applied to V (float
// and double, causal and not), the map equals the formula, backward equals central finite
// differences (inputs and learned parameters), causal rows never see later tokens, normalised
// rows sum to one, a linear map's rank stays within its feature width, InLine's toy, and
// Performer's random-feature estimate converging to the softmax kernel as m grows.
#include <Eigen/Dense>
#include <QtTest>
#include <cmath>
#include <functional>
#include <map>
#include <numbers>
#include <random>

#include "ridgeline/attention/attention.h"
#include "ridgeline/core/errors.h"

using namespace ridgeline;
using namespace ridgeline::attention;

namespace {

MatrixD gaussian(int rows, int cols, uint64_t seed, double offset = 0.0, double sd = 1.0) {
  std::mt19937_64 g(seed);
  std::normal_distribution<double> n(offset, sd);
  MatrixD m(rows, cols);
  for (auto& x : m.data) x = n(g);
  return m;
}

MatrixF to_float(const MatrixD& m) {
  MatrixF f(m.rows, m.cols);
  for (size_t i = 0; i < m.data.size(); ++i) f.data[i] = static_cast<float>(m.data[i]);
  return f;
}

template <class T>
double max_abs(const HeadMatrix<T>& m) {
  double s = 0;
  for (auto x : m.data) s = std::max(s, std::abs(static_cast<double>(x)));
  return s;
}

template <class A, class B>
double max_diff(const HeadMatrix<A>& a, const HeadMatrix<B>& b) {
  if (a.rows != b.rows || a.cols != b.cols) return INFINITY;
  double s = 0;
  for (size_t i = 0; i < a.data.size(); ++i)
    s = std::max(s, std::abs(static_cast<double>(a.data[i]) - static_cast<double>(b.data[i])));
  return s;
}

// post(A·V) in double; post = RMSNorm for variants with an output norm.
template <class T>
MatrixD apply_map(const HeadMatrix<T>& A, const HeadMatrix<T>& V, const AttentionVariant& v) {
  MatrixD o(A.rows, V.cols);
  for (int i = 0; i < A.rows; ++i)
    for (int j = 0; j < A.cols; ++j)
      for (int c = 0; c < V.cols; ++c) o(i, c) += static_cast<double>(A(i, j)) * V(j, c);
  if (v.output_norm() == OutputNorm::Rms)
    for (int i = 0; i < o.rows; ++i) {
      double ms = 0;
      for (int c = 0; c < o.cols; ++c) ms += o(i, c) * o(i, c);
      const double inv = 1 / std::sqrt(ms / o.cols + v.output_norm_eps());
      for (int c = 0; c < o.cols; ++c) o(i, c) *= inv;
    }
  return o;
}

// ---- The papers' formulas, written directly (docs/USER_GUIDE.md, "Attention variants") ----

using RowMap = std::function<std::vector<double>(const double* x, int i, int n, bool query)>;

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t k = 0; k < a.size(); ++k) s += a[k] * b[k];
  return s;
}

// A normalised kernel map a_ij = κ_ij / den(Σ_s κ_is) over the visible keys.
MatrixD kernel_map(const MatrixD& Q, const MatrixD& K, bool causal,
                   const std::function<double(int i, int j)>& kappa,
                   const std::function<double(double sum, int n)>& den) {
  const int N = Q.rows;
  MatrixD A(N, N);
  for (int i = 0; i < N; ++i) {
    const int n = causal ? i + 1 : N;
    double sum = 0;
    for (int j = 0; j < n; ++j) sum += kappa(i, j);
    for (int j = 0; j < n; ++j) A(i, j) = kappa(i, j) / den(sum, n);
  }
  return A;
}

MatrixD feature_kernel_map(const MatrixD& Q, const MatrixD& K, bool causal, const RowMap& phi,
                           const std::function<double(double sum, int n)>& den) {
  const int N = Q.rows;
  std::vector<std::vector<double>> fq(N), fk(N);
  for (int i = 0; i < N; ++i) {
    fq[i] = phi(Q.row(i), i, N, true);
    fk[i] = phi(K.row(i), i, N, false);
  }
  return kernel_map(
      Q, K, causal, [&](int i, int j) { return dot(fq[i], fk[j]); }, den);
}

MatrixD reference_map(const AttentionVariant& v, const MatrixD& Q, const MatrixD& K, bool causal,
                      const VariantOptions& opt) {
  const std::string name = v.name();
  const int d = Q.cols;
  auto sum_eps = [](double eps) { return [eps](double s, int) { return s + eps; }; };
  auto qk = [&](int i, int j) {
    double s = 0;
    for (int c = 0; c < d; ++c) s += Q(i, c) * K(j, c);
    return s;
  };
  if (name == "softmax") {
    // Max-free on purpose: the test inputs are small.
    return kernel_map(
        Q, K, causal, [&](int i, int j) { return std::exp(qk(i, j) / std::sqrt(d)); }, sum_eps(0));
  }
  if (name == "linear_elu" || name == "linear_relu") {
    const bool elu = name == "linear_elu";
    return feature_kernel_map(
        Q, K, causal,
        [&](const double* x, int, int, bool) {
          std::vector<double> f(d);
          for (int c = 0; c < d; ++c)
            f[c] = elu ? (x[c] > 0 ? x[c] + 1 : std::exp(x[c])) : std::max(x[c], 0.0);
          return f;
        },
        sum_eps(1e-6));
  }
  if (name == "cosformer") {
    // cosFormer eq. 10: relu(q_i)·relu(k_j)·cos(π(i − j)/2M), M = N; clamp_min(1e-6).
    const int N = Q.rows;
    return kernel_map(
        Q, K, causal,
        [&](int i, int j) {
          double s = 0;
          for (int c = 0; c < d; ++c) s += std::max(Q(i, c), 0.0) * std::max(K(j, c), 0.0);
          return s * std::cos(std::numbers::pi * (i - j) / (2.0 * N));
        },
        [](double s, int) { return std::max(s, 1e-6); });
  }
  if (name == "performer") {
    const int m = v.feature_dim();
    const auto omega = gaussian_orthogonal_features(m, d, opt.seed);
    return feature_kernel_map(
        Q, K, causal,
        [&](const double* x, int, int, bool query) {
          std::vector<double> u(m), f(m);
          double h = 0;
          for (int c = 0; c < d; ++c) h += x[c] * x[c] / std::sqrt(d) / 2;
          for (int r = 0; r < m; ++r) {
            u[r] = 0;
            for (int c = 0; c < d; ++c) u[r] += omega[r * d + c] * x[c] * std::pow(d, -0.25);
          }
          const double mx = query ? *std::max_element(u.begin(), u.end()) : 0.0;
          for (int r = 0; r < m; ++r) f[r] = (std::exp(u[r] - h - mx) + 1e-4) / std::sqrt(m);
          return f;
        },
        sum_eps(0));
  }
  if (name == "transnormer") {
    auto elu = [](double x) { return x > 0 ? x : std::exp(x) - 1; };
    return kernel_map(
        Q, K, causal,
        [&](int i, int j) {
          double s = 0;
          for (int c = 0; c < d; ++c) s += elu(Q(i, c)) * elu(K(j, c));
          return s;
        },
        [](double, int) { return 1.0; });
  }
  if (name == "inline") {
    // InLine eq. 5 with the code's d^−1/2/n factor: (s/n)(q·k_j − mean_s q·k_s) + 1/n.
    const int N = Q.rows;
    MatrixD A(N, N);
    for (int i = 0; i < N; ++i) {
      const int n = causal ? i + 1 : N;
      double mean = 0;
      for (int j = 0; j < n; ++j) mean += qk(i, j) / n;
      for (int j = 0; j < n; ++j) A(i, j) = (1 / std::sqrt(d) / n) * (qk(i, j) - mean) + 1.0 / n;
    }
    return A;
  }
  if (name == "flatten") {
    const auto& theta = v.params();
    return feature_kernel_map(
        Q, K, causal,
        [&](const double* x, int, int, bool) {
          std::vector<double> y(d), f(d);
          double ny = 0, nf = 0;
          for (int c = 0; c < d; ++c) {
            y[c] = (std::max(x[c], 0.0) + 1e-6) / std::log(1 + std::exp(theta[c]));
            f[c] = y[c] * y[c] * y[c];
            ny += y[c] * y[c];
            nf += f[c] * f[c];
          }
          for (int c = 0; c < d; ++c) f[c] *= std::sqrt(ny) / std::sqrt(nf);
          return f;
        },
        [](double s, int n) { return n * (s / n + 1e-6); });  // Z = 1/(q·mean k + 1e-6), then /n
  }
  if (name == "hedgehog") {
    const auto& W = v.params();
    const int f = static_cast<int>(W.size()) / d;
    return feature_kernel_map(
        Q, K, causal,
        [&](const double* x, int, int, bool) {
          std::vector<double> phi(2 * f);
          double s1 = 0, s2 = 0;
          for (int e = 0; e < f; ++e) {
            double u = 0;
            for (int c = 0; c < d; ++c) u += x[c] * W[c * f + e];
            phi[e] = std::exp(u);
            phi[f + e] = std::exp(-u);
            s1 += phi[e];
            s2 += phi[f + e];
          }
          for (int e = 0; e < f; ++e) {
            phi[e] /= s1;
            phi[f + e] /= s2;
          }
          return phi;
        },
        sum_eps(1e-12));
  }
  return {};
}

// A variant with non-trivial learned parameters (the defaults are symmetric: zeros, identity).
std::unique_ptr<AttentionVariant> make_test_variant(const std::string& name, int d,
                                                    VariantOptions opt = {}) {
  if (name == "performer" && opt.features == 0) opt.features = 24;
  auto v = make_variant(name, d, opt);
  if (!v->params().empty()) {
    std::mt19937_64 g(99);
    std::normal_distribution<double> n(0.0, 0.5);
    auto p = v->params();
    for (auto& x : p) x += n(g);
    v->set_params(p);
  }
  return v;
}

VariantOptions test_options(const std::string& name) {
  VariantOptions o;
  if (name == "performer") {
    o.features = 24;
    o.seed = 7;
  }
  return o;
}

// What forward_keeping keeps gives backward_kept the same output and gradients as forward
// and backward (gf: the float gradients backward gave): the same operations, not redone (to
// float rounding: Eigen's small products may sum in another order when their operands sit at
// other addresses; 1 ulp seen). The causal linear variants keep a state, the others none.
void check_kept_state(const AttentionVariant& v, const MatrixD& Q, const MatrixD& K,
                      const MatrixD& V, const MatrixD& dO, bool causal,
                      const AttentionGrads<float>& gf, const std::string& name) {
  std::unique_ptr<ForwardState> kept;
  const MatrixF of = v.forward_keeping(to_float(Q), to_float(K), to_float(V), causal, kept);
  QVERIFY2(of.data == v.forward(to_float(Q), to_float(K), to_float(V), causal).data, name.c_str());
  QCOMPARE(kept != nullptr, causal && v.is_linear());
  const auto gk = v.backward_kept(to_float(Q), to_float(K), to_float(V), causal, to_float(dO),
                                  kept.get());
  QVERIFY2(max_diff(gk.dQ, gf.dQ) <= 1e-6 * std::max(1.0, max_abs(gf.dQ)), name.c_str());
  QVERIFY2(max_diff(gk.dK, gf.dK) <= 1e-6 * std::max(1.0, max_abs(gf.dK)), name.c_str());
  QVERIFY2(max_diff(gk.dV, gf.dV) <= 1e-6 * std::max(1.0, max_abs(gf.dV)), name.c_str());
  QCOMPARE(gk.dparams.size(), gf.dparams.size());
  for (size_t k = 0; k < gk.dparams.size(); ++k)
    QVERIFY2(std::abs(gk.dparams[k] - gf.dparams[k]) <= 1e-6 * std::max(1.0, std::abs(gf.dparams[k])),
             name.c_str());
}

}  // namespace

class TestAttentionVariants : public QObject {
  Q_OBJECT
 private slots:
  void registryHasThePapersVariants() {
    const auto names = variant_names();
    for (const char* required : {"softmax", "linear_elu", "linear_relu", "cosformer", "performer"})
      QVERIFY2(std::find(names.begin(), names.end(), required) != names.end(), required);
    for (const auto& n : names) {
      auto v = make_variant(n, 8, test_options(n));
      QCOMPARE(QString::fromStdString(v->name()), QString::fromStdString(n));
      QVERIFY(!v->description().empty());
      // Every registered variant has a reference formula here.
      QVERIFY2(
          reference_map(*v, gaussian(3, 8, 1), gaussian(3, 8, 2), false, test_options(n)).rows == 3,
          n.c_str());
    }
  }

  void unknownNameAndBadOptionsAreOneLineInputErrors() {
    try {
      make_variant("softmaxx", 8);
      QFAIL("no error");
    } catch (const InputError& e) {
      const std::string what = e.what();
      QVERIFY(what.find("softmaxx") != std::string::npos);
      QVERIFY(what.find("softmax, linear_elu") != std::string::npos);
      QVERIFY(what.find('\n') == std::string::npos);
    }
    QVERIFY_THROWS_EXCEPTION(InputError,
                             make_variant("linear_elu", 8, VariantOptions{.features = 4}));
    QVERIFY_THROWS_EXCEPTION(InputError, make_variant("softmax", 8, VariantOptions{.eps = 0.1}));
    QVERIFY_THROWS_EXCEPTION(InputError, make_variant("softmax", 0));
    auto v = make_variant("softmax", 4);
    QVERIFY_THROWS_EXCEPTION(
        InputError, v->forward(gaussian(5, 3, 1), gaussian(5, 3, 2), gaussian(5, 2, 3), false));
    QVERIFY_THROWS_EXCEPTION(
        InputError, v->forward(gaussian(5, 4, 1), gaussian(6, 4, 2), gaussian(5, 2, 3), false));
    QVERIFY_THROWS_EXCEPTION(InputError, v->set_params({1.0}));
  }

  // (1) The O(N) forward equals post(map·V), in double and in float.
  void forwardEqualsMaterialisedMap() {
    for (const auto& name : variant_names())
      for (bool causal : {false, true}) {
        auto v = make_test_variant(name, 8, test_options(name));
        // 150 rows: more than two of the causal forward's 64-row chunks, and a partial one.
        const MatrixD Q = gaussian(150, 8, 1), K = gaussian(150, 8, 2), V = gaussian(150, 5, 3);
        const MatrixD o = v->forward(Q, K, V, causal);
        const MatrixD ref = apply_map(v->materialise(Q, K, causal), V, *v);
        // float64: both orders of the same sums; rounding only.
        QVERIFY2(max_diff(o, ref) <= 1e-11 * std::max(1.0, max_abs(ref)), name.c_str());
        // float32: 150 terms of size ~1 per entry, each rounded at 2^-24 relative; 1e-4 of the
        // largest entry leaves room for the denominators' cancellation in InLine's mean.
        const MatrixF of = v->forward(to_float(Q), to_float(K), to_float(V), causal);
        const MatrixD reff =
            apply_map(v->materialise(to_float(Q), to_float(K), causal), to_float(V), *v);
        QVERIFY2(max_diff(of, reff) <= 1e-4 * std::max(1.0, max_abs(reff)), name.c_str());
        QVERIFY2(max_diff(of, o) <= 1e-4 * std::max(1.0, max_abs(o)), name.c_str());
      }
  }

  // (2) The materialised map equals the paper's formula evaluated directly in double.
  void mapMatchesPaperFormula() {
    for (const auto& name : variant_names())
      for (bool causal : {false, true}) {
        const auto opt = test_options(name);
        auto v = make_test_variant(name, 8, opt);
        const MatrixD Q = gaussian(23, 8, 11, 0.2), K = gaussian(23, 8, 12, 0.2);
        const MatrixD A = v->materialise(Q, K, causal);
        const MatrixD R = reference_map(*v, Q, K, causal, opt);
        QVERIFY2(max_diff(A, R) <= 1e-12 * std::max(1.0, max_abs(R)), name.c_str());
        if (causal)
          for (int i = 0; i < A.rows; ++i)
            for (int j = i + 1; j < A.cols; ++j) QCOMPARE(A(i, j), 0.0);
      }
  }

  // (3) backward equals central finite differences of L = Σ dO ⊙ forward, in double:
  // h = 1e-6 gives a truncation error ~h²·f''' ≈ 1e-12 and a rounding error ~1e-16/h ≈ 1e-10.
  void backwardMatchesFiniteDifferences() {
    for (const auto& name : variant_names())
      for (bool causal : {false, true}) {
        auto v = make_test_variant(name, 4, test_options(name));
        MatrixD Q = gaussian(7, 4, 21), K = gaussian(7, 4, 22), V = gaussian(7, 3, 23);
        const MatrixD dO = gaussian(7, 3, 24);
        const auto g = v->backward(Q, K, V, causal, dO);
        auto loss = [&] {
          const MatrixD o = v->forward(Q, K, V, causal);
          double s = 0;
          for (size_t k = 0; k < o.data.size(); ++k) s += o.data[k] * dO.data[k];
          return s;
        };
        const double h = 1e-6;
        auto check = [&](std::vector<double>& x, const std::vector<double>& analytic,
                         const char* what) {
          QCOMPARE(analytic.size(), x.size());
          for (size_t k = 0; k < x.size(); ++k) {
            const double keep = x[k];
            x[k] = keep + h;
            const double up = loss();
            x[k] = keep - h;
            const double down = loss();
            x[k] = keep;
            const double fd = (up - down) / (2 * h);
            const bool ok = std::abs(fd - analytic[k]) <= 1e-6 * std::max(1.0, std::abs(fd));
            if (!ok)
              qWarning("%s causal=%d %s[%zu]: fd %.10g analytic %.10g", name.c_str(), causal, what,
                       k, fd, analytic[k]);
            QVERIFY(ok);
          }
        };
        check(Q.data, g.dQ.data, "dQ");
        check(K.data, g.dK.data, "dK");
        check(V.data, g.dV.data, "dV");
        std::vector<double> p = v->params();
        std::vector<double> probe = p;
        // Parameters: perturb through set_params.
        for (size_t k = 0; k < p.size(); ++k) {
          probe[k] = p[k] + h;
          v->set_params(probe);
          const double up = loss();
          probe[k] = p[k] - h;
          v->set_params(probe);
          const double down = loss();
          probe[k] = p[k];
          v->set_params(probe);
          const double fd = (up - down) / (2 * h);
          QVERIFY2(std::abs(fd - g.dparams[k]) <= 1e-6 * std::max(1.0, std::abs(fd)), name.c_str());
        }
        QCOMPARE(g.dparams.size(), p.size());
        // The float path computes the same gradients to float accuracy.
        const auto gf = v->backward(to_float(Q), to_float(K), to_float(V), causal, to_float(dO));
        QVERIFY2(max_diff(gf.dQ, g.dQ) <= 1e-4 * std::max(1.0, max_abs(g.dQ)), name.c_str());
        QVERIFY2(max_diff(gf.dK, g.dK) <= 1e-4 * std::max(1.0, max_abs(g.dK)), name.c_str());
        QVERIFY2(max_diff(gf.dV, g.dV) <= 1e-4 * std::max(1.0, max_abs(g.dV)), name.c_str());
        check_kept_state(*v, Q, K, V, dO, causal, gf, name);
      }
  }

  // (3) The same over several 64-row chunks of the chunked backward (200 rows: chunks at 0, 64,
  // 128 and a partial one at 192), checked at rows on both sides of each chunk boundary: the
  // intra-chunk masked GEMMs, the state S, z carried forward and its gradient carried back.
  void backwardAcrossChunksMatchesFiniteDifferences() {
    const int N = 200;
    const std::vector<int> rows = {0, 1, 63, 64, 65, 127, 128, 150, 191, 192, 199};
    for (const auto& name : variant_names())
      for (bool causal : {false, true}) {
        auto v = make_test_variant(name, 4, test_options(name));
        MatrixD Q = gaussian(N, 4, 41), K = gaussian(N, 4, 42), V = gaussian(N, 3, 43);
        const MatrixD dO = gaussian(N, 3, 44);
        const auto g = v->backward(Q, K, V, causal, dO);
        auto loss = [&] {
          const MatrixD o = v->forward(Q, K, V, causal);
          double s = 0;
          for (size_t k = 0; k < o.data.size(); ++k) s += o.data[k] * dO.data[k];
          return s;
        };
        const double h = 1e-6;
        auto fd_at = [&](double& x) {
          const double keep = x;
          x = keep + h;
          const double up = loss();
          x = keep - h;
          const double down = loss();
          x = keep;
          return (up - down) / (2 * h);
        };
        auto check = [&](MatrixD& X, const MatrixD& analytic, const char* what) {
          for (int i : rows)
            for (int c = 0; c < X.cols; ++c) {
              const double fd = fd_at(X(i, c));
              const bool ok = std::abs(fd - analytic(i, c)) <= 1e-6 * std::max(1.0, std::abs(fd));
              if (!ok)
                qWarning("%s causal=%d %s(%d,%d): fd %.10g analytic %.10g", name.c_str(), causal,
                         what, i, c, fd, analytic(i, c));
              QVERIFY(ok);
            }
        };
        check(Q, g.dQ, "dQ");
        check(K, g.dK, "dK");
        check(V, g.dV, "dV");
        std::vector<double> p = v->params();
        QCOMPARE(g.dparams.size(), p.size());
        for (size_t k = 0; k < p.size(); ++k) {
          std::vector<double> probe = p;
          probe[k] = p[k] + h;
          v->set_params(probe);
          const double up = loss();
          probe[k] = p[k] - h;
          v->set_params(probe);
          const double down = loss();
          v->set_params(p);
          const double fd = (up - down) / (2 * h);
          QVERIFY2(std::abs(fd - g.dparams[k]) <= 1e-6 * std::max(1.0, std::abs(fd)), name.c_str());
        }
        // float: the same gradients to float accuracy (200 terms per sum).
        const auto gf = v->backward(to_float(Q), to_float(K), to_float(V), causal, to_float(dO));
        QVERIFY2(max_diff(gf.dQ, g.dQ) <= 1e-4 * std::max(1.0, max_abs(g.dQ)), name.c_str());
        QVERIFY2(max_diff(gf.dK, g.dK) <= 1e-4 * std::max(1.0, max_abs(g.dK)), name.c_str());
        QVERIFY2(max_diff(gf.dV, g.dV) <= 1e-4 * std::max(1.0, max_abs(g.dV)), name.c_str());
        check_kept_state(*v, Q, K, V, dO, causal, gf, name);
      }
  }

  // materialise_backward equals central finite differences of L = Σ dA ⊙ A (the gradient a
  // loss on the map needs, e.g. Hedgehog's distillation), in double, h = 1e-6 as above.
  void mapBackwardMatchesFiniteDifferences() {
    for (const auto& name : variant_names())
      for (bool causal : {false, true}) {
        auto v = make_test_variant(name, 4, test_options(name));
        MatrixD Q = gaussian(6, 4, 71), K = gaussian(6, 4, 72);
        const MatrixD dA = gaussian(6, 6, 73);
        const auto g = v->materialise_backward(Q, K, causal, dA);
        QVERIFY(g.dV.data.empty());
        auto loss = [&] {
          const MatrixD A = v->materialise(Q, K, causal);
          double s = 0;
          for (size_t k = 0; k < A.data.size(); ++k) s += A.data[k] * dA.data[k];
          return s;
        };
        const double h = 1e-6;
        auto fd_at = [&](double& x) {
          const double keep = x;
          x = keep + h;
          const double up = loss();
          x = keep - h;
          const double down = loss();
          x = keep;
          return (up - down) / (2 * h);
        };
        for (size_t k = 0; k < Q.data.size(); ++k) {
          const double fq = fd_at(Q.data[k]), fk = fd_at(K.data[k]);
          QVERIFY2(std::abs(fq - g.dQ.data[k]) <= 1e-6 * std::max(1.0, std::abs(fq)), name.c_str());
          QVERIFY2(std::abs(fk - g.dK.data[k]) <= 1e-6 * std::max(1.0, std::abs(fk)), name.c_str());
        }
        std::vector<double> p = v->params();
        QCOMPARE(g.dparams.size(), p.size());
        for (size_t k = 0; k < p.size(); ++k) {
          auto probe = p;
          probe[k] = p[k] + h;
          v->set_params(probe);
          const double up = loss();
          probe[k] = p[k] - h;
          v->set_params(probe);
          const double down = loss();
          v->set_params(p);
          const double fd = (up - down) / (2 * h);
          QVERIFY2(std::abs(fd - g.dparams[k]) <= 1e-6 * std::max(1.0, std::abs(fd)), name.c_str());
        }
        const auto gf = v->materialise_backward(to_float(Q), to_float(K), causal, to_float(dA));
        QVERIFY2(max_diff(gf.dQ, g.dQ) <= 1e-4 * std::max(1.0, max_abs(g.dQ)), name.c_str());
      }
    auto v = make_variant("softmax", 4);
    QVERIFY_THROWS_EXCEPTION(
        InputError,
        v->materialise_backward(gaussian(5, 4, 1), gaussian(5, 4, 2), false, gaussian(5, 4, 3)));
  }

  // Large inputs (entries of standard deviation 10: softmax scores of ±300, Performer
  // exponents far below the float range) give finite outputs, maps and gradients in float.
  void largeInputsStayFinite() {
    auto finite = [](const MatrixF& m) {
      for (float x : m.data)
        if (!std::isfinite(x)) return false;
      return true;
    };
    for (const auto& name : variant_names())
      for (bool causal : {false, true}) {
        auto v = make_variant(name, 16, test_options(name));
        const MatrixF Q = to_float(gaussian(80, 16, 81, 0, 10)),
                      K = to_float(gaussian(80, 16, 82, 0, 10)), V = to_float(gaussian(80, 4, 83)),
                      dO = to_float(gaussian(80, 4, 84));
        QVERIFY2(finite(v->forward(Q, K, V, causal)), name.c_str());
        QVERIFY2(finite(v->materialise(Q, K, causal)), name.c_str());
        const auto g = v->backward(Q, K, V, causal, dO);
        QVERIFY2(finite(g.dQ) && finite(g.dK) && finite(g.dV), name.c_str());
        for (double p : g.dparams) QVERIFY2(std::isfinite(p), name.c_str());
      }
  }

  // (4) Causal: row i of the output depends on no token j > i (all of Q, K, V changed there).
  void causalRowsIgnoreLaterTokens() {
    for (const auto& name : variant_names()) {
      auto v = make_test_variant(name, 8, test_options(name));
      const int N = 140;  // chunk boundaries of the causal forward at 64 and 128
      const MatrixD Q = gaussian(N, 8, 31), K = gaussian(N, 8, 32), V = gaussian(N, 6, 33);
      const MatrixD o = v->forward(Q, K, V, true);
      for (int cut : {0, 17, 63, 64, 100, 138}) {
        MatrixD Q2 = Q, K2 = K, V2 = V;
        const MatrixD noise = gaussian(N, 8, 100 + cut, 0, 3);
        for (int j = cut + 1; j < N; ++j) {
          for (int c = 0; c < 8; ++c) {
            Q2(j, c) += noise(j, c);
            K2(j, c) -= noise(j, c);
          }
          for (int c = 0; c < 6; ++c) V2(j, c) *= -2;
        }
        const MatrixD o2 = v->forward(Q2, K2, V2, true);
        for (int i = 0; i <= cut; ++i)
          for (int c = 0; c < 6; ++c) QVERIFY2(std::abs(o(i, c) - o2(i, c)) <= 1e-13, name.c_str());
        bool changed = false;  // and the later rows do move
        for (int i = cut + 1; i < N; ++i)
          for (int c = 0; c < 6; ++c) changed |= o(i, c) != o2(i, c);
        QVERIFY2(changed, name.c_str());
      }
    }
  }

  // (4) Rows of normalised maps sum to one (up to the variant's eps); InLine's exactly, with
  // negative entries; TransNormer's do not (no denominator).
  void normalisedRowsSumToOne() {
    for (const auto& name : variant_names())
      for (bool causal : {false, true}) {
        // eps = 0 where the variant has one: then a normalised row sums to one up to rounding
        // (with the papers' eps a row sums to r/(r + eps), far from one when r is tiny, as for
        // FLatten's focused features of a query and a single key that peak on other channels).
        VariantOptions opt = test_options(name);
        if (name != "softmax" && name != "inline") opt.eps = 0;
        auto v = make_test_variant(name, 8, opt);
        // A positive mean keeps relu rows away from an all-zero (0/0) row.
        const MatrixD Q = gaussian(30, 8, 41, 0.5), K = gaussian(30, 8, 42, 0.5);
        const MatrixD A = v->materialise(Q, K, causal);
        double worst = 0, lowest = 0;
        for (int i = 0; i < A.rows; ++i) {
          double s = 0;
          for (int j = 0; j < A.cols; ++j) {
            s += A(i, j);
            lowest = std::min(lowest, A(i, j));
          }
          worst = std::max(worst, std::abs(s - 1));
        }
        if (v->rows_sum_to_one()) {
          if (worst > 1e-12)
            qWarning("%s causal=%d: worst row-sum error %g", name.c_str(), causal, worst);
          QVERIFY2(worst <= 1e-12, name.c_str());
          if (name != "inline") QVERIFY2(lowest >= 0, name.c_str());
        } else {
          QVERIFY2(worst > 1e-3, name.c_str());
        }
        if (name == "inline") QVERIFY(lowest < 0);
      }
  }

  // The rank of a linear variant's map never exceeds its feature width d_φ.
  void linearMapRankWithinFeatureWidth() {
    for (const auto& name : variant_names()) {
      auto v = make_test_variant(name, 3, test_options(name));
      if (!v->is_linear()) continue;
      const MatrixD A = v->materialise(gaussian(50, 3, 51), gaussian(50, 3, 52), false);
      Eigen::MatrixXd m(50, 50);
      for (int i = 0; i < 50; ++i)
        for (int j = 0; j < 50; ++j) m(i, j) = A(i, j);
      const Eigen::VectorXd s = Eigen::JacobiSVD<Eigen::MatrixXd>(m).singularValues();
      int rank = 0;
      for (int k = 0; k < s.size(); ++k) rank += s[k] > 1e-10 * s[0];
      // InLine adds the rank-one 1/n term to its d-wide kernel.
      const int bound = v->feature_dim() + (name == "inline" ? 1 : 0);
      QVERIFY2(rank <= bound, name.c_str());
    }
    auto soft = make_variant("softmax", 3);
    const MatrixD A = soft->materialise(gaussian(50, 3, 51), gaussian(50, 3, 52), false);
    Eigen::MatrixXd m(50, 50);
    for (int i = 0; i < 50; ++i)
      for (int j = 0; j < 50; ++j) m(i, j) = A(i, j);
    const Eigen::VectorXd s = Eigen::JacobiSVD<Eigen::MatrixXd>(m).singularValues();
    QVERIFY(s[3] > 1e-6 * s[0]);  // softmax is not confined to rank d
  }

  // InLine's toy (arXiv 2412.06590, Fig. 2): four keys and four collinear queries c·q. The
  // normalised relu map cannot tell them apart (Att(c·q) = Att(q)); softmax and InLine can.
  void inlineToyInjectivity() {
    MatrixD K(4, 2), Q(4, 2);
    const double keys[4][2] = {{1, 0}, {0, 1}, {1, 1}, {2, 0.5}};
    for (int j = 0; j < 4; ++j) {
      K(j, 0) = keys[j][0];
      K(j, 1) = keys[j][1];
    }
    for (int i = 0; i < 4; ++i) {
      Q(i, 0) = 0.5 * (i + 1);
      Q(i, 1) = 0.25 * (i + 1);
    }
    auto row_gap = [](const MatrixD& A) {
      double least = INFINITY;
      for (int a = 0; a < 4; ++a)
        for (int b = a + 1; b < 4; ++b) {
          double d = 0;
          for (int j = 0; j < 4; ++j) d = std::max(d, std::abs(A(a, j) - A(b, j)));
          least = std::min(least, d);
        }
      return least;
    };
    QVERIFY(row_gap(make_variant("linear_relu", 2)->materialise(Q, K, false)) < 1e-6);
    QVERIFY(row_gap(make_variant("softmax", 2)->materialise(Q, K, false)) > 1e-3);
    QVERIFY(row_gap(make_variant("inline", 2)->materialise(Q, K, false)) > 1e-3);
  }

  // (5) Performer: the random-feature estimate of exp(q·k/√d) approaches it as m grows, and
  // the variant's map approaches the softmax map. Averaged over 6 seeds.
  void performerConvergesToSoftmaxKernel() {
    const int d = 8;
    const MatrixD Q = gaussian(16, d, 61, 0, 0.7), K = gaussian(16, d, 62, 0, 0.7);
    std::vector<double> kernel_err, map_err;
    const auto soft = make_variant("softmax", d)->materialise(Q, K, false);
    for (int m : {8, 64, 512, 4096}) {
      double ke = 0, me = 0;
      for (uint64_t seed = 1; seed <= 6; ++seed) {
        const auto omega = gaussian_orthogonal_features(m, d, seed);
        for (int i = 0; i < 16; ++i)
          for (int j = 0; j < 16; ++j) {
            double est = 0, qk = 0, hq = 0, hk = 0;
            for (int c = 0; c < d; ++c) {
              qk += Q(i, c) * K(j, c);
              hq += Q(i, c) * Q(i, c) / std::sqrt(d) / 2;
              hk += K(j, c) * K(j, c) / std::sqrt(d) / 2;
            }
            for (int r = 0; r < m; ++r) {
              double uq = 0, uk = 0;
              for (int c = 0; c < d; ++c) {
                uq += omega[r * d + c] * Q(i, c) * std::pow(d, -0.25);
                uk += omega[r * d + c] * K(j, c) * std::pow(d, -0.25);
              }
              est += std::exp(uq - hq) * std::exp(uk - hk) / m;
            }
            const double exact = std::exp(qk / std::sqrt(d));
            ke += std::abs(est - exact) / exact / (6 * 256);
          }
        VariantOptions o;
        o.features = m;
        o.seed = seed;
        o.eps = 0;
        const auto A = make_variant("performer", d, o)->materialise(Q, K, false);
        me += max_diff(A, soft) / 6;
      }
      kernel_err.push_back(ke);
      map_err.push_back(me);
      qInfo("performer m=%d: mean relative kernel error %.4f, mean max map error %.4f", m, ke, me);
    }
    for (size_t k = 1; k < kernel_err.size(); ++k) {
      QVERIFY(kernel_err[k] < kernel_err[k - 1]);
      QVERIFY(map_err[k] < map_err[k - 1]);
    }
    // Monte-Carlo error ~ 1/√m: 512× the features, well under a quarter of the error.
    QVERIFY(kernel_err.back() < 0.25 * kernel_err.front());
    // Orthogonality within a block, and χ_d-scaled rows.
    const auto omega = gaussian_orthogonal_features(2 * d, d, 5);
    for (int a = 0; a < d; ++a)
      for (int b = a + 1; b < d; ++b) {
        double s = 0;
        for (int c = 0; c < d; ++c) s += omega[a * d + c] * omega[b * d + c];
        QVERIFY(std::abs(s) < 1e-10);
      }
  }

  // Same seed, same features; another seed, other features.
  void performerFeaturesAreSeeded() {
    VariantOptions a{.features = 16, .seed = 3}, b{.features = 16, .seed = 4};
    const MatrixD Q = gaussian(9, 8, 1), K = gaussian(9, 8, 2);
    const auto A1 = make_variant("performer", 8, a)->materialise(Q, K, false);
    const auto A2 = make_variant("performer", 8, a)->materialise(Q, K, false);
    const auto B = make_variant("performer", 8, b)->materialise(Q, K, false);
    QCOMPARE(max_diff(A1, A2), 0.0);
    QVERIFY(max_diff(A1, B) > 1e-6);
    QCOMPARE(make_variant("performer", 64)->feature_dim(), static_cast<int>(64 * std::log(64.0)));
  }
};

QTEST_APPLESS_MAIN(TestAttentionVariants)
#include "test_attention_variants.moc"
