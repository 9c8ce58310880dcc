// The figure description's helpers: palette, markers, nice ticks and the axis layout that the
// renderer and the Python export share (figure.h).
#include "widgets/figure/figure.h"

#include "widgets/figure/contour.h"

#include <algorithm>
#include <cstdio>
#include <limits>

namespace ridgeline::figure {

std::string Rgb::hex() const {
  char buf[8];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", r, g, b);
  return buf;
}

Rgb palette(size_t index) {
  static const Rgb kOkabeIto[] = {{0, 114, 178},  {213, 94, 0},   {0, 158, 115}, {204, 121, 167},
                                  {230, 159, 0},  {86, 180, 233}, {0, 0, 0},     {240, 228, 66}};
  return kOkabeIto[index % std::size(kOkabeIto)];
}

Rgb grey() { return {136, 136, 136}; }

Marker marker_cycle(size_t index) {
  static const Marker kCycle[] = {Marker::Circle,  Marker::Square,       Marker::TriangleUp,
                                  Marker::Diamond, Marker::TriangleDown, Marker::Plus,
                                  Marker::Cross};
  return kCycle[index % std::size(kCycle)];
}

double nice_step(double range, double target) {
  if (!(range > 0) || !std::isfinite(range)) return 1;
  const double raw = range / std::max(target, 1.0);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double f = raw / mag;
  return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
}

std::string tick_label(double value, double step, bool percent) {
  const double v = percent ? value * 100 : value, s = percent ? step * 100 : step;
  char buf[64];
  if (v != 0 && (std::abs(v) >= 1e5 || std::abs(s) < 1e-4)) {
    std::snprintf(buf, sizeof buf, "%.3g", v);
  } else {
    const int decimals = s > 0 ? std::max(0, static_cast<int>(-std::floor(std::log10(s) + 1e-9))) : 0;
    std::snprintf(buf, sizeof buf, "%.*f", std::min(decimals, 8), std::abs(v) < s * 1e-6 ? 0.0 : v);
  }
  std::string out = buf;
  if (percent) out += "%";
  return out;
}

std::string check_size(const FigureSize& s) {
  auto out_of = [](const char* name, double v, double lo, double hi) {
    char buf[128];
    std::snprintf(buf, sizeof buf, "%s: %g is out of range %g..%g", name, v, lo, hi);
    return std::string(buf);
  };
  if (!(s.width_mm >= 20 && s.width_mm <= 500)) return out_of("--width-mm", s.width_mm, 20, 500);
  if (!(s.height_mm >= 20 && s.height_mm <= 500)) return out_of("--height-mm", s.height_mm, 20, 500);
  if (!(s.font_pt >= 4 && s.font_pt <= 30)) return out_of("--font-pt", s.font_pt, 4, 30);
  if (!(s.dpi >= 50 && s.dpi <= 2400)) return out_of("--dpi", s.dpi, 50, 2400);
  return {};
}

std::string check_png_size(const FigureSize& s) {
  const double px = std::round(s.width_mm / 25.4 * s.dpi) * std::round(s.height_mm / 25.4 * s.dpi);
  if (px <= 1e8) return {};
  char buf[160];
  std::snprintf(buf, sizeof buf, "--dpi: %d dpi at %g x %g mm is %.0f million pixels; at most 100 for a PNG",
                s.dpi, s.width_mm, s.height_mm, px / 1e6);
  return buf;
}

namespace {

constexpr double kPtPerMm = 72.0 / 25.4;

struct Range {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  void add(double v) {
    if (!std::isfinite(v)) return;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  bool empty() const { return !(lo <= hi); }
};

// Estimated legend rows of `entries` across `width` pt (the renderer measures; this sizes the plot).
int legend_rows(const std::vector<LegendEntry>& entries, double width, double font) {
  if (entries.empty()) return 0;
  int rows = 1;
  double x = 0;
  for (const auto& e : entries) {
    const double w = 2.6 * font + 0.55 * font * static_cast<double>(e.label.size()) + font;
    if (x > 0 && x + w > width) {
      ++rows;
      x = 0;
    }
    x += w;
  }
  return rows;
}

AxisLayout numeric_axis(const Axis& axis, Range data, double target) {
  AxisLayout out;
  const bool fixed_lo = std::isfinite(axis.min), fixed_hi = std::isfinite(axis.max);
  if (fixed_lo) data.add(axis.min);
  if (fixed_hi) data.add(axis.max);
  if (axis.include_zero) data.add(0);
  if (data.empty()) data = {0, 1};
  double lo = fixed_lo ? axis.min : data.lo, hi = fixed_hi ? axis.max : data.hi;
  if (axis.log && lo > 0 && hi > 0) {
    out.log = true;
    int d0 = static_cast<int>(std::floor(std::log10(lo) + 1e-9));
    int d1 = static_cast<int>(std::ceil(std::log10(hi) - 1e-9));
    if (d1 <= d0) d1 = d0 + 1;
    out.min = fixed_lo ? lo : std::pow(10.0, d0);
    out.max = fixed_hi ? hi : std::pow(10.0, d1);
    const int every = d1 - d0 > 6 ? 2 : 1;
    for (int d = d0; d <= d1; d += every) {
      for (int m : {1, 2, 5}) {
        if (m != 1 && d1 - d0 > 1) continue;  // 2 and 5 only within a single decade
        const double t = m * std::pow(10.0, d);
        if (t < out.min * (1 - 1e-9) || t > out.max * (1 + 1e-9)) continue;
        char buf[32];
        std::snprintf(buf, sizeof buf, "%g", axis.percent ? t * 100 : t);
        out.ticks.push_back(t);
        out.labels.push_back(std::string(buf) + (axis.percent ? "%" : ""));
      }
    }
    return out;
  }
  if (hi - lo <= 0) {  // a constant: a small symmetric range around it
    const double pad = std::max(std::abs(hi) * 0.05, 1e-3);
    if (!fixed_lo) lo -= pad;
    if (!fixed_hi) hi += pad;
  } else {
    // 4% of the range on free sides, so that markers at the extremes are drawn whole.
    const double pad = 0.04 * (hi - lo);
    if (!fixed_lo && !(axis.include_zero && data.lo >= 0 && lo == 0)) lo -= pad;
    if (!fixed_hi && !(axis.include_zero && data.hi <= 0 && hi == 0)) hi += pad;
    if (!fixed_lo && data.lo >= 0 && lo < 0 && (axis.percent || axis.include_zero)) lo = 0;
  }
  double step = nice_step(hi - lo, target);
  if (axis.integer) step = std::max(1.0, std::round(step));
  out.min = lo;
  out.max = hi;
  for (double t = std::ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) {
    const double v = std::abs(t) < step * 1e-9 ? 0.0 : t;
    out.ticks.push_back(v);
    out.labels.push_back(tick_label(v, step, axis.percent));
  }
  return out;
}

// Ticks exactly at `axis.ticks` (a sweep's values), limits padded 4% around them and the data.
AxisLayout fixed_ticks_axis(const Axis& axis, Range data) {
  AxisLayout out;
  for (double t : axis.ticks) data.add(t);
  out.log = axis.log && data.lo > 0;
  auto to = [&](double v) { return out.log ? std::log10(v) : v; };
  auto from = [&](double v) { return out.log ? std::pow(10.0, v) : v; };
  double lo = to(data.lo), hi = to(data.hi);
  const double pad = hi > lo ? 0.04 * (hi - lo) : (out.log ? 0.1 : std::max(std::abs(hi) * 0.05, 1e-3));
  out.min = std::isfinite(axis.min) ? axis.min : from(lo - pad);
  out.max = std::isfinite(axis.max) ? axis.max : from(hi + pad);
  for (double t : axis.ticks) {
    if (!std::isfinite(t) || (out.log && t <= 0)) continue;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", axis.percent ? t * 100 : t);
    out.ticks.push_back(t);
    out.labels.push_back(std::string(buf) + (axis.percent ? "%" : ""));
  }
  return out;
}

void apply_endpoint_labels(const Axis& axis, AxisLayout& out) {
  auto put = [&](double at, const std::string& label, bool front) {
    if (label.empty()) return;
    const double tol = (out.max - out.min) * 1e-6;
    for (size_t i = 0; i < out.ticks.size(); ++i)
      if (std::abs(out.ticks[i] - at) <= tol) {
        out.labels[i] = label;
        return;
      }
    out.ticks.insert(front ? out.ticks.begin() : out.ticks.end(), at);
    out.labels.insert(front ? out.labels.begin() : out.labels.end(), label);
  };
  put(out.min, axis.low_label, true);
  put(out.max, axis.high_label, false);
}

}  // namespace

bool field_limits(const Field& f, double* lo, double* hi) {
  Range r;
  for (double v : f.z)
    if (!f.log || v > 0) r.add(v);
  if (std::isfinite(f.min)) r.lo = f.min;
  if (std::isfinite(f.max)) r.hi = f.max;
  if (r.empty()) return false;
  *lo = r.lo;
  *hi = r.hi;
  return true;
}

std::vector<PanelLayout> layout_axes(const Figure& fig, const FigureSize& size) {
  std::vector<PanelLayout> out;
  const double F = size.font_pt, W = size.width_mm * kPtPerMm, H = size.height_mm * kPtPerMm;
  const size_t n = std::max<size_t>(1, fig.panels.size());
  int panel_legend = 0;
  for (const auto& p : fig.panels)
    panel_legend = std::max(panel_legend, legend_rows(p.legend, W / static_cast<double>(n), F));
  const int rows = legend_rows(fig.legend, W, F) + panel_legend;
  // Estimated plot area: tick labels and titles take about 4.5 font sizes left, 3.4 below.
  const double plot_w = std::max(W / static_cast<double>(n) - 5.0 * F, 2.0 * F);
  const double plot_h = std::max(H - 4.2 * F - 1.25 * F * rows, 2.0 * F);
  for (const auto& p : fig.panels) {
    PanelLayout pl;
    if (!p.x.categories.empty()) {
      pl.x.min = -0.5;
      pl.x.max = static_cast<double>(p.x.categories.size()) - 0.5;
      for (size_t i = 0; i < p.x.categories.size(); ++i) {
        pl.x.ticks.push_back(static_cast<double>(i));
        pl.x.labels.push_back(p.x.categories[i]);
      }
    } else {
      Range xr;
      for (const auto& s : p.series)
        for (double v : s.x) xr.add(v);
      if (!p.field.empty() && !p.field.xs.empty()) {
        xr.add(p.field.xs.front());
        xr.add(p.field.xs.back());
      }
      // A tick label every ~5 font sizes; endpoint names (long) leave room for fewer.
      const double per = p.x.low_label.empty() ? 5.0 : 9.0;
      pl.x = p.x.ticks.empty() ? numeric_axis(p.x, xr, std::max(1.0, plot_w / (per * F)))
                               : fixed_ticks_axis(p.x, xr);
      apply_endpoint_labels(p.x, pl.x);
    }
    Range yr;
    for (const auto& s : p.series) {
      for (double v : s.y) yr.add(v);
      for (double v : s.lo) yr.add(v);
      for (double v : s.hi) yr.add(v);
    }
    for (const auto& b : p.barriers) {
      yr.add(b.y_chord);
      yr.add(b.y_curve);
    }
    if (!p.field.empty() && !p.field.ys.empty()) {
      yr.add(p.field.ys.front());
      yr.add(p.field.ys.back());
    }
    const double y_target = std::max(2.0, plot_h / (3.2 * F));
    pl.y = numeric_axis(p.y, yr, y_target);
    double lo, hi;
    if (!p.field.empty() && field_limits(p.field, &lo, &hi)) {
      Axis c;
      c.log = p.field.log;
      c.min = lo;
      c.max = hi;
      // A log bar often spans under two decades: ticks at 1, 2, 5 × 10^k (contour.h) say more
      // than the decades alone.
      if (c.log && lo > 0) c.ticks = contour_levels(lo, hi, 5, true);
      pl.color = c.ticks.size() >= 2 ? fixed_ticks_axis(c, Range{lo, hi}) : numeric_axis(c, Range{lo, hi}, y_target);
    }
    out.push_back(pl);
  }
  return out;
}

}  // namespace ridgeline::figure
