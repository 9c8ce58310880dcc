#pragma once
/// @file mlp_symmetry.h
/// The MLP's permutation symmetry (Ainsworth et al. 2023, arXiv 2209.04836, §2) and its
/// function check.
#include <vector>

#include "ridgeline/core/backend.h"
#include "ridgeline/data/dataset.h"
#include "ridgeline/models/mlp/mlp.h"
#include "ridgeline/symmetry/permutation.h"

namespace ridgeline {

/// One permutation per hidden layer ℓ acting on the rows of W_ℓ, b_ℓ, the LayerNorm γ_ℓ, β_ℓ,
/// and the columns of W_{ℓ+1}.
PermutationSpec mlp_permutation_spec(const MlpArch& arch);

/// π(θ) of an MLP.
Mlp apply_permutations(const Mlp& model, const std::vector<Permutation>& perms);

/// max |logit(a) − logit(b)| over the first `samples` rows of data (the function check);
/// `max_abs_logit` receives max |logit(a)| on the same rows.
double max_logit_difference(Backend& backend, const Mlp& a, const Mlp& b, const Dataset& data,
                            int samples = 2000, double* max_abs_logit = nullptr);

}  // namespace ridgeline
