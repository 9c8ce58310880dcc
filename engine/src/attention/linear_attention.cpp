// The linear variants: a feature map, a row normaliser and an optional output RMSNorm, run in
// O(N·d_φ·d_v) by the kernel trick (in 64-row chunks when causal, forward and backward),
// materialised for display, and differentiated exactly (docs/USER_GUIDE.md, "Attention
// variants"; the chunked form and its timings: docs/PERFORMANCE.md, "Attention variants").
// This file: the forward and the materialised map; the backward is in
// linear_attention_backward.cpp, the map's backward and the gradients through the feature map
// in linear_attention_map_backward.cpp (the class and the row normaliser: linear_variant.h).
#include "attention/linear_variant.h"

namespace ridgeline::attention {
namespace linear_detail {

// Chunks of kChunk rows through GEMMs (the intra/inter split of flash-linear-attention's
// chunked form): inside a chunk the masked kernel (Φq Φkᵀ ⊙ tril)·V, across chunks the
// state, Φq·S.
template <class T>
HeadMatrix<T> LinearVariant::forward_t(const HeadMatrix<T>& Q, const HeadMatrix<T>& K,
                                       const HeadMatrix<T>& V, bool causal, KeptOf<T>* keep) const {
  using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using Vec = Eigen::Matrix<T, Eigen::Dynamic, 1>;
  using RowVec = Eigen::Matrix<T, 1, Eigen::Dynamic>;
  check_head_inputs(s_.name, head_dim_, Q, K, &V, static_cast<const HeadMatrix<T>*>(nullptr));
  HeadMatrix<T> pq, pk;
  if (!streams_features<T>()) {
    pq = features(Q, Role::Query);
    pk = features(K, Role::Key);
  }
  const int N = Q.rows, F = s_.map->dim(), D = V.cols;
  const Eigen::Map<const Mat> v(V.data.data(), N, D);
  Mat S = Mat::Zero(F, D), bq, bk;
  Vec z = Vec::Zero(F);
  HeadMatrix<T> out(N, D);
  Eigen::Map<Mat> o(out.data.data(), N, D);
  const bool needs_vsum = s_.normaliser.kind == RowNormaliser::Kind::InLine;
  auto finish_rows = [&](int i0, int rows, const Mat& P, const Vec& r, const Mat& vsum) {
    for (int t = 0; t < rows; ++t) {
      const int i = i0 + t;
      const Coeffs k = coefficients(s_.normaliser, static_cast<double>(r[t]), causal ? i + 1 : N);
      o.row(i) = P.row(t) * static_cast<T>(k.g);
      if (needs_vsum) o.row(i) += vsum.row(t) * static_cast<T>(k.h);
      norm_row(out.row(i), D);
    }
  };
  if (!causal) {  // S, z of all keys, then every query reads them; chunk by chunk
    accumulate_keys(K, pk, v, S, z, bk);
    const RowVec vs = v.colwise().sum();
    for (int i0 = 0; i0 < N; i0 += kChunk) {
      const int rows = std::min(kChunk, N - i0);
      const auto fqc = chunk_features(Q, pq, Role::Query, i0, rows, bq);
      const Mat P = fqc * S;
      const Vec r = fqc * z;
      const Mat vsum = needs_vsum ? Mat(vs.replicate(rows, 1)) : Mat();
      finish_rows(i0, rows, P, r, vsum);
    }
    return out;
  }
  RowVec vs = RowVec::Zero(D);
  if constexpr (std::is_same_v<T, float>)
    if (keep) {
      keep->owner = this;
      keep->P.resize(N, D);
      keep->r.resize(N);
      if (needs_vsum) keep->vsum.resize(N, D);
    }
  for (int i0 = 0; i0 < N; i0 += kChunk) {
    const int rows = std::min(kChunk, N - i0);
    const auto fqc = chunk_features(Q, pq, Role::Query, i0, rows, bq);
    const auto fkc = chunk_features(K, pk, Role::Key, i0, rows, bk);
    Mat A = fqc * fkc.transpose();
    for (int t = 0; t < rows; ++t)
      for (int u = t + 1; u < rows; ++u) A(t, u) = 0;
    Mat P = A * v.middleRows(i0, rows);
    P.noalias() += fqc * S;
    const Vec r = A.rowwise().sum() + fqc * z;
    Mat vsum;
    if (needs_vsum) {
      vsum.resize(rows, D);
      RowVec run = vs;
      for (int t = 0; t < rows; ++t) vsum.row(t) = (run += v.row(i0 + t));
    }
    if constexpr (std::is_same_v<T, float>)
      if (keep) {
        keep->a.push_back(A);
        keep->S.push_back(S);
        keep->z.push_back(z);
        keep->P.middleRows(i0, rows) = P;
        keep->r.segment(i0, rows) = r;
        if (needs_vsum) keep->vsum.middleRows(i0, rows) = vsum;
      }
    finish_rows(i0, rows, P, r, vsum);
    S.noalias() += fkc.transpose() * v.middleRows(i0, rows);
    z += fkc.colwise().sum().transpose();
    if (needs_vsum) vs += v.middleRows(i0, rows).colwise().sum();
  }
  return out;
}

template <class T>
HeadMatrix<T> LinearVariant::materialise_t(const HeadMatrix<T>& Q, const HeadMatrix<T>& K,
                                           bool causal) const {
  check_head_inputs(s_.name, head_dim_, Q, K, static_cast<const HeadMatrix<T>*>(nullptr),
                    static_cast<const HeadMatrix<T>*>(nullptr));
  const HeadMatrix<T> pq = features(Q, Role::Query), pk = features(K, Role::Key);
  const int N = Q.rows, F = pq.cols;
  HeadMatrix<T> A(N, N);
  for (int i = 0; i < N; ++i) {
    const int visible = causal ? i + 1 : N;
    double r = 0;
    for (int j = 0; j < visible; ++j) {
      double dot = 0;
      for (int a = 0; a < F; ++a) dot += static_cast<double>(pq(i, a)) * pk(j, a);
      A(i, j) = static_cast<T>(dot);
      r += dot;
    }
    const Coeffs k = coefficients(s_.normaliser, r, visible);
    for (int j = 0; j < visible; ++j) A(i, j) = static_cast<T>(k.g * A(i, j) + k.h);
  }
  return A;
}

template HeadMatrix<float> LinearVariant::forward_t<float>(const HeadMatrix<float>&,
                                                           const HeadMatrix<float>&,
                                                           const HeadMatrix<float>&, bool,
                                                           KeptOf<float>*) const;
template HeadMatrix<double> LinearVariant::forward_t<double>(const HeadMatrix<double>&,
                                                             const HeadMatrix<double>&,
                                                             const HeadMatrix<double>&, bool,
                                                             KeptOf<double>*) const;
template HeadMatrix<float> LinearVariant::materialise_t<float>(const HeadMatrix<float>&,
                                                               const HeadMatrix<float>&,
                                                               bool) const;
template HeadMatrix<double> LinearVariant::materialise_t<double>(const HeadMatrix<double>&,
                                                                 const HeadMatrix<double>&,
                                                                 bool) const;

}  // namespace linear_detail

std::unique_ptr<AttentionVariant> make_linear_variant(LinearSpec spec) {
  return std::make_unique<linear_detail::LinearVariant>(std::move(spec));
}

}  // namespace ridgeline::attention
