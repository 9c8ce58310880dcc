// The QPainter renderer of figure descriptions (figure_render.h). Everything is laid out in
// points (1/72 in) with the painter scaled to the device's dpi; fonts are sized so that text is
// exactly FigureSize::font_pt on paper.
#include "widgets/figure/figure_render.h"

#include "widgets/figure/figure_field.h"

#include <QFont>
#include <QFontMetricsF>
#include <QPainter>
#include <QPainterPath>
#include <QPolygonF>
#include <algorithm>
#include <optional>
#include <cmath>

namespace ridgeline::figure {

namespace {

constexpr double kPtPerMm = 72.0 / 25.4;

QColor qcolor(const Rgb& c) { return QColor(c.r, c.g, c.b); }
QString qs(const std::string& s) { return QString::fromStdString(s); }

// matplotlib's default dash patterns (in line widths), so the Python export looks the same.
QVector<qreal> dashes(LineStyle s) {
  switch (s) {
    case LineStyle::Dashed: return {3.7, 1.6};
    case LineStyle::Dotted: return {1, 1.65};
    case LineStyle::DashDot: return {6.4, 1.6, 1, 1.6};
    default: return {};
  }
}

QPen line_pen(const Style& s, double width) {
  QPen pen(qcolor(s.color), width * s.width);
  pen.setCapStyle(s.line == LineStyle::Solid ? Qt::RoundCap : Qt::FlatCap);
  pen.setJoinStyle(Qt::RoundJoin);
  if (s.line != LineStyle::Solid && s.line != LineStyle::None) pen.setDashPattern(dashes(s.line));
  return pen;
}

// A marker of diameter `d` pt centred at c.
void draw_marker(QPainter& p, Marker m, QPointF c, double d, const QColor& color) {
  if (m == Marker::None) return;
  const double r = d / 2;
  p.save();
  p.setPen(QPen(color, std::max(0.5, d * 0.18), Qt::SolidLine, Qt::FlatCap, Qt::MiterJoin));
  p.setBrush(color);
  switch (m) {
    case Marker::Circle: p.drawEllipse(c, r, r); break;
    case Marker::Square: p.drawRect(QRectF(c.x() - r * 0.85, c.y() - r * 0.85, 1.7 * r, 1.7 * r)); break;
    case Marker::Diamond:
      p.drawPolygon(QPolygonF({c + QPointF(0, -r * 1.1), c + QPointF(r * 0.8, 0), c + QPointF(0, r * 1.1),
                               c + QPointF(-r * 0.8, 0)}));
      break;
    case Marker::TriangleUp:
      p.drawPolygon(QPolygonF({c + QPointF(0, -r), c + QPointF(r, r), c + QPointF(-r, r)}));
      break;
    case Marker::TriangleDown:
      p.drawPolygon(QPolygonF({c + QPointF(0, r), c + QPointF(r, -r), c + QPointF(-r, -r)}));
      break;
    case Marker::Plus:
      p.drawLine(c + QPointF(-r, 0), c + QPointF(r, 0));
      p.drawLine(c + QPointF(0, -r), c + QPointF(0, r));
      break;
    case Marker::Cross:
      p.drawLine(c + QPointF(-r, -r), c + QPointF(r, r));
      p.drawLine(c + QPointF(-r, r), c + QPointF(r, -r));
      break;
    case Marker::None: break;
  }
  p.restore();
}

// Maps data to the plot rectangle of one panel.
struct Mapper {
  QRectF plot;
  AxisLayout x, y;
  double fx(double v) const { return plot.left() + frac(x, v) * plot.width(); }
  double fy(double v) const { return plot.bottom() - frac(y, v) * plot.height(); }
  static double frac(const AxisLayout& a, double v) {
    if (a.log) return (std::log10(v) - std::log10(a.min)) / (std::log10(a.max) - std::log10(a.min));
    return (v - a.min) / (a.max - a.min);
  }
};

struct Metrics {
  QFont font;
  QFontMetricsF fm;
  double F;       // font size, pt
  double lh;      // line height
  double tick;    // tick length
  double gap;     // text gap
  double line_w;  // series line width
  double marker;  // marker diameter
  double sample;  // legend sample length
};

double text_w(const Metrics& m, const std::string& s) { return m.fm.horizontalAdvance(qs(s)); }

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

// A series' band (lo..hi) as translucent polygons, one per run of finite points.
void draw_band(QPainter& p, const Mapper& map, const Series& s) {
  const size_t n = std::min({s.x.size(), s.lo.size(), s.hi.size()});
  auto ok = [&](size_t i) {
    return std::isfinite(s.x[i]) && std::isfinite(s.lo[i]) && std::isfinite(s.hi[i]) &&
           !(map.y.log && (s.lo[i] <= 0 || s.hi[i] <= 0)) && !(map.x.log && s.x[i] <= 0);
  };
  QColor c = qcolor(s.style.color);
  c.setAlphaF(0.2);
  p.setPen(Qt::NoPen);
  p.setBrush(c);
  for (size_t i = 0; i < n;) {
    if (!ok(i)) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < n && ok(j)) ++j;
    QPolygonF poly;
    for (size_t k = i; k < j; ++k) poly << QPointF(map.fx(s.x[k]), map.fy(s.hi[k]));
    for (size_t k = j; k-- > i;) poly << QPointF(map.fx(s.x[k]), map.fy(s.lo[k]));
    if (j - i >= 2) p.drawPolygon(poly);
    i = j;
  }
}

// A series' lo..hi as an error bar at each point: a vertical line with short caps, in the
// series' colour (points on a category axis).
void draw_whiskers(QPainter& p, const Metrics& m, const Mapper& map, const Series& s) {
  const size_t n = std::min({s.x.size(), s.lo.size(), s.hi.size()});
  const double cap = m.F * 0.3;
  p.setPen(QPen(qcolor(s.style.color), std::max(0.6, m.line_w * 0.8), Qt::SolidLine, Qt::FlatCap));
  p.setBrush(Qt::NoBrush);
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(s.x[i]) || !std::isfinite(s.lo[i]) || !std::isfinite(s.hi[i])) continue;
    if (map.y.log && (s.lo[i] <= 0 || s.hi[i] <= 0)) continue;
    const double x = map.fx(s.x[i]), y0 = map.fy(s.lo[i]), y1 = map.fy(s.hi[i]);
    p.drawLine(QPointF(x, y0), QPointF(x, y1));
    p.drawLine(QPointF(x - cap, y0), QPointF(x + cap, y0));
    p.drawLine(QPointF(x - cap, y1), QPointF(x + cap, y1));
  }
}

