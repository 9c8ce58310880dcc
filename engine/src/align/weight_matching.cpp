// Git Re-Basin weight matching (alignment.h; Ainsworth et al. 2023, arXiv 2209.04836, Algorithm 1), on any PermutationSpec:
// N-dimensional blocks, several permuted axes per block, grouped permutations.
#ifdef RIDGELINE_HAVE_OPENBLAS
#define EIGEN_USE_BLAS  // the float64 gain products run on OpenBLAS's dgemm
#endif
#include <Eigen/Core>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <numeric>
#include <random>

#include "ridgeline/models/mlp/mlp_symmetry.h"
#include "ridgeline/align/alignment.h"
#include "ridgeline/symmetry/assignment.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/models/mlp/mlp_model.h"
#include "ridgeline/models/transformer/transformer.h"
#include "ridgeline/models/transformer/transformer_symmetry.h"

namespace ridgeline {

namespace {

using MatD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// Flat index of the multi-index over every axis except `skip`, each mapped by maps[axis]
/// (empty: identity), for every such multi-index in row-major order: the "rest" map of an
/// unfolding along `skip`. Also used unmapped (all maps empty) to unfold.
std::vector<int> rest_map(const std::vector<int>& shape, const std::vector<std::vector<int>>& maps,
                          size_t skip) {
  std::vector<size_t> axes;
  for (size_t ax = 0; ax < shape.size(); ++ax)
    if (ax != skip) axes.push_back(ax);
  size_t m = 1;
  for (size_t ax : axes) m *= static_cast<size_t>(shape[ax]);
  std::vector<int> out(m);
  if (m == 0) return out;
  std::vector<size_t> stride(shape.size(), 1);  // strides of the tensor without `skip`
  for (size_t k = axes.size(); k-- > 1;) stride[axes[k - 1]] = stride[axes[k]] * shape[axes[k]];
  std::vector<int> idx(shape.size(), 0);
  for (size_t c = 0; c < m; ++c) {
    size_t s = 0;
    for (size_t ax : axes) s += static_cast<size_t>(maps[ax].empty() ? idx[ax] : maps[ax][idx[ax]]) * stride[ax];
    out[c] = static_cast<int>(s);
    for (size_t k = axes.size(); k-- > 0;) {
      if (++idx[axes[k]] < shape[axes[k]]) break;
      idx[axes[k]] = 0;
    }
  }
  return out;
}

/// One permuted axis of one block, unfolded so that its permutation's units index the rows
/// (`col_form` false: Ã·B̃ᵀ) or the columns (`col_form` true, a last axis of groups of 1:
/// Ãᵀ·B̃, the product a matrix's column axis has always used, so MLP gains stay
/// bit-identical). A grouped axis of n groups of g is unfolded to n rows of g·m entries
/// (moveaxis then reshape, as Git Re-Basin does), so summing the gain over a group's units
/// is part of the product.
struct Term {
  int block = 0;
  int axis = 0;
  bool col_form = false;
  bool fixed = false;  // no other axis is permuted: the term never changes
  MatD a, b;           // unfolded θ_A and θ_B blocks, float64
  int g = 1, m = 0;    // group size and the other axes' size

  // The cached value and the map of B's other-axis index (columns in row form, rows in
  // column form) it was computed for. When the map has since changed on a set S of
  // positions, the value is updated by a rank-|S| product instead of recomputed:
  //   row form  Ã·B̃ᵀ, B̃[:, j] = B[:, q[j]]:  Δ = Ã[:, S]·(B[:, q_new[S]] − B[:, q_old[S]])ᵀ
  //   col form  Ãᵀ·B̃, B̃[j, :] = B[q[j], :]:  Δ = Ã[S, :]ᵀ·(B[q_new[S], :] − B[q_old[S], :])
  // so late sweeps, where few units move, cost little more than their assignments.
  MatD value;
  std::vector<int> q;
  bool valid = false;

  std::vector<int> current_map(const ParamBlock& blk, const std::vector<Permutation>& perms) const {
    const std::vector<int> rest = rest_map(blk.shape, axis_index_maps(blk, perms, axis), axis);
    if (g == 1) return rest;
    std::vector<int> q2(static_cast<size_t>(g) * m);
    for (int r = 0; r < g; ++r)
      for (int c = 0; c < m; ++c) q2[static_cast<size_t>(r) * m + c] = r * m + rest[c];
    return q2;
  }

