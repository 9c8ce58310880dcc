// The fixed feature maps of the linear variants: elu+1, relu, elu, identity, cosFormer and
// Performer's FAVOR+ positive random features (docs/USER_GUIDE.md, "Attention variants").
#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <utility>

#include "attention/feature_map.h"

namespace ridgeline::attention {
namespace {

using RowMatD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// φ(x)_c = f(x_c), with f and f' given as lambdas on doubles, and as lambdas on float arrays
// for the vectorised float path (branch-free: Eigen 3.4 evaluates select() one coefficient at a
// time, so elu(x) is written max(x, 0) + expm1(min(x, 0))).
using ArrayF = Eigen::Array<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MapF = Eigen::Map<const ArrayF>;

// dst[0..size) = f(inputs...) for an elementwise f, every element through Eigen's packet
// kernels. Assigned straight into a buffer of unknown alignment, Eigen computes the elements
// before the first 64-byte boundary and after the last whole packet with the scalar
// std::exp/std::expm1 and the rest with its SIMD polynomials, which differ in the last bit:
// which elements took which path depended on the buffer's address, and so the results did
// (docs/RELIABILITY.md, "Determinism"). Here Eigen writes only whole 64-byte packets at 64-byte
// boundaries: dst's from its first boundary to its last, and for the few elements before and
// after those, aligned scratch with their inputs padded with zeros. An element's value depends
// on its inputs alone, not on an address or its position. dst may alias an input element for
// element.
template <class T>
using RowArray = Eigen::Array<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T, class F, class... In, size_t... I>
void evaluate_by_packets(Eigen::Index size, T* dst, F f, std::index_sequence<I...>,
                         const In*... in) {
  constexpr int kLane = 64 / sizeof(T);  // elements per 64-byte packet, the widest there is
  const T* inputs[] = {in...};
  const uintptr_t offset = reinterpret_cast<uintptr_t>(dst) % 64;
  // dst[head, head + whole): whole packets at dst's 64-byte boundaries (none if dst is not even
  // aligned to T).
  Eigen::Index head = size, whole = 0;
  if (offset % sizeof(T) == 0) {
    head = std::min<Eigen::Index>(size, (64 - offset) % 64 / sizeof(T));
    whole = (size - head) / kLane * kLane;
  }
  if (whole > 0)
    Eigen::Map<RowArray<T>, Eigen::Aligned64>(dst + head, 1, whole) =
        f(Eigen::Map<const RowArray<T>>(inputs[I] + head, 1, whole)...);
  // The rest, [0, head) and [head + whole, size), through scratch, a block at a time.
  constexpr int kBlock = 16 * kLane;
  alignas(64) T src[sizeof...(In)][kBlock];
  alignas(64) T out[kBlock];
  Eigen::Index next = 0;  // the next element of the rest
  while (next < size) {
    int len = 0;
    Eigen::Index at[kBlock];
    for (; len < kBlock && next < size; ++len, ++next) {
      if (next == head) next += whole;
      if (next >= size) break;
      at[len] = next;
    }
    if (len == 0) break;
    const int padded = (len + kLane - 1) / kLane * kLane;
    for (size_t k = 0; k < sizeof...(In); ++k) {
      for (int t = 0; t < len; ++t) src[k][t] = inputs[k][at[t]];
      std::fill(src[k] + len, src[k] + padded, T(0));
    }
    Eigen::Map<RowArray<T>, Eigen::Aligned64>(out, 1, padded) =
        f(Eigen::Map<const RowArray<T>>(src[I], 1, padded)...);
    for (int t = 0; t < len; ++t) dst[at[t]] = out[t];
  }
}
template <class T, class F, class... In>
void evaluate_by_packets(Eigen::Index size, T* dst, F f, const In*... in) {
  evaluate_by_packets(size, dst, f, std::index_sequence_for<In...>{}, in...);
}

template <class F, class DF, class FA, class DFA>
class ElementwiseMap final : public FeatureMap {
 public:
  ElementwiseMap(int d, F f, DF df, FA fa, DFA dfa) : d_(d), f_(f), df_(df), fa_(fa), dfa_(dfa) {}
  int dim() const override { return d_; }
  void apply(const double* x, int, int, Role, const double*, double* phi) const override {
    for (int c = 0; c < d_; ++c) phi[c] = f_(x[c]);
  }
  void backward(const double* x, int, int, Role, const double*, const double* dphi, double* dx,
                double*) const override {
    for (int c = 0; c < d_; ++c) dx[c] = dphi[c] * df_(x[c]);
  }
  // fa_, dfa_ return Eigen expressions of x, evaluated by packets whatever the addresses of X
  // and Phi (evaluate_by_packets); dX may alias dPhi.
  bool apply_rows_float(const float* X, int n, int d, Role, float* Phi) const override {
    evaluate_by_packets(
        static_cast<Eigen::Index>(n) * d, Phi, [&](const MapF& x) { return fa_(x); }, X);
    return true;
  }
  bool backward_rows_float(const float* X, int n, int d, Role, const float* dPhi,
                           float* dX) const override {
    evaluate_by_packets(
        static_cast<Eigen::Index>(n) * d, dX,
        [&](const MapF& x, const MapF& dphi) { return dphi * dfa_(x); }, X, dPhi);
    return true;
  }

