// See mlp_hvp_nonlinear.h. The LayerNorm and activation R-operators are those of
// models/rop_nonlinear.h; here only the conversions from and to float and the state kept
// between the forward, backward, R-forward and R-backward passes of one MLP layer.
#include "mlp_hvp_nonlinear.h"

#include <cmath>

namespace ridgeline::detail {
namespace {

std::vector<double> widen(const float* p, size_t n) {
  return p ? std::vector<double>(p, p + n) : std::vector<double>(n, 0.0);
}

}  // namespace

void HvpNonlinearLayer::set_forward(const float* z, int rows, int w, const float* gamma,
                                    const float* beta) {
  rows_ = rows;
  w_ = w;
  const size_t n = static_cast<size_t>(rows) * w;
  u_.assign(z, z + n);
  if (!ln_) return;
  xhat_.resize(n);
  r_.resize(rows);
  const std::vector<double> g = widen(gamma, w), b = widen(beta, w), zd = u_;
  layernorm_forward_f64(zd.data(), rows, w, eps_, g.data(), b.data(), xhat_.data(), r_.data(),
                        u_.data());
}

void HvpNonlinearLayer::backward(const float* ga, const float* gamma, float* gz) {
  const size_t n = static_cast<size_t>(rows_) * w_;
  ga_.assign(ga, ga + n);
  gu_.resize(n);
  for (size_t k = 0; k < n; ++k) gu_[k] = activation_d1(act_, u_[k]) * ga_[k];
  if (!ln_) {
    for (size_t k = 0; k < n; ++k) gz[k] = static_cast<float>(gu_[k]);
    return;
  }
  const std::vector<double> g = widen(gamma, w_);
  std::vector<double> out(n);
  layernorm_backward_f64(gu_.data(), rows_, w_, g.data(), xhat_.data(), r_.data(), out.data(),
                         nullptr, nullptr);
  for (size_t k = 0; k < n; ++k) gz[k] = static_cast<float>(out[k]);
}

void HvpNonlinearLayer::r_forward(const float* rz, const float* gamma, const float* vgamma,
                                  const float* vbeta, float* ra) {
  const size_t n = static_cast<size_t>(rows_) * w_;
  rz_.assign(rz, rz + n);
  if (!ln_) {
    ru_ = rz_;
  } else {
    ru_.resize(n);
    rxhat_.resize(n);
    const std::vector<double> g = widen(gamma, w_), vg = widen(vgamma, w_),
                              vb = widen(vbeta, w_);
    layernorm_r_forward_f64(rz_.data(), rows_, w_, g.data(), vg.data(), vb.data(), xhat_.data(),
                            r_.data(), rxhat_.data(), ru_.data());
  }
  for (size_t k = 0; k < n; ++k) ra[k] = static_cast<float>(activation_d1(act_, u_[k]) * ru_[k]);
}

void HvpNonlinearLayer::r_backward(const float* rga, const float* gamma, const float* vgamma,
                                   float* rgz, float* hv_gamma, float* hv_beta) {
  const size_t n = static_cast<size_t>(rows_) * w_;
  // R{∂L/∂u} = σ'(u)⊙R{∂L/∂a} + σ''(u)⊙R{u}⊙∂L/∂a.
  std::vector<double> rgu(n);
  for (size_t k = 0; k < n; ++k)
    rgu[k] = activation_d1(act_, u_[k]) * rga[k] + activation_d2(act_, u_[k]) * ru_[k] * ga_[k];
  if (!ln_) {
    for (size_t k = 0; k < n; ++k) rgz[k] = static_cast<float>(rgu[k]);
    return;
  }
  const std::vector<double> g = widen(gamma, w_), vg = widen(vgamma, w_);
  std::vector<double> out(n), hg(w_, 0.0), hb(w_, 0.0);
  layernorm_r_backward_f64(gu_.data(), rgu.data(), rz_.data(), rows_, w_, g.data(), vg.data(),
                           xhat_.data(), rxhat_.data(), r_.data(), out.data(), hg.data(),
                           hb.data());
  for (size_t k = 0; k < n; ++k) rgz[k] = static_cast<float>(out[k]);
  for (int i = 0; i < w_; ++i) {
    hv_gamma[i] = static_cast<float>(hg[i]);
    hv_beta[i] = static_cast<float>(hb[i]);
  }
}

}  // namespace ridgeline::detail
