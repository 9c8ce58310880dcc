#pragma once
/// @file merge.h
/// Merging many models (Git Re-Basin "MergeMany", Ainsworth et al. 2023, arXiv 2209.04836):
/// repeatedly weight-match each model to the mean of the others, then average.
#include <cstdint>
#include <vector>

#include "ridgeline/models/model.h"
#include "ridgeline/symmetry/permutation.h"
#include "ridgeline/core/progress.h"

namespace ridgeline {

struct MergeConfig {
  int max_sweeps = 100;     ///< outer sweeps over the models (and each weight matching's limit)
  uint64_t seed = 0;        ///< model visiting order and the weight matchings' sweep orders
  double tolerance = 1e-12; ///< a sweep in which no model's distance improved by more stops
};

struct MergeResult {
  /// perms[i]: the permutations (one per hidden layer) that take models[i] (as given) to
  /// aligned[i] = apply_permutations(models[i], perms[i]). Expressed in model 0's frame:
  /// perms[0] is the identity (see merge_many).
  std::vector<std::vector<Permutation>> perms;
  std::vector<Model> aligned;
  Model merged;                              ///< mean of aligned (accumulated in double)
  double distance_before = 0;              ///< merge_distance(models)
  std::vector<double> distance_per_sweep;  ///< merge_distance(aligned) after each sweep
  int sweeps = 0;
  double seconds = 0;
};

/// Σ_i ‖θ_i − mean_{j≠i} θ_j‖₂ (accumulated in double). Needs ≥ 2 same-size models.
double merge_distance(const std::vector<Model>& models);

/// MergeMany. Each sweep visits the models in a seeded random order; model i is matched by
/// weight_matching(mean of the other models' current aligned copies, models[i],
/// init = perms[i]) and replaced by its permuted copy. Stops after a sweep in which no
/// model's L2 distance to the mean of the others improved by more than `tolerance`, or after
/// max_sweeps. Weight matching starts from the current permutation and only accepts gains, so
/// every replacement lowers that model's distance, and hence Σ_i ‖θ_i − mean_{j≠i}‖² (the sum
/// of squares is monotone by construction; the sum of norms reported is in practice).
/// Finally all results are re-expressed in model 0's unit order (a common permutation of every
/// aligned model changes neither distances nor the merged function), so perms[0] = identity
/// and `merged` is comparable unit-by-unit with models[0].
/// Works on any model kind's permutation spec (weight matching only).
/// Throws InputError for fewer than 2 models or a model whose shape differs from model 0's
/// (naming its index), and Cancelled.
MergeResult merge_many(const std::vector<Model>& models, const MergeConfig& cfg = {},
                       const CancelToken* cancel = nullptr);

}  // namespace ridgeline
