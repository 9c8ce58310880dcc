// Linear assignment: brute force over all permutations for n ≤ 7 (random and heavily tied
// matrices, both senses), dual certificates on large matrices, degenerate inputs, input errors,
// and a planted permutation.
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "ridgeline/symmetry/assignment.h"
#include "ridgeline/core/errors.h"

using namespace ridgeline;

namespace {

using Matrix = std::vector<double>;

double at(const Matrix& c, int n, int i, int j) { return c[static_cast<size_t>(i) * n + j]; }

Matrix random_matrix(int n, std::mt19937_64& rng, double lo = -1.0, double hi = 1.0) {
  std::uniform_real_distribution<double> u(lo, hi);
  Matrix c(static_cast<size_t>(n) * n);
  for (double& x : c) x = u(rng);
  return c;
}

Matrix integer_matrix(int n, std::mt19937_64& rng, int hi) {
  std::uniform_int_distribution<int> u(0, hi);
  Matrix c(static_cast<size_t>(n) * n);
  for (double& x : c) x = u(rng);
  return c;
}

// Best objective over all n! permutations (same summation order as the solver: by row).
double brute_force(const Matrix& c, int n, bool maximize) {
  std::vector<int> p(n);
  std::iota(p.begin(), p.end(), 0);
  double best = maximize ? -std::numeric_limits<double>::infinity()
                         : std::numeric_limits<double>::infinity();
  do {
    double s = 0;
    for (int i = 0; i < n; ++i) s += at(c, n, i, p[i]);
    best = maximize ? std::max(best, s) : std::min(best, s);
  } while (std::next_permutation(p.begin(), p.end()));
  return best;
}

// Empty string when `r` is a permutation whose objective is its reported objective.
std::string check_permutation(const AssignmentResult& r, const Matrix& c, int n) {
  if (static_cast<int>(r.col_for_row.size()) != n) return "col_for_row has the wrong size";
  std::vector<char> seen(n, 0);
  double s = 0;
  for (int i = 0; i < n; ++i) {
    const int j = r.col_for_row[i];
    if (j < 0 || j >= n || seen[j]) return "not a permutation at row " + std::to_string(i);
    seen[j] = 1;
    s += at(c, n, i, j);
  }
  if (s != r.objective) return "objective differs from the sum over the assignment";
  return {};
}

// Dual feasibility u[i] + v[j] ≤ cost[i][j] + tol for all i, j and equality (± tol) on the
// assignment, with cost = −C when maximising: together they prove the assignment optimal up to
// n·tol. Returns the largest violation.
double certificate_violation(const AssignmentResult& r, const Matrix& c, int n, bool maximize) {
  double worst = 0;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      const double cost = maximize ? -at(c, n, i, j) : at(c, n, i, j);
      const double slack = cost - r.u[i] - r.v[j];
      worst = std::max(worst, -slack);
      if (r.col_for_row[i] == j) worst = std::max(worst, std::abs(slack));
    }
  return worst;
}

}  // namespace

class TestAssignment : public QObject {
  Q_OBJECT
 private slots:
  void bruteForceRandom() {
    std::mt19937_64 rng(11);
    for (int n = 1; n <= 7; ++n)
      for (int trial = 0; trial < 20; ++trial)
        for (bool maximize : {true, false}) {
          const Matrix c = random_matrix(n, rng);
          const AssignmentResult r = solve_assignment(c, n, maximize);
          const std::string bad = check_permutation(r, c, n);
          QVERIFY2(bad.empty(), bad.c_str());
          const double best = brute_force(c, n, maximize);
          QVERIFY2(std::abs(r.objective - best) <= 1e-12,
                   qPrintable(QString("n=%1 max=%2: %3 vs brute force %4")
                                  .arg(n).arg(maximize).arg(r.objective, 0, 'g', 17)
                                  .arg(best, 0, 'g', 17)));
          QVERIFY(certificate_violation(r, c, n, maximize) <= 1e-12);
        }
  }

  // Entries 0..2 (and 0..1): massive ties, integer arithmetic, so the optimum must be exact.
  void bruteForceTied() {
    std::mt19937_64 rng(12);
    for (int hi : {1, 2})
      for (int n = 1; n <= 7; ++n)
        for (int trial = 0; trial < 30; ++trial)
          for (bool maximize : {true, false}) {
            const Matrix c = integer_matrix(n, rng, hi);
            const AssignmentResult r = solve_assignment(c, n, maximize);
            const std::string bad = check_permutation(r, c, n);
            QVERIFY2(bad.empty(), bad.c_str());
            QCOMPARE(r.objective, brute_force(c, n, maximize));
            QCOMPARE(certificate_violation(r, c, n, maximize), 0.0);
          }
  }

  // The duals certify optimality on sizes brute force cannot reach. Odd sizes exercise the
  // scalar tail of a row pass; n ≥ 1024 the solver's signed huge-page copy of the matrix.
  void certificateLarge() {
    std::mt19937_64 rng(13);
    for (int n : {300, 1000, 301, 37, 1031})
      for (bool maximize : {true, false}) {
        const Matrix c = random_matrix(n, rng, -5.0, 5.0);
        const AssignmentResult r = solve_assignment(c, n, maximize);
        const std::string bad = check_permutation(r, c, n);
        QVERIFY2(bad.empty(), bad.c_str());
        QCOMPARE(static_cast<int>(r.u.size()), n);
        QCOMPARE(static_cast<int>(r.v.size()), n);
        const double viol = certificate_violation(r, c, n, maximize);
        QVERIFY2(viol <= 1e-10, qPrintable(QString("n=%1: violation %2").arg(n).arg(viol)));
      }
  }

