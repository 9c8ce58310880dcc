#pragma once
/// @file series_legend.h
/// A chart legend that tells series apart: each entry paints a stretch of the series' own pen
/// (colour, width and dash pattern) with its point marker in the middle, then the name. Qt
/// Charts' legend shows a colour box only (or a segment too short for a dash to show), so
/// "train" (dashed) and "test" (solid) of one colour, or the runs A and B of a comparison,
/// looked the same. It lives inside the chart (exports and screenshots include it), at the
/// bottom, in as many rows as the names need; the chart's own legend is hidden.
#include <QColor>
#include <QGraphicsObject>
#include <QGraphicsSimpleTextItem>
#include <QList>
#include <QPen>
#include <QString>

class QChart;
class QXYSeries;

namespace ridgeline::widgets {

/// Point markers a series can carry (set_series_marker); the legend draws the same.
enum class SeriesMarker { None, Circle, Square, Triangle, Diamond };

/// Draws `marker` on every point of `series` (a light-marker image) in its pen's colour, and
/// records it for the legend. None: no points.
void set_series_marker(QXYSeries* series, SeriesMarker marker, double size = 7.0);
SeriesMarker series_marker(const QXYSeries* series);
/// Leaves `series` out of the legend (thin traces, helper lines).
void hide_from_legend(QXYSeries* series);

class SeriesLegend : public QGraphicsObject {
  Q_OBJECT

 public:
  struct Entry {
    QString name;
    QPen pen;
    SeriesMarker marker = SeriesMarker::None;
  };

  /// Attaches to `chart` (which owns it) and hides the chart's own legend.
  explicit SeriesLegend(QChart* chart);

  /// Re-reads the chart's series (call after adding, removing or restyling them).
  void refresh();
  const QList<Entry>& entries() const { return entries_; }

  QRectF boundingRect() const override;
  void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) override;

  /// Paints one entry's swatch (line and marker) into `box` (also used by tests).
  static void paintSwatch(QPainter* painter, const QRectF& box, const Entry& entry);

 private:
  void relayout();

  QChart* chart_;
  QList<Entry> entries_;
  QList<QRectF> boxes_;  ///< per entry: its swatch and text, in item coordinates
  QSizeF size_;
  double base_bottom_margin_ = 6;
};

/// A line of text inside a chart's plot area, at its top right, on a translucent white box so
/// that curves under it do not hide it: the y range of what is drawn ("loss range
/// 0.3012–0.3049"), so a zoomed-in flat curve cannot pass for a bumpy one. Follows the plot
/// area when the chart is resized; an empty text hides it.
class ChartNote : public QGraphicsSimpleTextItem {
 public:
  explicit ChartNote(QChart* chart);
  void setNote(const QString& text);
  QString note() const { return text(); }
  void place();
  void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) override;

 private:
  QChart* chart_;
};

}  // namespace ridgeline::widgets
