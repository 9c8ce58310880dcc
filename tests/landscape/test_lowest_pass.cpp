// The lowest pass and persistence (landscape/lowest_pass.h): a constructed two-basin surface
// with a known saddle, and on random surfaces: the pass is never higher than the straight
// row between the same cells, it is a minimax path (checked against an independent
// threshold search), and there is one basin per local minimum.
#include <QtTest>
#include <cmath>
#include <deque>
#include <random>

#include "ridgeline/core/errors.h"
#include "ridgeline/landscape/lowest_pass.h"

using namespace ridgeline;

namespace {

LandscapeGrid surface(int nx, int ny, double x0, double x1, double y0, double y1,
                      const std::function<double(double, double)>& f) {
  LandscapeGrid g;
  g.xs = grid_axis(nx, x0, x1);
  g.ys = grid_axis(ny, y0, y1);
  for (int j = 0; j < ny; ++j)
    for (int i = 0; i < nx; ++i) {
      g.loss.push_back(f(g.xs[i], g.ys[j]));
      g.error.push_back(std::nan(""));
    }
  return g;
}

bool neighbours(GridCell a, GridCell b, int conn) {
  const int di = std::abs(a.i - b.i), dj = std::abs(a.j - b.j);
  return conn == 4 ? di + dj == 1 : std::max(di, dj) == 1;
}

// Independent: the lowest threshold t among the grid's values such that the cells ≤ t join
// a and b (breadth-first search per threshold).
double minimax_by_threshold(const LandscapeGrid& g, GridCell a, GridCell b, int conn) {
  std::vector<double> levels = g.loss;
  std::sort(levels.begin(), levels.end());
  for (double t : levels) {
    if (g.loss_at(a.i, a.j) > t || g.loss_at(b.i, b.j) > t) continue;
    std::vector<char> seen(g.loss.size(), 0);
    std::deque<GridCell> q{a};
    seen[a.j * g.nx() + a.i] = 1;
    while (!q.empty()) {
      const GridCell c = q.front();
      q.pop_front();
      if (c == b) return t;
      for (int dj = -1; dj <= 1; ++dj)
        for (int di = -1; di <= 1; ++di) {
          const GridCell n{c.i + di, c.j + dj};
          if (n.i < 0 || n.j < 0 || n.i >= g.nx() || n.j >= g.ny() || !neighbours(c, n, conn))
            continue;
          if (seen[n.j * g.nx() + n.i] || g.loss_at(n.i, n.j) > t) continue;
          seen[n.j * g.nx() + n.i] = 1;
          q.push_back(n);
        }
    }
  }
  return std::nan("");
}

}  // namespace

class TestLowestPass : public QObject {
  Q_OBJECT
 private slots:
  void twoBasinsKnownSaddle() {
    // f = (x² − 1)² + y² + 0.1x on x ∈ [−2, 2] (step 0.25), y ∈ [−1, 1]: minima at the grid
    // cells (±1, 0) with f = ∓0.1; every path between them crosses x = 0, where f = 1 + y² is
    // lowest at (0, 0): the saddle height is exactly 1.
    const LandscapeGrid g = surface(17, 9, -2, 2, -1, 1, [](double x, double y) {
      return (x * x - 1) * (x * x - 1) + y * y + 0.1 * x;
    });
    for (int conn : {4, 8}) {
      const GridPath p = lowest_pass(g, {4, 4}, {12, 4}, conn);
      QCOMPARE(p.max_loss, 1.0);
      QCOMPARE(p.highest, (GridCell{8, 4}));
      QCOMPARE(p.cells.front(), (GridCell{4, 4}));
      QCOMPARE(p.cells.back(), (GridCell{12, 4}));
      QCOMPARE(p.loss_mid, 1.0 - 0.5 * (-0.1 + 0.1));
      const auto pairs = persistence_pairs(g, conn);
      QCOMPARE(pairs.size(), size_t(2));
      QVERIFY(std::isinf(pairs[0].death));
      QCOMPARE(pairs[0].minimum, (GridCell{4, 4}));
      QCOMPARE(pairs[0].birth, -0.1);
      QCOMPARE(pairs[1].minimum, (GridCell{12, 4}));
      QCOMPARE(pairs[1].saddle, (GridCell{8, 4}));
      QCOMPARE(pairs[1].birth, 0.1);
      QCOMPARE(pairs[1].death, 1.0);
      QVERIFY(std::abs(pairs[1].persistence() - 0.9) < 1e-15);
    }
    // The straight row between the minima crosses the same saddle here: equal, not lower.
    QCOMPARE(row_path(g, 4, 4, 12).max_loss, 1.0);
  }

