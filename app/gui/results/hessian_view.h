#pragma once
/// @file hessian_view.h
/// The hessian step's pages: one result tab per step ("hessian:<id>") with the numbers of
/// every selection (top eigenvalues, trace ± se, stability against 2/η), the spectral density
/// chart and, when the step followed a path, the curvature along it for a chosen selection:
/// the measured barrier next to its second-order predictions, or λ_max(α), tr H(α), ΔᵀHΔ;
/// and, when the step followed the path per layer, the measured barrier of every layer's path
/// next to both predictions as grouped bars (widgets/curvature/layer_prediction_chart.h) with
/// a line of prediction ÷ measured: where the Taylor picture holds.
#include <QMap>

#include "gui/results/result_views.h"
#include "ridgeline/curvature/hessian_report.h"

class QComboBox;
class QLabel;

namespace ridgeline::widgets {
class HessianDensityChart;
class PathCurvatureChart;
class LayerPredictionChart;
}  // namespace ridgeline::widgets

namespace ridgeline::gui {

class HessianPages : public ResultPages {
 public:
  explicit HessianPages(const ResultHost& host);

  void show(const StepResult& result) override;
  void clear() override;
  QWidget* page(const QString& name, QString* why) const override;
  QChartView* chartOn(const QWidget* page) const override;
  QString exportName(const QWidget* page) const override;

  QStringList ids() const { return order_; }
  widgets::HessianDensityChart* density(const QString& id) const { return pages_.value(id).density; }
  widgets::PathCurvatureChart* path(const QString& id) const { return pages_.value(id).path; }
  /// The per-layer chart (hidden unless the report has per-layer paths).
  widgets::LayerPredictionChart* layers(const QString& id) const { return pages_.value(id).layers; }
  /// The line under it: prediction ÷ measured per layer (empty when hidden).
  QString taylorLine(const QString& id) const;
  QString summary(const QString& id) const;
  /// Chooses the path chart's selection and quantity (indices of its two choosers).
  void choose(const QString& id, int selection, int quantity);

 private:
  struct Page {
    QWidget* widget = nullptr;
    QLabel* summary = nullptr;
    QComboBox* selection = nullptr;
    QComboBox* quantity = nullptr;
    widgets::HessianDensityChart* density = nullptr;
    widgets::PathCurvatureChart* path = nullptr;
    QWidget* layer_box = nullptr;  ///< the per-layer chart with its chooser and line
    QComboBox* form = nullptr;
    widgets::LayerPredictionChart* layers = nullptr;
    QLabel* taylor = nullptr;
    HessianReport report;
  };
  void refreshPath(const QString& id);
  void refreshLayers(const QString& id);
  ResultHost host_;
  QMap<QString, Page> pages_;
  QStringList order_;
};

}  // namespace ridgeline::gui
