#pragma once
// One attention head's forward, backward and their R-operators (Pearlmutter 1994) in float64,
// for the transformer's exact Hessian-vector products (transformer_hvp.cpp). The N×N map is
// formed: the bundled transformers have tens of tokens. Formulas: docs/ARCHITECTURE.md,
// "Hessian-vector products of transformers".
//
// Softmax (Vaswani et al. 2017), s = 1/√d_head, causal masks j > i:
//   S = s·QKᵀ, A = softmax_rows(S), O = A·V
//   R{S} = s(R{Q}Kᵀ + Q R{K}ᵀ), R{A} = A⊙(R{S} − rowsum(A⊙R{S})), R{O} = R{A}V + A R{V}
//   dA = dO Vᵀ, dV = Aᵀ dO, dS = A⊙(dA − c), c = rowsum(A⊙dA), dQ = s·dS K, dK = s·dSᵀ Q
//   R{dA} = R{dO}Vᵀ + dO R{V}ᵀ, R{dV} = R{A}ᵀdO + Aᵀ R{dO},
//   R{dS} = R{A}⊙(dA − c) + A⊙(R{dA} − R{c}), R{c} = rowsum(R{A}⊙dA + A⊙R{dA}),
//   R{dQ} = s(R{dS}K + dS R{K}), R{dK} = s(R{dS}ᵀQ + dSᵀR{Q}).
// Linear with an elementwise feature map φ and the sum normaliser (Katharopoulos et al. 2020):
//   F = φ(Q), G = φ(K), S = (F Gᵀ)⊙mask, g_i = 1/(Σ_j S_ij + eps), A = diag(g) S, O = A·V
//   R{F} = φ'(Q)⊙R{Q}, R{S} = (R{F}Gᵀ + F R{G}ᵀ)⊙mask, R{g} = −g²⊙rowsum(R{S}),
//   R{A} = diag(R{g}) S + diag(g) R{S}
//   dS = (diag(g) dA + e·1ᵀ)⊙mask with e_i = −g_i² Σ_j dA_ij S_ij; dF = dS G, dG = dSᵀ F,
//   dQ = φ'(Q)⊙dF, and R{dQ} = φ'(Q)⊙R{dF} + φ''(Q)⊙R{Q}⊙dF (likewise K).
#include <Eigen/Dense>
#include <string>
#include <vector>

namespace ridgeline::detail {

using MatD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// The attention variants with an R-operator: those of HeadRop here, and the other linear
/// variants of LinearHeadRop (transformer_linear_rop.h).
enum class HeadKernel {
  Softmax, LinearElu, LinearRelu,                            // HeadRop
  TransNormer, InLine, Cosformer, Performer, Hedgehog, Flatten  // LinearHeadRop
};

/// The kernel of variant `name`, or false when it has no R-operator here.
bool head_kernel_of(const std::string& name, HeadKernel* out);
/// The variant names that have one, for messages ("softmax, linear_elu, … and flatten").
const char* head_kernels_with_rop();

struct HeadGrads {
  MatD dQ, dK, dV;     ///< of Σ dO⊙O
  MatD RdQ, RdK, RdV;  ///< their R-derivatives (after tangent(), with R{dO})
  std::vector<double> dtheta, Rdtheta;  ///< LinearHeadRop: the head's learned parameters'
};

class HeadRop {
 public:
  /// The forward state of one head on Q, K [N×d], V [N×d_v].
  HeadRop(HeadKernel kernel, bool causal, const MatD& Q, const MatD& K, const MatD& V);
  MatD out() const { return A_ * V_; }
  /// The R-forward state for the tangents R{Q}, R{K}, R{V}.
  void tangent(const MatD& RQ, const MatD& RK, const MatD& RV);
  MatD r_out() const { return RA_ * V_ + A_ * RV_; }
  /// dQ, dK, dV of Σ dO⊙O; with RdO (after tangent()) also their R-derivatives.
  void backward(const MatD& dO, const MatD* RdO, HeadGrads& g) const;

 private:
  double phi(double x) const;
  double phi_d1(double x) const;
  double phi_d2(double x) const;
  void mask(MatD& m) const;

  HeadKernel kernel_;
  bool causal_;
  int N_;
  double scale_ = 1;  ///< softmax: 1/√d
  const MatD &Q_, &K_, &V_;
  MatD A_;            ///< the map (0 where masked)
  MatD F_, G_, S_;    ///< linear: φ(Q), φ(K), the masked kernel matrix
  Eigen::VectorXd g_; ///< linear: the row normaliser
  bool has_tangent_ = false;
  MatD RQ_, RK_, RV_, RA_, RF_, RG_, RS_;
  Eigen::VectorXd Rg_;
};

}  // namespace ridgeline::detail
