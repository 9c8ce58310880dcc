// The marks of a figure's plots (figure_render_parts.h): series — lines, translucent bands,
// error-bar whiskers, grouped bars — markers, barrier markers, named points and the line above
// a plot.
#include <QPainter>
#include <QPainterPath>
#include <QPolygonF>
#include <algorithm>
#include <cmath>

#include "widgets/figure/figure_render_parts.h"

namespace ridgeline::figure::render_detail {

namespace {

// matplotlib's default dash patterns (in line widths), so the Python export looks the same.
QVector<qreal> dashes(LineStyle s) {
  switch (s) {
    case LineStyle::Dashed: return {3.7, 1.6};
    case LineStyle::Dotted: return {1, 1.65};
    case LineStyle::DashDot: return {6.4, 1.6, 1, 1.6};
    default: return {};
  }
}

}  // namespace

QPen line_pen(const Style& s, double width) {
  QPen pen(qcolor(s.color), width * s.width);
  pen.setCapStyle(s.line == LineStyle::Solid ? Qt::RoundCap : Qt::FlatCap);
  pen.setJoinStyle(Qt::RoundJoin);
  if (s.line != LineStyle::Solid && s.line != LineStyle::None) pen.setDashPattern(dashes(s.line));
  return pen;
}

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

namespace {

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

}  // namespace

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

}  // namespace ridgeline::figure::render_detail
