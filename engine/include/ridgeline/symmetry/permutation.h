#pragma once
/// @file permutation.h
/// Permutation symmetry of a network's hidden units (Ainsworth et al. 2023, arXiv 2209.04836), described generically
/// in the style of Git Re-Basin's axes_to_perm: every parameter block of the flat parameter
/// vector is a rows×cols matrix (vectors are n×1) whose row axis and column axis may each be
/// acted on by one permutation. Specs are inferred from the architecture, never hand-written;
/// other architectures (e.g. transformers) add their own spec builders.
#include <cstdint>
#include <string>
#include <vector>

#include "ridgeline/core/backend.h"
#include "ridgeline/data/dataset.h"
#include "ridgeline/models/mlp/mlp.h"

namespace ridgeline {

/// perm[i] = the index of B's unit placed at position i (π(B)'s unit i is B's unit perm[i]).
using Permutation = std::vector<int>;

struct ParamBlock {
  std::string name;      ///< "fc1.weight"
  size_t offset = 0;     ///< into the flat parameter vector
  int rows = 0, cols = 1;
  int row_perm = -1;     ///< permutation acting on rows (−1: none)
  int col_perm = -1;     ///< permutation acting on columns (−1: none)
};

struct PermutationSpec {
  std::vector<std::string> names;  ///< one per permutation, "P0" (hidden layer 0), ...
  std::vector<int> sizes;
  std::vector<ParamBlock> blocks;
  size_t num_params = 0;
};

/// MLP: one permutation per hidden layer ℓ acting on the rows of W_ℓ, b_ℓ, the LayerNorm
/// γ_ℓ, β_ℓ, and the columns of W_{ℓ+1}.
PermutationSpec mlp_permutation_spec(const MlpArch& arch);

std::vector<Permutation> identity_permutations(const PermutationSpec& spec);
/// Uniformly random permutations from a seeded generator (portable across machines).
std::vector<Permutation> random_permutations(const PermutationSpec& spec, uint64_t seed);
Permutation inverse(const Permutation& p);
Permutation compose(const Permutation& outer, const Permutation& inner);  ///< i ↦ inner[outer[i]]

/// π(θ): every block permuted along its axes. Throws InputError on mismatched sizes.
std::vector<float> apply_permutations(const PermutationSpec& spec, const std::vector<float>& params,
                                      const std::vector<Permutation>& perms);
Mlp apply_permutations(const Mlp& model, const std::vector<Permutation>& perms);

/// max |logit(a) − logit(b)| over the first `samples` rows of data (the function check);
/// `max_abs_logit` receives max |logit(a)| on the same rows.
double max_logit_difference(Backend& backend, const Mlp& a, const Mlp& b, const Dataset& data,
                            int samples = 2000, double* max_abs_logit = nullptr);

/// Threshold of the function check: a permuted model must agree with its source to float32
/// rounding; we allow 1e-4 relative to the largest |logit| (and 1e-5 absolute).
bool function_check_passes(double max_diff, double max_abs_logit);

/// ‖a − b‖₂ of two flat parameter vectors (accumulated in double).
double l2_distance(const std::vector<float>& a, const std::vector<float>& b);

}  // namespace ridgeline
