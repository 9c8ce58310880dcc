// Orthogonal maps of a transformer's residual stream (transformer_orthogonal.h).
#include "ridgeline/models/transformer/transformer_orthogonal.h"

#include <Eigen/Dense>
#include <chrono>
#include <cmath>

#include "ridgeline/core/errors.h"
#include "ridgeline/models/transformer/transformer.h"
#include "transformer_compute.h"
#include "transformer_layout.h"

namespace ridgeline {

namespace {

using MatD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

const TransformerArch& untied_transformer(const Model& m, const std::string& who) {
  const TransformerArch* a = m.arch ? as_transformer_arch(*m.arch) : nullptr;
  if (!a) throw InputError(who + ": the model is not a transformer");
  if (a->tied)
    throw InputError(who + ": " + a->to_string() + " ties its output to the token embedding; "
                     "the final LayerNorm's gain cannot be folded into a tied head");
  if (m.params.size() != m.arch->num_params())
    throw InputError(who + ": " + std::to_string(m.params.size()) + " parameters do not fit " +
                     a->to_string());
  return *a;
}

// A [rows × cols] block of the flat vector as a float64 matrix, and back.
MatD block(const std::vector<float>& p, size_t off, int rows, int cols) {
  MatD m(rows, cols);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) m(r, c) = p[off + static_cast<size_t>(r) * cols + c];
  return m;
}
void put(std::vector<float>& p, size_t off, const MatD& m) {
  for (Eigen::Index r = 0; r < m.rows(); ++r)
    for (Eigen::Index c = 0; c < m.cols(); ++c)
      p[off + static_cast<size_t>(r * m.cols() + c)] = static_cast<float>(m(r, c));
}

// The stream's blocks: those holding it along their last axis ([rows, d]: embeddings,
// positions, class token, and the readers qkv, fc1, head) transform as M·Qᵀ; those holding it
// along their first axis ([d, cols]: patch embedding, attention projection, fc2, and their
// biases as [d, 1]) as Q·M. Writers are centred (projected off 1), readers fold the norms.
struct StreamBlock {
  size_t off;
  int rows, cols;
  bool stream_in_rows;  // [d, cols]
  bool writer;
};

std::vector<StreamBlock> stream_blocks(const TransformerArch& a, const TransformerLayout& lay) {
  const int d = a.d;
  std::vector<StreamBlock> s;
  if (a.is_image()) {
    s.push_back({lay.patch_w, d, a.patch * a.patch, true, true});
    s.push_back({lay.patch_b, d, 1, true, true});
    if (a.cls_token) s.push_back({lay.cls, 1, d, false, true});
  } else {
    s.push_back({lay.embed, a.vocab, d, false, true});
  }
  s.push_back({lay.pos, a.tokens(), d, false, true});
  for (const TransformerBlockOffsets& b : lay.blocks) {
    s.push_back({b.qkv_w, 3 * d, d, false, false});
    s.push_back({b.proj_w, d, d, true, true});
    s.push_back({b.proj_b, d, 1, true, true});
    s.push_back({b.fc1_w, a.ff, d, false, false});
    s.push_back({b.fc2_w, d, a.ff, true, true});
    s.push_back({b.fc2_b, d, 1, true, true});
  }
  s.push_back({lay.head_w, a.outputs(), d, false, false});
  return s;
}

// Folds LayerNorm (γ at g, β at bt) into the reader W [rows, d] with bias at wb.
void fold(std::vector<float>& p, size_t g, size_t bt, size_t w, size_t wb, int rows, int d) {
  const MatD W = block(p, w, rows, d);
  Eigen::VectorXd gamma(d), beta(d), bias(rows);
  for (int c = 0; c < d; ++c) {
    gamma(c) = p[g + c];
    beta(c) = p[bt + c];
  }
  for (int r = 0; r < rows; ++r) bias(r) = p[wb + r];
  const Eigen::VectorXd nb = bias + W * beta;
  put(p, w, W * gamma.asDiagonal());
  for (int r = 0; r < rows; ++r) p[wb + r] = static_cast<float>(nb(r));
  for (int c = 0; c < d; ++c) {
    p[g + c] = 1.0f;
    p[bt + c] = 0.0f;
  }
}

// An orthonormal basis of the subspace orthogonal to 1, as the columns of a d × (d−1) matrix.
MatD complement_of_ones(int d) {
  const MatD ones = MatD::Constant(d, 1, 1.0 / std::sqrt(static_cast<double>(d)));
  const Eigen::HouseholderQR<MatD> qr(ones);
  const MatD full = qr.householderQ();
  return full.rightCols(d - 1);
}

// Q = B⊥·U·Vᵀ·B⊥ᵀ + 11ᵀ/d maximises ⟨Q, cross⟩ over orthogonal maps with Q·1 = 1, from the
// SVD U·Σ·Vᵀ of the cross moments within the complement of 1 (orthogonal Procrustes).
MatD procrustes_fixing_ones(const MatD& cross) {
  const int d = static_cast<int>(cross.rows());
  const MatD basis = complement_of_ones(d);
  const MatD inner = basis.transpose() * cross * basis;
  Eigen::JacobiSVD<MatD> svd(inner, Eigen::ComputeFullU | Eigen::ComputeFullV);
  return basis * (svd.matrixU() * svd.matrixV().transpose()) * basis.transpose() +
         MatD::Constant(d, d, 1.0 / d);
}

}  // namespace

