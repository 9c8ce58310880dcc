// Softmax attention, the reference: a_ij = exp(q_i·k_j/√d) / Σ_s exp(q_i·k_s/√d) over the
// visible keys (Vaswani et al. 2017). Blocks of query rows through Eigen GEMMs: only a block's
// scores are in memory (never the N×N matrix), and a causal block reads only the keys it sees.
#include <Eigen/Dense>
#include <algorithm>
#include <cmath>

#include "attention/linear_attention.h"

namespace ridgeline::attention {
namespace {

constexpr int kBlock = 64;  // query rows per block

template <class T>
using RowMat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using ConstMap = Eigen::Map<const RowMat<T>>;
template <class T>
using MutMap = Eigen::Map<RowMat<T>>;

// P = softmax of the block's scores, rows i0..i0+rows, over the first `cols` keys. Each row
// through Eigen's vectorised max, exp and sum; the 1/√d folded into the exponent.
template <class T>
RowMat<T> block_probabilities(const ConstMap<T>& q, const ConstMap<T>& k, int i0, int rows,
                              int cols, bool causal) {
  const T scale = static_cast<T>(1.0 / std::sqrt(static_cast<double>(q.cols())));
  RowMat<T> s(rows, cols);
  s.noalias() = q.middleRows(i0, rows) * k.topRows(cols).transpose();
  for (int r = 0; r < rows; ++r) {
    const int visible = causal ? i0 + r + 1 : cols;
    auto row = s.row(r).head(visible).array();
    const T hi = row.maxCoeff();
    row = ((row - hi) * scale).exp();
    row *= T(1) / row.sum();
    s.row(r).tail(cols - visible).setZero();
  }
  return s;
}

class SoftmaxVariant final : public TypedVariant<SoftmaxVariant> {
 public:
  explicit SoftmaxVariant(int d) : TypedVariant(d) {}
  std::string name() const override { return "softmax"; }
  std::string description() const override {
    return "softmax attention: a_ij = exp(q_i·k_j/√d) / Σ_s exp(q_i·k_s/√d)";
  }
  bool is_linear() const override { return false; }
  int feature_dim() const override { return 0; }
  bool rows_sum_to_one() const override { return true; }

 private:
  friend class TypedVariant<SoftmaxVariant>;
  template <class T>
  HeadMatrix<T> forward_t(const HeadMatrix<T>& Q, const HeadMatrix<T>& K, const HeadMatrix<T>& V,
                          bool causal) const {
    check_head_inputs("softmax", head_dim_, Q, K, &V, static_cast<const HeadMatrix<T>*>(nullptr));
    const int N = Q.rows, d = Q.cols, D = V.cols;
    ConstMap<T> q(Q.data.data(), N, d), k(K.data.data(), N, d), v(V.data.data(), N, D);
    HeadMatrix<T> out(N, D);
    MutMap<T> o(out.data.data(), N, D);
    for (int i0 = 0; i0 < N; i0 += kBlock) {
      const int rows = std::min(kBlock, N - i0), cols = causal ? i0 + rows : N;
      const RowMat<T> p = block_probabilities(q, k, i0, rows, cols, causal);
      o.middleRows(i0, rows).noalias() = p * v.topRows(cols);
    }
    return out;
  }

  template <class T>
  HeadMatrix<T> materialise_t(const HeadMatrix<T>& Q, const HeadMatrix<T>& K, bool causal) const {
    check_head_inputs("softmax", head_dim_, Q, K, static_cast<const HeadMatrix<T>*>(nullptr),
                      static_cast<const HeadMatrix<T>*>(nullptr));
    const int N = Q.rows, d = Q.cols;
    ConstMap<T> q(Q.data.data(), N, d), k(K.data.data(), N, d);
    HeadMatrix<T> A(N, N);
    MutMap<T> a(A.data.data(), N, N);
    for (int i0 = 0; i0 < N; i0 += kBlock) {
      const int rows = std::min(kBlock, N - i0), cols = causal ? i0 + rows : N;
      a.block(i0, 0, rows, cols) = block_probabilities(q, k, i0, rows, cols, causal);
    }
    return A;
  }

