// The linear variants' backward (linear_variant.h): exact gradients of O = post(A·V) with
// respect to Q, K, V and the feature map's parameters, in the chunks of the forward
// (docs/USER_GUIDE.md, "Attention variants"; docs/PERFORMANCE.md, "Attention variants").
#include "attention/linear_variant.h"

namespace ridgeline::attention::linear_detail {

// Gradients in the chunks of forward_t. With M_ij = v_j·dp_i + dr_i (dp_i = g_i·dy_i, dr_i
// the gradient of r_i) for the visible pairs:
//   dφ(q_i) = Σ_{j ≤ i} M_ij φ(k_j),  dφ(k_j) = Σ_{i ≥ j} M_ij φ(q_i),
//   dv_j = Σ_{i ≥ j} a_ij·dp_i + Σ_{i ≥ j} h_i·dy_i   (a_ij = φ(q_i)·φ(k_j), unnormalised).
// Inside a chunk these are masked GEMMs; across chunks the forward state S, z carries the
// earlier keys to dφ(q), and its gradient dS = Σ_{later} φ(q) dpᵀ, dz = Σ_{later} φ(q) dr
// carries the later queries to dφ(k) and dv, in a reverse sweep over the chunks.
template <class T>
AttentionGrads<T> LinearVariant::backward_t(const HeadMatrix<T>& Q, const HeadMatrix<T>& K,
                                            const HeadMatrix<T>& V, bool causal,
                                            const HeadMatrix<T>& dO, const KeptOf<T>* kept) const {
  using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using Vec = Eigen::Matrix<T, Eigen::Dynamic, 1>;
  using RowVec = Eigen::Matrix<T, 1, Eigen::Dynamic>;
  check_head_inputs(s_.name, head_dim_, Q, K, &V, &dO);
  // Streaming (float, elementwise map): φ per chunk, and dφ(q), dφ(k) turned into dQ, dK in
  // place, chunk by chunk, as soon as they are complete.
  const bool stream = streams_features<T>();
  HeadMatrix<T> pq, pk;
  if (!stream) {
    pq = features(Q, Role::Query);
    pk = features(K, Role::Key);
  }
  const int N = Q.rows, F = s_.map->dim(), D = V.cols;
  const Eigen::Map<const Mat> v(V.data.data(), N, D);
  HeadMatrix<T> dpq(N, F), dpk(N, F), dV(N, D);
  Eigen::Map<Mat> dfq(dpq.data.data(), N, F), dfk(dpk.data.data(), N, F), dv(dV.data.data(), N, D);
  const bool needs_vsum = s_.normaliser.kind == RowNormaliser::Kind::InLine;
  Mat dP(N, D), hdy(needs_vsum ? N : 0, D);
  Vec dr(N);
  std::vector<T> y(D), dy(D);
  Mat S = Mat::Zero(F, D), dS = Mat::Zero(F, D), bq, bk;
  Vec z = Vec::Zero(F), dz = Vec::Zero(F);
  RowVec hs = RowVec::Zero(D);
  auto to_input_grad = [&](const HeadMatrix<T>& X, Role role, int i0, int rows, T* dphi) {
    if constexpr (std::is_same_v<T, float>)
      if (stream) s_.map->backward_rows_float(X.row(i0), rows, X.cols, role, dphi, dphi);
  };
  // dp, dr and h·dy of rows i0.. from their P = Σ a_ij v_j, r and visible value sums.
  auto row_grads = [&](int i0, int rows, const Mat& P, const Vec& r, const Mat& vsum) {
    for (int t = 0; t < rows; ++t) {
      const int i = i0 + t;
      const Coeffs k = coefficients(s_.normaliser, static_cast<double>(r[t]), causal ? i + 1 : N);
      const T g = static_cast<T>(k.g), h = static_cast<T>(k.h);
      for (int c = 0; c < D; ++c) y[c] = g * P(t, c) + (needs_vsum ? h * vsum(t, c) : T(0));
      norm_row_backward(y.data(), dO.row(i), dy.data(), D);
      double dg = 0, dh = 0;
      for (int c = 0; c < D; ++c) {
        dg += static_cast<double>(dy[c]) * P(t, c);
        if (needs_vsum) {
          dh += static_cast<double>(dy[c]) * vsum(t, c);
          hdy(i, c) = h * dy[c];
        }
        dP(i, c) = g * dy[c];
      }
      dr[i] = static_cast<T>(k.dg * dg + k.dh * dh);
    }
  };
  if (!causal) {
    // S, z of all keys; every query's dp, dr and dφ(q), accumulating dS, dz; then every key's
    // dφ(k) and dv from dS, dz. Chunk by chunk.
    accumulate_keys(K, pk, v, S, z, bk);
    const RowVec vs = v.colwise().sum();
    for (int i0 = 0; i0 < N; i0 += kChunk) {
      const int rows = std::min(kChunk, N - i0);
      const auto fqc = chunk_features(Q, pq, Role::Query, i0, rows, bq);
      const Mat P = fqc * S;
      const Vec r = fqc * z;
      const Mat vsum = needs_vsum ? Mat(vs.replicate(rows, 1)) : Mat();
      row_grads(i0, rows, P, r, vsum);
      const auto dPc = dP.middleRows(i0, rows);
      const auto drc = dr.segment(i0, rows);
      auto dfqc = dfq.middleRows(i0, rows);
      dfqc.noalias() = dPc * S.transpose();
      dfqc.noalias() += drc * z.transpose();
      to_input_grad(Q, Role::Query, i0, rows, dpq.row(i0));
      dS.noalias() += fqc.transpose() * dPc;
      dz.noalias() += fqc.transpose() * drc;
    }
    if (needs_vsum) hs = hdy.colwise().sum();
    for (int i0 = 0; i0 < N; i0 += kChunk) {
      const int rows = std::min(kChunk, N - i0);
      const auto fkc = chunk_features(K, pk, Role::Key, i0, rows, bk);
      auto dfkc = dfk.middleRows(i0, rows);
      dfkc.noalias() = v.middleRows(i0, rows) * dS.transpose();
      dfkc.rowwise() += dz.transpose();
      to_input_grad(K, Role::Key, i0, rows, dpk.row(i0));
      auto dvc = dv.middleRows(i0, rows);
      dvc.noalias() = fkc * dS;
      if (needs_vsum) dvc.rowwise() += hs;
    }
  } else {
    // Forward sweep: the chunk's output as in forward_t, then its dp, dr; dφ(q) whole; the
    // intra-chunk parts of dφ(k) and dv while a and M are at hand.
    const int chunks = (N + kChunk - 1) / kChunk;
    Mat a, m;
    RowVec vs = RowVec::Zero(D);
    for (int c = 0; c < chunks; ++c) {
      const int i0 = c * kChunk, rows = std::min(kChunk, N - i0);
      const auto fqc = chunk_features(Q, pq, Role::Query, i0, rows, bq);
      const auto fkc = chunk_features(K, pk, Role::Key, i0, rows, bk);
      const auto vc = v.middleRows(i0, rows);
      // The chunk's forward: kept by forward_keeping, else recomputed (4 GEMMs).
      const Mat* Sc = &S;
      const Vec* zc = &z;
      Mat P, vsum;
      Vec r;
      bool have = false;
      if constexpr (std::is_same_v<T, float>)
        if (kept) {
          a = kept->a[static_cast<size_t>(c)];
          Sc = &kept->S[static_cast<size_t>(c)];
          zc = &kept->z[static_cast<size_t>(c)];
          P = kept->P.middleRows(i0, rows);
          r = kept->r.segment(i0, rows);
          if (needs_vsum) vsum = kept->vsum.middleRows(i0, rows);
          have = true;
        }
      if (!have) {
        a.noalias() = fqc * fkc.transpose();
        for (int t = 0; t < rows; ++t)
          for (int u = t + 1; u < rows; ++u) a(t, u) = 0;
        P = a * vc;
        P.noalias() += fqc * S;
        r = a.rowwise().sum() + fqc * z;
        if (needs_vsum) {
          vsum.resize(rows, D);
          RowVec run = vs;
          for (int t = 0; t < rows; ++t) vsum.row(t) = (run += vc.row(t));
        }
      }
      row_grads(i0, rows, P, r, vsum);
      const auto dPc = dP.middleRows(i0, rows);
      const auto drc = dr.segment(i0, rows);
      m.noalias() = dPc * vc.transpose();
      m.colwise() += drc;
      for (int t = 0; t < rows; ++t)
        for (int u = t + 1; u < rows; ++u) m(t, u) = 0;
      auto dfqc = dfq.middleRows(i0, rows);
      dfqc.noalias() = m * fkc;
      dfqc.noalias() += dPc * Sc->transpose();
      dfqc.noalias() += drc * zc->transpose();
      to_input_grad(Q, Role::Query, i0, rows, dpq.row(i0));
      dfk.middleRows(i0, rows).noalias() = m.transpose() * fqc;
      dv.middleRows(i0, rows).noalias() = a.transpose() * dPc;
      if (!have) {
        S.noalias() += fkc.transpose() * vc;
        z.noalias() += fkc.transpose() * Vec::Ones(rows);
        if (needs_vsum) vs += vc.colwise().sum();
      }
    }
    // Reverse sweep: the later chunks' queries through dS, dz (and Σ h·dy for InLine).
    for (int c = chunks - 1; c >= 0; --c) {
      const int i0 = c * kChunk, rows = std::min(kChunk, N - i0);
      const auto fqc = chunk_features(Q, pq, Role::Query, i0, rows, bq);
      const auto fkc = chunk_features(K, pk, Role::Key, i0, rows, bk);
      const auto vc = v.middleRows(i0, rows);
      auto dfkc = dfk.middleRows(i0, rows);
      auto dvc = dv.middleRows(i0, rows);
      if (c < chunks - 1) {
        dfkc.noalias() += vc * dS.transpose();
        dfkc.rowwise() += dz.transpose();
        dvc.noalias() += fkc * dS;
      }
      if (needs_vsum)
        for (int t = rows - 1; t >= 0; --t) dvc.row(t) += (hs += hdy.row(i0 + t));
      dS.noalias() += fqc.transpose() * dP.middleRows(i0, rows);
      dz.noalias() += fqc.transpose() * dr.segment(i0, rows);
      to_input_grad(K, Role::Key, i0, rows, dpk.row(i0));
    }
  }
  AttentionGrads<T> g;
  g.dV = std::move(dV);
  if (stream) {
    g.dQ = std::move(dpq);
    g.dK = std::move(dpk);
    g.dparams.assign(params_.size(), 0.0);
  } else {
    through_map(Q, K, std::move(dpq), std::move(dpk), g);
  }
  return g;
}

template AttentionGrads<float> LinearVariant::backward_t<float>(const HeadMatrix<float>&,
                                                                const HeadMatrix<float>&,
                                                                const HeadMatrix<float>&, bool,
                                                                const HeadMatrix<float>&,
                                                                const KeptOf<float>*) const;
template AttentionGrads<double> LinearVariant::backward_t<double>(const HeadMatrix<double>&,
                                                                  const HeadMatrix<double>&,
                                                                  const HeadMatrix<double>&, bool,
                                                                  const HeadMatrix<double>&,
                                                                  const KeptOf<double>*) const;

}  // namespace ridgeline::attention::linear_detail
