// Legends of a figure (figure_render_parts.h): entries (a sample line, marker or filled square,
// and the label) flowed in centred rows across a box.
#include <QPainter>
#include <algorithm>

#include "widgets/figure/figure_render_parts.h"

namespace ridgeline::figure::render_detail {

namespace {

// Legend rows: entries flowed across `width`, each (sample, gap, text), spaced by one F.
std::vector<std::vector<size_t>> flow(const Metrics& m, const std::vector<LegendEntry>& entries,
                                      double width, std::vector<double>* widths) {
  std::vector<std::vector<size_t>> rows;
  double x = 0;
  widths->clear();
  for (size_t i = 0; i < entries.size(); ++i) {
    const double w = m.sample + m.gap + text_w(m, entries[i].label);
    widths->push_back(w);
    if (rows.empty() || (x > 0 && x + m.F + w > width)) {
      rows.emplace_back();
      x = 0;
    } else if (x > 0) {
      x += m.F;
    }
    rows.back().push_back(i);
    x += w;
  }
  return rows;
}

}  // namespace

void draw_legend(QPainter& p, const Metrics& m, const std::vector<LegendEntry>& entries,
                 const QRectF& box) {
  std::vector<double> widths;
  const auto rows = flow(m, entries, box.width(), &widths);
  double y = box.top();
  for (const auto& row : rows) {
    double total = 0;
    for (size_t i : row) total += widths[i];
    total += m.F * static_cast<double>(row.size() - 1);
    double x = box.left() + std::max(0.0, (box.width() - total) / 2);
    const double cy = y + m.lh / 2;
    for (size_t i : row) {
      const LegendEntry& e = entries[i];
      if (e.style.bar) {
        const double s = m.F * 0.75;
        p.fillRect(QRectF(x + (m.sample - s) / 2, cy - s / 2, s, s), qcolor(e.style.color));
      } else {
        if (e.style.line != LineStyle::None) {
          p.setPen(line_pen(e.style, m.line_w));
          p.drawLine(QPointF(x, cy), QPointF(x + m.sample, cy));
        }
        draw_marker(p, e.style.marker, QPointF(x + m.sample / 2, cy), m.marker, qcolor(e.style.color));
      }
      p.setPen(Qt::black);
      p.drawText(QRectF(x + m.sample + m.gap, y, widths[i], m.lh), Qt::AlignLeft | Qt::AlignVCenter,
                 qs(e.label));
      x += widths[i] + m.F;
    }
    y += m.lh;
  }
}

double legend_height(const Metrics& m, const std::vector<LegendEntry>& entries, double width) {
  std::vector<double> widths;
  return m.lh * static_cast<double>(flow(m, entries, width, &widths).size());
}

}  // namespace ridgeline::figure::render_detail
