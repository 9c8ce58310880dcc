#pragma once
/// @file alignment.h
/// Aligning θ_B to θ_A by permutations (Ainsworth et al. 2023, arXiv 2209.04836): weight matching, activation
/// matching (cross-moment or Pearson), the straight-through estimator; merging many models.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ridgeline/core/backend.h"
#include "ridgeline/data/dataset.h"
#include "ridgeline/models/model.h"
#include "ridgeline/symmetry/permutation.h"
#include "ridgeline/core/progress.h"

namespace ridgeline {

/// Transformers aligned with permutations within heads as well (within_heads.h): what that
/// second stage found, after the method's own permutations.
struct WithinHeadsSummary {
  int heads = 0;                          ///< layers × heads
  int qk_moved = 0, vo_moved = 0;         ///< heads whose σ_h / τ_h is not the identity
  int heads_moved = 0;                    ///< whole heads paired again
  /// Per layer: π(B)'s head h is B's head head_perms[l][h].
  std::vector<Permutation> head_perms;
  /// Σ over heads of ⟨A, B⟩ over the parameters σ and τ act on (query and key rows with their
  /// biases; value rows with their biases and the projection's columns), at the method's
  /// pairing with the identity inside, and after. after ≥ before.
  double qk_before = 0, qk_after = 0, vo_before = 0, vo_after = 0;
  std::string qk_skipped;                 ///< why query/key dimensions were left, or empty
  /// Per head, layer-major (layer·heads + head), head_dim entries each, applied after
  /// head_perms: π(B)'s dimension i is the moved head's dimension qk[h][i] (vo[h][i]); qk holds
  /// identities when qk_skipped is set.
  std::vector<Permutation> qk, vo;

  bool operator==(const WithinHeadsSummary&) const = default;
};

struct AlignmentResult {
  std::string method;                      ///< "wm", "am", "am-pearson", "ste"
  std::vector<Permutation> perms;          ///< one per permutation of the spec
  Model aligned;                           ///< π(θ_B) (arch null from the spec-level weight matching)
  double objective_before = 0;             ///< Σ_blocks ⟨A, π(B)⟩ at the identity
  double objective_after = 0;
  std::vector<double> objective_per_sweep; ///< weight matching: after each sweep
  std::vector<double> layer_gain;          ///< per permutation: ⟨C_p, P⟩ after − at identity
  double l2_before = 0, l2_after = 0;      ///< ‖θ_A − θ_B‖, ‖θ_A − π(θ_B)‖
  int sweeps = 0;
  double seconds = 0;
  double function_max_diff = 0;            ///< max |logit(θ_B) − logit(π(θ_B))|
  double function_max_logit = 0;           ///< max |logit(θ_B)| on the same batch
  /// Set when the alignment also permuted dimensions within heads (then `aligned` includes
  /// them, l2_after is measured with them, and for wm/ste objective_after includes their gain).
  std::optional<WithinHeadsSummary> within_heads;
};

struct WeightMatchingConfig {
  int max_sweeps = 100;
  uint64_t seed = 0;        ///< sweep order
  double tolerance = 1e-12; ///< a sweep with no gain above this stops the loop
};

/// Git Re-Basin weight matching on the models' permutation spec (a.arch->permutation_spec()):
/// block coordinate ascent over the permutations in random order per sweep, each an exact
/// linear assignment on the gain C_p = Σ over every block axis p acts on of Ã·B̃ᵀ (the axis
/// unfolded first, every other permuted axis of B̃ permuted by its current permutation; a
/// grouped axis sums the gain over each group's units). Starts from `init` (identity if
/// empty). A spec without permutations (the quadratic oracle) returns at once: no
/// permutations, sweeps 0, objective before = after. Does not run the function check (see
/// check_alignment). Throws InputError when the architectures differ.
AlignmentResult weight_matching(const Model& a, const Model& b, const WeightMatchingConfig& cfg = {},
                                const std::vector<Permutation>& init = {},
                                const CancelToken* cancel = nullptr);
/// The same on flat parameter vectors of `spec`; result.aligned has params π(θ_B) and no
/// architecture. Throws InputError on an invalid spec or mismatched sizes.
AlignmentResult weight_matching(const PermutationSpec& spec, const std::vector<float>& a,
                                const std::vector<float>& b, const WeightMatchingConfig& cfg = {},
                                const std::vector<Permutation>& init = {},
                                const CancelToken* cancel = nullptr);

/// The JSON report of an alignment (the `align --json` contract): method, objective
/// before/after and per sweep, l2 before/after, sweeps, seconds, function check, and per
/// permutation its name, size, gain and the permutation itself.
std::string alignment_to_json(const AlignmentResult& r, const PermutationSpec& spec, int indent = -1);

/// The function check every alignment must pass: π(θ_B) computes the same function as θ_B.
/// Fills result.function_max_diff / function_max_logit on the first `samples` rows of data
/// and throws RunError naming both numbers when the check fails. MLPs and transformers (at
/// most 256 examples, every position of a token model); for another kind the check passes
/// (0) when every permutation is the identity, else throws InputError.
void check_alignment(Backend& backend, const Model& b, AlignmentResult& result, const Dataset& data,
                     int samples = 2000);

}  // namespace ridgeline