  void certificateLargeTied() {
    std::mt19937_64 rng(14);
    for (int n : {300, 513})
      for (bool maximize : {true, false}) {
        const Matrix c = integer_matrix(n, rng, 3);
        const AssignmentResult r = solve_assignment(c, n, maximize);
        QVERIFY(check_permutation(r, c, n).empty());
        QCOMPARE(certificate_violation(r, c, n, maximize), 0.0);
      }
  }

  void degenerate() {
    const AssignmentResult empty = solve_assignment({}, 0);
    QVERIFY(empty.col_for_row.empty() && empty.u.empty() && empty.v.empty());
    QCOMPARE(empty.objective, 0.0);

    const AssignmentResult one = solve_assignment({-3.5}, 1, true);
    QCOMPARE(one.col_for_row, std::vector<int>{0});
    QCOMPARE(one.objective, -3.5);
    QCOMPARE(one.u[0] + one.v[0], 3.5);

    for (int n : {2, 5, 64, 500}) {
      // All entries equal.
      const Matrix flat(static_cast<size_t>(n) * n, 0.25);
      for (bool maximize : {true, false}) {
        const AssignmentResult r = solve_assignment(flat, n, maximize);
        QVERIFY(check_permutation(r, flat, n).empty());
        QCOMPARE(r.objective, 0.25 * n);
        QCOMPARE(certificate_violation(r, flat, n, maximize), 0.0);
      }
      // Rank one, C = a bᵀ with integer factors: every objective is exactly representable;
      // the optimum pairs sorted a with sorted b (rearrangement inequality).
      std::mt19937_64 rng(15 + n);
      std::uniform_int_distribution<int> f(-20, 20);
      std::vector<double> a(n), b(n);
      for (int i = 0; i < n; ++i) a[i] = f(rng), b[i] = f(rng);
      Matrix c(static_cast<size_t>(n) * n);
      for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j) c[static_cast<size_t>(i) * n + j] = a[i] * b[j];
      std::vector<double> sa = a, sb = b;
      std::sort(sa.begin(), sa.end());
      std::sort(sb.begin(), sb.end());
      double best_max = 0, best_min = 0;
      for (int i = 0; i < n; ++i) best_max += sa[i] * sb[i], best_min += sa[i] * sb[n - 1 - i];
      for (bool maximize : {true, false}) {
        const AssignmentResult r = solve_assignment(c, n, maximize);
        QVERIFY(check_permutation(r, c, n).empty());
        QCOMPARE(r.objective, maximize ? best_max : best_min);
        QCOMPARE(certificate_violation(r, c, n, maximize), 0.0);
      }
      // Duplicate rows: every row the same random vector; any permutation is optimal.
      Matrix dup(static_cast<size_t>(n) * n);
      for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j) dup[static_cast<size_t>(i) * n + j] = b[j];
      const AssignmentResult rd = solve_assignment(dup, n, true);
      QVERIFY(check_permutation(rd, dup, n).empty());
      QCOMPARE(rd.objective, std::accumulate(b.begin(), b.end(), 0.0));
    }
  }

  void inputErrors() {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    auto throws_input = [](const Matrix& c, int n) {
      try {
        solve_assignment(c, n);
      } catch (const InputError& e) {
        const std::string msg = e.what();
        return !msg.empty() && msg.find('\n') == std::string::npos;
      } catch (...) {
        return false;
      }
      return false;
    };
    QVERIFY(throws_input({1, 2, 3}, 2));
    QVERIFY(throws_input({1, 2, 3, 4, 5}, 2));
    QVERIFY(throws_input({1}, 0));
    QVERIFY(throws_input({}, 1));
    QVERIFY(throws_input({}, -1));
    QVERIFY(throws_input({1, nan, 3, 4}, 2));
    QVERIFY(throws_input({1, 2, inf, 4}, 2));
    QVERIFY(throws_input({-inf, 2, 3, 4}, 2));
  }

  // C = P·D with a strongly dominant diagonal D: the planted permutation is the unique optimum.
  void plantedPermutation() {
    const int n = 512;
    std::mt19937_64 rng(16);
    std::vector<int> perm(n);
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), rng);
    std::normal_distribution<double> g(0.0, 1.0);
    // Row i of P·D has its large entry in column perm[i].
    Matrix c(static_cast<size_t>(n) * n);
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j)
        c[static_cast<size_t>(i) * n + j] = (j == perm[i] ? 10.0 + std::abs(g(rng)) : g(rng));
    const AssignmentResult r = solve_assignment(c, n, true);
    QCOMPARE(r.col_for_row, perm);
    QVERIFY(certificate_violation(r, c, n, true) <= 1e-10);
    // Minimising −C is the same problem.
    Matrix neg = c;
    for (double& x : neg) x = -x;
    QCOMPARE(solve_assignment(neg, n, false).col_for_row, perm);
  }
};

QTEST_APPLESS_MAIN(TestAssignment)
#include "test_assignment.moc"
