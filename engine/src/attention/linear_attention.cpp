// The linear variants: a feature map, a row normaliser and an optional output RMSNorm, run in
// O(N·d_φ·d_v) by the kernel trick (in 64-row chunks when causal, forward and backward),
// materialised for display, and differentiated exactly (docs/USER_GUIDE.md, "Attention
// variants"; the chunked form and its timings: docs/PERFORMANCE.md, "Attention variants").
#include "attention/linear_attention.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <type_traits>

namespace ridgeline::attention {
namespace {

constexpr int kChunk = 64;  // rows per chunk of the causal forward and backward

// g, h and their derivatives with respect to r for one row.
struct Coeffs {
  double g = 1, h = 0, dg = 0, dh = 0;
};

Coeffs coefficients(const RowNormaliser& z, double r, int n) {
  Coeffs c;
  switch (z.kind) {
    case RowNormaliser::Kind::Sum: {
      const double den = r + z.eps;
      c.g = 1.0 / den;
      c.dg = -1.0 / (den * den);
      break;
    }
    case RowNormaliser::Kind::SumClamp:
      if (r > z.eps) {
        c.g = 1.0 / r;
        c.dg = -1.0 / (r * r);
      } else {
        c.g = 1.0 / z.eps;
      }
      break;
    case RowNormaliser::Kind::Mean: {
      const double den = r / n + z.eps;
      c.g = (1.0 / n) / den;
      c.dg = -(1.0 / (static_cast<double>(n) * n)) / (den * den);
      break;
    }
    case RowNormaliser::Kind::None:
      break;
    case RowNormaliser::Kind::InLine:
      c.g = z.scale / n;
      c.h = (1.0 - z.scale * r / n) / n;
      c.dh = -z.scale / (static_cast<double>(n) * n);
      break;
  }
  return c;
}

class LinearVariant final : public TypedVariant<LinearVariant> {
 public:
  explicit LinearVariant(LinearSpec spec) : TypedVariant(spec.head_dim), s_(std::move(spec)) {
    params_ = s_.params;
  }
  std::string name() const override { return s_.name; }
  std::string description() const override { return s_.description; }
  bool is_linear() const override { return true; }
  int feature_dim() const override { return s_.map->dim(); }
  bool rows_sum_to_one() const override { return s_.normaliser.kind != RowNormaliser::Kind::None; }
  OutputNorm output_norm() const override { return s_.output_norm; }
  double output_norm_eps() const override { return s_.output_norm_eps; }
  std::vector<std::pair<std::string, std::vector<int>>> param_blocks() const override {
    return s_.param_blocks;
  }
  MatrixF forward_keeping(const MatrixF& Q, const MatrixF& K, const MatrixF& V, bool causal,
                          std::unique_ptr<ForwardState>& kept) const override {
    kept.reset();
    if (!causal) return forward_t(Q, K, V, causal);  // its backward recomputes little
    auto k = std::make_unique<Kept>();
    MatrixF out = forward_t(Q, K, V, causal, k.get());
    kept = std::move(k);
    return out;
  }
  AttentionGrads<float> backward_kept(const MatrixF& Q, const MatrixF& K, const MatrixF& V,
                                      bool causal, const MatrixF& dO,
                                      const ForwardState* kept) const override {
    const auto* k = dynamic_cast<const Kept*>(kept);
    return backward_t(Q, K, V, causal, dO, causal && k && k->owner == this ? k : nullptr);
  }

 private:
  friend class TypedVariant<LinearVariant>;
  using MatF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using VecF = Eigen::Matrix<float, Eigen::Dynamic, 1>;
  // What the causal float forward keeps (forward_keeping): per chunk the masked kernel a and
  // the state S, z before it; per row P = Σ a_ij v_j (+ the state's part), r and, for InLine,
  // the visible value sums.
  struct Kept final : ForwardState {
    const LinearVariant* owner = nullptr;
    std::vector<MatF> a, S;
    std::vector<VecF> z;
    MatF P, vsum;
    VecF r;
  };
  template <class T>
  using KeptOf = std::conditional_t<std::is_same_v<T, float>, Kept, void>;
  template <class T>
  HeadMatrix<T> features(const HeadMatrix<T>& X, Role role) const {
    const int n = X.rows, d = X.cols, F = s_.map->dim();
    HeadMatrix<T> phi(n, F);
    if constexpr (std::is_same_v<T, float>)
      if (s_.map->apply_rows_float(X.data.data(), n, d, role, phi.data.data())) return phi;
    if (s_.map->batched()) {
      const std::vector<double> x(X.data.begin(), X.data.end());
      std::vector<double> f(static_cast<size_t>(n) * F);
      s_.map->apply_rows(x.data(), n, d, role, params_.data(), f.data());
      std::copy(f.begin(), f.end(), phi.data.begin());
      return phi;
    }
    std::vector<double> x(d), f(F);
    for (int i = 0; i < n; ++i) {
      std::copy(X.row(i), X.row(i) + d, x.begin());
      s_.map->apply(x.data(), i, n, role, params_.data(), f.data());
      std::copy(f.begin(), f.end(), phi.row(i));
    }
    return phi;
  }

  // Whether the causal sweeps compute φ chunk by chunk instead of for all N rows first: for
  // the float path of elementwise maps (no position, no parameters). Saves the N×d_φ feature
  // matrices (and their first-touch page faults, a third of the time at 16k tokens).
  template <class T>
  bool streams_features() const {
    if constexpr (std::is_same_v<T, float>)
      return s_.map->apply_rows_float(nullptr, 0, head_dim_, Role::Query, nullptr);
    return false;
  }