Model canonical_residual_form(const Model& m) {
  const TransformerArch& a = untied_transformer(m, "canonical form");
  const TransformerLayout lay(a);
  const int d = a.d;
  Model out = m;
  std::vector<float>& p = out.params;
  for (const StreamBlock& s : stream_blocks(a, lay)) {
    if (!s.writer) continue;
    MatD w = block(p, s.off, s.rows, s.cols);
    if (s.stream_in_rows)
      w.rowwise() -= w.colwise().mean();  // each column's mean over the d stream rows
    else
      w.colwise() -= w.rowwise().mean();  // each row's mean over its d stream columns
    put(p, s.off, w);
  }
  for (const TransformerBlockOffsets& b : lay.blocks) {
    fold(p, b.ln1_w, b.ln1_b, b.qkv_w, b.qkv_b, 3 * d, d);
    fold(p, b.ln2_w, b.ln2_b, b.fc1_w, b.fc1_b, a.ff, d);
  }
  fold(p, lay.lnf_w, lay.lnf_b, lay.head_w, lay.head_b, a.outputs(), d);
  return out;
}

Model rotate_residual(const Model& m, const std::vector<double>& qv) {
  const TransformerArch& a = untied_transformer(m, "residual rotation");
  const TransformerLayout lay(a);
  const int d = a.d;
  if (qv.size() != static_cast<size_t>(d) * d)
    throw InputError("residual rotation: the map has " + std::to_string(qv.size()) +
                     " entries for a stream of " + std::to_string(d));
  const Eigen::Map<const MatD> q(qv.data(), d, d);
  if ((q.transpose() * q - MatD::Identity(d, d)).cwiseAbs().maxCoeff() > 1e-6 ||
      (q * Eigen::VectorXd::Ones(d) - Eigen::VectorXd::Ones(d)).cwiseAbs().maxCoeff() > 1e-6)
    throw InputError("residual rotation: the map is not orthogonal with Q·1 = 1");
  auto is_canonical = [&](size_t g, size_t b) {
    for (int c = 0; c < d; ++c)
      if (m.params[g + c] != 1.0f || m.params[b + c] != 0.0f) return false;
    return true;
  };
  bool canonical = is_canonical(lay.lnf_w, lay.lnf_b);
  for (const TransformerBlockOffsets& b : lay.blocks)
    canonical = canonical && is_canonical(b.ln1_w, b.ln1_b) && is_canonical(b.ln2_w, b.ln2_b);
  if (!canonical)
    throw InputError("residual rotation: the model's LayerNorms have gains or shifts; rotate its "
                     "canonical form");
  Model out = m;
  for (const StreamBlock& s : stream_blocks(a, lay)) {
    const MatD w = block(m.params, s.off, s.rows, s.cols);
    put(out.params, s.off, s.stream_in_rows ? MatD(q * w) : MatD(w * q.transpose()));
  }
  return out;
}

