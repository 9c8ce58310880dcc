// See rop_nonlinear.h. Every loop is per row of a [rows×w] matrix; sums over rows give
// LayerNorm's parameter entries.
#include "models/rop_nonlinear.h"

#include <cmath>
#include <numbers>
#include <vector>

namespace ridgeline::detail {
namespace {

double phi(double u) { return std::exp(-0.5 * u * u) / std::sqrt(2 * std::numbers::pi); }
double Phi(double u) { return 0.5 * (1.0 + std::erf(u / std::numbers::sqrt2)); }

// GPT-2's tanh GELU, σ(x) = ½x(1 + t), t = tanh(c(x + a x³)) (Hendrycks & Gimpel 2016, §2).
constexpr double kGeluC = 0.7978845608028654, kGeluA = 0.044715;

}  // namespace

double activation_f64(Activation a, double u) {
  switch (a) {
    case Activation::Identity: return u;
    case Activation::Relu: return u > 0 ? u : 0.0;
    case Activation::Gelu: return u * Phi(u);
    case Activation::GeluTanh: return 0.5 * u * (1.0 + std::tanh(kGeluC * (u + kGeluA * u * u * u)));
  }
  return 0.0;
}

double activation_d1(Activation a, double u) {
  switch (a) {
    case Activation::Identity: return 1.0;
    case Activation::Relu: return u > 0 ? 1.0 : 0.0;
    case Activation::Gelu: return Phi(u) + u * phi(u);
    case Activation::GeluTanh: {
      // σ' = ½(1 + t) + ½x(1 − t²)k, k = c(1 + 3a x²).
      const double t = std::tanh(kGeluC * (u + kGeluA * u * u * u));
      const double k = kGeluC * (1.0 + 3.0 * kGeluA * u * u);
      return 0.5 * (1.0 + t) + 0.5 * u * (1.0 - t * t) * k;
    }
  }
  return 0.0;
}

double activation_d2(Activation a, double u) {
  switch (a) {
    case Activation::Identity:
    case Activation::Relu: return 0.0;
    case Activation::Gelu: return phi(u) * (2 - u * u);
    case Activation::GeluTanh: {
      // σ'' = (1 − t²)·(k − x·t·k² + 3ac·x²).
      const double t = std::tanh(kGeluC * (u + kGeluA * u * u * u));
      const double k = kGeluC * (1.0 + 3.0 * kGeluA * u * u);
      return (1.0 - t * t) * (k - u * t * k * k + 3.0 * kGeluA * kGeluC * u * u);
    }
  }
  return 0.0;
}

void layernorm_forward_f64(const double* z, int rows, int w, double eps, const double* gamma,
                           const double* beta, double* xhat, double* r, double* u) {
  for (int row = 0; row < rows; ++row) {
    const size_t o = static_cast<size_t>(row) * w;
    double mu = 0, var = 0;
    for (int i = 0; i < w; ++i) mu += z[o + i];
    mu /= w;
    for (int i = 0; i < w; ++i) var += (z[o + i] - mu) * (z[o + i] - mu);
    var /= w;  // biased, as torch.nn.LayerNorm
    r[row] = 1.0 / std::sqrt(var + eps);
    for (int i = 0; i < w; ++i) {
      xhat[o + i] = (z[o + i] - mu) * r[row];
      if (u) u[o + i] = gamma[i] * xhat[o + i] + beta[i];
    }
  }
}

void layernorm_backward_f64(const double* gu, int rows, int w, const double* gamma,
                            const double* xhat, const double* r, double* gz, double* dgamma,
                            double* dbeta) {
  for (int row = 0; row < rows; ++row) {
    const size_t o = static_cast<size_t>(row) * w;
    double m1 = 0, m2 = 0;
    for (int i = 0; i < w; ++i) {
      const double g = gamma[i] * gu[o + i];
      m1 += g;
      m2 += g * xhat[o + i];
      if (dgamma) dgamma[i] += gu[o + i] * xhat[o + i];
      if (dbeta) dbeta[i] += gu[o + i];
    }
    m1 /= w;
    m2 /= w;
    for (int i = 0; i < w; ++i)
      gz[o + i] = r[row] * (gamma[i] * gu[o + i] - m1 - xhat[o + i] * m2);
  }
}

void layernorm_r_forward_f64(const double* rz, int rows, int w, const double* gamma,
                             const double* vgamma, const double* vbeta, const double* xhat,
                             const double* r, double* rxhat, double* ru) {
  for (int row = 0; row < rows; ++row) {
    const size_t o = static_cast<size_t>(row) * w;
    double m1 = 0, m2 = 0;
    for (int i = 0; i < w; ++i) {
      m1 += rz[o + i];
      m2 += xhat[o + i] * rz[o + i];
    }
    m1 /= w;
    m2 /= w;
    for (int i = 0; i < w; ++i) {
      rxhat[o + i] = r[row] * (rz[o + i] - m1 - xhat[o + i] * m2);
      ru[o + i] = vgamma[i] * xhat[o + i] + gamma[i] * rxhat[o + i] + vbeta[i];
    }
  }
}

void layernorm_r_backward_f64(const double* gu, const double* rgu, const double* rz, int rows,
                              int w, const double* gamma, const double* vgamma,
                              const double* xhat, const double* rxhat, const double* r,
                              double* rgz, double* hv_gamma, double* hv_beta) {
  std::vector<double> gx(w), rgx(w);
  for (int row = 0; row < rows; ++row) {
    const size_t o = static_cast<size_t>(row) * w;
    double m1 = 0, m2 = 0, rm1 = 0, rm2 = 0, xr = 0;
    for (int i = 0; i < w; ++i) {
      hv_gamma[i] += rgu[o + i] * xhat[o + i] + gu[o + i] * rxhat[o + i];
      hv_beta[i] += rgu[o + i];
      gx[i] = gamma[i] * gu[o + i];                            // ∂L/∂x̂
      rgx[i] = vgamma[i] * gu[o + i] + gamma[i] * rgu[o + i];  // R{∂L/∂x̂}
      m1 += gx[i];
      m2 += gx[i] * xhat[o + i];
      rm1 += rgx[i];
      rm2 += rgx[i] * xhat[o + i] + gx[i] * rxhat[o + i];
      xr += xhat[o + i] * rz[o + i];
    }
    m1 /= w;
    m2 /= w;
    rm1 /= w;
    rm2 /= w;
    xr /= w;
    // ∂L/∂z = r·(g − m1 − x̂·m2); R{r}/r = −r·mean(x̂⊙R{z}).
    const double rr = r[row], rr_over_r = -rr * xr;
    for (int i = 0; i < w; ++i) {
      const double gz = rr * (gx[i] - m1 - xhat[o + i] * m2);
      rgz[o + i] =
          rr_over_r * gz + rr * (rgx[i] - rm1 - rxhat[o + i] * m2 - xhat[o + i] * rm2);
    }
  }
}

}  // namespace ridgeline::detail
