// Activation matching: one assignment per hidden layer on cross-moment or Pearson gains
// (activation_matching.h).
#include "ridgeline/models/mlp/mlp_symmetry.h"
#include "ridgeline/align/activation_matching.h"

#include <chrono>

#include "ridgeline/symmetry/assignment.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/models/mlp/mlp_model.h"
#include "ridgeline/models/transformer/transformer.h"

namespace ridgeline {

void add_assignment(const std::vector<double>& gain, int n, AlignmentResult& r) {
  const AssignmentResult as = solve_assignment(gain, n, /*maximize=*/true);
  double identity = 0, found = 0;
  for (int i = 0; i < n; ++i) {
    identity += gain[static_cast<size_t>(i) * n + i];
    found += gain[static_cast<size_t>(i) * n + as.col_for_row[i]];
  }
  // Row i is A's unit i, column π(i) is B's unit placed at position i: the Permutation
  // convention of permutation.h directly.
  r.perms.push_back(as.col_for_row);
  r.objective_before += identity;
  r.objective_after += found;
  r.layer_gain.push_back(found - identity);
}

AlignmentResult activation_matching(Backend& be, const Model& ma, const Model& mb,
                                    const Dataset& train, const ActivationMatchingConfig& cfg,
                                    const CancelToken* cancel) {
  if (ma.arch && as_transformer_arch(*ma.arch))
    return transformer_activation_matching(be, ma, mb, train, cfg, cancel);
  const auto t0 = std::chrono::steady_clock::now();
  // Matching hidden units' activations needs hidden layers: MLPs (and transformers, above).
  const Mlp a = to_mlp(ma, "activation matching: model A");
  const Mlp b = to_mlp(mb, "activation matching: model B");
  if (!a.arch.same_shape(b.arch))
    throw InputError("models have different architectures: " + a.arch.to_string() + " and " +
                     b.arch.to_string());
  if (a.params.size() != b.params.size() || a.params.size() != a.layout().total)
    throw InputError("models have parameter vectors of different sizes");
  const PermutationSpec spec = mlp_permutation_spec(a.arch);
  const int H = a.arch.num_hidden();
  if (static_cast<int>(spec.sizes.size()) != H)
    throw InputError("activation matching: expected one permutation per hidden layer");

  // Git Re-Basin matches every layer independently on the unpermuted B. REPAIR instead runs
  // B's already-permuted prefix to match layer ℓ; the two agree: permuting hidden layers
  // < ℓ (rows of W_k, b_k, γ_k, β_k and the matching columns of W_{k+1}) leaves every unit's
  // activation at layer ℓ unchanged — only the unit order of the permuted layers changes —
  // so B's layer-ℓ activations, and the gain matrix, are the same either way.
  const CrossStatistics st = cross_statistics(be, a, b, train, cfg.samples, cfg.batch, cancel);

  AlignmentResult r;
  r.method = cfg.pearson ? "am-pearson" : "am";
  r.sweeps = 1;
  for (int l = 0; l < H; ++l) {
    if (cancel) cancel->check();
    const int w = a.arch.widths[l + 1];
    const std::vector<double> gain = cfg.pearson ? correlation_matrix(st, l) : st.cross[l];
    add_assignment(gain, w, r);
  }
  r.aligned = to_model(apply_permutations(b, r.perms));
  r.l2_before = l2_distance(a.params, b.params);
  r.l2_after = l2_distance(a.params, r.aligned.params);
  r.objective_per_sweep = {r.objective_after};
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace ridgeline
