// The fixed feature maps of the linear variants: elu+1, relu, elu, identity, cosFormer and
// Performer's FAVOR+ positive random features (docs/USER_GUIDE.md, "Attention variants").
#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <numbers>

#include "attention/feature_map.h"

namespace ridgeline::attention {
namespace {

using RowMatD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// φ(x)_c = f(x_c), with f and f' given as lambdas on doubles, and as lambdas on float arrays
// for the vectorised float path (branch-free: Eigen 3.4 evaluates select() one coefficient at a
// time, so elu(x) is written max(x, 0) + expm1(min(x, 0))).
using ArrayF = Eigen::Array<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

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
  // fa_, dfa_ return Eigen expressions of x: no temporaries, and dX may alias dPhi.
  bool apply_rows_float(const float* X, int n, int d, Role, float* Phi) const override {
    const Eigen::Map<const ArrayF> x(X, n, d);
    Eigen::Map<ArrayF>(Phi, n, d) = fa_(x);
    return true;
  }
  bool backward_rows_float(const float* X, int n, int d, Role, const float* dPhi,
                           float* dX) const override {
    const Eigen::Map<const ArrayF> x(X, n, d);
    Eigen::Map<ArrayF>(dX, n, d) = Eigen::Map<const ArrayF>(dPhi, n, d) * dfa_(x);
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

using MapF = Eigen::Map<const ArrayF>;

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
    Eigen::Map<RowMatD>(Phi, n, m_) = ratio * (exponents(X, n, role, nullptr).array().exp() + eps_);
  }
  void backward_rows(const double* X, int n, int, Role role, const double*, const double* dPhi,
                     double* dX, double*) const override {
    const double norm = std::pow(static_cast<double>(d_), -0.25);
    const double ratio = 1.0 / std::sqrt(static_cast<double>(m_));
    std::vector<int> arg;
    // ∂L/∂E_ir, then E = U − h − c with U = X̃Ωᵀ, h = ‖x̃‖²/2, c = U_i,arg (queries).
    RowMatD du = (exponents(X, n, role, &arg).array().exp() *
                  Eigen::Map<const RowMatD>(dPhi, n, m_).array() * ratio)
                     .matrix();
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
