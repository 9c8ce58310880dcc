// The lowest pass and 0-dimensional persistence of a grid surface by union–find over cells
// sorted by loss (landscape/lowest_pass.h).
#include "ridgeline/landscape/lowest_pass.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <numeric>

#include "ridgeline/core/errors.h"

namespace ridgeline {

namespace {

struct UnionFind {
  std::vector<int> parent;
  explicit UnionFind(size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0); }
  int find(int a) {
    while (parent[a] != a) a = parent[a] = parent[parent[a]];
    return a;
  }
};

void check_connectivity(int c) {
  if (c != 4 && c != 8) throw InputError("connectivity: " + std::to_string(c) + " is not 4 or 8");
}

void check_cell(const LandscapeGrid& g, GridCell c, const char* what) {
  if (c.i < 0 || c.j < 0 || c.i >= g.nx() || c.j >= g.ny())
    throw InputError(std::string(what) + ": cell (" + std::to_string(c.i) + ", " +
                     std::to_string(c.j) + ") is outside the " + std::to_string(g.nx()) + "×" +
                     std::to_string(g.ny()) + " grid");
}

// Neighbours of cell index k (row-major), 4- or 8-connected, in a fixed order.
template <class F>
void neighbours(int nx, int ny, int k, int connectivity, F&& f) {
  const int i = k % nx, j = k / nx;
  static const int d4[4][2] = {{1, 0}, {-1, 0}, {0, 1}, {0, -1}};
  static const int d8[4][2] = {{1, 1}, {-1, 1}, {1, -1}, {-1, -1}};
  for (const auto& d : d4) {
    const int a = i + d[0], b = j + d[1];
    if (a >= 0 && b >= 0 && a < nx && b < ny) f(b * nx + a);
  }
  if (connectivity == 8)
    for (const auto& d : d8) {
      const int a = i + d[0], b = j + d[1];
      if (a >= 0 && b >= 0 && a < nx && b < ny) f(b * nx + a);
    }
}

// Cell indices by increasing loss, NaN last, ties by index.
std::vector<int> sorted_cells(const LandscapeGrid& g) {
  std::vector<int> order(g.loss.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    const double la = g.loss[a], lb = g.loss[b];
    if (std::isnan(la)) return false;
    if (std::isnan(lb)) return true;
    return la < lb;
  });
  return order;
}

double linear_barrier(const std::vector<double>& t, const std::vector<double>& v) {
  double best = -std::numeric_limits<double>::infinity();
  for (size_t k = 0; k < v.size(); ++k) {
    const double d = v[k] - ((1 - t[k]) * v.front() + t[k] * v.back());
    if (std::isnan(d)) return std::nan("");
    best = std::max(best, d);
  }
  return best;
}

double mid_barrier(const std::vector<double>& v) {
  double m = -std::numeric_limits<double>::infinity();
  for (double x : v) {
    if (std::isnan(x)) return std::nan("");
    m = std::max(m, x);
  }
  return m - 0.5 * (v.front() + v.back());
}

}  // namespace

GridCell nearest_cell(const LandscapeGrid& g, double x, double y) {
  auto nearest = [](const std::vector<double>& axis, double v) {
    int best = 0;
    for (int k = 1; k < static_cast<int>(axis.size()); ++k)
      if (std::abs(axis[k] - v) < std::abs(axis[best] - v)) best = k;
    return best;
  };
  return {nearest(g.xs, x), nearest(g.ys, y)};
}

GridPath grid_path(const LandscapeGrid& g, const std::vector<GridCell>& cells) {
  GridPath p;
  p.cells = cells;
  for (const GridCell& c : cells) {
    check_cell(g, c, "path");
    p.x.push_back(g.xs[c.i]);
    p.y.push_back(g.ys[c.j]);
    p.loss.push_back(g.loss_at(c.i, c.j));
    p.error.push_back(g.error_at(c.i, c.j));
  }
  if (cells.empty()) return p;
  // Position along the path by its length in the (x, y) plane.
  std::vector<double> s(cells.size(), 0.0);
  for (size_t k = 1; k < cells.size(); ++k)
    s[k] = s[k - 1] + std::hypot(p.x[k] - p.x[k - 1], p.y[k] - p.y[k - 1]);
  std::vector<double> t(cells.size(), 0.0);
  for (size_t k = 0; k < cells.size(); ++k) t[k] = s.back() > 0 ? s[k] / s.back() : 0.0;
  size_t hi = 0;
  for (size_t k = 1; k < cells.size(); ++k)
    if (p.loss[k] > p.loss[hi]) hi = k;
  p.max_loss = p.loss[hi];
  p.highest = cells[hi];
  p.loss_lin = linear_barrier(t, p.loss);
  p.loss_mid = mid_barrier(p.loss);
  p.error_lin = linear_barrier(t, p.error);
  p.error_mid = mid_barrier(p.error);
  return p;
}