 private:
  int d_;
  F f_;
  DF df_;
  FA fa_;
  DFA dfa_;
};

template <class F, class DF, class FA, class DFA>
std::unique_ptr<FeatureMap> elementwise(int d, F f, DF df, FA fa, DFA dfa) {
  return std::make_unique<ElementwiseMap<F, DF, FA, DFA>>(d, f, df, fa, dfa);
}

// cosFormer (Qin et al. 2022, arXiv 2202.08791, eq. 9–10): with positions 1..M and M = n,
// q̃_i·k̃_j = relu(q_i)·relu(k_j)·cos(π(i − j)/2M).
class CosformerMap final : public FeatureMap {
 public:
  explicit CosformerMap(int d) : d_(d) {}
  int dim() const override { return 2 * d_; }
  void apply(const double* x, int i, int n, Role, const double*, double* phi) const override {
    const double angle = std::numbers::pi * (i + 1) / (2.0 * n);
    const double s = std::sin(angle), c = std::cos(angle);
    for (int k = 0; k < d_; ++k) {
      const double r = std::max(x[k], 0.0);
      phi[k] = r * s;
      phi[d_ + k] = r * c;
    }
  }
  void backward(const double* x, int i, int n, Role, const double*, const double* dphi, double* dx,
                double*) const override {
    const double angle = std::numbers::pi * (i + 1) / (2.0 * n);
    const double s = std::sin(angle), c = std::cos(angle);
    for (int k = 0; k < d_; ++k) dx[k] = x[k] > 0 ? dphi[k] * s + dphi[d_ + k] * c : 0.0;
  }

