// Where everything of a figure goes on its page (figure_render_parts.h): the metrics of its
// font size, the shared margins and legends, and each panel's plot rectangle; the height at
// which square panels fill their width.
#include <QImage>
#include <QPainter>
#include <algorithm>
#include <cmath>

#include "widgets/figure/figure_field.h"
#include "widgets/figure/figure_render_parts.h"

namespace ridgeline::figure::render_detail {

Metrics make_metrics(QPainter& p, const FigureSize& size, double device_dpi) {
  const double F = size.font_pt;
  QFont font(QStringLiteral("DejaVu Sans"));
  font.setStyleHint(QFont::SansSerif);
  // Qt sizes a point font by the device's dpi and the painter scales it again: divide once.
  font.setPointSizeF(F * 72.0 / device_dpi);
  font.setKerning(true);
  p.setFont(font);
  Metrics m{font, QFontMetricsF(font, p.device()), F, 0, 0, 0, 0, 0, 0};
  m.lh = m.fm.height();
  m.tick = 0.3 * F;
  m.gap = 0.3 * F;
  m.line_w = std::max(0.6, 0.125 * F);
  m.marker = 0.45 * F;
  m.sample = 2.4 * F;
  return m;
}

PageLayout layout_page(QPainter& p, const Metrics& m, const Figure& fig, const FigureSize& size) {
  PageLayout g;
  const double W = size.width_mm * kPtPerMm, H = size.height_mm * kPtPerMm, F = size.font_pt;
  g.W = W;
  g.H = H;
  g.axes = layout_axes(fig, size);
  const std::vector<PanelLayout>& layout = g.axes;
  const double pad = 0.2 * F;
  g.pad = pad;
  const size_t n = std::max<size_t>(1, fig.panels.size());
  const double panel_w = W / static_cast<double>(n);
  g.panel_w = panel_w;
  g.fig_legend_h = legend_height(m, fig.legend, W - 2 * pad);
  for (const auto& pn : fig.panels)
    g.panel_legend_h = std::max(g.panel_legend_h, legend_height(m, pn.legend, panel_w - 2 * pad));
  const double legends_h = g.fig_legend_h + g.panel_legend_h +
                           (g.fig_legend_h + g.panel_legend_h > 0 ? 0.3 * F : 0);

  // Shared vertical layout: half a line above (the top tick label), ticks, labels, title below.
  bool any_x_title = false, any_note = false;
  for (const auto& pn : fig.panels) {
    any_x_title |= !pn.x.title.empty();
    any_note |= !pn.note.empty() || !pn.barriers.empty();
  }
  // Barrier values and notes ("no interior barrier") take a line above the plots, where no
  // data can hide them.
  g.top = pad + (any_note ? m.lh + 0.2 * F : m.lh / 2);
  // Each plot's horizontal extent (the vertical layout below depends on it only through
  // category labels that need two rows).
  auto plot_left_right = [&](size_t i) {
    const Panel& pn = fig.panels[i];
    const PanelLayout& pl = layout[i];
    const double x0 = panel_w * static_cast<double>(i), x1 = x0 + panel_w;
    double label_w = 0;
    for (const auto& l : pl.y.labels) label_w = std::max(label_w, text_w(m, l));
    const double left = x0 + pad + (pn.y.title.empty() ? 0 : m.lh + m.gap * 0.5) + label_w + m.gap + m.tick;
    double right_need = m.F * 0.6;
    if (!pl.x.labels.empty() && std::abs(pl.x.ticks.back() - pl.x.max) < 1e-9 * (pl.x.max - pl.x.min + 1))
      right_need = std::max(right_need, text_w(m, pl.x.labels.back()) / 2);
    right_need = std::min(right_need, 0.35 * panel_w);
    const bool field = !pn.field.empty() && !pl.color.ticks.empty();
    if (field) right_need = std::max(right_need, color_bar_width(pl.color, pn.field, m.fm, F));
    return std::pair<double, double>(left, x1 - pad - right_need);
  };
  // Category axes side by side read alike: one font scale for all (the smallest any needs),
  // and as many rows of labels on all as any needs.
  std::vector<Mapper> hmaps;
  double category_scale = 1.0;
  for (size_t i = 0; i < fig.panels.size(); ++i) {
    const auto [l, r] = plot_left_right(i);
    hmaps.push_back({QRectF(QPointF(l, 0), QPointF(r, 1)), layout[i].x, layout[i].y});
    if (fig.panels[i].x.categories.empty()) continue;
    const double x0 = panel_w * static_cast<double>(i);
    const auto [scale, rows] = fit_category_labels(p, m, hmaps[i], layout[i].x, x0 + pad, x0 + panel_w - pad);
    category_scale = std::min(category_scale, scale);
    g.label_rows = std::max(g.label_rows, rows);
  }
  g.panels.resize(fig.panels.size());
  for (size_t i = 0; i < fig.panels.size(); ++i) {
    if (fig.panels[i].x.categories.empty()) continue;
    const double x0 = panel_w * static_cast<double>(i);
    g.panels[i].category = category_labels_at(p, m, hmaps[i], layout[i].x, x0 + pad, x0 + panel_w - pad,
                                              category_scale, g.label_rows);
  }
  g.bottom_margin =
      m.tick + m.gap * 0.5 + m.lh * g.label_rows + (any_x_title ? m.lh : 0);
  g.plot_bottom = H - pad - legends_h - g.bottom_margin;

  for (size_t i = 0; i < fig.panels.size(); ++i) {
    const Panel& pn = fig.panels[i];
    const PanelLayout& pl = layout[i];
    PanelBox& box = g.panels[i];
    box.x0 = panel_w * static_cast<double>(i);
    box.x1 = box.x0 + panel_w;
    const auto [left, right] = plot_left_right(i);
    for (const auto& l : pl.y.labels) box.label_w = std::max(box.label_w, text_w(m, l));
    const bool field = !pn.field.empty() && !pl.color.ticks.empty();
    box.field = field;
    box.bar_w = field ? color_bar_width(pl.color, pn.field, m.fm, F) : 0;
    box.area = QRectF(QPointF(left, g.top), QPointF(right, g.plot_bottom));
    box.map = Mapper{box.area, pl.x, pl.y};
    Mapper& map = box.map;
    if (map.plot.width() < F || map.plot.height() < F) {  // nothing sensible fits
      box.fits = false;
      continue;
    }
    if (pn.equal_aspect && !pl.x.log && !pl.y.log) {  // shrink to one scale, keeping left and bottom
      const double dx = pl.x.max - pl.x.min, dy = pl.y.max - pl.y.min;
      const double scale = std::min(map.plot.width() / dx, map.plot.height() / dy);
      map.plot = QRectF(map.plot.left(), map.plot.bottom() - dy * scale, dx * scale, dy * scale);
    }
  }
  return g;
}

}  // namespace ridgeline::figure::render_detail

