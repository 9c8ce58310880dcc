// The fixed feature maps of the linear variants: elu+1, relu, elu, identity, cosFormer and
// Performer's FAVOR+ positive random features (docs/USER_GUIDE.md, "Attention variants").
#include <algorithm>
#include <cmath>
#include <numbers>

#include "attention/feature_map.h"

namespace ridgeline::attention {
namespace {

// φ(x)_c = f(x_c), with f and f' given as lambdas.
template <class F, class DF>
class ElementwiseMap final : public FeatureMap {
 public:
  ElementwiseMap(int d, F f, DF df) : d_(d), f_(f), df_(df) {}
  int dim() const override { return d_; }
  void apply(const double* x, int, int, Role, const double*, double* phi) const override {
    for (int c = 0; c < d_; ++c) phi[c] = f_(x[c]);
  }
  void backward(const double* x, int, int, Role, const double*, const double* dphi, double* dx,
                double*) const override {
    for (int c = 0; c < d_; ++c) dx[c] = dphi[c] * df_(x[c]);
  }

 private:
  int d_;
  F f_;
  DF df_;
};

template <class F, class DF>
std::unique_ptr<FeatureMap> elementwise(int d, F f, DF df) {
  return std::make_unique<ElementwiseMap<F, DF>>(d, f, df);
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
      : d_(d), m_(m), omega_(std::move(omega)), eps_(eps) {}
  int dim() const override { return m_; }
  void apply(const double* x, int, int, Role role, const double*, double* phi) const override {
    std::vector<double> u(m_);
    double h = 0;
    const double norm = std::pow(static_cast<double>(d_), -0.25);
    for (int k = 0; k < d_; ++k) h += (norm * x[k]) * (norm * x[k]);
    h *= 0.5;
    for (int r = 0; r < m_; ++r) {
      double s = 0;
      for (int k = 0; k < d_; ++k) s += omega_[static_cast<size_t>(r) * d_ + k] * x[k];
      u[r] = norm * s;
    }
    const double c = role == Role::Query ? *std::max_element(u.begin(), u.end()) : 0.0;
    const double ratio = 1.0 / std::sqrt(static_cast<double>(m_));
    for (int r = 0; r < m_; ++r) phi[r] = ratio * (std::exp(u[r] - h - c) + eps_);
  }
  void backward(const double* x, int, int, Role role, const double*, const double* dphi, double* dx,
                double*) const override {
    std::vector<double> u(m_), du(m_);
    const double norm = std::pow(static_cast<double>(d_), -0.25);
    double h = 0;
    for (int k = 0; k < d_; ++k) h += (norm * x[k]) * (norm * x[k]);
    h *= 0.5;
    for (int r = 0; r < m_; ++r) {
      double s = 0;
      for (int k = 0; k < d_; ++k) s += omega_[static_cast<size_t>(r) * d_ + k] * x[k];
      u[r] = norm * s;
    }
    int arg = 0;
    for (int r = 1; r < m_; ++r)
      if (u[r] > u[arg]) arg = r;
    const double c = role == Role::Query ? u[arg] : 0.0;
    const double ratio = 1.0 / std::sqrt(static_cast<double>(m_));
    double total = 0;  // Σ_r ∂L/∂(exponent_r)
    for (int r = 0; r < m_; ++r) {
      du[r] = dphi[r] * ratio * std::exp(u[r] - h - c);
      total += du[r];
    }
    if (role == Role::Query) du[arg] -= total;  // ∂c/∂u = e_arg
    // exponent_r = u_r − h − c: ∂h/∂x̃ = x̃, ∂u_r/∂x̃ = ω_r, and x̃ = norm·x.
    for (int k = 0; k < d_; ++k) {
      double s = 0;
      for (int r = 0; r < m_; ++r) s += du[r] * omega_[static_cast<size_t>(r) * d_ + k];
      dx[k] = norm * (s - total * norm * x[k]);
    }
  }

 private:
  int d_, m_;
  std::vector<double> omega_;
  double eps_;
};

}  // namespace

std::unique_ptr<FeatureMap> make_elu_plus_one_map(int d) {
  return elementwise(
      d, [](double x) { return x > 0 ? x + 1.0 : std::exp(x); },
      [](double x) { return x > 0 ? 1.0 : std::exp(x); });
}

std::unique_ptr<FeatureMap> make_relu_map(int d) {
  return elementwise(
      d, [](double x) { return x > 0 ? x : 0.0; }, [](double x) { return x > 0 ? 1.0 : 0.0; });
}

std::unique_ptr<FeatureMap> make_elu_map(int d) {
  return elementwise(
      d, [](double x) { return x > 0 ? x : std::expm1(x); },
      [](double x) { return x > 0 ? 1.0 : std::exp(x); });
}

std::unique_ptr<FeatureMap> make_identity_map(int d) {
  return elementwise(d, [](double x) { return x; }, [](double) { return 1.0; });
}

std::unique_ptr<FeatureMap> make_cosformer_map(int d) { return std::make_unique<CosformerMap>(d); }

std::unique_ptr<FeatureMap> make_performer_map(int d, int m, std::vector<double> omega, double eps) {
  return std::make_unique<PerformerMap>(d, m, std::move(omega), eps);
}

}  // namespace ridgeline::attention
