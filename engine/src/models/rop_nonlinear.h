#pragma once
// Float64 R-operators (Pearlmutter 1994, "Fast exact multiplication by the Hessian") of the
// pieces every model kind's Hessian-vector product shares: pointwise activations (ReLU, GELU in
// its erf and tanh forms) and LayerNorm, row by row over [rows × w] row-major matrices. The MLP
// (mlp/mlp_hvp_nonlinear.h) and the transformer (transformer/transformer_hvp.cpp) use them.
// Notation and derivation: docs/ARCHITECTURE.md, "Hessian-vector products of GELU and LayerNorm
// MLPs".
//   LayerNorm per row (n = w): x̂ = (z − mean z)·r, r = (var z + ε)^{-1/2} (biased variance, as
//   torch.nn.LayerNorm), u = γ⊙x̂ + β. Its Jacobian is symmetric: J·g = r·(g − mean g −
//   x̂·mean(g⊙x̂)).
//   σ'(u), σ''(u): ReLU 1[u>0], 0; GELU Φ(u) + uφ(u), φ(u)(2 − u²); tanh GELU (GPT-2's) below.
#include <cstddef>

namespace ridgeline::detail {

enum class Activation { Identity, Relu, Gelu, GeluTanh };

double activation_f64(Activation a, double u);  ///< σ(u)
double activation_d1(Activation a, double u);  ///< σ'(u)
double activation_d2(Activation a, double u);  ///< σ''(u)

/// LayerNorm forward: x̂ [rows×w], r [rows], u = γ⊙x̂ + β [rows×w] (u may be null).
void layernorm_forward_f64(const double* z, int rows, int w, double eps, const double* gamma,
                           const double* beta, double* xhat, double* r, double* u);
/// LayerNorm backward from gu = ∂L/∂u: gz = J·(γ⊙gu) (overwritten); dgamma += Σ_rows gu⊙x̂,
/// dbeta += Σ_rows gu (either may be null).
void layernorm_backward_f64(const double* gu, int rows, int w, const double* gamma,
                            const double* xhat, const double* r, double* gz, double* dgamma,
                            double* dbeta);
/// R-forward: R{x̂} = J·R{z}, R{u} = v_γ⊙x̂ + γ⊙R{x̂} + v_β (both overwritten).
void layernorm_r_forward_f64(const double* rz, int rows, int w, const double* gamma,
                             const double* vgamma, const double* vbeta, const double* xhat,
                             const double* r, double* rxhat, double* ru);
/// R-backward from gu = ∂L/∂u and R{gu}: R{∂L/∂z} into rgz (overwritten), and the HVP's γ, β
/// entries hv_gamma += Σ_rows (R{gu}⊙x̂ + gu⊙R{x̂}), hv_beta += Σ_rows R{gu}. With g = γ⊙gu,
/// R{g} = v_γ⊙gu + γ⊙R{gu} and R{r}/r = −r·mean(x̂⊙R{z}):
///   R{∂L/∂z} = (R{r}/r)·∂L/∂z + r·(R{g} − mean R{g} − R{x̂}·mean(g⊙x̂) − x̂·mean(R{g}⊙x̂ + g⊙R{x̂})).
void layernorm_r_backward_f64(const double* gu, const double* rgu, const double* rz, int rows,
                              int w, const double* gamma, const double* vgamma,
                              const double* xhat, const double* rxhat, const double* r,
                              double* rgz, double* hv_gamma, double* hv_beta);

}  // namespace ridgeline::detail
