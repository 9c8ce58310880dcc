// Metrics of attention maps (ridgeline/attention/metrics.h) against hand-computed values and
// float64 closed forms: the uniform map (entropy log N, rank 1), the identity map (entropy 0,
// rank N, locality 1), a rank-1 map, Spearman of a monotone map = 1 and of tied values,
// InLine's negative rows, 2-D locality on a patch grid with a class token, the dilution
// curve, fidelity (KL, cross-entropy) and the injectivity proxies on InLine's toy.
#include <Eigen/Dense>
#include <QtTest>
#include <cmath>
#include <random>

#include "ridgeline/attention/metrics.h"
#include "ridgeline/core/errors.h"

using namespace ridgeline;

namespace {

std::vector<double> uniform_map(int n) {
  return std::vector<double>(static_cast<size_t>(n) * n, 1.0 / n);
}

std::vector<double> identity_map(int n) {
  std::vector<double> a(static_cast<size_t>(n) * n, 0);
  for (int i = 0; i < n; ++i) a[static_cast<size_t>(i) * n + i] = 1;
  return a;
}

std::vector<double> causal_uniform_map(int n) {
  std::vector<double> a(static_cast<size_t>(n) * n, 0);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j <= i; ++j) a[static_cast<size_t>(i) * n + j] = 1.0 / (i + 1);
  return a;
}

std::vector<double> gaussian(int count, uint64_t seed) {
  std::mt19937_64 g(seed);
  std::normal_distribution<double> d(0, 1);
  std::vector<double> v(count);
  for (auto& x : v) x = d(g);
  return v;
}

double dot(const std::vector<double>& a, int i, const std::vector<double>& b, int j, int d) {
  double s = 0;
  for (int c = 0; c < d; ++c)
    s += a[static_cast<size_t>(i) * d + c] * b[static_cast<size_t>(j) * d + c];
  return s;
}

// Softmax attention of queries q against keys k (n×d each), causal or not.
std::vector<double> softmax_map(const std::vector<double>& q, const std::vector<double>& k, int n,
                                int d, bool causal) {
  std::vector<double> a(static_cast<size_t>(n) * n, 0);
  for (int i = 0; i < n; ++i) {
    const int keys = causal ? i + 1 : n;
    double mx = -1e300, z = 0;
    for (int j = 0; j < keys; ++j) mx = std::max(mx, dot(q, i, k, j, d) / std::sqrt(d));
    for (int j = 0; j < keys; ++j)
      z += a[static_cast<size_t>(i) * n + j] = std::exp(dot(q, i, k, j, d) / std::sqrt(d) - mx);
    for (int j = 0; j < keys; ++j) a[static_cast<size_t>(i) * n + j] /= z;
  }
  return a;
}

// Normalised relu linear attention of one query against keys (docs/USER_GUIDE.md, "Attention variants").
std::vector<double> relu_linear_row(const std::vector<double>& q, const std::vector<double>& k,
                                    int n, int d) {
  std::vector<double> row(n);
  double z = 0;
  for (int j = 0; j < n; ++j) {
    double s = 0;
    for (int c = 0; c < d; ++c)
      s += std::max(q[c], 0.0) * std::max(k[static_cast<size_t>(j) * d + c], 0.0);
    z += row[j] = s;
  }
  for (double& x : row) x /= z;
  return row;
}

std::vector<double> softmax_row(const std::vector<double>& q, const std::vector<double>& k, int n,
                                int d) {
  std::vector<double> row(n);
  double mx = -1e300, z = 0;
  for (int j = 0; j < n; ++j) mx = std::max(mx, dot(q, 0, k, j, d));
  for (int j = 0; j < n; ++j) z += row[j] = std::exp(dot(q, 0, k, j, d) - mx);
  for (double& x : row) x /= z;
  return row;
}

}  // namespace

class TestAttentionMetrics : public QObject {
  Q_OBJECT
 private slots:
  void uniformMapEntropyIsLogN() {
    for (int n : {1, 5, 64}) {
      const EntropyStats e = row_entropy(uniform_map(n), n, false);
      for (double h : e.per_row) QVERIFY(std::abs(h - std::log(n)) < 1e-12);
      QVERIFY(std::abs(e.mean - std::log(n)) < 1e-12);
      QVERIFY(e.normalised.empty() && std::isnan(e.normalised_mean));
    }
    // Causal uniform rows reach the maximum log(i+1): Ĥ = 1, row 0 undefined.
    const int n = 9;
    const EntropyStats c = row_entropy(causal_uniform_map(n), n, true);
    QVERIFY(std::isnan(c.normalised[0]));
    for (int i = 1; i < n; ++i) {
      QVERIFY(std::abs(c.per_row[i] - std::log(i + 1.0)) < 1e-12);
      QVERIFY(std::abs(c.normalised[i] - 1) < 1e-12);
    }
    QVERIFY(std::abs(c.normalised_mean - 1) < 1e-12);
  }

