#pragma once
/// @file permutation.h
/// Permutation symmetry of a network's units (Ainsworth et al. 2023, arXiv 2209.04836; transformer heads and
/// residual streams as in Theus et al. 2025, arXiv 2506.22712), described generically in
/// the style of Git Re-Basin's axes_to_perm: every parameter block of the
/// flat parameter vector is an N-dimensional row-major tensor, and each of its axes may be
/// acted on by one permutation. A permutation of n units may act on an axis of length n·g in
/// groups of g consecutive indices (an attention head's d_head rows move together, keeping
/// their order). One permutation acts on at most one axis of a block. Specs are inferred from
/// the architecture (ModelArch::permutation_spec()), never hand-written by users.
#include <cstdint>
#include <string>
#include <vector>


namespace ridgeline {

struct Model;

/// perm[i] = the index of B's unit placed at position i (π(B)'s unit i is B's unit perm[i]).
using Permutation = std::vector<int>;

struct ParamBlock {
  std::string name;            ///< "fc1.weight"
  size_t offset = 0;           ///< into the flat parameter vector
  std::vector<int> shape;      ///< row-major dimensions ({out, in} for a Linear weight)
  std::vector<int> axis_perm;  ///< per axis: the permutation acting on it (−1: none)
  std::vector<int> axis_group; ///< per axis: units per group (empty: all 1)

  size_t size() const;                   ///< product of the shape
  int group(size_t axis) const { return axis < axis_group.size() ? axis_group[axis] : 1; }
};

/// A matrix block [rows×cols] with permutations on its rows and columns (−1: none), groups 1.
ParamBlock matrix_block(std::string name, size_t offset, int rows, int cols, int row_perm,
                        int col_perm);
/// A vector block [n] acted on by `perm` (−1: none), groups 1.
ParamBlock vector_block(std::string name, size_t offset, int n, int perm);

struct PermutationSpec {
  std::vector<std::string> names;  ///< one per permutation, "P0" (hidden layer 0), ...
  std::vector<int> sizes;          ///< units per permutation (groups, for grouped axes)
  std::vector<ParamBlock> blocks;
  size_t num_params = 0;

  /// Throws InputError unless every block lies inside num_params, every permuted axis has
  /// length sizes[p]·group, groups are ≥ 1 and no permutation acts twice on one block.
  void validate() const;
  /// Adds a permutation; returns its index.
  int add_permutation(std::string name, int size);
};

std::vector<Permutation> identity_permutations(const PermutationSpec& spec);
/// Uniformly random permutations from a seeded generator (portable across machines).
std::vector<Permutation> random_permutations(const PermutationSpec& spec, uint64_t seed);
Permutation inverse(const Permutation& p);
Permutation compose(const Permutation& outer, const Permutation& inner);  ///< i ↦ inner[outer[i]]

/// π(θ): every block permuted along its axes (grouped axes move whole groups). Throws
/// InputError on mismatched sizes or an invalid spec.
std::vector<float> apply_permutations(const PermutationSpec& spec, const std::vector<float>& params,
                                      const std::vector<Permutation>& perms);
/// Per axis of block `b`: the source index of every index along that axis under `perms`
/// (grouped axes expanded: index u·g + r comes from perms[p][u]·g + r); empty where the axis
/// is not permuted or is `skip_axis`. `perms` must fit the spec (apply_permutations checks).
std::vector<std::vector<int>> axis_index_maps(const ParamBlock& b, const std::vector<Permutation>& perms,
                                              int skip_axis = -1);
/// dst[i₀,…] = src[m₀(i₀),…] for row-major tensors of `shape`, per-axis maps (empty: identity).
void gather_block(const std::vector<int>& shape, const std::vector<std::vector<int>>& maps,
                  const float* src, float* dst);
/// Threshold of the function check: a permuted model must agree with its source to float32
/// rounding; we allow 1e-4 relative to the largest |logit| (and 1e-5 absolute).
bool function_check_passes(double max_diff, double max_abs_logit);

/// ‖a − b‖₂ of two flat parameter vectors (accumulated in double).
double l2_distance(const std::vector<float>& a, const std::vector<float>& b);

}  // namespace ridgeline