void draw_series(QPainter& p, const Metrics& m, const Mapper& map, const Series& s) {
  if (s.bars) {
    const double group = 0.8, w = group / std::max(1, s.nslots);
    const double base = map.y.log ? map.y.min : std::clamp(0.0, map.y.min, map.y.max);
    const QColor c = qcolor(s.style.color);
    p.setPen(QPen(c.darker(140), 0.4));
    p.setBrush(c);
    for (size_t i = 0; i < s.y.size(); ++i) {
      if (!std::isfinite(s.y[i])) continue;
      const double x0 = static_cast<double>(i) - group / 2 + w * s.slot;
      const QRectF r(QPointF(map.fx(x0), map.fy(s.y[i])), QPointF(map.fx(x0 + w), map.fy(base)));
      p.drawRect(r.normalized());
    }
    return;
  }
  if (s.whiskers) draw_whiskers(p, m, map, s);
  else draw_band(p, map, s);
  QPainterPath path;
  // (the halo, when asked for, is stroked below the line)
  bool pen_down = false;
  for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
    if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i]) || (map.y.log && s.y[i] <= 0)) {
      pen_down = false;
      continue;
    }
    const QPointF pt(map.fx(s.x[i]), map.fy(s.y[i]));
    if (pen_down) path.lineTo(pt);
    else path.moveTo(pt);
    pen_down = true;
  }
  if (s.style.line != LineStyle::None) {
    p.setBrush(Qt::NoBrush);
    if (s.halo) {
      QPen white(Qt::white, m.line_w * s.style.width + 0.15 * m.F, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin);
      p.setPen(white);
      p.drawPath(path);
    }
    p.setPen(line_pen(s.style, m.line_w));
    p.drawPath(path);
  }
  if (s.style.marker == Marker::None) return;
  const size_t n = std::min(s.x.size(), s.y.size());
  const size_t every = static_cast<size_t>(std::max(1, s.mark_every));
  for (size_t i = 0; i < n; ++i) {
    if (i % every != 0 && i + 1 != n) continue;
    if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i]) || (map.y.log && s.y[i] <= 0)) continue;
    draw_marker(p, s.style.marker, QPointF(map.fx(s.x[i]), map.fy(s.y[i])), m.marker,
                qcolor(s.style.color));
  }
}

