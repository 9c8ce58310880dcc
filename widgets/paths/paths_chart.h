#pragma once
// PathsChart: every interpolation path of a run on one chart (test loss against α by default;
// train split and error (%) on request; a path without the chosen split shows its other one),
// one colour per path, so naive, aligned and REPAIRed paths can be compared at a glance. A
// view only: it is fed InterpolationResults.
#include <QChartView>
#include <QList>
#include <QMap>
#include <QPointF>
#include <QStringList>

#include "ridgeline/paths/interpolation.h"
#include "widgets/paths/series_legend.h"

class QLineSeries;
class QValueAxis;

namespace ridgeline::widgets {

class PathsChart : public QChartView {
  Q_OBJECT

 public:
  enum class Split { Test, Train };
  enum class Quantity { Loss, Error };

  explicit PathsChart(QWidget* parent = nullptr);

  /// Which split and quantity every curve shows; redraws the paths already shown.
  void setSplit(Split split);
  void setQuantity(Quantity quantity);
  Split split() const { return split_; }
  Quantity quantity() const { return quantity_; }

  /// Adds the path `id`, or replaces its curve when it is already shown. A new path takes the
  /// next palette colour and marker, or palette colour `colour` (≥ 0) drawn with `style` and
  /// `marker` — e.g. the same colour per step, and a dashed line with squares for a second
  /// run. The legend (SeriesLegend) shows colour, dash and marker of each path.
  void setPath(const QString& id, const InterpolationResult& result, int colour = -1,
               Qt::PenStyle style = Qt::SolidLine, SeriesMarker marker = SeriesMarker::None);
  /// The legend drawn inside the chart.
  SeriesLegend* legend() const { return legend_; }
  /// The y axis' title (split and quantity).
  QString yAxisTitle() const;
  /// The note at the plot's top right naming the range of the curves drawn.
  QString rangeNote() const;
  void clear();

  QStringList seriesNames() const;
  QList<QPointF> seriesPoints(const QString& name) const;

 private:
  void fitAxes();
  void draw(const QString& id);
  void updateTitles();

  QValueAxis* axis_x_ = nullptr;
  QValueAxis* axis_y_ = nullptr;
  SeriesLegend* legend_ = nullptr;
  ChartNote* range_note_ = nullptr;
  QMap<QString, QLineSeries*> series_;
  QStringList order_;
  QMap<QString, InterpolationResult> results_;
  Split split_ = Split::Test;
  Quantity quantity_ = Quantity::Loss;
};

}  // namespace ridgeline::widgets