  void update(const ParamBlock& blk, const std::vector<Permutation>& perms) {
    if (fixed) {
      if (!valid) value.noalias() = col_form ? MatD(a.transpose() * b) : MatD(a * b.transpose());
      valid = true;
      return;
    }
    std::vector<int> qn = current_map(blk, perms);
    std::vector<int> changed;
    if (valid)
      for (size_t j = 0; j < qn.size(); ++j)
        if (qn[j] != q[j]) changed.push_back(static_cast<int>(j));
    if (!valid || 2 * changed.size() > qn.size()) {
      MatD bt(b.rows(), b.cols());
      if (col_form)
        for (Eigen::Index i = 0; i < b.rows(); ++i) bt.row(i) = b.row(qn[i]);
      else
        for (Eigen::Index j = 0; j < b.cols(); ++j) bt.col(j) = b.col(qn[j]);
      value.noalias() = col_form ? MatD(a.transpose() * bt) : MatD(a * bt.transpose());
    } else if (!changed.empty()) {
      const Eigen::Index s = static_cast<Eigen::Index>(changed.size());
      if (!col_form) {
        MatD as(a.rows(), s), db(b.rows(), s);
        for (Eigen::Index k = 0; k < s; ++k) {
          const int j = changed[k];
          as.col(k) = a.col(j);
          db.col(k) = b.col(qn[j]) - b.col(q[j]);
        }
        value.noalias() += as * db.transpose();
      } else {
        MatD as(s, a.cols()), db(s, b.cols());
        for (Eigen::Index k = 0; k < s; ++k) {
          const int j = changed[k];
          as.row(k) = a.row(j);
          db.row(k) = b.row(qn[j]) - b.row(q[j]);
        }
        value.noalias() += as.transpose() * db;
      }
    }
    q = std::move(qn);
    valid = true;
  }
};

/// Block `blk` of `params` unfolded along `axis` into a matrix: rows = the axis (reshaped to
/// n rows of g·m when grouped), or, in column form, columns = the axis.
MatD unfold(const std::vector<float>& params, const ParamBlock& blk, int axis, bool col_form, int n) {
  const std::vector<int> rest = rest_map(blk.shape, std::vector<std::vector<int>>(blk.shape.size()), axis);
  const int len = blk.shape[axis];
  const size_t m = rest.size();
  size_t stride = 1;  // of `axis` in the block
  for (size_t ax = axis + 1; ax < blk.shape.size(); ++ax) stride *= blk.shape[ax];
  // rest[c] indexes the tensor without `axis`: split it into the parts before and after.
  const float* src = params.data() + blk.offset;
  auto at = [&](int i, size_t c) {
    const size_t r = static_cast<size_t>(rest[c]);
    const size_t hi = r / stride, lo = r % stride;
    return static_cast<double>(src[(hi * len + i) * stride + lo]);
  };
  if (col_form) {
    MatD out(static_cast<Eigen::Index>(m), len);
    for (size_t c = 0; c < m; ++c)
      for (int i = 0; i < len; ++i) out(c, i) = at(i, c);
    return out;
  }
  const int g = len / std::max(1, n);
  MatD out(n, static_cast<Eigen::Index>(g * m));
  for (int i = 0; i < len; ++i)
    for (size_t c = 0; c < m; ++c) out(i / g, static_cast<Eigen::Index>((i % g) * m + c)) = at(i, c);
  return out;
}

struct Problem {
  const PermutationSpec& spec;
  std::vector<std::vector<double>> a, b;  // every block of θ_A and θ_B, in float64
  std::vector<std::vector<Term>> terms;   // per permutation: one per block axis it acts on

