#pragma once
/// @file train_view.h
/// The train stage's page (docs/ARCHITECTURE.md, "Views and result pages"): the Training dock,
/// a widgets::TrainingMonitor fed live by the running job's step and epoch events, and for an
/// opened run folder by its "train" results (TrainStageResult). Its View ▸ Training error
/// action switches the monitor between loss and accuracy; the window's File ▸ Export training
/// curves and the chart's right-click menu export it (CSV: one row per model and epoch).
#include <QAction>
#include <string>
#include <utility>
#include <vector>

#include "gui/results/result_views.h"
#include "widgets/training/training_monitor.h"

namespace ridgeline::gui {

class TrainPages final : public ResultPages {
 public:
  explicit TrainPages(const ResultHost& host);

  void show(const StepResult& result) override;
  /// An opened folder's records (a finished job's were shown live and are not added twice).
  void showAll(const std::vector<const StepResult*>& results) override;
  /// A new job or folder: the monitor restarts for the shown spec's epochs.
  void clear() override;
  QList<ViewDock> docks() override;
  /// "training": the training monitor.
  QList<QChartView*> dockCharts(const QString& name) const override;
  QList<QAction*> actions() override { return {error_toggle_}; }

  /// A running job's progress (the window forwards the runner's events).
  void addStep(const QString& model, const StepMetrics& m);
  void addEpoch(const QString& model, const EpochMetrics& m);

  widgets::TrainingMonitor* monitor() const { return monitor_; }
  QAction* accuracyAction() const { return error_toggle_; }
  /// The per-epoch records shown, as CSV.
  QString csv() const;

 private:
  void addRecord(const std::string& model, const EpochMetrics& e);

  ResultHost host_;
  widgets::TrainingMonitor* monitor_ = nullptr;
  QAction* error_toggle_ = nullptr;
  bool live_ = false;  ///< fed by a running job since the last clear()
  std::vector<std::pair<std::string, std::vector<EpochMetrics>>> shown_;
};

}  // namespace ridgeline::gui
