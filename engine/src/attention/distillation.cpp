// Attention distillation to softmax (distillation.h).
#include "ridgeline/attention/distillation.h"

#include <cmath>

#include "ridgeline/core/errors.h"

namespace ridgeline::attention {

DistillationLoss<double> distill_to_softmax(const AttentionVariant& student, const MatrixD& Q,
                                            const MatrixD& K, bool causal, bool want_grad) {
  const int n = Q.rows, d = Q.cols;
  if (K.rows != n || K.cols != d || d != student.head_dim() || n < 1)
    throw InputError("attention distillation: queries [" + std::to_string(Q.rows) + ", " +
                     std::to_string(Q.cols) + "] and keys [" + std::to_string(K.rows) + ", " +
                     std::to_string(K.cols) + "] for heads of width " +
                     std::to_string(student.head_dim()));
  const MatrixD p = make_variant("softmax", d)->materialise(Q, K, causal);
  const MatrixD a = student.materialise(Q, K, causal);
  DistillationLoss<double> r;
  MatrixD dA(n, n);
  for (int i = 0; i < n; ++i) {
    const int last = causal ? i : n - 1;
    for (int j = 0; j <= last; ++j) {
      const double pij = p(i, j), aij = a(i, j);
      if (pij <= 0) continue;  // exp underflow: the term is 0, as in the KL metric
      if (!(aij > 0))
        throw InputError("attention distillation: " + student.name() + "'s weight a(" +
                         std::to_string(i) + ", " + std::to_string(j) + ") = " +
                         std::to_string(aij) + " is not positive; its log is undefined");
      r.loss -= pij * std::log(aij);
      r.kl += pij * (std::log(pij) - std::log(aij));
      dA(i, j) = -pij / (aij * n);
    }
  }
  r.loss /= n;
  r.kl /= n;
  if (want_grad) r.grads = student.materialise_backward(Q, K, causal, dA);
  return r;
}

}  // namespace ridgeline::attention