namespace ridgeline::figure {

using namespace render_detail;

double fitted_height_mm(const Figure& fig, const FigureSize& size) {
  bool square = !fig.panels.empty();
  for (const Panel& pn : fig.panels) square &= pn.equal_aspect && !pn.x.log && !pn.y.log;
  if (!square) return size.height_mm;
  // Measured as a PNG at the size's dpi would be (PDF and SVG text measures within a hair).
  QImage probe(1, 1, QImage::Format_ARGB32_Premultiplied);
  const int dpm = static_cast<int>(std::lround(size.dpi / 0.0254));
  probe.setDotsPerMeterX(dpm);
  probe.setDotsPerMeterY(dpm);
  FigureSize s = size;
  // The tick labels follow the plots' height (layout_axes), and their width the plots' width:
  // a few rounds settle it.
  for (int round = 0; round < 6; ++round) {
    QPainter p(&probe);
    p.scale(s.dpi / 72.0, s.dpi / 72.0);
    const Metrics m = make_metrics(p, s, s.dpi);
    const PageLayout g = layout_page(p, m, fig, s);
    p.end();
    // The plot height at which every plot is as wide as its room: one scale on both axes.
    double need = 0;
    for (size_t i = 0; i < fig.panels.size(); ++i) {
      const AxisLayout& x = g.axes[i].x;
      const AxisLayout& y = g.axes[i].y;
      if (!(x.max > x.min) || !(y.max > y.min)) continue;
      need = std::max(need, g.panels[i].area.width() * (y.max - y.min) / (x.max - x.min));
    }
    if (!(need > 0)) return size.height_mm;
    const double around = g.H - (g.plot_bottom - g.top);  // margins, labels and legends, pt
    // Up to the next 0.1 mm: a plot never loses its last fraction of a dot to rounding.
    const double mm = std::clamp(std::ceil((around + need) / kPtPerMm * 10 - 1e-6) / 10, 20.0, 500.0);
    if (std::abs(mm - s.height_mm) < 0.05) return mm;
    s.height_mm = mm;
  }
  return s.height_mm;
}

}  // namespace ridgeline::figure
