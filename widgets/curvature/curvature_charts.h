#pragma once
/// @file curvature_charts.h
/// The charts of a hessian result (docs/USER_GUIDE.md, "Curvature"), fed only a HessianReport:
/// - HessianDensityChart: the smoothed spectral density (stochastic Lanczos quadrature) of each
///   selection (the whole model, each layer) on a log density axis, with the top eigenvalues
///   (Lanczos) marked on each curve.
/// - PathCurvatureChart: along the path θ(α) = θ_A + αΔ of one selection, either the measured
///   barrier b(α) next to the midpoint-form prediction −½α(1−α)ΔᵀH(θ(α))Δ and the endpoint
///   form of b(½), or one curvature quantity (λ_max(α), tr H(α), ΔᵀH(θ(α))Δ).
#include <QChartView>
#include <QPointF>
#include <QStringList>
#include <vector>

#include "ridgeline/curvature/hessian_report.h"

namespace ridgeline::widgets {

class HessianDensityChart : public QChartView {
  Q_OBJECT
 public:
  explicit HessianDensityChart(QWidget* parent = nullptr);
  void setReport(const HessianReport& r);
  /// The names of the drawn curves ("whole model", "fc0", …).
  QStringList curveNames() const;

 private:
  QStringList names_;
};

class PathCurvatureChart : public QChartView {
  Q_OBJECT
 public:
  enum class Quantity { Barrier, LambdaMax, Trace, DHD };
  explicit PathCurvatureChart(QWidget* parent = nullptr);
  static QStringList quantityNames();
  /// Draws `q` along `path` (of the selection named `label`).
  void setPath(const PathCurvature& path, Quantity q, const QString& label);
  /// The points of the series named `name` (empty when none).
  std::vector<QPointF> points(const QString& name) const;
  QStringList seriesNames() const;
};

/// "whole model" for the unnamed selection, else its name.
QString selection_label(const std::string& name);

}  // namespace ridgeline::widgets
