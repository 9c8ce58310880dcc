// The QPainter renderer of figure descriptions (figure_render.h): paints the page that
// layout_page laid out — per panel its field or grid, series, barriers, points, colour bar,
// axes, tick labels, titles, header line and legend, then the figure's legend. The parts it
// draws with are in figure_render_parts.h.
#include "widgets/figure/figure_render.h"

#include <QPainter>
#include <algorithm>
#include <cmath>

#include "widgets/figure/figure_field.h"
#include "widgets/figure/figure_render_parts.h"

namespace ridgeline::figure {

using namespace render_detail;

void paint_figure(QPainter& p, const Figure& fig, const FigureSize& size, double device_dpi) {
  const double k = device_dpi / 72.0;
  const double F = size.font_pt;
  p.setRenderHint(QPainter::Antialiasing);
  p.setRenderHint(QPainter::TextAntialiasing);
  p.scale(k, k);
  const Metrics m = make_metrics(p, size, device_dpi);
  const PageLayout g = layout_page(p, m, fig, size);
  const double pad = g.pad;

  for (size_t i = 0; i < fig.panels.size(); ++i) {
    const Panel& pn = fig.panels[i];
    const PanelLayout& pl = g.axes[i];
    const PanelBox& box = g.panels[i];
    if (!box.fits) continue;  // nothing sensible fits
    const double x0 = box.x0, x1 = box.x1, label_w = box.label_w, bar_w = box.bar_w;
    const bool field = box.field;
    const Mapper& map = box.map;

    // Grid (none over a colour map), then data (clipped just outside the plot so markers at the
    // limits stay whole).
    if (field) {
      paint_field(p, pn.field, pl.x, pl.y, map.plot, k);
    } else {
      p.setPen(QPen(QColor(225, 225, 225), 0.4));
      for (double t : pl.y.ticks)
        if (Mapper::frac(pl.y, t) > 1e-6) p.drawLine(QPointF(map.plot.left(), map.fy(t)), QPointF(map.plot.right(), map.fy(t)));
    }
    p.save();
    p.setClipRect(map.plot.adjusted(-m.marker, -m.marker, m.marker, m.marker));
    for (const auto& s : pn.series) draw_series(p, m, map, s);
    for (const auto& b : pn.barriers) draw_barrier(p, m, map, b);
    p.restore();
    for (const auto& pt : pn.points) draw_point(p, m, map, pt);
    if (field) paint_color_bar(p, pn.field, pl.color, QRectF(map.plot.right(), map.plot.top(), bar_w, map.plot.height()), m.fm, F);

    // Axes: left and bottom spines, outward ticks.
    QPen axis_pen(Qt::black, 0.6, Qt::SolidLine, Qt::SquareCap);
    p.setPen(axis_pen);
    p.drawLine(map.plot.bottomLeft(), map.plot.topLeft());
    p.drawLine(map.plot.bottomLeft(), map.plot.bottomRight());
    for (size_t t = 0; t < pl.y.ticks.size(); ++t) {
      const double y = map.fy(pl.y.ticks[t]);
      p.setPen(axis_pen);
      p.drawLine(QPointF(map.plot.left() - m.tick, y), QPointF(map.plot.left(), y));
      p.setPen(Qt::black);
      p.drawText(QRectF(map.plot.left() - m.tick - m.gap - label_w - 1, y - m.lh / 2, label_w + 1, m.lh),
                 Qt::AlignRight | Qt::AlignVCenter, qs(pl.y.labels[t]));
    }
    std::vector<double> lefts;
    std::vector<bool> keep;
    std::vector<int> row(pl.x.ticks.size(), 0);
    // A category axis names every category (fit_category_labels: shrunk, then staggered).
    Metrics lm = m;
    if (!pn.x.categories.empty()) {
      const CategoryLabels& cl = *box.category;
      lm = cl.lm;
      keep = cl.keep;
      lefts = cl.lefts;
      row = cl.row;
    } else {
      keep = fitting_labels(m, map, pl.x, x0 + pad, x1 - pad, &lefts);
    }
    const double label_top = map.plot.bottom() + m.tick + m.gap * 0.5;
    p.save();
    p.setFont(lm.font);
    for (size_t t = 0; t < pl.x.ticks.size(); ++t) {
      const double x = map.fx(pl.x.ticks[t]);
      p.setPen(axis_pen);
      if (pn.x.categories.empty()) p.drawLine(QPointF(x, map.plot.bottom()), QPointF(x, map.plot.bottom() + m.tick));
      if (!keep[t]) continue;
      p.setPen(Qt::black);
      p.drawText(QRectF(lefts[t], label_top + row[t] * m.lh, text_w(lm, pl.x.labels[t]) + 1, m.lh),
                 Qt::AlignLeft | Qt::AlignVCenter, qs(pl.x.labels[t]));
    }
    p.restore();
    if (!pn.x.title.empty()) {  // centred under the plot, kept inside the panel
      const double w = text_w(m, pn.x.title);
      const double left = std::clamp(map.plot.center().x() - w / 2, x0 + pad, x1 - pad - w);
      p.drawText(QRectF(left, label_top + m.lh * g.label_rows, w + 1, m.lh),
                 Qt::AlignLeft | Qt::AlignVCenter, qs(pn.x.title));
    }
    if (!pn.y.title.empty()) {
      p.save();
      p.translate(x0 + pad + m.lh / 2, map.plot.center().y());
      p.rotate(-90);
      p.drawText(QRectF(-map.plot.height() / 2 - m.lh, -m.lh / 2, map.plot.height() + 2 * m.lh, m.lh),
                 Qt::AlignCenter, qs(pn.y.title));
      p.restore();
    }
    {  // above the plot's left edge when it fits there, else from the panel's
      double need = 0;
      for (const auto& b : pn.barriers) need += text_w(m, b.text) + m.F;
      if (pn.barriers.empty()) need = text_w(m, pn.note);
      const double left = map.plot.left() + need <= x1 - pad ? map.plot.left() : x0 + pad;
      draw_header(p, m, pn, QRectF(left, pad, x1 - pad - left, m.lh));
    }
    if (!pn.legend.empty())
      draw_legend(p, m, pn.legend,
                  QRectF(x0 + pad, g.plot_bottom + g.bottom_margin + 0.3 * F, g.panel_w - 2 * pad, g.panel_legend_h));
  }
  if (!fig.legend.empty())
    draw_legend(p, m, fig.legend, QRectF(pad, g.H - pad - g.fig_legend_h, g.W - 2 * pad, g.fig_legend_h));
}

}  // namespace ridgeline::figure
