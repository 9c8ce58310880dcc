// Activation matching of transformers (activation_matching.h): one assignment per permutation
// of the transformer's spec (models/transformer/transformer_symmetry.h), each on gains of
// activations both models compute on the same training inputs:
//  - residual: the stream's coordinates, pooled over every point where the stream is read
//    (entering each block, after each block's attention, after the last block) and over all
//    token positions — one permutation is shared by all of them;
//  - block<l>.mlp: the GELU outputs of block l's MLP;
//  - block<l>.heads: each head's output before the projection o_h [tokens × d_head], compared
//    by linear CKA (Kornblith et al. 2019, arXiv 1905.00414): the units inside a head are not
//    aligned between models, and CKA does not depend on any orthogonal map of them.
//    (Matching heads by the cross-moment of their contributions to the stream, after the
//    residual permutation, was tried first: on two ViTs of fmnist-vit-rebasin it raised the
//    midpoint loss above the unaligned one; CKA does not.)
// "am" uses cross-moments E[a·b]; "am-pearson" Pearson correlations for the residual and MLP
// units (heads always by CKA).
#include <Eigen/Core>
#include <algorithm>
#include <chrono>

#include "models/transformer/transformer_compute.h"
#include "ridgeline/align/activation_matching.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/models/transformer/transformer.h"
#include "ridgeline/models/transformer/transformer_symmetry.h"

namespace ridgeline {

namespace {

using MatD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MatF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MapF = Eigen::Map<const MatF>;

// Sums for the gain between the units of A and of B seen on the same rows.
struct Moments {
  MatD cross;                  // Σ a_i b_j
  Eigen::VectorXd sa, sb, qa, qb;  // Σ a, Σ b, Σ a², Σ b²
  double count = 0;

  explicit Moments(int n) : cross(MatD::Zero(n, n)), sa(Eigen::VectorXd::Zero(n)), sb(sa), qa(sa), qb(sa) {}

  void add(const float* a, const float* b, Eigen::Index rows, Eigen::Index n) {
    const MapF A(a, rows, n), B(b, rows, n);
    cross.noalias() += (A.transpose() * B).cast<double>();
    sa += A.colwise().sum().transpose().cast<double>();
    sb += B.colwise().sum().transpose().cast<double>();
    qa += A.array().square().colwise().sum().transpose().matrix().cast<double>();
    qb += B.array().square().colwise().sum().transpose().matrix().cast<double>();
    count += static_cast<double>(rows);
  }

