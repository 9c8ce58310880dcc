#pragma once
// The R-operator of one hidden layer's nonlinearity, z → LayerNorm (optional) → u → σ → a with
// σ = ReLU or GELU, on the host in float64 (mlp_hvp.cpp uses it for every MLP except plain
// ReLU, whose R-operator is a mask on the device). The float64 LayerNorm and activation
// R-operators are shared with the transformer (models/rop_nonlinear.h); this class keeps the
// MLP's per-layer state between the passes. Notation and derivation: docs/ARCHITECTURE.md,
// "Hessian-vector products"; Pearlmutter 1994 for the R-operator.
//   LayerNorm per row (n = width): x̂ = (z − mean z)·r, r = (var z + ε)^{-1/2}, u = γ⊙x̂ + β.
//   Its Jacobian is symmetric: J·g = r·(g − mean g − x̂·mean(g⊙x̂)).
//   σ'(u), σ''(u): ReLU 1[u>0], 0; GELU Φ(u) + uφ(u), φ(u)(2 − u²).
#include <vector>

#include "models/rop_nonlinear.h"

namespace ridgeline::detail {

class HvpNonlinearLayer {
 public:
  HvpNonlinearLayer(bool layernorm, bool gelu, double eps)
      : ln_(layernorm), act_(gelu ? Activation::Gelu : Activation::Relu), eps_(eps) {}

  /// The forward state from the Linear output z [rows×w] and LayerNorm's γ, β (ignored without
  /// LayerNorm).
  void set_forward(const float* z, int rows, int w, const float* gamma, const float* beta);
  /// The plain backward (independent of v): from ∂L/∂a, keeps what R-backward needs and writes
  /// ∂L/∂z into gz.
  void backward(const float* ga, const float* gamma, float* gz);
  /// R-forward: from R{z}, writes R{a} (kept: R{z}, R{x̂}, R{u}).
  void r_forward(const float* rz, const float* gamma, const float* vgamma, const float* vbeta,
                 float* ra);
  /// R-backward: from R{∂L/∂a}, writes R{∂L/∂z} and, with LayerNorm, the Hessian-vector
  /// product's γ and β entries (sums over rows).
  void r_backward(const float* rga, const float* gamma, const float* vgamma, float* rgz,
                  float* hv_gamma, float* hv_beta);

 private:
  bool ln_;
  Activation act_;
  double eps_;
  int rows_ = 0, w_ = 0;
  std::vector<double> xhat_, r_, u_;   // forward (x̂ and r with LayerNorm only)
  std::vector<double> ga_;             // ∂L/∂a
  std::vector<double> gu_;             // ∂L/∂u
  std::vector<double> rz_, rxhat_, ru_;
};

}  // namespace ridgeline::detail
