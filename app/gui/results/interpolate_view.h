#pragma once
/// @file interpolate_view.h
/// The interpolate step's pages: one tab per path (an InterpolationChart above its
/// BarrierTable), and two overlays — "all paths" (every path of the run, once it has two) and
/// "compare" (every path of two runs, from the Runs dock) — each with the barriers of what it
/// draws. Its View actions ("Error", "Train split") switch the charts between loss and error and
/// the overlays between the test and train splits; "Common y scale" draws every path's tab on
/// one y range (each chart's axis title names the range of its own curves either way). A model without accuracy (the quadratic
/// oracle) has NaN errors: its barrier cells read "n/a", and "Error" says there is no accuracy.
#include <QList>
#include <QMap>
#include <QPair>
#include <QString>
#include <QStringList>

#include "gui/results/result_views.h"
#include "ridgeline/paths/interpolation.h"

namespace ridgeline::widgets {
class BarrierTable;
class InterpolationChart;
class PathsChart;
}  // namespace ridgeline::widgets

namespace ridgeline::gui {

class PathsPages : public ResultPages {
 public:
  using Paths = QList<QPair<QString, InterpolationResult>>;

  explicit PathsPages(const ResultHost& host);

  void show(const StepResult& result) override;
  void clear() override;
  QList<QAction*> actions() override;
  QWidget* page(const QString& name, QString* why) const override;
  QChartView* chartOn(const QWidget* page) const override;
  bool numbersOn(const QWidget* page, QString* csv, QString* companion) const override;
  QString exportName(const QWidget* page) const override;
  bool compare(const std::vector<std::pair<QString, RunSummary>>& runs) override;

  /// Shows (or updates) the tab of path `step_id`.
  void showPath(const QString& step_id, const InterpolationResult& r);

  // For tests and the window.
  int count() const { return static_cast<int>(pages_.size()); }
  QStringList ids() const { return pages_.keys(); }
  widgets::InterpolationChart* chart(const QString& step_id) const;
  widgets::BarrierTable* barrierTable(const QString& step_id) const;
  /// The "all paths" overlay and its barriers (null until the run shows two paths).
  widgets::PathsChart* allPathsChart() const { return all_chart_; }
  widgets::BarrierTable* allPathsBarriers() const { return all_barriers_; }
  /// The "compare" overlay and its barriers (null until compare() succeeds).
  widgets::PathsChart* compareChart() const { return compare_chart_; }
  widgets::BarrierTable* compareBarriers() const { return compare_barriers_; }
  QAction* errorAction() const { return act_error_; }
  QAction* trainSplitAction() const { return act_train_split_; }
  QAction* commonScaleAction() const { return act_common_scale_; }
  /// The paths of the run in step order, as the all-paths tab shows them.
  Paths runPaths() const;

  /// True when some split of `r` has a finite error (a classifier; the quadratic model has
  /// none).
  static bool hasError(const InterpolationResult& r);

 private:
  struct Page {
    QWidget* widget = nullptr;
    widgets::InterpolationChart* chart = nullptr;
    widgets::BarrierTable* table = nullptr;
  };

  /// "a → b (kind)" from the spec's step, else the step id.
  QString title(const QString& step_id) const;
  /// A tab page for an overlay: a new PathsChart (right-click export as `name`) above a new
  /// BarrierTable of `what` ("every path"); both returned through the pointers.
  QWidget* overlayPage(const QString& name, const QString& what, widgets::PathsChart** chart,
                       widgets::BarrierTable** table);
  /// The overlays and their tables follow "Train split" and "Error".
  void applyOptions();
  /// "Error" is off, and says why, when no path shown has an error.
  void updateErrorAction();
  /// The per-path charts share one y range ("Common y scale"), or fit their own.
  void applyCommonScale();
  bool showError() const;

  ResultHost host_;
  QAction* act_error_ = nullptr;
  QAction* act_train_split_ = nullptr;
  QAction* act_common_scale_ = nullptr;
  QMap<QString, Page> pages_;
  QStringList order_;  ///< step ids in the order they arrived
  widgets::PathsChart* all_chart_ = nullptr;
  QWidget* all_page_ = nullptr;
  widgets::BarrierTable* all_barriers_ = nullptr;
  widgets::PathsChart* compare_chart_ = nullptr;
  QWidget* compare_page_ = nullptr;
  widgets::BarrierTable* compare_barriers_ = nullptr;
  Paths compare_paths_;  ///< "A: <step id>", "B: <step id>", as the compare chart's series
};

}  // namespace ridgeline::gui
