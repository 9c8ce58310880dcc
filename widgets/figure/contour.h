#pragma once
/// @file contour.h
/// Contour lines of a grid by marching squares (drawing, not analysis: a field is linear along
/// each cell edge, and a cell's two crossings of a level are joined; a saddle cell is split by
/// the mean of its corners), and the levels a contour map draws. No Qt.
#include <vector>

namespace ridgeline::figure {

struct ContourSegment {
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
};

/// The segments where z (row-major [iy * xs.size() + ix] over ascending xs, ys) crosses
/// `level`. Cells with a NaN corner are skipped.
std::vector<ContourSegment> contour_segments(const std::vector<double>& xs,
                                             const std::vector<double>& ys,
                                             const std::vector<double>& z, double level);

/// About `count` contour levels strictly inside (lo, hi): multiples of a nice step (1, 2, 5 ×
/// 10^k); with `log` (lo > 0) the values 1, 2, 5 × 10^k inside when there are at least
/// max(3, count/2) of them (every other one past 2·count), else a geometric sequence rounded to
/// 2 significant digits. Empty when the range is empty.
std::vector<double> contour_levels(double lo, double hi, int count, bool log);

/// Colour position of `v` in [lo, hi]: (v − lo)/(hi − lo), or in log10 with `log`; clamped to
/// [0, 1]; NaN for NaN (or v ≤ 0 on a log scale).
double color_fraction(double v, double lo, double hi, bool log);

}  // namespace ridgeline::figure
