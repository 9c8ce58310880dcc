// Git Re-Basin weight matching (alignment.h; Ainsworth et al. 2023, arXiv 2209.04836, Algorithm 1), on any PermutationSpec.
#ifdef RIDGELINE_HAVE_OPENBLAS
#define EIGEN_USE_BLAS  // the float64 gain products run on OpenBLAS's dgemm
#endif
#include <Eigen/Core>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <numeric>
#include <random>

#include "ridgeline/align/alignment.h"
#include "ridgeline/symmetry/assignment.h"
#include "ridgeline/core/errors.h"

namespace ridgeline {

namespace {

using MatD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

MatD block_of(const std::vector<float>& params, const ParamBlock& b) {
  MatD m(b.rows, b.cols);
  const float* src = params.data() + b.offset;
  for (int i = 0; i < b.rows; ++i)
    for (int j = 0; j < b.cols; ++j) m(i, j) = src[static_cast<size_t>(i) * b.cols + j];
  return m;
}

/// Rows of m reordered by p (row i ← row p[i]), or columns when `cols`.
MatD permuted(const MatD& m, const Permutation& p, bool cols) {
  MatD out(m.rows(), m.cols());
  if (cols)
    for (Eigen::Index j = 0; j < m.cols(); ++j) out.col(j) = m.col(p[j]);
  else
    for (Eigen::Index i = 0; i < m.rows(); ++i) out.row(i) = m.row(p[i]);
  return out;
}

struct Problem {
  const PermutationSpec& spec;
  std::vector<MatD> a, b;  // every block of θ_A and θ_B, in float64

  // Each block contributes one term to the gain of the permutation on its row axis and one to
  // that on its column axis; a term depends only on the permutation q of the block's *other*
  // axis. Terms are cached with the q they were computed for. When q has since changed on a
  // set S of positions, the term is updated by a rank-|S| product instead of recomputed:
  //   row term  A·B̃ᵀ, B̃[:, j] = B[:, q[j]]:  Δ = A[:, S]·(B[:, q_new[S]] − B[:, q_old[S]])ᵀ
  //   col term  Aᵀ·B̃, B̃[j, :] = B[q[j], :]:  Δ = A[S, :]ᵀ·(B[q_new[S], :] − B[q_old[S], :])
  // so late sweeps, where few units move, cost little more than their assignments.
  struct Term {
    MatD value;
    Permutation q;  // the other axis' permutation the value was computed for
    bool valid = false;
  };
  std::vector<Term> row_terms, col_terms;  // per block

  void init() {
    row_terms.assign(spec.blocks.size(), {});
    col_terms.assign(spec.blocks.size(), {});
  }

  void update_term(Term& t, const MatD& a, const MatD& b, const Permutation* q, bool row_term) {
    if (!q) {  // the other axis is never permuted: computed once
      if (!t.valid) t.value.noalias() = row_term ? MatD(a * b.transpose()) : MatD(a.transpose() * b);
      t.valid = true;
      return;
    }
    std::vector<int> changed;
    if (t.valid)
      for (size_t j = 0; j < q->size(); ++j)
        if ((*q)[j] != t.q[j]) changed.push_back(static_cast<int>(j));
    if (!t.valid || 2 * changed.size() > q->size()) {
      t.value.noalias() = row_term ? MatD(a * permuted(b, *q, true).transpose())
                                   : MatD(a.transpose() * permuted(b, *q, false));
    } else if (!changed.empty()) {
      const Eigen::Index s = static_cast<Eigen::Index>(changed.size());
      if (row_term) {
        MatD as(a.rows(), s), db(b.rows(), s);
        for (Eigen::Index k = 0; k < s; ++k) {
          const int j = changed[k];
          as.col(k) = a.col(j);
          db.col(k) = b.col((*q)[j]) - b.col(t.q[j]);
        }
        t.value.noalias() += as * db.transpose();
      } else {
        MatD as(s, a.cols()), db(s, b.cols());
        for (Eigen::Index k = 0; k < s; ++k) {
          const int j = changed[k];
          as.row(k) = a.row(j);
          db.row(k) = b.row((*q)[j]) - b.row(t.q[j]);
        }
        t.value.noalias() += as.transpose() * db;
      }
    }
    t.q = *q;
    t.valid = true;
  }

  /// Gain matrix of permutation p given the others: C = Σ_w Ã_w B̃_wᵀ, with p's axis first.
  MatD gain(int p, const std::vector<Permutation>& perms) {
    const int n = spec.sizes[p];
    MatD c = MatD::Zero(n, n);
    for (size_t k = 0; k < spec.blocks.size(); ++k) {
      const ParamBlock& blk = spec.blocks[k];
      if (blk.row_perm == p) {
        update_term(row_terms[k], a[k], b[k], blk.col_perm >= 0 ? &perms[blk.col_perm] : nullptr, true);
        c += row_terms[k].value;
      }
      if (blk.col_perm == p) {
        update_term(col_terms[k], a[k], b[k], blk.row_perm >= 0 ? &perms[blk.row_perm] : nullptr, false);
        c += col_terms[k].value;
      }
    }
    return c;
  }

  /// Σ_w ⟨A_w, π(B)_w⟩, without materialising π(B).
  double objective(const std::vector<Permutation>& perms) const {
    double s = 0;
    for (size_t k = 0; k < spec.blocks.size(); ++k) {
      const ParamBlock& blk = spec.blocks[k];
      const int* rp = blk.row_perm >= 0 ? perms[blk.row_perm].data() : nullptr;
      const int* cp = blk.col_perm >= 0 ? perms[blk.col_perm].data() : nullptr;
      for (int i = 0; i < blk.rows; ++i) {
        const double* ar = a[k].data() + static_cast<size_t>(i) * blk.cols;
        const double* br = b[k].data() + static_cast<size_t>(rp ? rp[i] : i) * blk.cols;
        if (cp)
          for (int j = 0; j < blk.cols; ++j) s += ar[j] * br[cp[j]];
        else
          for (int j = 0; j < blk.cols; ++j) s += ar[j] * br[j];
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

AlignmentResult weight_matching(const Mlp& ma, const Mlp& mb, const WeightMatchingConfig& cfg,
                                const std::vector<Permutation>& init, const CancelToken* cancel) {
  if (!ma.arch.same_shape(mb.arch))
    throw InputError("weight matching: models have different architectures: " +
                     ma.arch.to_string() + " and " + mb.arch.to_string());
  if (cfg.max_sweeps < 1) throw InputError("weight matching: max_sweeps must be >= 1");
  const auto t0 = std::chrono::steady_clock::now();
  const PermutationSpec spec = mlp_permutation_spec(ma.arch);
  Problem prob{spec, {}, {}, {}, {}};
  for (const ParamBlock& blk : spec.blocks) {
    prob.a.push_back(block_of(ma.params, blk));
    prob.b.push_back(block_of(mb.params, blk));
  }
  prob.init();
  std::vector<Permutation> perms = init.empty() ? identity_permutations(spec) : init;
  if (!init.empty()) apply_permutations(spec, mb.params, perms);  // validates init

  AlignmentResult r;
  r.method = "wm";
  r.objective_before = prob.objective(identity_permutations(spec));
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
  r.aligned = apply_permutations(mb, perms);
  r.l2_before = l2_distance(ma.params, mb.params);
  r.l2_after = l2_distance(ma.params, r.aligned.params);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

void check_alignment(Backend& backend, const Mlp& b, AlignmentResult& r, const Dataset& data,
                     int samples) {
  r.function_max_diff = max_logit_difference(backend, b, r.aligned, data, samples, &r.function_max_logit);
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
