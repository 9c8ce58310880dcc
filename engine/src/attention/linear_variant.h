#pragma once
// Private to engine/src/attention: the linear variants' class (linear_attention.h), whose
// member templates are defined in three files, each instantiating them for float and double:
// linear_attention.cpp (forward, materialised map), linear_attention_backward.cpp (the chunked
// backward) and linear_attention_map_backward.cpp (the materialised map's backward, and the
// gradients through the feature map both backwards end in).
#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "attention/linear_attention.h"

namespace ridgeline::attention::linear_detail {

constexpr int kChunk = 64;  // rows per chunk of the causal forward and backward

// g, h and their derivatives with respect to r for one row.
struct Coeffs {
  double g = 1, h = 0, dg = 0, dh = 0;
};

inline Coeffs coefficients(const RowNormaliser& z, double r, int n) {
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

  // The non-causal state of all N keys, chunk by chunk: S += Σ_j φ(k_j)·v_jᵀ, z += Σ_j φ(k_j)
  // (the forward, and the backward that recomputes it).
  template <class T, class Mat, class Vec, class Values>
  void accumulate_keys(const HeadMatrix<T>& K, const HeadMatrix<T>& pk, const Values& v, Mat& S,
                       Vec& z, Mat& bk) const {
    for (int i0 = 0; i0 < K.rows; i0 += kChunk) {
      const int rows = std::min(kChunk, K.rows - i0);
      const auto fkc = chunk_features(K, pk, Role::Key, i0, rows, bk);
      S.noalias() += fkc.transpose() * v.middleRows(i0, rows);
      z += fkc.colwise().sum().transpose();
    }
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

  // The forward in chunks of kChunk rows (linear_attention.cpp); with `keep`, what the
  // backward reuses.
  template <class T>
  HeadMatrix<T> forward_t(const HeadMatrix<T>& Q, const HeadMatrix<T>& K, const HeadMatrix<T>& V,
                          bool causal, KeptOf<T>* keep = nullptr) const;

  // The map A itself, N×N (linear_attention.cpp).
  template <class T>
  HeadMatrix<T> materialise_t(const HeadMatrix<T>& Q, const HeadMatrix<T>& K, bool causal) const;

  // The backward in the chunks of forward_t (linear_attention_backward.cpp); `kept`: what
  // forward_keeping kept, else recomputed.
  template <class T>
  AttentionGrads<T> backward_t(const HeadMatrix<T>& Q, const HeadMatrix<T>& K,
                               const HeadMatrix<T>& V, bool causal, const HeadMatrix<T>& dO,
                               const KeptOf<T>* kept = nullptr) const;

  // dQ, dK, dparams from the gradient of the materialised map (linear_attention_map_backward.cpp).
  template <class T>
  AttentionGrads<T> map_backward_t(const HeadMatrix<T>& Q, const HeadMatrix<T>& K, bool causal,
                                   const HeadMatrix<T>& dA) const;

  // dQ, dK and dparams from the gradients of φ(Q), φ(K) (linear_attention_map_backward.cpp).
  template <class T>
  void through_map(const HeadMatrix<T>& Q, const HeadMatrix<T>& K, HeadMatrix<T> dpq,
                   HeadMatrix<T> dpk, AttentionGrads<T>& g) const;

  LinearSpec s_;
};

}  // namespace ridgeline::attention::linear_detail
