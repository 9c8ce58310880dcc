#pragma once
/// @file interpolation_chart.h
/// Loss (and optionally error) along a linear path θ(α) between two models, drawn from an
/// engine InterpolationResult. A view only: it computes nothing but where to draw.
#include <QChartView>
#include <QList>
#include <QPointF>
#include <QString>
#include <QStringList>

#include "ridgeline/paths/interpolation.h"

class QGraphicsSimpleTextItem;
class QLineSeries;
class QValueAxis;

namespace ridgeline::widgets {

/// Series, in this order when present: "test loss" (solid), "train loss" (dashed),
/// "test error" / "train error" (on the right axis, in percent, only when the error axis is
/// shown), then the barrier marker: a vertical segment at the α of the highest loss of the
/// barrier split (test, else train) from the mean endpoint loss up to that peak, so that its
/// length is the mean-endpoint loss barrier.
class InterpolationChart : public QChartView {
  Q_OBJECT

 public:
  explicit InterpolationChart(QWidget* parent = nullptr);

  /// Shows `result`; `path_title` names the path, e.g. "seed0 → seed1 (naive)".
  void setResult(const InterpolationResult& result, const QString& path_title);
  /// Removes every series and shows an empty chart.
  void clear();

  /// Adds the error curves on a second y axis (percent).
  void setErrorVisible(bool visible);
  bool errorVisible() const { return error_visible_; }

  // Accessors for tests and for the window.
  int seriesCount() const;
  QStringList seriesNames() const;
  /// Points of series `index` (in seriesNames() order), as drawn: x = α, y = loss or error %.
  QList<QPointF> seriesPoints(int index) const;
  /// Points of the series named `name`; empty when there is none.
  QList<QPointF> seriesPoints(const QString& name) const;
  QString title() const;
  /// The split the barrier marker refers to ("test" or "train"; empty when none).
  QString barrierSplit() const { return barrier_split_; }
  /// α of the marker and its length (the split's mean-endpoint loss barrier).
  double barrierAlpha() const { return barrier_alpha_; }
  double barrierValue() const { return barrier_value_; }
  const InterpolationResult& result() const { return result_; }

 private:
  void rebuild();
  void placeBarrierLabel();
  QLineSeries* addCurve(const QString& name, const std::vector<double>& y, double scale,
                        const QColor& color, Qt::PenStyle style, QValueAxis* axis);

  InterpolationResult result_;
  QString title_;
  bool has_result_ = false;
  bool error_visible_ = false;
  QValueAxis* axis_x_ = nullptr;
  QValueAxis* axis_loss_ = nullptr;
  QValueAxis* axis_error_ = nullptr;
  QGraphicsSimpleTextItem* barrier_label_ = nullptr;
  QPointF barrier_peak_;
  QString barrier_split_;
  double barrier_alpha_ = 0;
  double barrier_value_ = 0;
};

/// "12.34" style text with `digits` significant digits (no exponent for ordinary magnitudes).
QString format_significant(double value, int digits = 4);

}  // namespace ridgeline::widgets