 private:
  int d_;
};

// Performer FAVOR+ (Choromanski et al. 2021, arXiv 2009.14794, Lemma 1, positive features) in
// the form of performer-pytorch's softmax_kernel: x̃ = d^−1/4·x, u_r = ω_r·x̃,
// φ_r = m^−1/2·(exp(u_r − ‖x̃‖²/2 − c) + eps). Queries subtract their own largest u (c = max_r
// u_r, a per-row factor that cancels in the normalisation up to eps). Keys subtract nothing
// (c = 0): performer-pytorch subtracts the maximum over all keys, which in the causal form
// would let future keys change past rows through eps; u − ‖x̃‖²/2 ≤ ‖ω_r‖²/2 bounds the
// exponent from above, so keys cannot overflow without it. The gradient includes the max
// (its subgradient goes to the arg max).
class PerformerMap final : public FeatureMap {
 public:
  PerformerMap(int d, int m, std::vector<double> omega, double eps)
      : d_(d), m_(m), omega_(Eigen::Map<const RowMatD>(omega.data(), m, d)), eps_(eps) {}
  int dim() const override { return m_; }
  bool batched() const override { return true; }
  void apply(const double* x, int, int, Role role, const double* p, double* phi) const override {
    apply_rows(x, 1, d_, role, p, phi);
  }
  void backward(const double* x, int, int, Role role, const double* p, const double* dphi,
                double* dx, double* dp) const override {
    backward_rows(x, 1, d_, role, p, dphi, dx, dp);
  }
  // Exponents E = X̃Ωᵀ − ‖x̃‖²/2 − c per row, and the arg max of each query row.
  RowMatD exponents(const double* X, int n, Role role, std::vector<int>* arg) const {
    const double norm = std::pow(static_cast<double>(d_), -0.25);
    const RowMatD xt = Eigen::Map<const RowMatD>(X, n, d_) * norm;
    RowMatD e = xt * omega_.transpose();
    if (arg) arg->assign(n, 0);
    for (int i = 0; i < n; ++i) {
      double c = 0;
      if (role == Role::Query) {
        Eigen::Index r;
        c = e.row(i).maxCoeff(&r);
        if (arg) (*arg)[i] = static_cast<int>(r);
      }
      e.row(i).array() -= 0.5 * xt.row(i).squaredNorm() + c;
    }
    return e;
  }
  void apply_rows(const double* X, int n, int, Role role, const double*,
                  double* Phi) const override {
    const double ratio = 1.0 / std::sqrt(static_cast<double>(m_));
    const RowMatD e = exponents(X, n, role, nullptr);
    evaluate_by_packets(
        e.size(), Phi, [&](const auto& u) { return ratio * (u.exp() + eps_); }, e.data());
  }
  void backward_rows(const double* X, int n, int, Role role, const double*, const double* dPhi,
                     double* dX, double*) const override {
    const double norm = std::pow(static_cast<double>(d_), -0.25);
    const double ratio = 1.0 / std::sqrt(static_cast<double>(m_));
    std::vector<int> arg;
    // ∂L/∂E_ir, then E = U − h − c with U = X̃Ωᵀ, h = ‖x̃‖²/2, c = U_i,arg (queries).
    RowMatD du(n, m_);
    const RowMatD e = exponents(X, n, role, &arg);
    evaluate_by_packets(
        e.size(), du.data(),
        [&](const auto& u, const auto& dphi) { return u.exp() * dphi * ratio; }, e.data(), dPhi);
    const Eigen::VectorXd total = du.rowwise().sum();
    if (role == Role::Query)
      for (int i = 0; i < n; ++i) du(i, arg[i]) -= total[i];
    const RowMatD xt = Eigen::Map<const RowMatD>(X, n, d_) * norm;
    RowMatD dxt = du * omega_;
    dxt -= total.asDiagonal() * xt;
    Eigen::Map<RowMatD>(dX, n, d_) = dxt * norm;
  }

 private:
  int d_, m_;
  RowMatD omega_;
  double eps_;
};

}  // namespace

std::unique_ptr<FeatureMap> make_elu_plus_one_map(int d) {
  return elementwise(
      d, [](double x) { return x > 0 ? x + 1.0 : std::exp(x); },
      [](double x) { return x > 0 ? 1.0 : std::exp(x); },
      [](const MapF& x) { return x.max(0.0f) + x.min(0.0f).exp(); },
      [](const MapF& x) { return x.min(0.0f).exp(); });
}

std::unique_ptr<FeatureMap> make_relu_map(int d) {
  return elementwise(
      d, [](double x) { return x > 0 ? x : 0.0; }, [](double x) { return x > 0 ? 1.0 : 0.0; },
      [](const MapF& x) { return x.max(0.0f); },
      [](const MapF& x) { return (x > 0).template cast<float>(); });
}

std::unique_ptr<FeatureMap> make_elu_map(int d) {
  return elementwise(
      d, [](double x) { return x > 0 ? x : std::expm1(x); },
      [](double x) { return x > 0 ? 1.0 : std::exp(x); },
      [](const MapF& x) { return x.max(0.0f) + x.min(0.0f).expm1(); },
      [](const MapF& x) { return x.min(0.0f).exp(); });
}

std::unique_ptr<FeatureMap> make_identity_map(int d) {
  return elementwise(
      d, [](double x) { return x; }, [](double) { return 1.0; },
      [](const MapF& x) { return x; },
      [](const MapF& x) { return ArrayF::Ones(x.rows(), x.cols()); });
}

std::unique_ptr<FeatureMap> make_cosformer_map(int d) { return std::make_unique<CosformerMap>(d); }

std::unique_ptr<FeatureMap> make_performer_map(int d, int m, std::vector<double> omega,
                                               double eps) {
  return std::make_unique<PerformerMap>(d, m, std::move(omega), eps);
}

}  // namespace ridgeline::attention