OrthogonalAlignment orthogonal_residual_alignment(Backend& be, const Model& ma, const Model& mb,
                                                  const Dataset& data, int samples,
                                                  const CancelToken* cancel) {
  const auto t0 = std::chrono::steady_clock::now();
  const TransformerArch& a = untied_transformer(ma, "orthogonal alignment: model A");
  untied_transformer(mb, "orthogonal alignment: model B");
  check_same_shape(*ma.arch, *mb.arch, "orthogonal alignment: models");
  ma.arch->check_fits(data, "orthogonal alignment: model");
  OrthogonalAlignment r;
  r.a = canonical_residual_form(ma);
  const Model cb = canonical_residual_form(mb);
  const int d = a.d, T = a.tokens();
  const int n = samples > 0 ? std::min(samples, data.n) : data.n;
  if (n < 1) throw InputError("orthogonal alignment: " + data.name + " holds no examples");
  const int batch = std::max(1, std::min(n, std::max(1, 32768 / T)));
  MatD cross = MatD::Zero(d, d);  // Σ a·bᵀ over the pooled stream rows
  double sa = 0, sb = 0;
  TransformerCompute na(be, a, batch), nb(be, a, batch);
  using MapF = Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>;
  for (int start = 0; start < n; start += batch) {
    if (cancel) cancel->check();
    const int rows = std::min(batch, n - start);
    const float* x = data.x.data() + static_cast<size_t>(start) * data.dim;
    na.forward(r.a.params.data(), x, rows, {});
    nb.forward(cb.params.data(), x, rows, {});
    const Eigen::Index M = static_cast<Eigen::Index>(rows) * T;
    auto add = [&](const std::vector<float>& xa, const std::vector<float>& xb) {
      const MapF A(xa.data(), M, d), B(xb.data(), M, d);
      cross.noalias() += (A.transpose() * B).cast<double>();
      sa += A.cast<double>().squaredNorm();
      sb += B.cast<double>().squaredNorm();
    };
    for (int l = 0; l < a.layers; ++l) {
      add(na.activations(l).h, nb.activations(l).h);
      add(na.activations(l).hmid, nb.activations(l).hmid);
    }
    add(na.final_stream(), nb.final_stream());
  }
  const MatD q = procrustes_fixing_ones(cross);
  r.q.assign(q.data(), q.data() + static_cast<size_t>(d) * d);
  r.b = rotate_residual(cb, r.q);
  const double top = std::max(sa, 1e-300);
  r.mismatch_before = std::sqrt(std::max(0.0, sa + sb - 2 * cross.trace()) / top);
  r.mismatch_after = std::sqrt(std::max(0.0, sa + sb - 2 * (q.cwiseProduct(cross)).sum()) / top);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

std::vector<double> residual_procrustes_on_weights(const Model& b, const std::vector<float>& target) {
  const TransformerArch& a = untied_transformer(b, "weight-space residual map");
  if (target.size() != b.params.size())
    throw InputError("weight-space residual map: the target has " + std::to_string(target.size()) +
                     " parameters for " + a.to_string());
  const TransformerLayout lay(a);
  const int d = a.d;
  // ⟨T, Q·W⟩ = ⟨Q, T·Wᵀ⟩ for writers [d, cols]; ⟨T, W·Qᵀ⟩ = ⟨Q, Tᵀ·W⟩ for readers [rows, d].
  MatD cross = MatD::Zero(d, d);
  for (const StreamBlock& s : stream_blocks(a, lay)) {
    const MatD w = block(b.params, s.off, s.rows, s.cols);
    const MatD t = block(target, s.off, s.rows, s.cols);
    if (s.stream_in_rows)
      cross.noalias() += t * w.transpose();
    else
      cross.noalias() += t.transpose() * w;
  }
  const MatD q = procrustes_fixing_ones(cross);
  return std::vector<double>(q.data(), q.data() + static_cast<size_t>(d) * d);
}

}  // namespace ridgeline
