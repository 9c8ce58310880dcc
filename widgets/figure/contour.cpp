// Marching squares and contour levels (contour.h).
#include "widgets/figure/contour.h"

#include <algorithm>
#include <cmath>

#include "widgets/figure/figure.h"

namespace ridgeline::figure {

std::vector<ContourSegment> contour_segments(const std::vector<double>& xs,
                                             const std::vector<double>& ys,
                                             const std::vector<double>& z, double level) {
  std::vector<ContourSegment> out;
  const size_t nx = xs.size(), ny = ys.size();
  if (nx < 2 || ny < 2 || z.size() != nx * ny || !std::isfinite(level)) return out;
  for (size_t j = 0; j + 1 < ny; ++j)
    for (size_t i = 0; i + 1 < nx; ++i) {
      // Corners counter-clockwise from (i, j): 0 (i, j), 1 (i+1, j), 2 (i+1, j+1), 3 (i, j+1).
      const double cx[4] = {xs[i], xs[i + 1], xs[i + 1], xs[i]};
      const double cy[4] = {ys[j], ys[j], ys[j + 1], ys[j + 1]};
      const double v[4] = {z[j * nx + i], z[j * nx + i + 1], z[(j + 1) * nx + i + 1],
                           z[(j + 1) * nx + i]};
      if (!std::isfinite(v[0]) || !std::isfinite(v[1]) || !std::isfinite(v[2]) ||
          !std::isfinite(v[3]))
        continue;
      int mask = 0;
      for (int k = 0; k < 4; ++k)
        if (v[k] >= level) mask |= 1 << k;
      if (mask == 0 || mask == 15) continue;
      // The crossing on edge e (from corner e to corner e+1).
      auto cross = [&](int e, double* px, double* py) {
        const int a = e, b = (e + 1) % 4;
        const double t = (level - v[a]) / (v[b] - v[a]);
        *px = cx[a] + t * (cx[b] - cx[a]);
        *py = cy[a] + t * (cy[b] - cy[a]);
      };
      // Edges crossed: where the corners on either side differ.
      int edges[4], n = 0;
      for (int e = 0; e < 4; ++e)
        if (((mask >> e) & 1) != ((mask >> ((e + 1) % 4)) & 1)) edges[n++] = e;
      auto add = [&](int e0, int e1) {
        ContourSegment s;
        cross(e0, &s.x0, &s.y0);
        cross(e1, &s.x1, &s.y1);
        out.push_back(s);
      };
      if (n == 2) {
        add(edges[0], edges[1]);
      } else if (n == 4) {  // a saddle: join around the corners on the centre's other side
        const bool centre_high = (v[0] + v[1] + v[2] + v[3]) / 4 >= level;
        // Corner 0 high with a low centre (or low with a high centre) is cut off alone.
        if (((mask & 1) != 0) != centre_high) {
          add(3, 0);
          add(1, 2);
        } else {
          add(0, 1);
          add(2, 3);
        }
      }
    }
  return out;
}

std::vector<double> contour_levels(double lo, double hi, int count, bool log) {
  std::vector<double> out;
  if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi) || count < 1) return out;
  if (log) {
    if (!(lo > 0)) return out;
    // 1, 2, 5 × 10^k when the range holds enough of them (at most twice `count`: every other).
    std::vector<double> round;
    for (int k = static_cast<int>(std::floor(std::log10(lo))); k <= static_cast<int>(std::ceil(std::log10(hi))); ++k)
      for (double m : {1.0, 2.0, 5.0}) {
        const double v = m * std::pow(10.0, k);
        if (v > lo * (1 + 1e-12) && v < hi * (1 - 1e-12)) round.push_back(v);
      }
    if (static_cast<int>(round.size()) >= std::max(3, count / 2)) {
      const size_t every = round.size() > static_cast<size_t>(2 * count) ? 2 : 1;
      for (size_t i = 0; i < round.size(); i += every) out.push_back(round[i]);
      return out;
    }
    const double a = std::log10(lo), b = std::log10(hi), step = (b - a) / (count + 1);
    for (int k = 1; k <= count; ++k) {
      const double v = std::pow(10.0, a + step * k);
      // 2 significant digits, divided (not multiplied) by a power of ten so that 1.2 is 1.2.
      const int e = static_cast<int>(std::floor(std::log10(v))) - 1;
      const double r = e < 0 ? std::round(v * std::pow(10.0, -e)) / std::pow(10.0, -e)
                             : std::round(v / std::pow(10.0, e)) * std::pow(10.0, e);
      if (r > lo && r < hi && (out.empty() || r > out.back())) out.push_back(r);
    }
    return out;
  }
  const double step = nice_step(hi - lo, count);
  for (double t = std::floor(lo / step + 1) * step; t < hi - step * 1e-9; t += step) {
    const double v = std::abs(t) < step * 1e-9 ? 0.0 : t;
    if (v > lo) out.push_back(v);
  }
  return out;
}

double color_fraction(double v, double lo, double hi, bool log) {
  if (!std::isfinite(v)) return NAN;
  if (log) {
    if (!(v > 0) || !(lo > 0)) return NAN;
    v = std::log10(v);
    lo = std::log10(lo);
    hi = std::log10(hi);
  }
  if (!(hi > lo)) return 0.5;
  return std::clamp((v - lo) / (hi - lo), 0.0, 1.0);
}

}  // namespace ridgeline::figure
