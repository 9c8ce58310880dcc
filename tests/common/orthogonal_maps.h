// Random orthogonal maps of a transformer's residual stream for tests
// (models/transformer/transformer_orthogonal.h).
#pragma once

#include <Eigen/Dense>
#include <cstdint>
#include <random>
#include <vector>

namespace ridgeline::test {

// A random orthogonal Q with Q·1 = 1 (d×d row-major): a random rotation of the complement of 1.
inline std::vector<double> random_stream_map(int d, uint64_t seed) {
  using MatD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  std::mt19937_64 g(seed);
  std::normal_distribution<double> n;
  MatD x(d, d);
  for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = n(g);
  x.col(0).setOnes();  // Gram–Schmidt from 1 first: the other columns span its complement
  Eigen::HouseholderQR<MatD> qr(x);
  const MatD basis = MatD(qr.householderQ()).rightCols(d - 1);
  MatD r(d - 1, d - 1);
  for (Eigen::Index i = 0; i < r.size(); ++i) r.data()[i] = n(g);
  Eigen::HouseholderQR<MatD> qr2(r);
  const MatD rot = qr2.householderQ();
  const MatD q = basis * rot * basis.transpose() + MatD::Constant(d, d, 1.0 / d);
  return std::vector<double>(q.data(), q.data() + q.size());
}

}  // namespace ridgeline::test
