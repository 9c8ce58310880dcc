#pragma once
// Private to engine/src/attention: the variants built from a feature map φ and a row
// normaliser, and the softmax variant. Every linear variant's map is
//   a_ij = g_i·φ(q_i)·φ(k_j) + h_i   for visible j (j ≤ i when causal, all j otherwise),
// with g_i, h_i functions of r_i = φ(q_i)·Σ_{visible s} φ(k_s) and of the number n_i of
// visible keys; forward computes O = post(A·V) as g_i·φ(q_i)ᵀS_i + h_i·Σ_{visible} v_j in O(N).
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "attention/feature_map.h"
#include "ridgeline/attention/attention.h"

namespace ridgeline::attention {

// The float and double overloads of AttentionVariant's computations, forwarded to the
// variant's templates forward_t, materialise_t, backward_t and map_backward_t (which Derived
// declares, and may keep private by befriending TypedVariant<Derived>).
template <class Derived>
class TypedVariant : public AttentionVariant {
 public:
  using AttentionVariant::AttentionVariant;
  MatrixF forward(const MatrixF& Q, const MatrixF& K, const MatrixF& V, bool causal) const override {
    return self().forward_t(Q, K, V, causal);
  }
  MatrixD forward(const MatrixD& Q, const MatrixD& K, const MatrixD& V, bool causal) const override {
    return self().forward_t(Q, K, V, causal);
  }
  MatrixF materialise(const MatrixF& Q, const MatrixF& K, bool causal) const override {
    return self().materialise_t(Q, K, causal);
  }
  MatrixD materialise(const MatrixD& Q, const MatrixD& K, bool causal) const override {
    return self().materialise_t(Q, K, causal);
  }
  AttentionGrads<float> backward(const MatrixF& Q, const MatrixF& K, const MatrixF& V, bool causal,
                                 const MatrixF& dO) const override {
    return self().backward_t(Q, K, V, causal, dO);
  }
  AttentionGrads<double> backward(const MatrixD& Q, const MatrixD& K, const MatrixD& V, bool causal,
                                  const MatrixD& dO) const override {
    return self().backward_t(Q, K, V, causal, dO);
  }
  AttentionGrads<float> materialise_backward(const MatrixF& Q, const MatrixF& K, bool causal,
                                             const MatrixF& dA) const override {
    return self().map_backward_t(Q, K, causal, dA);
  }
  AttentionGrads<double> materialise_backward(const MatrixD& Q, const MatrixD& K, bool causal,
                                              const MatrixD& dA) const override {
    return self().map_backward_t(Q, K, causal, dA);
  }

 private:
  const Derived& self() const { return static_cast<const Derived&>(*this); }
};

struct RowNormaliser {
  enum class Kind {
    Sum,       ///< g = 1/(r + eps)                       (fast-transformers, Performer eps = 0)
    SumClamp,  ///< g = 1/max(r, eps)                     (cosFormer's clamp_min)
    Mean,      ///< g = (1/n)/(r/n + eps)                 (FLatten: Z = 1/(q·mean(k) + eps))
    None,      ///< g = 1, no denominator                 (TransNormer)
    InLine,    ///< g = scale/n, h = (1 − scale·r/n)/n    (InLine: rows sum to 1 exactly)
  };
  Kind kind = Kind::Sum;
  double eps = 0;
  double scale = 1;  ///< InLine's d^−1/2
};

struct LinearSpec {
  std::string name, description;
  int head_dim = 0;
  std::unique_ptr<FeatureMap> map;
  RowNormaliser normaliser;
  OutputNorm output_norm = OutputNorm::None;
  double output_norm_eps = 0;
  std::vector<double> params;  ///< initial learned parameters
  std::vector<std::pair<std::string, std::vector<int>>> param_blocks;
};

std::unique_ptr<AttentionVariant> make_linear_variant(LinearSpec spec);
std::unique_ptr<AttentionVariant> make_softmax_variant(int head_dim);

/// Throws InputError unless Q, K are N×d, V is N×d_v (and dO N×d_v when given), N ≥ 1.
template <class T>
void check_head_inputs(const std::string& who, int d, const HeadMatrix<T>& Q,
                       const HeadMatrix<T>& K, const HeadMatrix<T>* V, const HeadMatrix<T>* dO);

/// Throws InputError unless dA is N×N for N = Q.rows.
template <class T>
void check_map_gradient(const std::string& who, const HeadMatrix<T>& Q, const HeadMatrix<T>& dA);

}  // namespace ridgeline::attention
