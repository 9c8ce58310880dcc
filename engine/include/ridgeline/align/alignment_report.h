#pragma once
/// @file alignment_report.h
/// The numbers of an alignment, without the aligned model: what a view shows and what a run
/// folder's results/<step>.json (alignment_to_json) holds. Built from a live AlignmentResult or
/// parsed back from that JSON; both give the same report.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ridgeline/align/alignment.h"
#include "ridgeline/symmetry/permutation.h"

namespace ridgeline {

struct AlignmentReport {
  /// One permutation of the spec (an MLP: one hidden layer).
  struct Layer {
    std::string name;   ///< "P0", ...
    int64_t size = 0;   ///< units the permutation acts on
    double gain = 0;    ///< ⟨C_p, P⟩ after − at the identity, in the method's objective units
    int64_t moved = 0;  ///< units i with p[i] != i (0: the layer kept B's order)

    bool operator==(const Layer&) const = default;
  };

  std::string method;                       ///< "wm", "am", "am-pearson", "ste"
  double objective_before = 0;              ///< at the identity
  double objective_after = 0;
  /// Weight matching: the objective after each sweep. Activation matching: one entry (the
  /// objective after its single assignment). STE: the midpoint training loss after each epoch,
  /// epoch 0 first — not the objective of objective_before/after.
  std::vector<double> objective_per_sweep;
  double l2_before = 0;                     ///< ‖θ_A − θ_B‖
  double l2_after = 0;                      ///< ‖θ_A − π(θ_B)‖
  int sweeps = 0;
  double seconds = 0;
  double function_max_diff = 0;             ///< max |logit(θ_B) − logit(π(θ_B))|
  double function_max_logit = 0;            ///< max |logit(θ_B)| on the same batch
  bool function_passed = false;             ///< function_check_passes(max_diff, max_logit)
  std::vector<Layer> layers;                ///< in the order of the permutation spec
  /// Permutations within attention heads, when the alignment made them (AlignmentResult's).
  std::optional<WithinHeadsSummary> within_heads;

  /// Field by field; a NaN (written as JSON null) never equals anything.
  bool operator==(const AlignmentReport&) const = default;
};

/// Units that p moves: the count of i with p[i] != i.
int64_t moved_units(const Permutation& p);

/// The report of a live alignment, layer names and sizes from `spec` (the permutation spec of
/// model A's architecture, as alignment_to_json uses). Same layers as alignment_to_json writes.
AlignmentReport make_alignment_report(const AlignmentResult& result, const PermutationSpec& spec);

/// Parses alignment_to_json's text. Every layer must carry its permutation (0..size−1, each
/// once); `moved` is computed from it. A "within_heads" object, when there is one, is read
/// back whole (its permutations checked, its counts checked against them). A JSON null where a number is expected reads as NaN
/// (nlohmann/json writes non-finite numbers as null).
/// Throws InputError with one line "<source>: <key>: <problem>", e.g.
/// "results/wm.json: layers[1].permutation: not a permutation of 0..11".
AlignmentReport parse_alignment_report(const std::string& json_text, const std::string& source);

/// The orthogonal map of a transformer's residual stream after an alignment (the align step's
/// results/<id>.orthogonal.json): `r` as the step fills it (method "<method>+orth", objective =
/// the streams' mismatch before/after, L2 between the canonical forms, the function check),
/// `a` and `b` the names of the models it relates. And back: InputError "<source>: <problem>".
std::string orthogonal_report_json(const AlignmentReport& r, const std::string& a,
                                   const std::string& b);
AlignmentReport parse_orthogonal_report(const std::string& json_text, const std::string& source);

/// Learned matching after the orthogonal map (the align step's results/<id>.learned.json;
/// learned_matching.h): `r` as the step fills it (method "<method>+orth+learned", objective =
/// the midpoint training loss before (the closed-form map) and after, objective_per_sweep = the
/// midpoint training loss of the projection at the start and after every epoch, sweeps =
/// epochs, L2 between A's canonical form and B's before and after, the function check),
/// `best_epoch` (−1: the closed-form map was kept) and the λ range. Parsing gives `r` back
/// (best_epoch and λ are checked and dropped). InputError "<source>: <problem>".
std::string learned_report_json(const AlignmentReport& r, const std::string& a, const std::string& b,
                                int best_epoch, double lambda_min, double lambda_max);
AlignmentReport parse_learned_report(const std::string& json_text, const std::string& source);

}  // namespace ridgeline
