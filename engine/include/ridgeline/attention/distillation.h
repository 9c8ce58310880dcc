#pragma once
/// @file distillation.h
/// Attention distillation to softmax (Hedgehog, Zhang et al. 2024, "The Hedgehog & the
/// Porcupine", arXiv 2402.04347, §4.2: the learned feature map is trained so that its linear
/// attention weights mimic softmax attention weights). For one head with queries Q [N, d] and
/// keys K [N, d], the teacher is the softmax map of the same queries and keys,
/// p = softmax(QKᵀ/√d) (causal: over j ≤ i), and the loss is the soft-label cross-entropy of
/// the student's map â, averaged over the N query rows:
///   L = −(1/N) Σ_i Σ_j p_ij · log â_ij.
/// The teacher carries no gradient (a stop-gradient, as the paper's and LoLCATs' teacher is a
/// fixed softmax attention). L differs from the mean KL(p_i ‖ â_i) by the mean entropy of the
/// teacher's rows, which does not depend on the student, so both have the same gradient.
#include "ridgeline/attention/attention.h"

namespace ridgeline::attention {

template <class T>
struct DistillationLoss {
  double loss = 0;          ///< L above
  double kl = 0;            ///< (1/N) Σ_i KL(p_i ‖ â_i): L minus the teacher's mean row entropy
  AttentionGrads<T> grads;  ///< with want_grad: ∂L/∂Q and ∂L/∂K through â only (p is held
                            ///< fixed), ∂L/∂(the student's parameters); dV stays empty
};

/// The distillation loss of `student`'s map to the softmax map of the same Q, K (float64).
/// Throws InputError when Q and K differ in shape or width from the student's head_dim, and
/// when â has a non-positive weight where p is positive (the log is undefined: maps that are
/// not positive distributions, TransNormer's or InLine's, cannot be distilled this way).
DistillationLoss<double> distill_to_softmax(const AttentionVariant& student, const MatrixD& Q,
                                            const MatrixD& K, bool causal, bool want_grad);

}  // namespace ridgeline::attention
