// Git Re-Basin weight matching (alignment.h; ALGORITHMS.md §1), on any PermutationSpec.
#include <Eigen/Core>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <numeric>
#include <random>

#include "ridgeline/alignment.h"
#include "ridgeline/assignment.h"
#include "ridgeline/errors.h"

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

  /// Gain matrix of permutation p given the others: C = Σ_w Ã_w B̃_wᵀ, with p's axis first.
  MatD gain(int p, const std::vector<Permutation>& perms) const {
    const int n = spec.sizes[p];
    MatD c = MatD::Zero(n, n);
    for (size_t k = 0; k < spec.blocks.size(); ++k) {
      const ParamBlock& blk = spec.blocks[k];
      if (blk.row_perm == p) {
        const MatD bt = blk.col_perm >= 0 ? permuted(b[k], perms[blk.col_perm], true) : b[k];
        c.noalias() += a[k] * bt.transpose();
      }
      if (blk.col_perm == p) {
        const MatD bt = blk.row_perm >= 0 ? permuted(b[k], perms[blk.row_perm], false) : b[k];
        c.noalias() += a[k].transpose() * bt;
      }
    }
    return c;
  }

  /// Σ_w ⟨A_w, π(B)_w⟩.
  double objective(const std::vector<Permutation>& perms) const {
    double s = 0;
    for (size_t k = 0; k < spec.blocks.size(); ++k) {
      const ParamBlock& blk = spec.blocks[k];
      MatD bt = b[k];
      if (blk.row_perm >= 0) bt = permuted(bt, perms[blk.row_perm], false);
      if (blk.col_perm >= 0) bt = permuted(bt, perms[blk.col_perm], true);
      s += a[k].cwiseProduct(bt).sum();
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
  Problem prob{spec, {}, {}};
  for (const ParamBlock& blk : spec.blocks) {
    prob.a.push_back(block_of(ma.params, blk));
    prob.b.push_back(block_of(mb.params, blk));
  }
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
