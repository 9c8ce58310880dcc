// The linear variants: a feature map, a row normaliser and an optional output RMSNorm, run in
// O(N·d_φ·d_v) by the kernel trick (running sums when causal), materialised for display, and
// differentiated exactly (docs/USER_GUIDE.md, "Attention variants").
#include "attention/linear_attention.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>

namespace ridgeline::attention {
namespace {

constexpr int kChunk = 64;  // rows per chunk of the causal forward

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

 private:
  friend class TypedVariant<LinearVariant>;
  template <class T>
  HeadMatrix<T> features(const HeadMatrix<T>& X, Role role) const {
    const int n = X.rows, d = X.cols, F = s_.map->dim();
    HeadMatrix<T> phi(n, F);
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

  // Adds row j's key and value to the running state.
  template <class T>
  static void accumulate(const T* phik, const T* v, int F, int D, T* S, T* z, T* vsum) {
    for (int a = 0; a < F; ++a) {
      const T w = phik[a];
      T* Sa = S + static_cast<size_t>(a) * D;
      for (int c = 0; c < D; ++c) Sa[c] += w * v[c];
      z[a] += w;
    }
    for (int c = 0; c < D; ++c) vsum[c] += v[c];
  }

  // y = g·φ(q)ᵀS + h·vsum for one row; returns the coefficients.
  template <class T>
  Coeffs row_output(const T* phiq, const T* S, const T* z, const T* vsum, int F, int D, int n, T* p,
                    T* y) const {
    T r = 0;
    for (int a = 0; a < F; ++a) r += phiq[a] * z[a];
    std::fill(p, p + D, T(0));
    for (int a = 0; a < F; ++a) {
      const T w = phiq[a];
      const T* Sa = S + static_cast<size_t>(a) * D;
      for (int c = 0; c < D; ++c) p[c] += w * Sa[c];
    }
    const Coeffs k = coefficients(s_.normaliser, static_cast<double>(r), n);
    const T g = static_cast<T>(k.g), h = static_cast<T>(k.h);
    for (int c = 0; c < D; ++c) y[c] = g * p[c] + h * vsum[c];
    return k;
  }

  // Chunks of kChunk rows through GEMMs (the intra/inter split of flash-linear-attention's
  // chunked form): inside a chunk the masked kernel (Φq Φkᵀ ⊙ tril)·V, across chunks the
  // state, Φq·S. The same sums as the row recurrence of backward_t, in another order.
  template <class T>
  HeadMatrix<T> forward_t(const HeadMatrix<T>& Q, const HeadMatrix<T>& K, const HeadMatrix<T>& V,
                          bool causal) const {
    using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    using Vec = Eigen::Matrix<T, Eigen::Dynamic, 1>;
    using RowVec = Eigen::Matrix<T, 1, Eigen::Dynamic>;
    check_head_inputs(s_.name, head_dim_, Q, K, &V, static_cast<const HeadMatrix<T>*>(nullptr));
    const HeadMatrix<T> pq = features(Q, Role::Query), pk = features(K, Role::Key);
    const int N = Q.rows, F = pq.cols, D = V.cols;
    const Eigen::Map<const Mat> fq(pq.data.data(), N, F), fk(pk.data.data(), N, F),
        v(V.data.data(), N, D);
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
    if (!causal) {
      const Mat S = fk.transpose() * v;
      const Vec z = fk.colwise().sum().transpose();
      const RowVec vs = v.colwise().sum();
      const Mat P = fq * S;
      const Vec r = fq * z;
      Mat vsum = needs_vsum ? Mat(vs.replicate(N, 1)) : Mat();
      finish_rows(0, N, P, r, vsum);
      return out;
    }
    Mat S = Mat::Zero(F, D);
    Vec z = Vec::Zero(F);
    RowVec vs = RowVec::Zero(D);
    for (int i0 = 0; i0 < N; i0 += kChunk) {
      const int rows = std::min(kChunk, N - i0);
      Mat A = fq.middleRows(i0, rows) * fk.middleRows(i0, rows).transpose();
      for (int t = 0; t < rows; ++t)
        for (int u = t + 1; u < rows; ++u) A(t, u) = 0;
      const Mat P = A * v.middleRows(i0, rows) + fq.middleRows(i0, rows) * S;
      const Vec r = A.rowwise().sum() + fq.middleRows(i0, rows) * z;
      Mat vsum;
      if (needs_vsum) {
        vsum.resize(rows, D);
        RowVec run = vs;
        for (int t = 0; t < rows; ++t) vsum.row(t) = (run += v.row(i0 + t));
      }
      finish_rows(i0, rows, P, r, vsum);
      S.noalias() += fk.middleRows(i0, rows).transpose() * v.middleRows(i0, rows);
      z += fk.middleRows(i0, rows).colwise().sum().transpose();
      vs += v.middleRows(i0, rows).colwise().sum();
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

  template <class T>
  AttentionGrads<T> backward_t(const HeadMatrix<T>& Q, const HeadMatrix<T>& K,
                               const HeadMatrix<T>& V, bool causal, const HeadMatrix<T>& dO) const {
    check_head_inputs(s_.name, head_dim_, Q, K, &V, &dO);
    const HeadMatrix<T> pq = features(Q, Role::Query), pk = features(K, Role::Key);
    const int N = Q.rows, F = pq.cols, D = V.cols;
    std::vector<T> S(static_cast<size_t>(F) * D, T(0)), z(F, T(0)), vsum(D, T(0)), p(D), y(D),
        dy(D);
    HeadMatrix<T> dp(N, D), hdy(N, D), dpq(N, F), dpk(N, F);
    std::vector<T> dr(N);
    if (!causal)
      for (int j = 0; j < N; ++j)
        accumulate(pk.row(j), V.row(j), F, D, S.data(), z.data(), vsum.data());
    // Queries, in forward order: the state S_i, z_i is what row i saw.
    for (int i = 0; i < N; ++i) {
      if (causal) accumulate(pk.row(i), V.row(i), F, D, S.data(), z.data(), vsum.data());
      const Coeffs k = row_output(pq.row(i), S.data(), z.data(), vsum.data(), F, D,
                                  causal ? i + 1 : N, p.data(), y.data());
      norm_row_backward(y.data(), dO.row(i), dy.data(), D);
      double dg = 0, dh = 0;
      for (int c = 0; c < D; ++c) {
        dg += static_cast<double>(dy[c]) * p[c];
        dh += static_cast<double>(dy[c]) * vsum[c];
        dp(i, c) = static_cast<T>(k.g * dy[c]);
        hdy(i, c) = static_cast<T>(k.h * dy[c]);
      }
      dr[i] = static_cast<T>(k.dg * dg + k.dh * dh);
      for (int a = 0; a < F; ++a) {
        const T* Sa = S.data() + static_cast<size_t>(a) * D;
        T s = 0;
        for (int c = 0; c < D; ++c) s += Sa[c] * dp(i, c);
        dpq(i, a) = s + z[a] * dr[i];
      }
    }
    // Keys, in reverse order: dS_j = Σ_{i sees j} φ(q_i) dp_iᵀ, likewise dz and Σ h_i dy_i.
    std::vector<T> dS(static_cast<size_t>(F) * D, T(0)), dz(F, T(0)), hsum(D, T(0));
    auto add = [&](int i) {
      for (int a = 0; a < F; ++a) {
        const T w = pq(i, a);
        T* dSa = dS.data() + static_cast<size_t>(a) * D;
        for (int c = 0; c < D; ++c) dSa[c] += w * dp(i, c);
        dz[a] += w * dr[i];
      }
      for (int c = 0; c < D; ++c) hsum[c] += hdy(i, c);
    };
    HeadMatrix<T> dV(N, D);
    if (!causal)
      for (int i = 0; i < N; ++i) add(i);
    for (int j = N - 1; j >= 0; --j) {
      if (causal) add(j);
      for (int a = 0; a < F; ++a) {
        const T* dSa = dS.data() + static_cast<size_t>(a) * D;
        T s = 0;
        for (int c = 0; c < D; ++c) s += dSa[c] * V(j, c);
        dpk(j, a) = s + dz[a];
      }
      T* dv = dV.row(j);
      for (int c = 0; c < D; ++c) dv[c] = hsum[c];
      for (int a = 0; a < F; ++a) {
        const T w = pk(j, a);
        const T* dSa = dS.data() + static_cast<size_t>(a) * D;
        for (int c = 0; c < D; ++c) dv[c] += w * dSa[c];
      }
    }
    AttentionGrads<T> g;
    g.dV = std::move(dV);
    through_map(Q, K, dpq, dpk, g);
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
    through_map(Q, K, dpq, dpk, g);
    return g;
  }

  // dQ, dK and dparams from the gradients of the features φ(Q), φ(K).
  template <class T>
  void through_map(const HeadMatrix<T>& Q, const HeadMatrix<T>& K, const HeadMatrix<T>& dpq,
                   const HeadMatrix<T>& dpk, AttentionGrads<T>& g) const {
    const int N = Q.rows, d = Q.cols, F = dpq.cols;
    g.dQ = HeadMatrix<T>(N, d);
    g.dK = HeadMatrix<T>(N, d);
    g.dparams.assign(params_.size(), 0.0);
    std::vector<double> dx;
    for (int pass = 0; pass < 2; ++pass) {
      const HeadMatrix<T>& X = pass == 0 ? Q : K;
      const HeadMatrix<T>& dP = pass == 0 ? dpq : dpk;
      HeadMatrix<T>& dX = pass == 0 ? g.dQ : g.dK;
      const Role role = pass == 0 ? Role::Query : Role::Key;
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
