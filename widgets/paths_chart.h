#pragma once
// PathsChart: every interpolation path of a run on one chart (test loss against α, or train
// loss when a path has no test split), one colour per path, so naive, aligned and REPAIRed
// paths can be compared at a glance. A view only: it is fed InterpolationResults.
#include <QChartView>
#include <QList>
#include <QMap>
#include <QPointF>
#include <QStringList>

#include "ridgeline/interpolation.h"

class QLineSeries;
class QValueAxis;

namespace ridgeline::widgets {

class PathsChart : public QChartView {
  Q_OBJECT

 public:
  explicit PathsChart(QWidget* parent = nullptr);

  /// Adds the path `id`, or replaces its curve when it is already shown.
  void setPath(const QString& id, const InterpolationResult& result);
  void clear();

  QStringList seriesNames() const;
  QList<QPointF> seriesPoints(const QString& name) const;

 private:
  void fitAxes();

  QValueAxis* axis_x_ = nullptr;
  QValueAxis* axis_y_ = nullptr;
  QMap<QString, QLineSeries*> series_;
  QStringList order_;
};

}  // namespace ridgeline::widgets