  Problem(const PermutationSpec& s, const std::vector<float>& pa, const std::vector<float>& pb)
      : spec(s), terms(s.sizes.size()) {
    for (size_t k = 0; k < spec.blocks.size(); ++k) {
      const ParamBlock& blk = spec.blocks[k];
      a.emplace_back(pa.begin() + blk.offset, pa.begin() + blk.offset + blk.size());
      b.emplace_back(pb.begin() + blk.offset, pb.begin() + blk.offset + blk.size());
      size_t pre = 1;
      for (size_t ax = 0; ax < blk.shape.size(); ++ax) {
        const int p = blk.axis_perm[ax];
        if (p >= 0) {
          Term t;
          t.block = static_cast<int>(k);
          t.axis = static_cast<int>(ax);
          t.g = blk.group(ax);
          t.m = static_cast<int>(blk.size() / std::max<size_t>(1, blk.shape[ax]));
          const bool last = ax + 1 == blk.shape.size();
          t.col_form = pre > 1 && last && t.g == 1;
          t.fixed = true;
          for (size_t o = 0; o < blk.shape.size(); ++o) t.fixed = t.fixed && (o == ax || blk.axis_perm[o] < 0);
          t.a = unfold(pa, blk, t.axis, t.col_form, spec.sizes[p]);
          t.b = unfold(pb, blk, t.axis, t.col_form, spec.sizes[p]);
          terms[p].push_back(std::move(t));
        }
        pre *= static_cast<size_t>(blk.shape[ax]);
      }
    }
  }

  /// Gain matrix of permutation p given the others: C = Σ_w Ã_w B̃_wᵀ, with p's axis first.
  MatD gain(int p, const std::vector<Permutation>& perms) {
    const int n = spec.sizes[p];
    MatD c = MatD::Zero(n, n);
    for (Term& t : terms[p]) {
      t.update(spec.blocks[t.block], perms);
      c += t.value;
    }
    return c;
  }