  // Row-major n×n gain: E[a_i b_j], or the Pearson correlation.
  std::vector<double> gain(bool pearson) const {
    const Eigen::Index n = cross.rows();
    std::vector<double> g(static_cast<size_t>(n * n));
    const double c = std::max(count, 1.0);
    for (Eigen::Index i = 0; i < n; ++i)
      for (Eigen::Index j = 0; j < n; ++j) {
        double v = cross(i, j) / c;
        if (pearson) {
          const double ma = sa(i) / c, mb = sb(j) / c;
          const double va = std::max(qa(i) / c - ma * ma, 0.0), vb = std::max(qb(j) / c - mb * mb, 0.0);
          v = (v - ma * mb) / (std::sqrt(va) * std::sqrt(vb) + 1e-4);
        }
        g[static_cast<size_t>(i * n + j)] = v;
      }
    return g;
  }
};

}  // namespace

AlignmentResult transformer_activation_matching(Backend& be, const Model& ma, const Model& mb,
                                                const Dataset& train,
                                                const ActivationMatchingConfig& cfg,
                                                const CancelToken* cancel) {
  const auto t0 = std::chrono::steady_clock::now();
  const TransformerArch* ta = ma.arch ? as_transformer_arch(*ma.arch) : nullptr;
  if (!ta) throw InputError("activation matching: model A is not a transformer");
  check_same_shape(*ma.arch, *mb.arch, "activation matching: models");
  ma.arch->check_fits(train, "activation matching: model");
  if (ma.params.size() != ma.arch->num_params() || mb.params.size() != mb.arch->num_params())
    throw InputError("activation matching: a parameter vector does not fit its architecture");
  const TransformerArch& a = *ta;
  const int d = a.d, H = a.heads, dh = a.head_dim(), ff = a.ff, T = a.tokens();
  const int n = cfg.samples > 0 ? std::min(cfg.samples, train.n) : train.n;
  if (n < 1) throw InputError("activation matching: " + train.name + " holds no examples");
  // Rows per forward: the batch, bounded so that a forward's activations stay small.
  const int batch = std::max(1, std::min({cfg.batch, n, std::max(1, 32768 / T)}));

  Moments residual(d);
  std::vector<Moments> mlp(a.layers, Moments(ff));
  // Per block: moments of the heads' outputs before the projection ([M, d], head h in columns
  // h·d_head …): cross A·B and the self moments, for linear CKA between heads.
  struct HeadMoments {
    MatD ab, aa, bb;
    Eigen::VectorXd sa, sb;
    double count = 0;
  };
  std::vector<HeadMoments> heads(a.layers, HeadMoments{MatD::Zero(d, d), MatD::Zero(d, d), MatD::Zero(d, d),
                                                      Eigen::VectorXd::Zero(d), Eigen::VectorXd::Zero(d)});
  TransformerCompute na(be, a, batch), nb(be, a, batch);
  for (int start = 0; start < n; start += batch) {
    if (cancel) cancel->check();
    const int rows = std::min(batch, n - start);
    const float* x = train.x.data() + static_cast<size_t>(start) * train.dim;
    na.forward(ma.params.data(), x, rows, {});
    nb.forward(mb.params.data(), x, rows, {});
    const Eigen::Index M = static_cast<Eigen::Index>(rows) * T;
    for (int l = 0; l < a.layers; ++l) {
      const auto A = na.activations(l), B = nb.activations(l);
      residual.add(A.h.data(), B.h.data(), M, d);
      residual.add(A.hmid.data(), B.hmid.data(), M, d);
      mlp[l].add(A.g.data(), B.g.data(), M, ff);
      if (H > 1) {
        const MapF Oa(A.att.data(), M, d), Ob(B.att.data(), M, d);
        HeadMoments& hm = heads[l];
        hm.ab.noalias() += (Oa.transpose() * Ob).cast<double>();
        hm.aa.noalias() += (Oa.transpose() * Oa).cast<double>();
        hm.bb.noalias() += (Ob.transpose() * Ob).cast<double>();
        hm.sa += Oa.colwise().sum().transpose().cast<double>();
        hm.sb += Ob.colwise().sum().transpose().cast<double>();
        hm.count += static_cast<double>(M);
      }
    }
    residual.add(na.final_stream().data(), nb.final_stream().data(), M, d);
  }

  const PermutationSpec spec = transformer_permutation_spec(a);
  AlignmentResult r;
  r.method = cfg.pearson ? "am-pearson" : "am";
  r.sweeps = 1;
  auto solve = [&](const std::vector<double>& gain, int size) { add_assignment(gain, size, r); };
  solve(residual.gain(cfg.pearson), d);
  for (int l = 0; l < a.layers; ++l) {
    if (H > 1) {
      // Centred covariances of the head outputs; CKA(h, h') = ‖C_hh'‖²_F / (‖C_hh‖_F ‖C_h'h'‖_F).
      const HeadMoments& hm = heads[l];
      const double c = std::max(hm.count, 1.0);
      const Eigen::VectorXd ma = hm.sa / c, mb = hm.sb / c;
      const MatD cab = hm.ab / c - ma * mb.transpose(), caa = hm.aa / c - ma * ma.transpose(),
                 cbb = hm.bb / c - mb * mb.transpose();
      std::vector<double> g(static_cast<size_t>(H) * H, 0.0);
      for (int h = 0; h < H; ++h)
        for (int k = 0; k < H; ++k) {
          const Eigen::Index i = static_cast<Eigen::Index>(h) * dh, j = static_cast<Eigen::Index>(k) * dh;
          const double num = cab.block(i, j, dh, dh).squaredNorm();
          const double den = caa.block(i, i, dh, dh).norm() * cbb.block(j, j, dh, dh).norm();
          g[static_cast<size_t>(h) * H + k] = den > 0 ? num / den : 0.0;
        }
      solve(g, H);
    }
    solve(mlp[l].gain(cfg.pearson), ff);
  }
  if (r.perms.size() != spec.sizes.size())
    throw RunError("activation matching: the transformer's permutations do not match its spec");
  r.aligned = apply_permutations(mb, r.perms);
  r.l2_before = l2_distance(ma.params, mb.params);
  r.l2_after = l2_distance(ma.params, r.aligned.params);
  r.objective_per_sweep = {r.objective_after};
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace ridgeline