void draw_barrier(QPainter& p, const Metrics& m, const Mapper& map, const BarrierMarker& b) {
  const QColor c = qcolor(b.color);
  QPen chord(QColor(110, 110, 110), 0.6);
  chord.setDashPattern({1, 1.65});
  p.setPen(chord);
  p.drawLine(QPointF(map.fx(b.x0), map.fy(b.y0)), QPointF(map.fx(b.x1), map.fy(b.y1)));
  const double x = map.fx(b.x), y0 = map.fy(b.y_chord), y1 = map.fy(b.y_curve);
  const double cap = m.F * 0.35;
  p.setPen(QPen(c, 0.8, Qt::SolidLine, Qt::FlatCap));
  p.drawLine(QPointF(x, y0), QPointF(x, y1));
  p.drawLine(QPointF(x - cap, y0), QPointF(x + cap, y0));
  p.drawLine(QPointF(x - cap, y1), QPointF(x + cap, y1));
}

// A named point: its marker with a white edge, its name to the upper right on a white box.
void draw_point(QPainter& p, const Metrics& m, const Mapper& map, const PointLabel& pt) {
  if (!std::isfinite(pt.x) || !std::isfinite(pt.y)) return;
  const QPointF c(map.fx(pt.x), map.fy(pt.y));
  const double d = m.marker * 1.5;
  if (pt.style.marker != Marker::None) {
    draw_marker(p, pt.style.marker, c, d + 0.25 * m.F, Qt::white);
    draw_marker(p, pt.style.marker, c, d, qcolor(pt.style.color));
  }
  if (pt.text.empty()) return;
  const QString t = qs(pt.text);
  const QRectF box(c.x() + 0.45 * d, c.y() - 0.45 * d - m.lh, m.fm.horizontalAdvance(t) + 0.3 * m.F, m.lh);
  p.save();
  p.setPen(Qt::NoPen);
  p.setBrush(QColor(255, 255, 255, 215));
  p.drawRect(box);
  p.setPen(Qt::black);
  p.drawText(box, Qt::AlignCenter, t);
  p.restore();
}

// The line above a plot: its barriers' texts ("test barrier +0.4434", in the marker's colour), else
// its note ("no interior barrier").
void draw_header(QPainter& p, const Metrics& m, const Panel& pn, const QRectF& box) {
  double x = box.left();
  for (const auto& b : pn.barriers) {
    if (b.text.empty()) continue;
    const QString t = qs(b.text);
    p.setPen(qcolor(b.color));
    p.drawText(QRectF(x, box.top(), box.right() - x, box.height()), Qt::AlignLeft | Qt::AlignVCenter, t);
    x += m.fm.horizontalAdvance(t) + m.F;
  }
  if (x == box.left() && !pn.note.empty()) {
    p.setPen(QColor(90, 90, 90));
    p.drawText(box, Qt::AlignLeft | Qt::AlignVCenter, qs(pn.note));
  }
}

// Indices of x tick labels that fit side by side (endpoints first).
std::vector<bool> fitting_labels(const Metrics& m, const Mapper& map, const AxisLayout& ax,
                                 double lo_bound, double hi_bound, std::vector<double>* lefts) {
  const size_t n = ax.ticks.size();
  std::vector<bool> keep(n, true);
  lefts->assign(n, 0);
  if (n == 0) return keep;
  for (size_t i = 0; i < n; ++i) {
    const double w = text_w(m, ax.labels[i]);
    (*lefts)[i] = std::clamp(map.fx(ax.ticks[i]) - w / 2, lo_bound, hi_bound - w);
  }
  auto right = [&](size_t i) { return (*lefts)[i] + text_w(m, ax.labels[i]) + m.F * 0.4; };
  // Left to right, skipping a label that would touch the previous one; the last (an endpoint
  // name, often) wins over interior ones.
  std::vector<size_t> kept = {0};
  for (size_t i = 1; i < n; ++i) {
    if (i + 1 == n) {
      while (kept.size() > 1 && right(kept.back()) > (*lefts)[i]) {
        keep[kept.back()] = false;
        kept.pop_back();
      }
    } else if (right(kept.back()) > (*lefts)[i]) {
      keep[i] = false;
      continue;
    }
    kept.push_back(i);
  }
  return keep;
}

