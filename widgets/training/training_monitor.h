#pragma once
/// @file training_monitor.h
/// Live training curves: per model, the per-epoch mean train loss (dashed, squares), the test
/// loss after each epoch (solid, circles) — the convention of every path chart — and a thin
/// trace of sampled mini-batch losses, against epochs — and, for a model trained with
/// attention distillation (Hedgehog, train.distill), its mean distillation loss per epoch
/// (dotted, triangles) — or the same curves as error (%) with setMetric(Error) (a distillation
/// loss has no error: its curve is then empty). Fed with engine EpochMetrics / step samples; it
/// draws, nothing else.
#include <QChartView>
#include <QHash>
#include <QList>
#include <QPointF>
#include <QStringList>

#include "ridgeline/train/train.h"

class QLineSeries;
class QValueAxis;

namespace ridgeline::widgets {

class SeriesLegend;

class TrainingMonitor : public QChartView {
  Q_OBJECT

 public:
  explicit TrainingMonitor(QWidget* parent = nullptr);

  enum class Metric { Loss, Error };

  /// Forgets every curve; `epochs` sets the x range (0 = grow with the data).
  void reset(int epochs = 0);
  /// Adds the end-of-epoch point of `model` (train loss; test loss when evaluated; the
  /// distillation loss when it is a number: the first one adds "<model> distillation").
  void addEpoch(const QString& model, const EpochMetrics& m);
  /// Adds a mini-batch's loss and error (fraction; < 0 = unknown) at fractional epoch
  /// position `epoch_position`.
  void addStepSample(const QString& model, double epoch_position, double loss,
                     double error = -1);
  /// Shows loss or error (100·error, %); the data of both is kept.
  void setMetric(Metric metric);
  Metric metric() const { return metric_; }

  QStringList seriesNames() const;
  QList<QPointF> seriesPoints(const QString& name) const;
  /// The legend drawn inside the chart (line style and marker of each curve).
  SeriesLegend* legend() const { return legend_; }

 private:
  /// One curve's points in both metrics.
  struct Points {
    QList<QPointF> loss, error;
  };
  struct Curves {
    QLineSeries* steps = nullptr;
    QLineSeries* train = nullptr;
    QLineSeries* test = nullptr;
    QLineSeries* distill = nullptr;  ///< made at the first distillation loss
    Points step_points, train_points, test_points, distill_points;
  };
  void append(QLineSeries* series, Points& points, double x, double loss, double error);
  void redraw();
  Curves& curvesFor(const QString& model);
  QLineSeries* makeSeries(const QString& name, const QColor& color, double width,
                          Qt::PenStyle style, bool in_legend);
  void growRanges(double x, double y);

  QValueAxis* axis_x_ = nullptr;
  QValueAxis* axis_y_ = nullptr;
  SeriesLegend* legend_ = nullptr;
  QHash<QString, Curves> curves_;
  int epochs_ = 0;
  double x_max_ = 1, y_min_ = 0, y_max_ = 0;
  bool has_y_ = false;
  Metric metric_ = Metric::Loss;
};

}  // namespace ridgeline::widgets
