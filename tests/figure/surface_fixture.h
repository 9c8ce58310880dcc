#pragma once
// A synthetic loss surface for the surface view and contour-map tests: two basins at A = (0, 0)
// and B = (1, 0) split by a ridge along x = 0.5 whose lowest pass is at y = 0.5:
// loss = 0.1 + ridge(y)·16(x(1−x))² + 0.6y², ridge(y) = 1.6 − 1.2·exp(−(y − 0.5)²/0.04).
#include <cmath>
#include <string>

#include "widgets/surface/surface_scene.h"

namespace ridgeline::test {

inline double two_basin(double x, double y) {
  const double ridge = 1.6 - 1.2 * std::exp(-(y - 0.5) * (y - 0.5) / 0.04);
  const double w = 16 * std::pow(x * (1 - x), 2);
  return 0.1 + ridge * w + 0.6 * y * y;
}

/// 41 × 33 points over [−0.3, 1.3] × [−0.4, 1.0]; error = 0.05 + 0.2·(loss − 0.1). With paths:
/// the linear path A → B, a Bézier curve bending to (0.5, 0.35) and a lowest pass through
/// (0.5, 0.5); with markers: A, B and C = (0.3, 0.85).
inline widgets::SurfaceScene two_basin_scene(bool paths, bool markers) {
  widgets::SurfaceScene s;
  for (int i = 0; i <= 40; ++i) s.xs.push_back(-0.3 + 1.6 * i / 40.0);
  for (int j = 0; j <= 32; ++j) s.ys.push_back(-0.4 + 1.4 * j / 32.0);
  for (double y : s.ys)
    for (double x : s.xs) {
      s.loss.push_back(two_basin(x, y));
      s.error.push_back(0.05 + 0.2 * (two_basin(x, y) - 0.1));
    }
  // (std::string temporaries: GCC 12 warns falsely, -Wrestrict, on assigning the literals.)
  s.x_label = std::string("x (B − A)");
  s.y_label = std::string("y");
  s.title = std::string("two basins (synthetic)");
  s.value_label = std::string("test loss");
  if (markers) s.markers = {{"A", 0, 0}, {"B", 1, 0}, {"C", 0.3, 0.85}};
  if (paths) {
    widgets::SurfaceScene::Path lin{"A → B (linear)", "linear", {0, 1}, {0, 0}};
    widgets::SurfaceScene::Path curve{"A → B (Bézier)", "curve", {}, {}};
    for (int k = 0; k <= 20; ++k) {
      const double t = k / 20.0;
      curve.x.push_back(t);
      curve.y.push_back(2 * t * (1 - t) * 0.7);
    }
    widgets::SurfaceScene::Path pass{
        "lowest pass", "pass", {0, 0.15, 0.5, 0.85, 1}, {0, 0.35, 0.5, 0.35, 0}};
    s.paths = {lin, curve, pass};
  }
  return s;
}

}  // namespace ridgeline::test
