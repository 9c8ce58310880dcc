// Performer's Gaussian orthogonal random features (Choromanski et al. 2021, arXiv 2009.14794,
// §4; the construction of performer-pytorch's gaussian_orthogonal_random_matrix with its
// default scaling: orthonormal rows from QR blocks, each rescaled by a χ_d norm).
#include <Eigen/Dense>
#include <random>

#include "ridgeline/attention/attention.h"
#include "ridgeline/core/errors.h"

namespace ridgeline::attention {

std::vector<double> gaussian_orthogonal_features(int m, int d, uint64_t seed) {
  if (m < 1 || d < 1)
    throw InputError("performer: the number of random features and the head width must be ≥ 1");
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<double> omega(static_cast<size_t>(m) * d);
  for (int r0 = 0; r0 < m; r0 += d) {
    Eigen::MatrixXd g(d, d);
    for (int i = 0; i < d; ++i)
      for (int j = 0; j < d; ++j) g(i, j) = normal(gen);
    // Q's columns are orthonormal; its transpose's rows are the block's features.
    const Eigen::MatrixXd qmat = Eigen::HouseholderQR<Eigen::MatrixXd>(g).householderQ();
    for (int r = r0; r < std::min(m, r0 + d); ++r)
      for (int j = 0; j < d; ++j) omega[static_cast<size_t>(r) * d + j] = qmat(j, r - r0);
  }
  for (int r = 0; r < m; ++r) {
    double sq = 0;
    for (int j = 0; j < d; ++j) {
      const double x = normal(gen);
      sq += x * x;
    }
    const double chi = std::sqrt(sq);
    for (int j = 0; j < d; ++j) omega[static_cast<size_t>(r) * d + j] *= chi;
  }
  return omega;
}

}  // namespace ridgeline::attention
