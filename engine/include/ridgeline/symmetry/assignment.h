#pragma once
/// @file assignment.h
/// The linear assignment problem on dense n×n matrices: find the permutation π maximising
/// (or minimising) Σ_i C[i, π(i)]. Shortest augmenting paths (Jonker–Volgenant class),
/// O(n³), float64 throughout; exact on ties and degenerate (constant, rank-one) inputs.
#include <vector>

namespace ridgeline {

struct AssignmentResult {
  std::vector<int> col_for_row;  ///< π: row i is assigned column col_for_row[i]
  double objective = 0;          ///< Σ_i C[i, π(i)]
  /// Dual potentials of the minimisation form (cost = −C when maximising): u[i] + v[j] ≤
  /// cost[i][j] for all i, j, with equality on the assignment — an optimality certificate.
  std::vector<double> u, v;
};

/// `c` is row-major n×n. Throws InputError when an entry is not finite or the size is wrong.
AssignmentResult solve_assignment(const std::vector<double>& c, int n, bool maximize = true);

}  // namespace ridgeline