GridPath row_path(const LandscapeGrid& g, int j, int i0, int i1) {
  std::vector<GridCell> cells;
  const int step = i1 >= i0 ? 1 : -1;
  for (int i = i0;; i += step) {
    cells.push_back({i, j});
    if (i == i1) break;
  }
  return grid_path(g, cells);
}

GridPath lowest_pass(const LandscapeGrid& g, GridCell from, GridCell to, int connectivity) {
  check_connectivity(connectivity);
  check_cell(g, from, "pass start");
  check_cell(g, to, "pass end");
  const int nx = g.nx(), ny = g.ny();
  const int a = from.j * nx + from.i, b = to.j * nx + to.i;
  // Union–find: add cells by increasing loss until a and b are joined.
  UnionFind uf(g.loss.size());
  std::vector<char> added(g.loss.size(), 0);
  double level = std::nan("");
  for (int k : sorted_cells(g)) {
    if (std::isnan(g.loss[k])) break;
    added[k] = 1;
    neighbours(nx, ny, k, connectivity, [&](int m) {
      if (added[m]) uf.parent[uf.find(m)] = uf.find(k);
    });
    if (added[a] && added[b] && uf.find(a) == uf.find(b)) {
      level = g.loss[k];
      break;
    }
  }
  if (std::isnan(level))
    throw RunError("lowest pass: the two cells are not joined by cells of defined loss");
  // Breadth-first search through cells no higher than the level: a shortest minimax path.
  std::vector<int> prev(g.loss.size(), -2);
  std::deque<int> queue{a};
  prev[a] = -1;
  while (!queue.empty()) {
    const int k = queue.front();
    queue.pop_front();
    if (k == b) break;
    neighbours(nx, ny, k, connectivity, [&](int m) {
      if (prev[m] == -2 && g.loss[m] <= level) {
        prev[m] = k;
        queue.push_back(m);
      }
    });
  }
  std::vector<GridCell> cells;
  for (int k = b; k != -1; k = prev[k]) cells.push_back({k % nx, k / nx});
  std::reverse(cells.begin(), cells.end());
  return grid_path(g, cells);
}

std::vector<PersistencePair> persistence_pairs(const LandscapeGrid& g, int connectivity) {
  check_connectivity(connectivity);
  const int nx = g.nx(), ny = g.ny();
  UnionFind uf(g.loss.size());
  std::vector<char> added(g.loss.size(), 0);
  std::vector<int> root_min(g.loss.size(), -1);  // a component's root → its minimum cell
  std::vector<PersistencePair> pairs;
  auto cell = [&](int k) { return GridCell{k % nx, k / nx}; };
  for (int k : sorted_cells(g)) {
    if (std::isnan(g.loss[k])) break;
    added[k] = 1;
    root_min[k] = k;
    neighbours(nx, ny, k, connectivity, [&](int m) {
      if (!added[m]) return;
      const int rk = uf.find(k), rm = uf.find(m);
      if (rk == rm) return;
      const int mk = root_min[rk], mm = root_min[rm];
      // Elder rule: the basin with the higher minimum (later in the order) dies here. k's own
      // one-cell component (minimum k itself, the newest cell) dies at persistence 0.
      const bool k_younger = g.loss[mk] > g.loss[mm] || (g.loss[mk] == g.loss[mm] && mk > mm);
      const int young = k_younger ? mk : mm, old = k_younger ? mm : mk;
      if (g.loss[k] > g.loss[young])
        pairs.push_back({g.loss[young], g.loss[k], cell(young), cell(k)});
      const int keep = k_younger ? rm : rk, drop = k_younger ? rk : rm;
      uf.parent[drop] = keep;
      root_min[keep] = old;
    });
  }
  // The basins never merged: the global minimum, and any cut off by NaN cells.
  for (size_t k = 0; k < g.loss.size(); ++k)
    if (added[k] && uf.find(static_cast<int>(k)) == static_cast<int>(k))
      pairs.push_back({g.loss[root_min[k]],
                       std::numeric_limits<double>::infinity(),
                       cell(root_min[k]),
                       {-1, -1}});
  std::stable_sort(pairs.begin(), pairs.end(),
                   [](const PersistencePair& p, const PersistencePair& q) {
                     if (p.persistence() != q.persistence())
                       return p.persistence() > q.persistence();
                     return p.birth < q.birth;
                   });
  return pairs;
}

}  // namespace ridgeline