// A category axis' labels as drawn: the font (maybe shrunk), which labels show, where, and on
// which of two rows (row 1: staggered one line lower).
struct CategoryLabels {
  Metrics lm;
  std::vector<bool> keep;
  std::vector<double> lefts;
  std::vector<int> row;
  bool two_rows = false;
};

// A category axis' labels at font scale `scale`, on one row or on two (every other label one
// line lower); `keep` says which fit.
CategoryLabels category_labels_at(QPainter& p, const Metrics& m, const Mapper& map,
                                  const AxisLayout& ax, double lo, double hi, double scale,
                                  bool two_rows) {
  CategoryLabels out{m, std::vector<bool>(ax.ticks.size(), true),
                     std::vector<double>(ax.ticks.size(), 0), std::vector<int>(ax.ticks.size(), 0),
                     two_rows};
  out.lm.font.setPointSizeF(m.font.pointSizeF() * scale);
  out.lm.fm = QFontMetricsF(out.lm.font, p.device());
  if (!two_rows) {
    out.keep = fitting_labels(out.lm, map, ax, lo, hi, &out.lefts);
    return out;
  }
  for (size_t r = 0; r < 2; ++r) {
    AxisLayout sub = ax;
    sub.ticks.clear();
    sub.labels.clear();
    for (size_t i = r; i < ax.ticks.size(); i += 2) {
      sub.ticks.push_back(ax.ticks[i]);
      sub.labels.push_back(ax.labels[i]);
    }
    std::vector<double> sub_lefts;
    const std::vector<bool> k = fitting_labels(out.lm, map, sub, lo, hi, &sub_lefts);
    for (size_t j = 0; j < sub.ticks.size(); ++j) {
      out.keep[r + 2 * j] = k[j];
      out.lefts[r + 2 * j] = sub_lefts[j];
      out.row[r + 2 * j] = static_cast<int>(r);
    }
  }
  return out;
}

bool all_kept(const CategoryLabels& c) {
  return std::all_of(c.keep.begin(), c.keep.end(), [](bool b) { return b; });
}

// A category axis names every category: when its labels do not all fit side by side they
// shrink (to 70% at most); when they still do not, every other label goes one row lower (at
// 85%, then 70%); only then are labels dropped (one row at 70%). The (scale, rows) chosen.
std::pair<double, bool> fit_category_labels(QPainter& p, const Metrics& m, const Mapper& map,
                                            const AxisLayout& ax, double lo, double hi) {
  for (double scale : {1.0, 0.85, 0.7})
    if (all_kept(category_labels_at(p, m, map, ax, lo, hi, scale, false))) return {scale, false};
  for (double scale : {0.85, 0.7})
    if (all_kept(category_labels_at(p, m, map, ax, lo, hi, scale, true))) return {scale, true};
  return {0.7, false};
}

}  // namespace

