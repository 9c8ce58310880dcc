#pragma once
/// @file result_views.h
/// The GUI side of the step registry (docs/ARCHITECTURE.md, "Views and result pages"): for
/// each step type, the pages that show its typed result (StepResult::payload). MainWindow holds
/// no per-kind code: it lends the views a ResultHost (its result tabs and plumbing), keeps one
/// ResultArea, and hands it every result, live or loaded from a run folder. Adding a kind's
/// page: one gui/results/<kind>_view.{h,cpp} with a ResultPages subclass, listed in
/// result_views().
#include <QImage>
#include <QList>
#include <QString>
#include <QStringList>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ridgeline/experiment/run.h"
#include "ridgeline/experiment/spec.h"

class QAction;
class QChartView;
class QTabWidget;
class QWidget;

namespace ridgeline::gui {

/// What the window lends the views. Every member is set by MainWindow.
struct ResultHost {
  QWidget* window = nullptr;  ///< parent of the views' actions
  QTabWidget* tabs = nullptr;  ///< the central result tabs (the "paths" view)
  /// Brings the tabs up in place of the placeholder.
  std::function<void()> show_tabs;
  /// Right-click export of `view` as "<name>.png|svg" (and `csv`, when given).
  std::function<void(QChartView* view, const QString& name, std::function<QString()> csv)>
      add_chart_menu;
  /// The spec of the results shown (null when none).
  std::function<const ExperimentSpec*()> spec;
};

/// A dock a view contributes (the window tabs it with the training monitor).
struct ViewDock {
  QString name;  ///< its --view name
  QString title;
  QWidget* widget = nullptr;
  QString tip;
};

/// One kind's pages in one window. The window owns the tab widgets; a ResultPages owns what it
/// adds to them only until clear().
class ResultPages {
 public:
  virtual ~ResultPages() = default;
  /// Shows (or updates) the page of one result of this kind.
  virtual void show(const StepResult& result) = 0;
  /// The whole record of a run (a finished job's summary): by default show() for each.
  virtual void showAll(const std::vector<const StepResult*>& results);
  /// A result of another kind (before showAll of this view's own): a view that joins two kinds
  /// reads the other here. By default nothing.
  virtual void observe(const StepResult&) {}
  /// The window emptied its tabs (a new job or folder): forget the pages, keep docks.
  virtual void clear() {}
  /// Docks and View-menu/toolbar actions, asked for once after construction.
  virtual QList<ViewDock> docks() { return {}; }
  virtual QList<QAction*> actions() { return {}; }
  /// The tab that --view `name` selects. Null for a name that is not this view's; null with
  /// `why` set for one of its names whose tab does not exist (yet).
  virtual QWidget* page(const QString& name, QString* why) const;
  /// The chart on tab `page` when that tab is this view's, else null.
  virtual QChartView* chartOn(const QWidget* page) const;
  /// The numbers of tab `page` as CSV (`companion`: a second table, e.g. the barriers, or
  /// empty). False when the tab is not this view's.
  virtual bool numbersOn(const QWidget* page, QString* csv, QString* companion) const;
  /// The image of tab `page` when it is this view's and shows no chart (the 3-D surface), else
  /// a null image.
  virtual QImage imageOn(QWidget* page);
  /// A file name stem for exports of tab `page` ("all-paths"); empty = the tab's text.
  virtual QString exportName(const QWidget* page) const;
  /// The charts of this view's dock `name` ("training": the monitor; "alignment": its charts,
  /// which --export-chart composes into one image), empty when `name` is not its dock or it
  /// has nothing to draw yet.
  virtual QList<QChartView*> dockCharts(const QString& name) const;
  /// Overlays the results of several runs (the Runs dock's Compare). False when this view has
  /// nothing to compare.
  virtual bool compare(const std::vector<std::pair<QString, RunSummary>>& runs);
};

struct ResultView {
  std::string type;   ///< the step type it shows
  QStringList views;  ///< the --view names it adds (tabs or docks)
  std::function<std::unique_ptr<ResultPages>(const ResultHost&)> make;
};

/// Every kind's view (a kind without one, such as merge, shows only its log lines).
const std::vector<ResultView>& result_views();

// One per kind (gui/results/<kind>_view.cpp).
ResultView train_result_view();
ResultView interpolate_result_view();
ResultView align_result_view();
ResultView landscape_result_view();
ResultView layerwise_result_view();
ResultView hessian_result_view();
ResultView spectra_result_view();
ResultView attention_result_view();

/// The pages of every view in one window: the window's single entry to per-kind code.
class ResultArea {
 public:
  explicit ResultArea(const ResultHost& host);
  ~ResultArea();

  void show(const StepResult& result);
  void showAll(const std::vector<StepResult>& results);
  void clear();
  QList<ViewDock> docks() const;
  QList<QAction*> actions() const;
  /// The tab of a view name (see ResultPages::page); null with `why` when none.
  QWidget* page(const QString& name, QString* why) const;
  QChartView* chartOn(const QWidget* page) const;
  bool numbersOn(const QWidget* page, QString* csv, QString* companion) const;
  QString exportName(const QWidget* page) const;
  QImage imageOn(QWidget* page) const;
  QList<QChartView*> dockCharts(const QString& name) const;
  /// False with the reason when no view could compare the runs.
  bool compare(const std::vector<std::pair<QString, RunSummary>>& runs, QString* why);

  /// The pages of type T (null when no view has them): for tests and tools.
  template <class T> T* get() const {
    for (const auto& p : pages_)
      if (auto* t = dynamic_cast<T*>(p.second.get())) return t;
    return nullptr;
  }

 private:
  std::vector<std::pair<std::string, std::unique_ptr<ResultPages>>> pages_;  ///< by type
};

}  // namespace ridgeline::gui
