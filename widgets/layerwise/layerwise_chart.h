#pragma once
/// @file layerwise_chart.h
/// The layer-wise barrier chart (docs/USER_GUIDE.md, "Layer-wise barriers"): one group of bars
/// per partial path — each single layer, then each cumulative range, then the whole path — with
/// one bar for the path with the other layers at A and one with them at B (the whole path has
/// one value, drawn in both). Loss or error barrier (the linear form), train or test split.
/// Hover shows the value and where it occurs. Fed only by a LayerwiseResult — and, when the run
/// has a hessian step along the same A → B per layer, its midpoint-form predictions
/// (curvature/barrier_predictions.h), drawn on the loss chart as markers on the rest-at-A
/// bars of the single layers and the whole path, labelled with the Hessian batch they are on.
#include <QChartView>
#include <QStringList>
#include <vector>

#include "ridgeline/curvature/barrier_predictions.h"
#include "ridgeline/paths/layerwise.h"

class QBarSet;

namespace ridgeline::widgets {

class LayerwiseChart : public QChartView {
  Q_OBJECT
 public:
  explicit LayerwiseChart(QWidget* parent = nullptr);

  /// Shows `r`: the loss barriers (`error` false) or the error barriers, of the test split
  /// (`train` false; the other split when the result lacks it).
  void setResult(const LayerwiseResult& r, bool error = false, bool train = false);
  const LayerwiseResult& result() const { return result_; }
  /// The second-order predictions to mark (an empty one: none). Kept across setResult.
  void setPredictions(const LayerwisePredictions& p);
  const LayerwisePredictions& predictions() const { return predictions_; }
  /// The marked predictions, one per group (NaN: no marker; all NaN on the error chart).
  std::vector<double> predicted() const { return predicted_; }
  /// The markers' legend label (empty when none are drawn).
  QString predictionLabel() const { return prediction_label_; }
  bool showsError() const { return error_; }

  /// The group labels, left to right ("fc0", "fc0..fc1", "whole path").
  QStringList categories() const { return categories_; }
  /// The bar heights of the paths with the other layers at A ('a') or at B ('b'); NaN where
  /// that path was not computed.
  std::vector<double> values(char base) const;
  /// The chart's numbers as CSV: one row per path (path, base, cumulative, loss and error
  /// barriers with their α).
  QString csv() const;

 private:
  void rebuild();

  LayerwiseResult result_;
  LayerwisePredictions predictions_;
  std::vector<double> predicted_;
  QString prediction_label_;
  bool error_ = false, train_ = false;
  QStringList categories_;
  std::vector<double> at_a_, at_b_;
};

}  // namespace ridgeline::widgets
