#include "widgets/paths/series_legend.h"

#include <QChart>
#include <QFontMetricsF>
#include <QImage>
#include <QLegend>
#include <QPainter>
#include <QPainterPath>
#include <QXYSeries>
#include <algorithm>

namespace ridgeline::widgets {

namespace {

constexpr const char* kMarkerProperty = "ridgelineMarker";
constexpr const char* kHiddenProperty = "ridgelineNoLegend";
constexpr double kSwatch = 38;   ///< length of the line stretch of an entry
constexpr double kGap = 6;       ///< between swatch and name
constexpr double kSpacing = 18;  ///< between entries
constexpr double kMarker = 7;    ///< marker size in the legend

QPainterPath markerPath(SeriesMarker m, QPointF c, double size) {
  QPainterPath p;
  const double r = size / 2;
  switch (m) {
    case SeriesMarker::None: break;
    case SeriesMarker::Circle: p.addEllipse(c, r, r); break;
    case SeriesMarker::Square: p.addRect(QRectF(c.x() - r * 0.9, c.y() - r * 0.9, 1.8 * r, 1.8 * r)); break;
    case SeriesMarker::Triangle:
      p.moveTo(c.x(), c.y() - 1.15 * r);
      p.lineTo(c.x() + 1.1 * r, c.y() + 0.8 * r);
      p.lineTo(c.x() - 1.1 * r, c.y() + 0.8 * r);
      p.closeSubpath();
      break;
    case SeriesMarker::Diamond:
      p.moveTo(c.x(), c.y() - 1.2 * r);
      p.lineTo(c.x() + 1.2 * r, c.y());
      p.lineTo(c.x(), c.y() + 1.2 * r);
      p.lineTo(c.x() - 1.2 * r, c.y());
      p.closeSubpath();
      break;
  }
  return p;
}

void paintMarker(QPainter* painter, SeriesMarker m, QPointF c, double size, const QColor& color) {
  if (m == SeriesMarker::None) return;
  painter->save();
  painter->setPen(QPen(color.darker(140), std::max(0.8, size / 9)));
  painter->setBrush(color);
  painter->drawPath(markerPath(m, c, size));
  painter->restore();
}

}  // namespace

void set_series_marker(QXYSeries* series, SeriesMarker marker, double size) {
  series->setProperty(kMarkerProperty, static_cast<int>(marker));
  series->setPointsVisible(false);
  if (marker == SeriesMarker::None) {
    series->setLightMarker(QImage());
    return;
  }
  // Drawn at 4× so that exports at publication size stay sharp.
  const int px = static_cast<int>(size * 4);
  QImage img(px, px, QImage::Format_ARGB32_Premultiplied);
  img.fill(Qt::transparent);
  {
    QPainter p(&img);
    p.setRenderHint(QPainter::Antialiasing);
    paintMarker(&p, marker, QPointF(px / 2.0, px / 2.0), px * 0.8, series->pen().color());
  }
  series->setMarkerSize(size);
  series->setLightMarker(img);
}

SeriesMarker series_marker(const QXYSeries* series) {
  const QVariant v = series->property(kMarkerProperty);
  if (v.isValid()) return static_cast<SeriesMarker>(v.toInt());
  return series->pointsVisible() ? SeriesMarker::Circle : SeriesMarker::None;
}

void hide_from_legend(QXYSeries* series) { series->setProperty(kHiddenProperty, true); }

SeriesLegend::SeriesLegend(QChart* chart) : QGraphicsObject(chart), chart_(chart) {
  chart_->legend()->setVisible(false);
  base_bottom_margin_ = chart_->margins().bottom();
  setZValue(30);
  connect(chart_, &QGraphicsWidget::geometryChanged, this, [this] { relayout(); });
}

void SeriesLegend::refresh() {
  entries_.clear();
  for (QAbstractSeries* s : chart_->series()) {
    auto* xy = qobject_cast<QXYSeries*>(s);
    if (!xy || xy->name().isEmpty() || xy->property(kHiddenProperty).toBool()) continue;
    entries_.append({xy->name(), xy->pen(), series_marker(xy)});
  }
  relayout();
}

void SeriesLegend::relayout() {
  prepareGeometryChange();
  boxes_.clear();
  const QFontMetricsF fm(chart_->legend()->font());
  const double width = std::max(100.0, chart_->size().width() - 24);
  const double row_h = std::max(fm.height(), kMarker + 4) + 4;
  // Entries flow left to right, wrapping; each row is centred below.
  QList<QList<int>> rows(1);
  double x = 0;
  QList<double> widths;
  for (int i = 0; i < entries_.size(); ++i) {
    const double w = kSwatch + kGap + fm.horizontalAdvance(entries_[i].name);
    widths << w;
    if (x > 0 && x + w > width) {
      rows.append(QList<int>());
      x = 0;
    }
    rows.back().append(i);
    x += w + kSpacing;
  }
  for (int i = 0; i < entries_.size(); ++i) boxes_.append(QRectF());
  for (int r = 0; r < rows.size(); ++r) {
    double total = 0;
    for (int i : rows[r]) total += widths[i] + kSpacing;
    total -= kSpacing;
    double at = (width - total) / 2;
    for (int i : rows[r]) {
      boxes_[i] = QRectF(at, r * row_h, widths[i], row_h);
      at += widths[i] + kSpacing;
    }
  }
  const double height = entries_.isEmpty() ? 0 : rows.size() * row_h;
  size_ = QSizeF(width, height);
  QMargins m = chart_->margins();
  const int bottom = static_cast<int>(base_bottom_margin_ + height + (height > 0 ? 4 : 0));
  if (m.bottom() != bottom) {
    m.setBottom(bottom);
    chart_->setMargins(m);
  }
  setPos(12, chart_->size().height() - base_bottom_margin_ - height);
  update();
}

QRectF SeriesLegend::boundingRect() const { return QRectF(QPointF(0, 0), size_); }

void SeriesLegend::paintSwatch(QPainter* painter, const QRectF& box, const Entry& e) {
  const double y = box.center().y();
  painter->save();
  QPen pen = e.pen;
  pen.setCapStyle(Qt::FlatCap);
  painter->setPen(pen);
  painter->drawLine(QPointF(box.left() + 1, y), QPointF(box.left() + kSwatch - 1, y));
  painter->restore();
  paintMarker(painter, e.marker, QPointF(box.left() + kSwatch / 2, y), kMarker, e.pen.color());
}

void SeriesLegend::paint(QPainter* painter, const QStyleOptionGraphicsItem*, QWidget*) {
  painter->setRenderHint(QPainter::Antialiasing);
  painter->setFont(chart_->legend()->font());
  const QColor text = chart_->legend()->labelColor();
  for (int i = 0; i < entries_.size() && i < boxes_.size(); ++i) {
    const QRectF& b = boxes_[i];
    paintSwatch(painter, b, entries_[i]);
    painter->setPen(text);
    painter->drawText(QRectF(b.left() + kSwatch + kGap, b.top(), b.width() - kSwatch - kGap,
                             b.height()),
                      Qt::AlignLeft | Qt::AlignVCenter, entries_[i].name);
  }
}

ChartNote::ChartNote(QChart* chart) : QGraphicsSimpleTextItem(chart), chart_(chart) {
  setZValue(25);
  setBrush(QColor(70, 70, 70));
  hide();
  QObject::connect(chart_, &QChart::plotAreaChanged, chart_, [this] { place(); });
}

void ChartNote::setNote(const QString& text) {
  setText(text);
  setVisible(!text.isEmpty());
  place();
}

void ChartNote::place() {
  const QRectF plot = chart_->plotArea();
  setPos(plot.right() - boundingRect().width() - 6, plot.top() + 4);
}

void ChartNote::paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) {
  painter->fillRect(boundingRect().adjusted(-3, -1, 3, 1), QColor(255, 255, 255, 210));
  QGraphicsSimpleTextItem::paint(painter, option, widget);
}

}  // namespace ridgeline::widgets