  // dS = P ⊙ (dA − rowsum(P ⊙ dA))/√d (the scale folded in); dQ = dS·K, dK = dSᵀ·Q.
  template <class T>
  AttentionGrads<T> map_backward_t(const HeadMatrix<T>& Q, const HeadMatrix<T>& K, bool causal,
                                   const HeadMatrix<T>& dA) const {
    check_head_inputs("softmax", head_dim_, Q, K, static_cast<const HeadMatrix<T>*>(nullptr),
                      static_cast<const HeadMatrix<T>*>(nullptr));
    check_map_gradient("softmax", Q, dA);
    const int N = Q.rows, d = Q.cols;
    const T scale = static_cast<T>(1.0 / std::sqrt(static_cast<double>(d)));
    ConstMap<T> q(Q.data.data(), N, d), k(K.data.data(), N, d), ga(dA.data.data(), N, N);
    AttentionGrads<T> g;
    g.dQ = HeadMatrix<T>(N, d);
    g.dK = HeadMatrix<T>(N, d);
    MutMap<T> dq(g.dQ.data.data(), N, d), dk(g.dK.data.data(), N, d);
    for (int i0 = 0; i0 < N; i0 += kBlock) {
      const int rows = std::min(kBlock, N - i0), cols = causal ? i0 + rows : N;
      const RowMat<T> p = block_probabilities(q, k, i0, rows, cols, causal);
      RowMat<T> ds = ga.block(i0, 0, rows, cols);
      for (int r = 0; r < rows; ++r) {
        const T row_dot = p.row(r).dot(ds.row(r));
        ds.row(r) = (p.row(r).array() * (ds.row(r).array() - row_dot) * scale).matrix();
      }
      dq.middleRows(i0, rows).noalias() = ds * k.topRows(cols);
      dk.topRows(cols).noalias() += ds.transpose() * q.middleRows(i0, rows);
    }
    return g;
  }

  // dS = P ⊙ (dP − rowsum(P ⊙ dP))/√d, dP = dO·Vᵀ; dQ = dS·K, dK = dSᵀ·Q, dV = Pᵀ·dO.
  template <class T>
  AttentionGrads<T> backward_t(const HeadMatrix<T>& Q, const HeadMatrix<T>& K,
                               const HeadMatrix<T>& V, bool causal, const HeadMatrix<T>& dO) const {
    check_head_inputs("softmax", head_dim_, Q, K, &V, &dO);
    const int N = Q.rows, d = Q.cols, D = V.cols;
    const T scale = static_cast<T>(1.0 / std::sqrt(static_cast<double>(d)));
    ConstMap<T> q(Q.data.data(), N, d), k(K.data.data(), N, d), v(V.data.data(), N, D),
        go(dO.data.data(), N, D);
    AttentionGrads<T> g;
    g.dQ = HeadMatrix<T>(N, d);
    g.dK = HeadMatrix<T>(N, d);
    g.dV = HeadMatrix<T>(N, D);
    MutMap<T> dq(g.dQ.data.data(), N, d), dk(g.dK.data.data(), N, d), dv(g.dV.data.data(), N, D);
    for (int i0 = 0; i0 < N; i0 += kBlock) {
      const int rows = std::min(kBlock, N - i0), cols = causal ? i0 + rows : N;
      const RowMat<T> p = block_probabilities(q, k, i0, rows, cols, causal);
      RowMat<T> ds = go.middleRows(i0, rows) * v.topRows(cols).transpose();
      for (int r = 0; r < rows; ++r) {
        const T row_dot = p.row(r).dot(ds.row(r));
        ds.row(r) = (p.row(r).array() * (ds.row(r).array() - row_dot) * scale).matrix();
      }
      dq.middleRows(i0, rows).noalias() = ds * k.topRows(cols);
      dk.topRows(cols).noalias() += ds.transpose() * q.middleRows(i0, rows);
      dv.topRows(cols).noalias() += p.transpose() * go.middleRows(i0, rows);
    }
    return g;
  }
};

}  // namespace

std::unique_ptr<AttentionVariant> make_softmax_variant(int head_dim) {
  return std::make_unique<SoftmaxVariant>(head_dim);
}

}  // namespace ridgeline::attention
