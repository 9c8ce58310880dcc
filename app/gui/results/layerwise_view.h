#pragma once
/// @file layerwise_view.h
/// The layerwise step's pages: one result tab per step ("layerwise:<id>") with the layer-wise
/// barrier chart (widgets/layerwise/LayerwiseChart), a loss/error choice, and a line that puts
/// the highest single-layer barrier next to the whole path's. When the run also holds a hessian
/// step along the same A → B per layer, its midpoint-form predictions are marked on the loss
/// chart (curvature/barrier_predictions.h joins them; the view observes hessian results).
#include <QMap>

#include "gui/results/result_views.h"
#include "ridgeline/curvature/hessian_report.h"
#include "ridgeline/paths/layerwise.h"

class QComboBox;
class QLabel;

namespace ridgeline::widgets {
class LayerwiseChart;
}

namespace ridgeline::gui {

class LayerwisePages : public ResultPages {
 public:
  explicit LayerwisePages(const ResultHost& host);

  void show(const StepResult& result) override;
  void observe(const StepResult& result) override;
  void clear() override;
  QWidget* page(const QString& name, QString* why) const override;
  QChartView* chartOn(const QWidget* page) const override;
  bool numbersOn(const QWidget* page, QString* csv, QString* companion) const override;
  QString exportName(const QWidget* page) const override;

  QStringList ids() const { return order_; }
  widgets::LayerwiseChart* chart(const QString& id) const { return pages_.value(id).chart; }
  QString summary(const QString& id) const;

 private:
  struct Page {
    QWidget* widget = nullptr;
    widgets::LayerwiseChart* chart = nullptr;
    QComboBox* measure = nullptr;
    QLabel* summary = nullptr;
    LayerwiseResult result;
  };
  void refreshPredictions(Page& p);
  ResultHost host_;
  /// The hessian results seen, by step id in run order, without their eigenvectors, densities
  /// and path points (the join needs only the per-selection summaries).
  std::vector<std::pair<std::string, HessianReport>> hessians_;
  QMap<QString, Page> pages_;
  QStringList order_;
};

}  // namespace ridgeline::gui