void paint_figure(QPainter& p, const Figure& fig, const FigureSize& size, double device_dpi) {
  const double k = device_dpi / 72.0;
  const double W = size.width_mm * kPtPerMm, H = size.height_mm * kPtPerMm, F = size.font_pt;
  p.setRenderHint(QPainter::Antialiasing);
  p.setRenderHint(QPainter::TextAntialiasing);
  p.scale(k, k);
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

  const std::vector<PanelLayout> layout = layout_axes(fig, size);
  const double pad = 0.2 * F;
  const size_t n = std::max<size_t>(1, fig.panels.size());
  const double panel_w = W / static_cast<double>(n);
  const double fig_legend_h = legend_height(m, fig.legend, W - 2 * pad);
  double panel_legend_h = 0;
  for (const auto& pn : fig.panels)
    panel_legend_h = std::max(panel_legend_h, legend_height(m, pn.legend, panel_w - 2 * pad));
  const double legends_h = fig_legend_h + panel_legend_h + (fig_legend_h + panel_legend_h > 0 ? 0.3 * F : 0);

  // Shared vertical layout: half a line above (the top tick label), ticks, labels, title below.
  bool any_x_title = false, any_note = false;
  for (const auto& pn : fig.panels) {
    any_x_title |= !pn.x.title.empty();
    any_note |= !pn.note.empty() || !pn.barriers.empty();
  }
  // Barrier values and notes ("no interior barrier") take a line above the plots, where no
  // data can hide them.
  const double top = pad + (any_note ? m.lh + 0.2 * F : m.lh / 2);
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
  // and two rows of labels on all when any needs them.
  std::vector<std::optional<CategoryLabels>> category_labels(fig.panels.size());
  std::vector<Mapper> hmaps;
  double category_scale = 1.0;
  bool two_label_rows = false;
  for (size_t i = 0; i < fig.panels.size(); ++i) {
    const auto [l, r] = plot_left_right(i);
    hmaps.push_back({QRectF(QPointF(l, 0), QPointF(r, 1)), layout[i].x, layout[i].y});
    if (fig.panels[i].x.categories.empty()) continue;
    const double x0 = panel_w * static_cast<double>(i);
    const auto [scale, two] = fit_category_labels(p, m, hmaps[i], layout[i].x, x0 + pad, x0 + panel_w - pad);
    category_scale = std::min(category_scale, scale);
    two_label_rows |= two;
  }
  for (size_t i = 0; i < fig.panels.size(); ++i) {
    if (fig.panels[i].x.categories.empty()) continue;
    const double x0 = panel_w * static_cast<double>(i);
    category_labels[i] = category_labels_at(p, m, hmaps[i], layout[i].x, x0 + pad, x0 + panel_w - pad,
                                            category_scale, two_label_rows);
  }
  const double bottom_margin =
      m.tick + m.gap * 0.5 + m.lh * (two_label_rows ? 2 : 1) + (any_x_title ? m.lh : 0);
  const double plot_bottom = H - pad - legends_h - bottom_margin;

  for (size_t i = 0; i < fig.panels.size(); ++i) {
    const Panel& pn = fig.panels[i];
    const PanelLayout& pl = layout[i];
    const double x0 = panel_w * static_cast<double>(i), x1 = x0 + panel_w;
    const auto [left, right] = plot_left_right(i);
    double label_w = 0;
    for (const auto& l : pl.y.labels) label_w = std::max(label_w, text_w(m, l));
    const bool field = !pn.field.empty() && !pl.color.ticks.empty();
    const double bar_w = field ? color_bar_width(pl.color, pn.field, m.fm, F) : 0;
    Mapper map{QRectF(QPointF(left, top), QPointF(right, plot_bottom)), pl.x, pl.y};
    if (map.plot.width() < F || map.plot.height() < F) continue;  // nothing sensible fits
    if (pn.equal_aspect && !pl.x.log && !pl.y.log) {  // shrink to one scale, keeping left and bottom
      const double dx = pl.x.max - pl.x.min, dy = pl.y.max - pl.y.min;
      const double scale = std::min(map.plot.width() / dx, map.plot.height() / dy);
      map.plot = QRectF(map.plot.left(), map.plot.bottom() - dy * scale, dx * scale, dy * scale);
    }

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
    // A category axis names every category (fit_category_labels: shrunk, then on two rows).
    Metrics lm = m;
    if (!pn.x.categories.empty()) {
      const CategoryLabels& cl = *category_labels[i];
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
      p.drawText(QRectF(left, label_top + m.lh * (two_label_rows ? 2 : 1), w + 1, m.lh),
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
                  QRectF(x0 + pad, plot_bottom + bottom_margin + 0.3 * F, panel_w - 2 * pad, panel_legend_h));
  }
  if (!fig.legend.empty())
    draw_legend(p, m, fig.legend, QRectF(pad, H - pad - fig_legend_h, W - 2 * pad, fig_legend_h));
}

}  // namespace ridgeline::figure
