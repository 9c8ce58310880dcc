// The feature maps with learned parameters: FLatten's focused map and Hedgehog's map
// (docs/USER_GUIDE.md, "Attention variants").
#include <algorithm>
#include <cmath>

#include "attention/feature_map.h"

namespace ridgeline::attention {
namespace {

double softplus(double t) { return t > 30 ? t : std::log1p(std::exp(t)); }
double sigmoid(double t) { return 1.0 / (1.0 + std::exp(-t)); }

// Focused linear attention (Han et al. 2023, arXiv 2308.00442, eq. 5–6, as the FLatten-Swin
// code applies it): x⁺ = relu(x) + 1e-6, y = x⁺ / softplus(θ) per channel (θ learned, shared
// by queries and keys, initialised to 0), f_p(y) = ‖y‖·y^p / ‖y^p‖ with an elementwise power.
// Per head: the norms run over the head's d channels (the code takes them over all heads'
// channels at once, before splitting heads).
class FocusedMap final : public FeatureMap {
 public:
  FocusedMap(int d, int p) : d_(d), p_(p) {}
  int dim() const override { return d_; }
  void apply(const double* x, int, int, Role, const double* theta, double* phi) const override {
    std::vector<double> y(d_), w(d_);
    double a = 0, b = 0;
    for (int c = 0; c < d_; ++c) {
      y[c] = (std::max(x[c], 0.0) + 1e-6) / softplus(theta[c]);
      w[c] = std::pow(y[c], p_);
      a += y[c] * y[c];
      b += w[c] * w[c];
    }
    a = std::sqrt(a);
    b = std::sqrt(b);
    for (int c = 0; c < d_; ++c) phi[c] = a * w[c] / b;
  }
  void backward(const double* x, int, int, Role, const double* theta, const double* dphi,
                double* dx, double* dtheta) const override {
    std::vector<double> xp(d_), s(d_), y(d_), w(d_);
    double a = 0, b = 0;
    for (int c = 0; c < d_; ++c) {
      xp[c] = std::max(x[c], 0.0) + 1e-6;
      s[c] = softplus(theta[c]);
      y[c] = xp[c] / s[c];
      w[c] = std::pow(y[c], p_);
      a += y[c] * y[c];
      b += w[c] * w[c];
    }
    a = std::sqrt(a);
    b = std::sqrt(b);
    double g_dot_w = 0;
    for (int c = 0; c < d_; ++c) g_dot_w += dphi[c] * w[c];
    const double da = g_dot_w / b;             // ∂L/∂a, φ = a·w/b
    const double db = -a * g_dot_w / (b * b);  // ∂L/∂b
    for (int c = 0; c < d_; ++c) {
      const double dw = dphi[c] * a / b + db * w[c] / b;
      const double dy = dw * p_ * std::pow(y[c], p_ - 1) + da * y[c] / a;
      dx[c] = x[c] > 0 ? dy / s[c] : 0.0;
      dtheta[c] += -dy * xp[c] / (s[c] * s[c]) * sigmoid(theta[c]);
    }
  }

 private:
  int d_, p_;
};

// Hedgehog (Zhang et al. 2024, arXiv 2402.04347). The published forms disagree (fla issue
// #195); this is LoLCATs' `softmax_dim` (HazyResearch/lolcats, SoftmaxDim): u = xW with W
// [d, f] learned, no bias, φ = [softmax(u), softmax(−u)], d_φ = 2f. Chosen because it is the
// paper authors' own follow-up code, and each half is a softmax: the exp of the paper's
// [exp(u), exp(−u)] with a per-token normaliser per half, so it cannot overflow and
// φ(q)·φ(k) ∈ (0, 2]. W starts as the identity when f = d (as fla's HedgehogFeatureMap).
class HedgehogMap final : public FeatureMap {
 public:
  HedgehogMap(int d, int f) : d_(d), f_(f) {}
  int dim() const override { return 2 * f_; }
  void apply(const double* x, int, int, Role, const double* W, double* phi) const override {
    std::vector<double> u(f_);
    project(x, W, u.data());
    halves(u.data(), phi);
  }
  void backward(const double* x, int, int, Role, const double* W, const double* dphi, double* dx,
                double* dW) const override {
    std::vector<double> u(f_), phi(2 * f_), du(f_);
    project(x, W, u.data());
    halves(u.data(), phi.data());
    double g1 = 0, g2 = 0;
    for (int e = 0; e < f_; ++e) {
      g1 += phi[e] * dphi[e];
      g2 += phi[f_ + e] * dphi[f_ + e];
    }
    for (int e = 0; e < f_; ++e)
      du[e] = phi[e] * (dphi[e] - g1) - phi[f_ + e] * (dphi[f_ + e] - g2);
    for (int c = 0; c < d_; ++c) {
      double s = 0;
      for (int e = 0; e < f_; ++e) {
        s += W[static_cast<size_t>(c) * f_ + e] * du[e];
        dW[static_cast<size_t>(c) * f_ + e] += x[c] * du[e];
      }
      dx[c] = s;
    }
  }

 private:
  void project(const double* x, const double* W, double* u) const {
    for (int e = 0; e < f_; ++e) u[e] = 0;
    for (int c = 0; c < d_; ++c)
      for (int e = 0; e < f_; ++e) u[e] += x[c] * W[static_cast<size_t>(c) * f_ + e];
  }
  void halves(const double* u, double* phi) const {
    const double hi = *std::max_element(u, u + f_), lo = *std::min_element(u, u + f_);
    double s1 = 0, s2 = 0;
    for (int e = 0; e < f_; ++e) {
      phi[e] = std::exp(u[e] - hi);
      phi[f_ + e] = std::exp(lo - u[e]);
      s1 += phi[e];
      s2 += phi[f_ + e];
    }
    for (int e = 0; e < f_; ++e) {
      phi[e] /= s1;
      phi[f_ + e] /= s2;
    }
  }
  int d_, f_;
};

}  // namespace

std::unique_ptr<FeatureMap> make_focused_map(int d, int p) {
  return std::make_unique<FocusedMap>(d, p);
}
std::unique_ptr<FeatureMap> make_hedgehog_map(int d, int f) {
  return std::make_unique<HedgehogMap>(d, f);
}

}  // namespace ridgeline::attention