  void handComputedEntropyAndNegativeMass() {
    // Row 0: (½, ¼, ¼): H = ½ln2 + ½ln4 = 1.5 ln 2. Row 1: InLine-like (0.6, 0.6, −0.2).
    const std::vector<double> a = {0.5, 0.25, 0.25, 0.6, 0.6, -0.2, 0, 1, 0};
    const EntropyStats e = row_entropy(a, 3, false);
    QVERIFY(std::abs(e.per_row[0] - 1.5 * std::log(2.0)) < 1e-15);
    QVERIFY(std::isnan(e.per_row[1]));
    QCOMPARE(e.per_row[2], 0.0);
    QCOMPARE(e.undefined_rows, 1);
    QVERIFY(std::abs(e.mean - 0.75 * std::log(2.0)) < 1e-15);
    const NegativeMass m = negative_mass(a, 3);
    QCOMPARE(m.per_row[1], -0.2);
    QCOMPARE(m.per_row[0], 0.0);
    QCOMPARE(m.rows_with_negative, 1);
    QVERIFY(std::abs(m.mean + 0.2 / 3) < 1e-15);
  }

  void identityMapIsFullRankAndLocal() {
    const int n = 12;
    const auto a = identity_map(n);
    QCOMPARE(row_entropy(a, n, false).mean, 0.0);
    const MapSpectrum s = map_spectrum(a, n);
    QCOMPARE(s.numerical_rank, n);
    QVERIFY(std::abs(s.effective_rank - n) < 1e-9);
    QVERIFY(std::abs(s.stable_rank - n) < 1e-9);
    for (double x : s.singular_values) QVERIFY(std::abs(x - 1) < 1e-12);
    QCOMPARE(locality_1d(a, n, 0).mean, 1.0);
    QCOMPARE(locality_1d(a, n, 3).mean, 1.0);
    QCOMPARE(dilution_curve(a, n, {0.0, 0.5, 1.0}), (std::vector<double>{1, 1, 1}));
  }

