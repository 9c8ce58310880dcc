// See mlp_hvp_nonlinear.h. Every loop is per row of a [rows×w] matrix; sums over rows give
// LayerNorm's parameter entries.
#include "mlp_hvp_nonlinear.h"

#include <cmath>
#include <numbers>

namespace ridgeline::detail {
namespace {

double phi(double u) { return std::exp(-0.5 * u * u) / std::sqrt(2 * std::numbers::pi); }
double Phi(double u) { return 0.5 * (1.0 + std::erf(u / std::numbers::sqrt2)); }

double mean(const double* x, int n) {
  double s = 0;
  for (int i = 0; i < n; ++i) s += x[i];
  return s / n;
}

}  // namespace

double HvpNonlinearLayer::d1(double u) const {
  return gelu_ ? Phi(u) + u * phi(u) : (u > 0 ? 1.0 : 0.0);
}

double HvpNonlinearLayer::d2(double u) const { return gelu_ ? phi(u) * (2 - u * u) : 0.0; }

void HvpNonlinearLayer::set_forward(const float* z, int rows, int w, const float* gamma,
                                    const float* beta) {
  rows_ = rows;
  w_ = w;
  const size_t n = static_cast<size_t>(rows) * w;
  u_.resize(n);
  if (!ln_) {
    for (size_t i = 0; i < n; ++i) u_[i] = z[i];
    return;
  }
  xhat_.resize(n);
  r_.resize(rows);
  for (int row = 0; row < rows; ++row) {
    const float* zr = z + static_cast<size_t>(row) * w;
    double mu = 0, var = 0;
    for (int i = 0; i < w; ++i) mu += zr[i];
    mu /= w;
    for (int i = 0; i < w; ++i) var += (zr[i] - mu) * (zr[i] - mu);
    var /= w;  // biased, as torch.nn.LayerNorm
    const double r = 1.0 / std::sqrt(var + eps_);
    r_[row] = r;
    for (int i = 0; i < w; ++i) {
      const size_t k = static_cast<size_t>(row) * w + i;
      xhat_[k] = (zr[i] - mu) * r;
      u_[k] = gamma[i] * xhat_[k] + beta[i];
    }
  }
}

void HvpNonlinearLayer::backward(const float* ga, const float* gamma, float* gz) {
  const size_t n = static_cast<size_t>(rows_) * w_;
  ga_.assign(ga, ga + n);
  gu_.resize(n);
  for (size_t k = 0; k < n; ++k) gu_[k] = d1(u_[k]) * ga_[k];
  if (!ln_) {
    for (size_t k = 0; k < n; ++k) gz[k] = static_cast<float>(gu_[k]);
    return;
  }
  gx_.resize(n);
  for (int row = 0; row < rows_; ++row) {
    const size_t o = static_cast<size_t>(row) * w_;
    double m1 = 0, m2 = 0;
    for (int i = 0; i < w_; ++i) {
      gx_[o + i] = gamma[i] * gu_[o + i];
      m1 += gx_[o + i];
      m2 += gx_[o + i] * xhat_[o + i];
    }
    m1 /= w_;
    m2 /= w_;
    for (int i = 0; i < w_; ++i)
      gz[o + i] = static_cast<float>(r_[row] * (gx_[o + i] - m1 - xhat_[o + i] * m2));
  }
}

void HvpNonlinearLayer::r_forward(const float* rz, const float* gamma, const float* vgamma,
                                  const float* vbeta, float* ra) {
  const size_t n = static_cast<size_t>(rows_) * w_;
  rz_.assign(rz, rz + n);
  ru_.resize(n);
  if (!ln_) {
    ru_ = rz_;
  } else {
    rxhat_.resize(n);
    for (int row = 0; row < rows_; ++row) {
      const size_t o = static_cast<size_t>(row) * w_;
      const double m1 = mean(&rz_[o], w_);
      double m2 = 0;
      for (int i = 0; i < w_; ++i) m2 += xhat_[o + i] * rz_[o + i];
      m2 /= w_;
      for (int i = 0; i < w_; ++i) {
        rxhat_[o + i] = r_[row] * (rz_[o + i] - m1 - xhat_[o + i] * m2);
        ru_[o + i] = vgamma[i] * xhat_[o + i] + gamma[i] * rxhat_[o + i] + vbeta[i];
      }
    }
  }
  for (size_t k = 0; k < n; ++k) ra[k] = static_cast<float>(d1(u_[k]) * ru_[k]);
}

void HvpNonlinearLayer::r_backward(const float* rga, const float* gamma, const float* vgamma,
                                   float* rgz, float* hv_gamma, float* hv_beta) {
  const size_t n = static_cast<size_t>(rows_) * w_;
  // R{∂L/∂u} = σ'(u)⊙R{∂L/∂a} + σ''(u)⊙R{u}⊙∂L/∂a.
  std::vector<double> rgu(n);
  for (size_t k = 0; k < n; ++k) rgu[k] = d1(u_[k]) * rga[k] + d2(u_[k]) * ru_[k] * ga_[k];
  if (!ln_) {
    for (size_t k = 0; k < n; ++k) rgz[k] = static_cast<float>(rgu[k]);
    return;
  }
  // γ, β: ∂L/∂γ = Σ_rows ∂L/∂u⊙x̂, ∂L/∂β = Σ_rows ∂L/∂u, and their R-derivatives.
  std::vector<double> hg(w_, 0.0), hb(w_, 0.0);
  for (int row = 0; row < rows_; ++row) {
    const size_t o = static_cast<size_t>(row) * w_;
    // R{∂L/∂x̂} = v_γ⊙∂L/∂u + γ⊙R{∂L/∂u}.
    std::vector<double> rgx(w_);
    double m1 = 0, m2 = 0, rm1 = 0, rm2 = 0, xr = 0;
    for (int i = 0; i < w_; ++i) {
      hg[i] += rgu[o + i] * xhat_[o + i] + gu_[o + i] * rxhat_[o + i];
      hb[i] += rgu[o + i];
      rgx[i] = vgamma[i] * gu_[o + i] + gamma[i] * rgu[o + i];
      m1 += gx_[o + i];
      m2 += gx_[o + i] * xhat_[o + i];
      rm1 += rgx[i];
      rm2 += rgx[i] * xhat_[o + i] + gx_[o + i] * rxhat_[o + i];
      xr += xhat_[o + i] * rz_[o + i];
    }
    m1 /= w_;
    m2 /= w_;
    rm1 /= w_;
    rm2 /= w_;
    xr /= w_;
    // ∂L/∂z = r·(g − m1 − x̂·m2); R{r}/r = −r·mean(x̂⊙R{z}).
    const double r = r_[row], rr_over_r = -r * xr;
    for (int i = 0; i < w_; ++i) {
      const double gz = r * (gx_[o + i] - m1 - xhat_[o + i] * m2);
      rgz[o + i] = static_cast<float>(
          rr_over_r * gz + r * (rgx[i] - rm1 - rxhat_[o + i] * m2 - xhat_[o + i] * rm2));
    }
  }
  for (int i = 0; i < w_; ++i) {
    hv_gamma[i] = static_cast<float>(hg[i]);
    hv_beta[i] = static_cast<float>(hb[i]);
  }
}

}  // namespace ridgeline::detail
