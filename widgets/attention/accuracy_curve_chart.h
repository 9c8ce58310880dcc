#pragma once
/// @file accuracy_curve_chart.h
/// AccuracyCurveChart: task accuracy (solid, left axis, %) and optionally the loss (dashed,
/// right axis) against the training step, one colour per variant (the metric chart's colours;
/// docs/USER_GUIDE.md, "Attention metric and accuracy charts"). Hover names the variant, the
/// step and both values (accuracy by core/format.h's percent rule, loss by its loss rule). Can
/// be appended to while a model trains. Fed plain per-variant curves; no math.
#include <QChartView>
#include <QPointF>
#include <QString>
#include <string>
#include <vector>

class QLineSeries;
class QValueAxis;

namespace ridgeline::widgets {

class SeriesLegend;

/// One variant's training curve: accuracy as a fraction in [0, 1] (over the labelled positions)
/// and the loss, at each step; loss may be empty, and NaN entries leave a point out.
struct TrainingCurve {
  std::string variant;
  std::vector<double> step, accuracy, loss;
};

class AccuracyCurveChart : public QChartView {
  Q_OBJECT
 public:
  explicit AccuracyCurveChart(QWidget* parent = nullptr);

  /// Shows `curves` (in order: colours follow it). InputError when a curve's accuracy or loss
  /// (when given) does not have one value per step.
  void setCurves(std::vector<TrainingCurve> curves, const QString& task = {});
  /// Adds one point to the variant's curve (a new variant gets a new curve): live training.
  void appendPoint(const std::string& variant, double step, double accuracy, double loss);
  const std::vector<TrainingCurve>& curves() const { return curves_; }
  void setShowLoss(bool on);
  bool showLoss() const { return show_loss_; }

  /// The accuracy (in %) and loss series of curve `i` (loss: nullptr when hidden or absent).
  QLineSeries* accuracySeries(int i) const;
  QLineSeries* lossSeries(int i) const;
  /// "softmax, step 1200: accuracy 97.50%, loss 0.1234" for point `k` of curve `i`.
  QString hoverText(int i, int k) const;
  /// The point of curve `i` nearest to `step`; -1 when the curve has none.
  int pointNear(int i, double step) const;

  bool exportTo(const QString& path, QString* error = nullptr) const;
  QSize sizeHint() const override { return {720, 440}; }

 protected:
  /// Show or hide the loss, and the exports.
  void contextMenuEvent(QContextMenuEvent* event) override;

 private:
  void rebuild();

  std::vector<TrainingCurve> curves_;
  QString task_;
  bool show_loss_ = true;
  std::vector<QLineSeries*> acc_series_, loss_series_;
  SeriesLegend* legend_ = nullptr;
};

}  // namespace ridgeline::widgets
