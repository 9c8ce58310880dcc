#pragma once
// One attention head of the linear variants other than elu+1 and relu — TransNormer, InLine,
// cosFormer, Performer, Hedgehog and FLatten — in float64: forward, backward (the gradients
// of Q, K, V and of the head's learned feature-map parameters) and their R-operators
// (Pearlmutter 1994), for the transformer's exact Hessian-vector products
// (transformer_hvp.cpp). Each variant is the one engine/src/attention builds for the
// transformer (registry defaults; Performer's ω from gaussian_orthogonal_features with the
// architecture's features and fseed), reproduced here so the HVP differentiates exactly the
// model's forward (test_transformer_hvp checks the two against each other).
//
// The N×N map is formed, as for the other heads (transformer_attention_rop.h):
//   F = φ(Q; θ), G = φ(K; θ) row by row (a row's map may read its position i and N),
//   κ_ij = F_i·G_j for visible j (j ≤ i when causal), r_i = Σ_j κ_ij, n_i visible keys,
//   y_i = g(r_i, n_i)·Σ_j κ_ij v_j + h(r_i, n_i)·Σ_j v_j,  o_i = y_i or RMSNorm(y_i),
// with g, h of attention::RowNormaliser (Sum, SumClamp, Mean, None, InLine). The backward is
// written once, by hand, for any such head:
//   dy from do (RMSNorm: dy = ρ·do − ρ³(y·do)/D·y, ρ = (|y|²/D + eps)^−1/2),
//   dr_i = g'(r_i)·(dy_i·P_i) + h'(r_i)·(dy_i·Σ_j v_j), P_i = Σ_j κ_ij v_j,
//   dκ_ij = g_i·(dy_i·v_j) + dr_i, dv_j = Σ_i (g_i κ_ij + h_i)·dy_i,
//   dF = dκ G, dG = dκᵀF, then dQ, dK, dθ through the map's own vector-Jacobian product.
// The R-operator R{·} = ∂/∂ε|₀ along (Q, K, V, θ, dO) + ε(R{Q}, R{K}, R{V}, v_θ, R{dO}) of
// the forward and of this backward is taken by forward-mode differentiation: the same code
// runs on dual numbers a + ε·b with ε² = 0, whose ε-parts are exactly the R-derivatives
// (Pearlmutter's operator is this directional derivative; nothing is approximated). The only
// non-smooth points — relu's kink, cosFormer's clamp, Performer's query max, the registry's
// own choices — are differentiated on the side the forward takes, as the model's backward does.
#include <memory>
#include <vector>

#include "ridgeline/models/transformer/transformer.h"
#include "transformer_attention_rop.h"

namespace ridgeline::detail {

/// Whether `kernel` is one of the heads of this file (not HeadRop's).
bool is_generic_linear(HeadKernel kernel);

/// What a transformer's linear heads share: the variant, the head width, d_φ, the learned
/// parameters per head (Hedgehog's W [d, f], FLatten's scale [d]) and Performer's ω [m, d].
struct LinearHeadSpec {
  LinearHeadSpec(HeadKernel kernel, const TransformerArch& arch);
  HeadKernel kernel;
  int d = 0;       ///< head width
  int F = 0;       ///< d_φ
  int f = 0;       ///< Hedgehog: features per half; Performer: m
  int params = 0;  ///< learned parameters per head
  std::vector<double> omega;  ///< Performer: ω [m, d], row-major
};

class LinearHeadRop {
 public:
  /// One head on Q, K [N×d], V [N×d_v] with its parameters θ (null when the variant has none).
  LinearHeadRop(const LinearHeadSpec& spec, bool causal, const MatD& Q, const MatD& K,
                const MatD& V, const double* theta);
  ~LinearHeadRop();
  MatD out() const;
  /// The R-forward along the tangents R{Q}, R{K}, R{V} and v_θ (null: none); its state is
  /// kept for backward().
  void tangent(const MatD& RQ, const MatD& RK, const MatD& RV, const double* vtheta);
  MatD r_out() const { return r_out_; }
  /// dQ, dK, dV and dθ of Σ dO⊙O; with RdO (after tangent()) also their R-derivatives.
  void backward(const MatD& dO, const MatD* RdO, HeadGrads& g) const;

 private:
  struct Tangent;  // the forward on dual numbers
  const LinearHeadSpec& s_;
  bool causal_;
  const MatD &Q_, &K_, &V_;
  std::vector<double> theta_;
  MatD r_out_;
  std::unique_ptr<Tangent> tangent_;
};

}  // namespace ridgeline::detail