  void detourBelowTheStraightRow() {
    // A ridge across the row y = 0 with a gap at y = 0.5: the pass goes around (lower than
    // the straight row's barrier).
    const LandscapeGrid g = surface(11, 7, 0, 1, -0.75, 0.75, [](double x, double y) {
      const bool ridge = std::abs(x - 0.5) < 0.01;
      const bool gap = std::abs(y - 0.5) < 0.01;
      return ridge ? (gap ? 0.4 : 2.0) : 0.1 * y * y;
    });
    const GridPath pass = lowest_pass(g, {0, 3}, {10, 3}, 4);
    const GridPath line = row_path(g, 3, 0, 10);
    QCOMPARE(pass.max_loss, 0.4);
    QCOMPARE(line.max_loss, 2.0);
    QVERIFY(pass.loss_mid < line.loss_mid);
    QCOMPARE(pass.highest, (GridCell{5, 5}));
    QVERIFY_THROWS_EXCEPTION(InputError, lowest_pass(g, {0, 3}, {10, 3}, 6));
    QVERIFY_THROWS_EXCEPTION(InputError, lowest_pass(g, {0, 3}, {11, 3}, 4));
  }

  void randomSurfaces() {
    std::mt19937_64 rng(42);
    std::uniform_real_distribution<double> u(0, 1);
    for (int trial = 0; trial < 200; ++trial) {
      const int nx = 3 + static_cast<int>(rng() % 12), ny = 2 + static_cast<int>(rng() % 10);
      const int conn = trial % 2 ? 8 : 4;
      // Smooth-ish random surfaces: a few random bumps plus noise.
      const double a1 = u(rng) * 5, a2 = u(rng) * 5, p1 = u(rng) * 6, p2 = u(rng) * 6;
      const LandscapeGrid g = surface(nx, ny, -1, 1, -1, 1, [&](double x, double y) {
        return std::sin(a1 * x + p1) * std::cos(a2 * y + p2) + 0.3 * u(rng);
      });
      const int j = static_cast<int>(rng() % ny);
      const int i0 = static_cast<int>(rng() % nx), i1 = static_cast<int>(rng() % nx);
      const GridPath pass = lowest_pass(g, {i0, j}, {i1, j}, conn);
      const GridPath line = row_path(g, j, i0, i1);
      // Never above the straight row between the same cells (same endpoints: the
      // mean-endpoint barriers compare as the heights do).
      QVERIFY(pass.max_loss <= line.max_loss);
      QVERIFY(pass.loss_mid <= line.loss_mid);
      // A minimax path: its height is the independent threshold search's.
      QCOMPARE(pass.max_loss, minimax_by_threshold(g, {i0, j}, {i1, j}, conn));
      // A valid path: from start to end through neighbours, its highest cell reported.
      QCOMPARE(pass.cells.front(), (GridCell{i0, j}));
      QCOMPARE(pass.cells.back(), (GridCell{i1, j}));
      double hi = -1e300;
      for (size_t k = 0; k < pass.cells.size(); ++k) {
        if (k) QVERIFY(neighbours(pass.cells[k - 1], pass.cells[k], conn));
        hi = std::max(hi, pass.loss[k]);
      }
      QCOMPARE(pass.max_loss, hi);
      // One basin per strict local minimum (values are distinct almost surely).
      int minima = 0;
      for (int b = 0; b < ny; ++b)
        for (int a = 0; a < nx; ++a) {
          bool lowest = true;
          for (int db = -1; db <= 1; ++db)
            for (int da = -1; da <= 1; ++da) {
              const GridCell n{a + da, b + db};
              if (n.i < 0 || n.j < 0 || n.i >= nx || n.j >= ny || !neighbours({a, b}, n, conn))
                continue;
              if (g.loss_at(n.i, n.j) <= g.loss_at(a, b)) lowest = false;
            }
          minima += lowest;
        }
      const auto pairs = persistence_pairs(g, conn);
      QCOMPARE(int(pairs.size()), minima);
      QVERIFY(std::isinf(pairs[0].death));
      double global = 1e300;
      for (double v : g.loss) global = std::min(global, v);
      QCOMPARE(pairs[0].birth, global);
      for (size_t k = 1; k < pairs.size(); ++k) {
        QVERIFY(pairs[k].persistence() > 0);
        QVERIFY(pairs[k].persistence() <= pairs[k - 1].persistence());
        QCOMPARE(pairs[k].death, g.loss_at(pairs[k].saddle.i, pairs[k].saddle.j));
      }
    }
  }
};

QTEST_APPLESS_MAIN(TestLowestPass)
#include "test_lowest_pass.moc"
