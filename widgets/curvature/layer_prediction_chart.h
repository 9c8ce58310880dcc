#pragma once
/// @file layer_prediction_chart.h
/// Per layer: the measured barrier next to its second-order predictions (docs/USER_GUIDE.md,
/// "Curvature"). One group of bars per path of a hessian report — the whole model, then each
/// layer (or the step's block), each moved alone with the rest at A — on the Hessian batch:
/// - at α = ½: measured b(½), the midpoint form −⅛ΔᵀH(θ(½))Δ and the endpoint form
///   ¼(g_A − g_B)·Δ + (1/16)Δᵀ(H_A + H_B)Δ (the one α where all three are defined);
/// - largest over α: the measured largest b(α) (the linear-form barrier) and the midpoint
///   form's (the endpoint form predicts only b(½)).
/// A dashed line at 0: bars above it are barriers, bars below it mean the path runs under the
/// chord between its ends (no barrier). Hover shows the values and prediction ÷ measured.
/// Fed only by a HessianReport through curvature/barrier_predictions.h.
#include <QChartView>
#include <QStringList>
#include <vector>

#include "ridgeline/curvature/barrier_predictions.h"

namespace ridgeline::widgets {

class LayerPredictionChart : public QChartView {
  Q_OBJECT
 public:
  enum class Form { AtHalf, Largest };
  explicit LayerPredictionChart(QWidget* parent = nullptr);
  static QStringList formNames();

  void setReport(const HessianReport& r, Form form = Form::AtHalf);
  Form form() const { return form_; }
  /// The group labels, left to right ("whole model", "fc0", …).
  QStringList categories() const { return categories_; }
  /// The bar sets' names ("measured b(½)", "midpoint form", "endpoint form").
  QStringList setNames() const { return names_; }
  /// The values of the set named `name`, one per group (NaN: not available).
  std::vector<double> values(const QString& name) const;
  /// The hover text of group `group` in set `set` (index into setNames()).
  QString hoverText(int group, int set) const;
  /// One line: prediction ÷ measured per group, the closer to 1 the better the Taylor picture
  /// holds (HTML).
  QString taylorLine() const;
  /// Every comparison as CSV (full precision).
  QString csv() const;

 private:
  void rebuild();

  HessianReport report_;
  std::vector<BarrierComparison> rows_;
  Form form_ = Form::AtHalf;
  QStringList categories_, names_;
  std::vector<std::vector<double>> values_;  ///< [set][group]
};

}  // namespace ridgeline::widgets
