// The contour-map figure of a surface scene (contour_figure.h).
#include "widgets/figure/contour_figure.h"

#include <algorithm>
#include <cmath>

#include "widgets/figure/contour.h"

namespace ridgeline::figure {

namespace {

// Path styles over viridis: the lowest pass vermillion, solid and 1.8× as thick; the others dashed
// (linear) or dash-dotted (curves) in black, orange, sky blue or reddish purple; all with a
// white halo, so that each reads on dark and light cells and on the white page of the legend.
Style path_style(const std::string& kind, size_t index) {
  static const Rgb kOthers[] = {{0, 0, 0}, {230, 159, 0}, {86, 180, 233}, {204, 121, 167}};
  if (kind == "pass") return {{213, 94, 0}, LineStyle::Solid, Marker::None, false, 1.8};
  return {kOthers[index % std::size(kOthers)],
          kind == "curve" ? LineStyle::DashDot : LineStyle::Dashed, Marker::None, false};
}

}  // namespace

Figure contour_figure(const widgets::SurfaceScene& s, const ContourFigureOptions& o) {
  Figure fig;
  fig.view = o.view;
  Panel pn;
  pn.x.title = s.x_label;
  pn.y.title = s.y_label;
  pn.x.min = s.xs.front();
  pn.x.max = s.xs.back();
  pn.y.min = s.ys.front();
  pn.y.max = s.ys.back();
  pn.equal_aspect = true;

  Field& f = pn.field;
  f.xs = s.xs;
  f.ys = s.ys;
  f.z = s.loss;
  f.label = s.value_label;
  f.source = s.title.empty() ? s.value_label : s.title + ": " + s.value_label;
  bool positive = true;
  for (double v : s.loss) positive &= !std::isfinite(v) || v > 0;
  f.log = o.log && positive;
  if (o.log && !positive) pn.note = "log scale needs positive losses: linear scale";
  if (f.log) f.label += " (log scale)";
  double lo, hi;
  if (field_limits(f, &lo, &hi)) f.levels = contour_levels(lo, hi, o.levels, f.log);

  size_t other = 0;
  for (const auto& path : s.paths) {
    if (path.x.size() < 2) continue;
    const bool pass = path.kind == "pass";
    Series se;
    se.label = path.name.empty() ? path.kind : path.name;
    se.source = "path (" + path.kind + ")";
    se.x = path.x;
    se.y = path.y;
    se.style = path_style(path.kind, pass ? 0 : other++);
    se.halo = true;
    pn.series.push_back(se);
    fig.legend.push_back({se.label, se.style});
  }
  // The lowest pass last: drawn over the others.
  std::stable_partition(pn.series.begin(), pn.series.end(),
                        [](const Series& x) { return x.style.line != LineStyle::Solid; });
  for (const auto& m : s.markers)
    pn.points.push_back({m.x, m.y, m.name, {{20, 20, 20}, LineStyle::None, Marker::Circle, false}});
  fig.panels.push_back(pn);
  return fig;
}

}  // namespace ridgeline::figure