  void rankOneMap() {
    // Every row the same distribution v: A = 1 vᵀ, σ₁ = √n‖v‖, rank 1, effective rank 1.
    const int n = 10;
    std::vector<double> v(n), a(static_cast<size_t>(n) * n);
    double z = 0;
    for (int j = 0; j < n; ++j) z += v[j] = 1.0 + j * j;
    double norm = 0;
    for (int j = 0; j < n; ++j) norm += (v[j] /= z) * v[j];
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j) a[static_cast<size_t>(i) * n + j] = v[j];
    const MapSpectrum s = map_spectrum(a, n);
    QCOMPARE(s.numerical_rank, 1);
    QVERIFY(std::abs(s.singular_values[0] - std::sqrt(n * norm)) < 1e-12);
    QVERIFY(std::abs(s.effective_rank - 1) < 1e-9);
    QVERIFY(std::abs(s.stable_rank - 1) < 1e-9);
    // The uniform map is rank 1 too.
    QCOMPARE(map_spectrum(uniform_map(n), n).numerical_rank, 1);
    // A random map against Eigen's Jacobi SVD.
    const auto r = gaussian(n * n, 3);
    Eigen::MatrixXd m(n, n);
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j) m(i, j) = r[static_cast<size_t>(i) * n + j];
    const Eigen::VectorXd ref = Eigen::JacobiSVD<Eigen::MatrixXd>(m).singularValues();
    const MapSpectrum rs = map_spectrum(r, n);
    for (int k = 0; k < n; ++k) QVERIFY(std::abs(rs.singular_values[k] - ref[k]) < 1e-12 * ref[0]);
  }

  void spearmanOfAMonotoneMapIsOne() {
    const int n = 16, d = 8;
    const auto q = gaussian(n * d, 1), k = gaussian(n * d, 2);
    for (bool causal : {false, true}) {
      const Monotonicity m =
          dot_product_monotonicity(softmax_map(q, k, n, d, causal), n, q, k, d, causal);
      for (int i = causal ? 1 : 0; i < n; ++i) QVERIFY(std::abs(m.per_row[i] - 1) < 1e-12);
      if (causal) QVERIFY(std::isnan(m.per_row[0]));  // one key: undefined
      QVERIFY(std::abs(m.mean - 1) < 1e-12);
    }
    // Reversed order: ρ = −1. Weights decreasing in q·k (a map whose row is 1 − softmax).
    auto rev = softmax_map(q, k, n, d, false);
    for (auto& x : rev) x = (1 - x) / (n - 1);
    QVERIFY(std::abs(dot_product_monotonicity(rev, n, q, k, d, false).mean + 1) < 1e-12);
  }

  void discordantPairs() {
    const int n = 12, d = 4;
    const auto q = gaussian(n * d, 4), k = gaussian(n * d, 5);
    const auto soft = softmax_map(q, k, n, d, true);
    const Monotonicity m = discordant_pair_rate(soft, n, q, k, d, true);
    QVERIFY(std::isnan(m.per_row[0]));  // one key: no pair
    QCOMPARE(m.mean, 0.0);
    auto rev = soft;
    for (auto& x : rev) x = -x;  // every pair reversed
    QCOMPARE(discordant_pair_rate(rev, n, q, k, d, true).mean, 1.0);
    // One query, keys with dots (1, 2, 3): weights (0.2, 0.5, 0.3) order one pair of three
    // against the dots ((2, 3): 0.5 > 0.3); equal weights are not discordant.
    const std::vector<double> q1 = {1, 1, 1}, k1 = {1, 2, 3};
    const std::vector<double> a1 = {0.2, 0.5, 0.3, 0.2, 0.5, 0.3, 0.2, 0.5, 0.3};
    QCOMPARE(discordant_pair_rate(a1, 3, q1, k1, 1, false).per_row[0], 1.0 / 3);
    QCOMPARE(discordant_pair_rate(uniform_map(3), 3, q1, k1, 1, false).mean, 0.0);
  }

  void spearmanWithTiesUsesAverageRanks() {
    // x ranks (1, 2.5, 2.5, 4), y ranks (1, 2, 3, 4): ρ = 4.5/√(4.5·5) = 3/√10.
    QVERIFY(std::abs(spearman({1, 2, 2, 3}, {10, 20, 30, 40}) - 3 / std::sqrt(10.0)) < 1e-15);
    QVERIFY(std::isnan(spearman({1, 1, 1}, {1, 2, 3})));  // a constant side
    QVERIFY(std::isnan(spearman({1}, {2})));
    QCOMPARE(spearman({3, 1, 2}, {30, 10, 20}), 1.0);
  }

  void localityOnAPatchGridWithAClassToken() {
    // 4×4 patches + class token (n = 17). Every row: ½ to the class token, ½ spread uniformly
    // over the 16 patches. 3×3 neighbourhood sizes: corners 4, edges 6, interior 9.
    const int h = 4, w = 4, n = 17;
    std::vector<double> a(static_cast<size_t>(n) * n, 0.5 / 16);
    for (int i = 0; i < n; ++i) a[static_cast<size_t>(i) * n] = 0.5;
    const Locality l = locality_2d(a, n, h, w, 1, true);
    QVERIFY(std::isnan(l.per_row[0]));
    QCOMPARE(l.per_row[1], 0.5 * 4 / 16);  // patch (0, 0)
    QCOMPARE(l.per_row[2], 0.5 * 6 / 16);  // patch (0, 1)
    QCOMPARE(l.per_row[6], 0.5 * 9 / 16);  // patch (1, 1)
    QVERIFY(std::abs(l.mean - 0.5 * 100.0 / 256) < 1e-15);
    // Without a class token: the identity is fully local, r = 0 is the diagonal.
    QCOMPARE(locality_2d(identity_map(16), 16, 4, 4, 0, false).mean, 1.0);
    QCOMPARE(locality_2d(uniform_map(16), 16, 4, 4, 3, false).mean, 1.0);
    QVERIFY_THROWS_EXCEPTION(InputError, locality_2d(a, n, 4, 4, 1, false));  // 17 ≠ 16
  }

  void localityAndDilutionOfTheUniformMap() {
    const int n = 10;
    const auto a = uniform_map(n);
    const Locality l = locality_1d(a, n, 1);
    QCOMPARE(l.per_row[0], 0.2);
    QCOMPARE(l.per_row[5], 0.3);
    QVERIFY(std::abs(l.mean - 28.0 / 100) < 1e-15);  // 2 rows with 2 neighbours, 8 with 3
    // l(r) = #{(i, j): |i − j| ≤ r·n} / n²: r = 0 → 1/n; r = 0.1 (reach 1) → 28/100.
    const auto c = dilution_curve(a, n, {0.0, 0.1, 1.0});
    QVERIFY(std::abs(c[0] - 0.1) < 1e-15 && std::abs(c[1] - 0.28) < 1e-15 &&
            std::abs(c[2] - 1) < 1e-12);
    QCOMPARE(default_dilution_radii().size(), size_t(21));
  }

  void fidelityClosedForms() {
    const int n = 3;
    const auto u = uniform_map(n), id = identity_map(n);
    Fidelity f = fidelity(u, u, n);
    QVERIFY(std::abs(f.mean_kl) < 1e-15 && std::abs(f.mean_cross_entropy - std::log(3.0)) < 1e-15);
    // p = one-hot, â uniform: CE = KL = log n.
    f = fidelity(id, u, n);
    QVERIFY(std::abs(f.mean_kl - std::log(3.0)) < 1e-15);
    // p = (½, ½, 0), â = (¼, ¾, 0): KL = ½ ln 2 + ½ ln(2/3).
    std::vector<double> p = {0.5, 0.5, 0, 0.5, 0.5, 0, 0.5, 0.5, 0},
                        q = {0.25, 0.75, 0, 0.25, 0.75, 0, 0.25, 0.75, 0};
    f = fidelity(p, q, n);
    QVERIFY(std::abs(f.kl[1] - (0.5 * std::log(2.0) + 0.5 * std::log(2.0 / 3))) < 1e-15);
    // A negative weight where p > 0: floored (finite), or +∞ with floor 0.
    q[0] = -0.1;
    QVERIFY(std::isfinite(fidelity(p, q, n).kl[0]));
    QVERIFY(std::isinf(fidelity(p, q, n, 0).kl[0]));
    // Output error ‖ÂV − AV‖²/n.
    QCOMPARE(output_mse(u, u, n, std::vector<double>(n * 2, 1.0), 2), 0.0);
    const std::vector<double> v = {1, 2, 3};  // dv = 1: (Â − A)v per row
    double expect = 0;
    for (int i = 0; i < n; ++i) expect += std::pow(v[i] - 2.0, 2);  // id·v − mean(v)
    QVERIFY(std::abs(output_mse(u, id, n, v, 1) - expect / n) < 1e-15);
  }

  void injectivityOnInLinesToy() {
    // Four keys, four collinear queries (InLine, arXiv 2412.06590): relu linear attention gives
    // every query the same row; softmax does not.
    const int n = 4, d = 2;
    const std::vector<double> k = {1, 0.2, 0.3, 1, 0.5, 0.5, 2, 0.1};
    const std::vector<double> q = {1, 2, 2, 4, 0.5, 1, 3, 6};
    std::vector<double> lin(n * n), soft(n * n);
    for (int i = 0; i < n; ++i) {
      const std::vector<double> qi(q.begin() + i * d, q.begin() + (i + 1) * d);
      const auto rl = relu_linear_row(qi, k, n, d), rs = softmax_row(qi, k, n, d);
      std::copy(rl.begin(), rl.end(), lin.begin() + i * n);
      std::copy(rs.begin(), rs.end(), soft.begin() + i * n);
    }
    const CollisionRate cl = collision_rate(lin, n, q, d, 1e-6, 1e-9, false);
    QCOMPARE(cl.distinct_pairs, int64_t{6});
    QCOMPARE(cl.collisions, int64_t{6});
    QCOMPARE(cl.rate, 1.0);
    QCOMPARE(collision_rate(soft, n, q, d, 1e-6, 1e-9, false).collisions, int64_t{0});
    // Normalised queries: collinear ones are not distinct, so there is no pair to count.
    QVERIFY(std::isnan(collision_rate(lin, n, q, d).rate));
    // Scale collision: TV(att(q), att(αq)) = 0 for relu linear attention, > 0 for softmax.
    const ScaleCollision sl = scale_collision(
        [&](const std::vector<double>& x) { return relu_linear_row(x, k, n, d); }, q, n, d);
    const ScaleCollision ss = scale_collision(
        [&](const std::vector<double>& x) { return softmax_row(x, k, n, d); }, q, n, d);
    for (size_t t = 0; t < 2; ++t) {
      QVERIFY(sl.mean_tv[t] < 1e-15);
      QVERIFY(ss.min_tv[t] > 1e-3);
    }
    QCOMPARE(total_variation({1, 0}, {0, 1}), 1.0);
  }

  void bundleAndMeanOverMaps() {
    // map_metrics holds the single metrics; mean_metrics averages them, NaN left out.
    const int n = 16, d = 4;
    const auto q = gaussian(n * d, 7), k = gaussian(n * d, 8);
    const auto soft = softmax_map(q, k, n, d, false);
    MapMetricsOptions o;
    o.grid_h = o.grid_w = 4;
    const MapMetrics u = map_metrics(uniform_map(n), n, o, &q, &k, d, &soft);
    const MapMetrics id = map_metrics(identity_map(n), n, o);
    QVERIFY(std::abs(u.entropy - std::log(n)) < 1e-12);
    QCOMPARE(u.numerical_rank, 1.0);
    QVERIFY(std::isnan(u.monotonicity));  // constant rows: ρ undefined
    QCOMPARE(u.kl, fidelity(soft, uniform_map(n), n).mean_kl);
    QCOMPARE(u.locality, (std::vector<double>{locality_1d(uniform_map(n), n, 1).mean,
                                              locality_1d(uniform_map(n), n, 2).mean,
                                              locality_1d(uniform_map(n), n, 4).mean}));
    QCOMPARE(id.locality_grid, 1.0);
    QVERIFY(std::isnan(id.kl) && std::isnan(id.monotonicity) && std::isnan(id.normalised_entropy));
    const MapMetrics s = map_metrics(soft, n, o, &q, &k, d, &soft);
    QVERIFY(std::abs(s.monotonicity - 1) < 1e-12 && std::abs(s.kl) < 1e-12);
    const MapMetrics mean = mean_metrics({u, id, s});
    QCOMPARE(mean.maps, 3);
    QVERIFY(std::abs(mean.entropy - (u.entropy + 0 + s.entropy) / 3) < 1e-12);
    QVERIFY(std::abs(mean.numerical_rank - (1 + n + s.numerical_rank) / 3) < 1e-12);
    QVERIFY(std::abs(mean.kl - (u.kl + s.kl) / 2) < 1e-12);  // id has none
    QVERIFY(std::abs(mean.monotonicity - 1) < 1e-12);        // only s has one
    QVERIFY(std::abs(mean.dilution[0] - (1.0 / n + 1 + s.dilution[0]) / 3) < 1e-12);
    QVERIFY(std::abs(mean.singular_values[0] -
                     (u.singular_values[0] + 1 + s.singular_values[0]) / 3) < 1e-12);
    // Means of means weigh by the number of maps.
    const MapMetrics twice = mean_metrics({mean_metrics({u, id}), s});
    QVERIFY(std::abs(twice.entropy - mean.entropy) < 1e-12);
    QCOMPARE(mean_metrics({}).maps, 0);
    QVERIFY_THROWS_EXCEPTION(
        InputError, mean_metrics({u, map_metrics(uniform_map(3), 3, MapMetricsOptions{})}));
    const std::string j = map_metrics_json(id);
    QVERIFY(j.find("\"kl\":null") != std::string::npos &&
            j.find("\"locality_grid\":1.0") != std::string::npos);
  }

  void badShapesAreRefused() {
    const auto a = uniform_map(3);
    QVERIFY_THROWS_EXCEPTION(InputError, row_entropy(a, 4, false));
    QVERIFY_THROWS_EXCEPTION(InputError, map_spectrum({std::nan("")}, 1));
    QVERIFY_THROWS_EXCEPTION(InputError,
                             dot_product_monotonicity(a, 3, {1, 2}, {1, 2, 3}, 1, false));
    QVERIFY_THROWS_EXCEPTION(InputError, locality_1d(a, 3, -1));
    QVERIFY_THROWS_EXCEPTION(InputError, dilution_curve(a, 3, {1.5}));
    QVERIFY_THROWS_EXCEPTION(InputError, spearman({1, 2}, {1}));
  }
};

QTEST_APPLESS_MAIN(TestAttentionMetrics)
#include "test_attention_metrics.moc"
