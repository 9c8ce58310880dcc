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

class SeriesLegend;
class ChartNote;

/// Series, in this order when present: "test loss" (solid, circles), "train loss" (dashed,
/// squares), "test error" / "train error" (on the right axis, in percent, only when the error
/// axis is shown; triangles, diamonds), then the barrier marker of the barrier split (test,
/// else train): the chord between its endpoint losses (dotted) and a vertical segment at the
/// α where the linear-form barrier occurs (Barriers::loss_alpha), from the chord up to the
/// curve, so that its length is the linear loss barrier (docs/USER_GUIDE.md, "Barriers").
/// When that maximum sits at an endpoint there is no interior barrier: no marker is drawn
/// and the label says "no interior barrier". A note at the plot's top right names the range of
/// the loss shown ("loss range 0.3012–0.3049"), so a zoomed-in flat path cannot pass for a
/// bumpy one; a common scale for several charts is set with setSharedRanges().
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

  /// The y ranges to draw (loss; error in %, used when the error axis is shown) instead of
  /// fitting this chart's own data, e.g. one scale over several paths; an empty range (lo >
  /// hi) fits the data again.
  void setSharedRanges(QPointF loss, QPointF error_percent);
  /// The loss (and error, in %) extent of the curves of `r` shown by this chart.
  static QPointF lossExtent(const InterpolationResult& r);
  static QPointF errorExtent(const InterpolationResult& r);

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
  /// α of the barrier (Barriers::loss_alpha) and its size (the split's linear loss barrier).
  double barrierAlpha() const { return barrier_alpha_; }
  double barrierValue() const { return barrier_value_; }
  /// Whether a marker is drawn (an interior barrier), and the label's text ("barrier +0.1234
  /// at α = 0.500", or "test loss: no interior barrier").
  bool hasBarrierMarker() const { return has_marker_; }
  QString barrierLabel() const;
  /// The loss axis' title ("test/train cross-entropy") and range.
  QString lossAxisTitle() const;
  QPointF lossAxisRange() const;
  /// The note at the plot's top right naming the range of the loss drawn ("loss range
  /// 0.3012–0.3049", "… · common scale").
  QString rangeNote() const;
  /// The legend drawn inside the chart.
  SeriesLegend* legend() const { return legend_; }
  const InterpolationResult& result() const { return result_; }

 private:
  void rebuild();
  void placeBarrierLabel();
  QLineSeries* addCurve(const QString& name, const std::vector<double>& y, double scale,
                        const QColor& color, Qt::PenStyle style, int marker, QValueAxis* axis);

  InterpolationResult result_;
  QString title_;
  bool has_result_ = false;
  bool error_visible_ = false;
  QValueAxis* axis_x_ = nullptr;
  QValueAxis* axis_loss_ = nullptr;
  QValueAxis* axis_error_ = nullptr;
  QGraphicsSimpleTextItem* barrier_label_ = nullptr;
  SeriesLegend* legend_ = nullptr;
  ChartNote* range_note_ = nullptr;
  QPointF shared_loss_{1, 0}, shared_error_{1, 0};
  bool has_marker_ = false;
  QPointF barrier_peak_;
  QString barrier_split_;
  double barrier_alpha_ = 0;
  double barrier_value_ = 0;
};

/// "12.34" style text with `digits` significant digits (no exponent for ordinary magnitudes),
/// for chart details that are not a loss or an error (gains, logit differences); losses and
/// errors use quantity_text.h.
QString format_significant(double value, int digits = 4);

}  // namespace ridgeline::widgets
