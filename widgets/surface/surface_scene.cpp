// The surface scene's checks and look-ups (surface_scene.h): no Qt, no VTK.
#include "widgets/surface/surface_scene.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "ridgeline/core/format.h"

namespace ridgeline::widgets {

namespace {

bool ascending(const std::vector<double>& v) {
  if (v.size() < 2) return false;
  for (size_t i = 0; i < v.size(); ++i)
    if (!std::isfinite(v[i]) || (i && !(v[i] > v[i - 1]))) return false;
  return true;
}

// Index of the grid coordinate nearest to `v`.
size_t nearest_index(const std::vector<double>& axis, double v) {
  const auto it = std::lower_bound(axis.begin(), axis.end(), v);
  if (it == axis.begin()) return 0;
  if (it == axis.end()) return axis.size() - 1;
  const size_t i = static_cast<size_t>(it - axis.begin());
  return v - axis[i - 1] <= axis[i] - v ? i - 1 : i;
}

// Cell index i (axis[i] <= v <= axis[i+1]) and the fraction within it, clamped to the axis.
size_t cell(const std::vector<double>& axis, double v, double* frac) {
  v = std::clamp(v, axis.front(), axis.back());
  size_t i = static_cast<size_t>(std::upper_bound(axis.begin(), axis.end(), v) - axis.begin());
  i = std::min(std::max<size_t>(i, 1), axis.size() - 1) - 1;
  *frac = (v - axis[i]) / (axis[i + 1] - axis[i]);
  return i;
}

}  // namespace

std::string check_scene(const SurfaceScene& s) {
  if (!ascending(s.xs)) return "surface: x grid must hold at least 2 finite ascending values";
  if (!ascending(s.ys)) return "surface: y grid must hold at least 2 finite ascending values";
  const size_t n = s.nx() * s.ny();
  if (s.loss.size() != n)
    return "surface: loss holds " + std::to_string(s.loss.size()) + " values, the grid " +
           std::to_string(n);
  if (!s.error.empty() && s.error.size() != n)
    return "surface: error holds " + std::to_string(s.error.size()) + " values, the grid " +
           std::to_string(n);
  double lo, hi;
  if (!loss_range(s, false, &lo, &hi)) return "surface: no finite loss value";
  for (const auto& p : s.paths) {
    if (p.x.size() != p.y.size())
      return "surface: path '" + p.name + "' has x and y of different lengths";
    if (p.kind != "linear" && p.kind != "curve" && p.kind != "pass")
      return "surface: path '" + p.name + "' has kind '" + p.kind + "' (linear, curve or pass)";
  }
  return {};
}

GridPoint grid_point(const SurfaceScene& s, size_t ix, size_t iy) {
  GridPoint p;
  p.ix = ix;
  p.iy = iy;
  p.x = s.xs[ix];
  p.y = s.ys[iy];
  const size_t k = iy * s.nx() + ix;
  p.loss = s.loss[k];
  p.error = s.error.empty() ? std::numeric_limits<double>::quiet_NaN() : s.error[k];
  return p;
}

GridPoint nearest_grid_point(const SurfaceScene& s, double x, double y) {
  return grid_point(s, nearest_index(s.xs, x), nearest_index(s.ys, y));
}

std::string hover_text(const SurfaceScene& s, const GridPoint& p) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "%s %.3f, %s %.3f", s.x_label.c_str(), p.x, s.y_label.c_str(),
                p.y);
  std::string out = buf;
  out += " · " + s.value_label + " " + format_loss(p.loss);
  if (std::isfinite(p.error)) out += " · error " + format_error(p.error);
  return out;
}

double interpolate_loss(const SurfaceScene& s, double x, double y) {
  double fx, fy;
  const size_t i = cell(s.xs, x, &fx), j = cell(s.ys, y, &fy);
  const size_t nx = s.nx();
  const double z00 = s.loss[j * nx + i], z10 = s.loss[j * nx + i + 1];
  const double z01 = s.loss[(j + 1) * nx + i], z11 = s.loss[(j + 1) * nx + i + 1];
  return (z00 * (1 - fx) + z10 * fx) * (1 - fy) + (z01 * (1 - fx) + z11 * fx) * fy;
}

bool loss_range(const SurfaceScene& s, bool positive_only, double* lo, double* hi) {
  *lo = std::numeric_limits<double>::infinity();
  *hi = -*lo;
  for (double v : s.loss) {
    if (!std::isfinite(v) || (positive_only && !(v > 0))) continue;
    *lo = std::min(*lo, v);
    *hi = std::max(*hi, v);
  }
  return *lo <= *hi;
}

bool log_scale_possible(const SurfaceScene& s) {
  for (double v : s.loss)
    if (std::isfinite(v) && !(v > 0)) return false;
  double lo, hi;
  return loss_range(s, true, &lo, &hi) && hi > lo;
}

}  // namespace ridgeline::widgets