  /// Σ_w ⟨A_w, π(B)_w⟩, without materialising π(B); last axis innermost.
  double objective(const std::vector<Permutation>& perms) const {
    double s = 0;
    for (size_t k = 0; k < spec.blocks.size(); ++k) {
      const ParamBlock& blk = spec.blocks[k];
      const size_t nd = blk.shape.size();
      if (blk.size() == 0) continue;
      if (nd == 0) {
        s += a[k][0] * b[k][0];
        continue;
      }
      const auto maps = axis_index_maps(blk, perms);
      std::vector<size_t> stride(nd, 1);
      for (size_t ax = nd - 1; ax > 0; --ax) stride[ax - 1] = stride[ax] * blk.shape[ax];
      const int last = blk.shape[nd - 1];
      const int* lm = maps[nd - 1].empty() ? nullptr : maps[nd - 1].data();
      std::vector<int> idx(nd, 0);
      for (size_t outer = 0, rows = blk.size() / last; outer < rows; ++outer) {
        size_t off = 0;
        for (size_t ax = 0; ax + 1 < nd; ++ax)
          off += static_cast<size_t>(maps[ax].empty() ? idx[ax] : maps[ax][idx[ax]]) * stride[ax];
        const double* ar = a[k].data() + outer * static_cast<size_t>(last);
        const double* br = b[k].data() + off;
        if (lm)
          for (int j = 0; j < last; ++j) s += ar[j] * br[lm[j]];
        else
          for (int j = 0; j < last; ++j) s += ar[j] * br[j];
        for (size_t ax = nd - 1; ax-- > 0;) {
          if (++idx[ax] < blk.shape[ax]) break;
          idx[ax] = 0;
        }
      }
    }
    return s;
  }
};

double trace_gain(const MatD& c, const Permutation& p) {
  double s = 0;
  for (Eigen::Index i = 0; i < c.rows(); ++i) s += c(i, p[i]);
  return s;
}

}  // namespace

AlignmentResult weight_matching(const PermutationSpec& spec, const std::vector<float>& pa,
                                const std::vector<float>& pb, const WeightMatchingConfig& cfg,
                                const std::vector<Permutation>& init, const CancelToken* cancel) {
  if (cfg.max_sweeps < 1) throw InputError("weight matching: max_sweeps must be >= 1");
  spec.validate();
  if (pa.size() != spec.num_params || pb.size() != spec.num_params)
    throw InputError("weight matching: the models have " + std::to_string(pa.size()) + " and " +
                     std::to_string(pb.size()) + " parameters, the permutation spec " +
                     std::to_string(spec.num_params));
  const auto t0 = std::chrono::steady_clock::now();
  Problem prob(spec, pa, pb);
  std::vector<Permutation> perms = init.empty() ? identity_permutations(spec) : init;
  if (!init.empty()) apply_permutations(spec, pb, perms);  // validates init

  AlignmentResult r;
  r.method = "wm";
  r.objective_before = prob.objective(identity_permutations(spec));
  if (spec.sizes.empty()) {  // nothing to permute: the identity, no sweep
    r.objective_after = r.objective_before;
    r.aligned.params = pb;
    r.l2_before = r.l2_after = l2_distance(pa, pb);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
  }
  std::mt19937_64 rng(cfg.seed);
  std::vector<int> order(spec.sizes.size());
  std::iota(order.begin(), order.end(), 0);
  for (int sweep = 0; sweep < cfg.max_sweeps; ++sweep) {
    for (int i = static_cast<int>(order.size()) - 1; i > 0; --i)
      std::swap(order[i], order[rng() % static_cast<uint64_t>(i + 1)]);
    bool progress = false;
    for (int p : order) {
      if (cancel) cancel->check();
      const MatD c = prob.gain(p, perms);
      const int n = spec.sizes[p];
      const double old_gain = trace_gain(c, perms[p]);
      AssignmentResult lap =
          solve_assignment(std::vector<double>(c.data(), c.data() + static_cast<size_t>(n) * n), n, true);
      if (lap.objective > old_gain + cfg.tolerance) {
        progress = true;
        perms[p] = lap.col_for_row;
      }
    }
    ++r.sweeps;
    r.objective_per_sweep.push_back(prob.objective(perms));
    if (!progress) break;
  }
  r.objective_after = r.objective_per_sweep.back();
  const auto ident = identity_permutations(spec);
  for (size_t p = 0; p < spec.sizes.size(); ++p) {
    const MatD c = prob.gain(static_cast<int>(p), perms);
    r.layer_gain.push_back(trace_gain(c, perms[p]) - trace_gain(c, ident[p]));
  }
  r.perms = perms;
  r.aligned.params = apply_permutations(spec, pb, perms);
  r.l2_before = l2_distance(pa, pb);
  r.l2_after = l2_distance(pa, r.aligned.params);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

AlignmentResult weight_matching(const Model& a, const Model& b, const WeightMatchingConfig& cfg,
                                const std::vector<Permutation>& init, const CancelToken* cancel) {
  if (!a.arch || !b.arch) throw InputError("weight matching: a model has no architecture");
  if (!a.arch->same_shape(*b.arch))
    throw InputError("weight matching: models have different architectures: " +
                     a.arch->to_string() + " and " + b.arch->to_string());
  AlignmentResult r = weight_matching(a.arch->permutation_spec(), a.params, b.params, cfg, init, cancel);
  r.aligned.arch = b.arch;
  return r;
}

void check_alignment(Backend& backend, const Model& b, AlignmentResult& r, const Dataset& data,
                     int samples) {
  if (as_transformer_arch(b.architecture())) {
    r.function_max_diff = transformer_max_logit_difference(b, r.aligned, data, std::min(samples, 256),
                                                           &r.function_max_logit);
  } else if (!as_mlp_arch(b.architecture())) {
    // No logit comparison for this kind; a model without permutations is unchanged.
    bool identity = true;
    for (const Permutation& p : r.perms)
      for (size_t i = 0; i < p.size(); ++i) identity = identity && p[i] == static_cast<int>(i);
    if (!identity)
      throw InputError("function check: not available for " + b.arch->kind() + " models");
    r.function_max_diff = 0;
    r.function_max_logit = 0;
    return;
  } else {
    r.function_max_diff = max_logit_difference(backend, to_mlp(b, "function check"),
                                               to_mlp(r.aligned, "function check"), data, samples,
                                               &r.function_max_logit);
  }
  if (!function_check_passes(r.function_max_diff, r.function_max_logit)) {
    char msg[256];
    std::snprintf(msg, sizeof msg,
                  "%s alignment failed the function check: max |logit difference| %.3g "
                  "(largest |logit| %.3g) between the model and its permuted copy",
                  r.method.c_str(), r.function_max_diff, r.function_max_logit);
    throw RunError(msg);
  }
}

}  // namespace ridgeline
