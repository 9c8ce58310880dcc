// The linear variants' materialised map differentiated (linear_variant.h): dQ, dK and the
// feature map's parameters from dA, in O(N²·d_φ); and the step both backwards end in, from the
// gradients of the features φ(Q), φ(K) through the feature map.
#include "attention/linear_variant.h"

namespace ridgeline::attention::linear_detail {

// a_ij = g(r_i)·κ_ij + h(r_i), κ_ij = φ(q_i)·φ(k_j), r_i = Σ_visible κ_is: O(N²·d_φ).
template <class T>
AttentionGrads<T> LinearVariant::map_backward_t(const HeadMatrix<T>& Q, const HeadMatrix<T>& K,
                                                bool causal, const HeadMatrix<T>& dA) const {
  check_head_inputs(s_.name, head_dim_, Q, K, static_cast<const HeadMatrix<T>*>(nullptr),
                    static_cast<const HeadMatrix<T>*>(nullptr));
  check_map_gradient(s_.name, Q, dA);
  const HeadMatrix<T> pq = features(Q, Role::Query), pk = features(K, Role::Key);
  const int N = Q.rows, F = pq.cols;
  HeadMatrix<T> dpq(N, F), dpk(N, F);
  std::vector<double> kappa(N);
  for (int i = 0; i < N; ++i) {
    const int visible = causal ? i + 1 : N;
    double r = 0, s1 = 0, s0 = 0;
    for (int j = 0; j < visible; ++j) {
      double dot = 0;
      for (int a = 0; a < F; ++a) dot += static_cast<double>(pq(i, a)) * pk(j, a);
      kappa[j] = dot;
      r += dot;
      s1 += static_cast<double>(dA(i, j)) * dot;
      s0 += dA(i, j);
    }
    const Coeffs k = coefficients(s_.normaliser, r, visible);
    const double dr = k.dg * s1 + k.dh * s0;
    for (int j = 0; j < visible; ++j) {
      const T dk = static_cast<T>(k.g * dA(i, j) + dr);
      for (int a = 0; a < F; ++a) {
        dpq(i, a) += dk * pk(j, a);
        dpk(j, a) += dk * pq(i, a);
      }
    }
  }
  AttentionGrads<T> g;
  through_map(Q, K, std::move(dpq), std::move(dpk), g);
  return g;
}

// dQ, dK and dparams from the gradients of the features φ(Q), φ(K) (taken by value: the
// float path of an elementwise map turns them into dQ, dK in place).
template <class T>
void LinearVariant::through_map(const HeadMatrix<T>& Q, const HeadMatrix<T>& K, HeadMatrix<T> dpq,
                                HeadMatrix<T> dpk, AttentionGrads<T>& g) const {
  const int N = Q.rows, d = Q.cols, F = dpq.cols;
  g.dparams.assign(params_.size(), 0.0);
  std::vector<double> dx;
  for (int pass = 0; pass < 2; ++pass) {
    const HeadMatrix<T>& X = pass == 0 ? Q : K;
    HeadMatrix<T>& dP = pass == 0 ? dpq : dpk;
    HeadMatrix<T>& dX = pass == 0 ? g.dQ : g.dK;
    const Role role = pass == 0 ? Role::Query : Role::Key;
    if constexpr (std::is_same_v<T, float>)
      if (s_.map->backward_rows_float(X.data.data(), N, d, role, dP.data.data(), dP.data.data())) {
        dX = std::move(dP);
        continue;
      }
    dX = HeadMatrix<T>(N, d);
    if (s_.map->batched()) {
      dx.resize(static_cast<size_t>(N) * d);
      const std::vector<double> x(X.data.begin(), X.data.end()),
          dphi(dP.data.begin(), dP.data.end());
      s_.map->backward_rows(x.data(), N, d, role, params_.data(), dphi.data(), dx.data(),
                            g.dparams.data());
      std::copy(dx.begin(), dx.end(), dX.data.begin());
      continue;
    }
    std::vector<double> x(d), dphi(F), dxi(d);
    for (int i = 0; i < N; ++i) {
      std::copy(X.row(i), X.row(i) + d, x.begin());
      std::copy(dP.row(i), dP.row(i) + F, dphi.begin());
      s_.map->backward(x.data(), i, N, role, params_.data(), dphi.data(), dxi.data(),
                       g.dparams.data());
      std::copy(dxi.begin(), dxi.end(), dX.row(i));
    }
  }
}

template AttentionGrads<float> LinearVariant::map_backward_t<float>(const HeadMatrix<float>&,
                                                                    const HeadMatrix<float>&, bool,
                                                                    const HeadMatrix<float>&) const;
template AttentionGrads<double> LinearVariant::map_backward_t<double>(
    const HeadMatrix<double>&, const HeadMatrix<double>&, bool, const HeadMatrix<double>&) const;
template void LinearVariant::through_map<float>(const HeadMatrix<float>&, const HeadMatrix<float>&,
                                                HeadMatrix<float>, HeadMatrix<float>,
                                                AttentionGrads<float>&) const;
template void LinearVariant::through_map<double>(const HeadMatrix<double>&,
                                                 const HeadMatrix<double>&, HeadMatrix<double>,
                                                 HeadMatrix<double>, AttentionGrads<double>&) const;

}  // namespace ridgeline::attention::linear_detail