  // φ of rows i0..i0+rows of X: a view of the precomputed `all` (N×d_φ), or, when `all` is
  // empty (streaming), computed into buf.
  template <class T, class Mat>
  Eigen::Ref<const Mat> chunk_features(const HeadMatrix<T>& X, const HeadMatrix<T>& all, Role role,
                                       int i0, int rows, Mat& buf) const {
    const int F = s_.map->dim();
    if (!all.data.empty()) return Eigen::Map<const Mat>(all.row(i0), rows, F);
    buf.resize(rows, F);
    if constexpr (std::is_same_v<T, float>)
      s_.map->apply_rows_float(X.row(i0), rows, X.cols, role, buf.data());
    return buf;
  }

  // Row-wise RMSNorm in place; returns nothing when there is no output norm.
  template <class T>
  void norm_row(T* y, int D) const {
    if (s_.output_norm != OutputNorm::Rms) return;
    double ms = 0;
    for (int c = 0; c < D; ++c) ms += static_cast<double>(y[c]) * y[c];
    const double inv = 1.0 / std::sqrt(ms / D + s_.output_norm_eps);
    for (int c = 0; c < D; ++c) y[c] = static_cast<T>(y[c] * inv);
  }
  // dy from dout for o = RMSNorm(y), written into dy.
  template <class T>
  void norm_row_backward(const T* y, const T* dout, T* dy, int D) const {
    if (s_.output_norm != OutputNorm::Rms) {
      std::copy(dout, dout + D, dy);
      return;
    }
    double ms = 0, ydo = 0;
    for (int c = 0; c < D; ++c) {
      ms += static_cast<double>(y[c]) * y[c];
      ydo += static_cast<double>(y[c]) * dout[c];
    }
    const double inv = 1.0 / std::sqrt(ms / D + s_.output_norm_eps);
    const double k = inv * inv * inv * ydo / D;
    for (int c = 0; c < D; ++c) dy[c] = static_cast<T>(inv * dout[c] - k * y[c]);
  }

  // Chunks of kChunk rows through GEMMs (the intra/inter split of flash-linear-attention's
  // chunked form): inside a chunk the masked kernel (Φq Φkᵀ ⊙ tril)·V, across chunks the
  // state, Φq·S.
  template <class T>
  HeadMatrix<T> forward_t(const HeadMatrix<T>& Q, const HeadMatrix<T>& K, const HeadMatrix<T>& V,
                          bool causal, KeptOf<T>* keep = nullptr) const {
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
      for (int i0 = 0; i0 < N; i0 += kChunk) {
        const int rows = std::min(kChunk, N - i0);
        const auto fkc = chunk_features(K, pk, Role::Key, i0, rows, bk);
        S.noalias() += fkc.transpose() * v.middleRows(i0, rows);
        z += fkc.colwise().sum().transpose();
      }
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
  HeadMatrix<T> materialise_t(const HeadMatrix<T>& Q, const HeadMatrix<T>& K, bool causal) const {
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

  // Gradients in the chunks of forward_t. With M_ij = v_j·dp_i + dr_i (dp_i = g_i·dy_i, dr_i
  // the gradient of r_i) for the visible pairs:
  //   dφ(q_i) = Σ_{j ≤ i} M_ij φ(k_j),  dφ(k_j) = Σ_{i ≥ j} M_ij φ(q_i),
  //   dv_j = Σ_{i ≥ j} a_ij·dp_i + Σ_{i ≥ j} h_i·dy_i   (a_ij = φ(q_i)·φ(k_j), unnormalised).
  // Inside a chunk these are masked GEMMs; across chunks the forward state S, z carries the
  // earlier keys to dφ(q), and its gradient dS = Σ_{later} φ(q) dpᵀ, dz = Σ_{later} φ(q) dr
  // carries the later queries to dφ(k) and dv, in a reverse sweep over the chunks.
  template <class T>
  AttentionGrads<T> backward_t(const HeadMatrix<T>& Q, const HeadMatrix<T>& K,
                               const HeadMatrix<T>& V, bool causal, const HeadMatrix<T>& dO,
                               const KeptOf<T>* kept = nullptr) const {
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
    Eigen::Map<Mat> dfq(dpq.data.data(), N, F), dfk(dpk.data.data(), N, F),
        dv(dV.data.data(), N, D);
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
      for (int i0 = 0; i0 < N; i0 += kChunk) {
        const int rows = std::min(kChunk, N - i0);
        const auto fkc = chunk_features(K, pk, Role::Key, i0, rows, bk);
        S.noalias() += fkc.transpose() * v.middleRows(i0, rows);
        z += fkc.colwise().sum().transpose();
      }
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

  // a_ij = g(r_i)·κ_ij + h(r_i), κ_ij = φ(q_i)·φ(k_j), r_i = Σ_visible κ_is: O(N²·d_φ).
  template <class T>
  AttentionGrads<T> map_backward_t(const HeadMatrix<T>& Q, const HeadMatrix<T>& K, bool causal,
                                   const HeadMatrix<T>& dA) const {
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
  void through_map(const HeadMatrix<T>& Q, const HeadMatrix<T>& K, HeadMatrix<T> dpq,
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
        if (s_.map->backward_rows_float(X.data.data(), N, d, role, dP.data.data(),
                                        dP.data.data())) {
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

  LinearSpec s_;
};

}  // namespace

std::unique_ptr<AttentionVariant> make_linear_variant(LinearSpec spec) {
  return std::make_unique<LinearVariant>(std::move(spec));
}

}  // namespace ridgeline::attention
