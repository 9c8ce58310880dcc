// MainWindow: the dock widgets of the views (training monitor, log, jobs, runs), the View
// menu's toggles, and the view names behind --view / showView().
#include <QChartView>
#include <QDockWidget>
#include <QMenu>
#include <QPlainTextEdit>
#include <QStackedWidget>
#include <QTabWidget>

#include "widgets/alignment/alignment_view.h"
#include "gui/editor/experiment_editor.h"
#include "gui/main_window/export.h"
#include "gui/jobs/jobs_panel.h"
#include "gui/main_window/main_window.h"
#include "widgets/paths/paths_chart.h"
#include "widgets/runs/run_browser.h"
#include "widgets/training/training_monitor.h"

namespace ridgeline::gui {

QDockWidget* MainWindow::addViewDock(const QString& name, const QString& title, QWidget* w,
                                     Qt::DockWidgetArea area, const QString& tip) {
  auto* dock = new QDockWidget(title, this);
  dock->setObjectName(name + "Dock");  // saveState()/restoreState() key
  dock->setWidget(w);
  dock->setToolTip(tip);
  addDockWidget(area, dock);
  QAction* toggle = dock->toggleViewAction();
  toggle->setToolTip("Show or hide: " + tip);
  toggle->setStatusTip("Show or hide: " + tip);
  view_menu_->addAction(toggle);
  docks_.insert(name, dock);
  return dock;
}

void MainWindow::buildDocks() {
  view_menu_->addSeparator();
  addChartMenu(monitor_, "training", [this] { return training_csv(shown_training_); });
  QDockWidget* training = addViewDock("training", "Training", monitor_, Qt::LeftDockWidgetArea,
                                      "the training monitor: loss per epoch and mini-batch");
  alignment_view_ = new widgets::AlignmentView;
  const QStringList chart_names = {"alignment-gains", "alignment-l2", "alignment-sweeps"};
  const QList<QChartView*> charts = alignment_view_->chartViews();
  for (int i = 0; i < charts.size(); ++i)
    addChartMenu(charts[i], i < chart_names.size() ? chart_names[i] : "alignment",
                 [this] { return alignment_csv(alignment_view_->reports()); });
  QDockWidget* alignment =
      addViewDock("alignment", "Alignment", alignment_view_, Qt::LeftDockWidgetArea,
                  "per-layer gains, distance before/after and sweeps of the align steps");
  tabifyDockWidget(training, alignment);
  editor_ = new ExperimentEditor;
  editor_->setMinimumWidth(380);
  QDockWidget* experiment =
      addViewDock("experiment", "Experiment", editor_, Qt::LeftDockWidgetArea,
                  "the experiment spec: a form and its JSON, validated as you type");
  tabifyDockWidget(training, experiment);
  connect(editor_, &ExperimentEditor::runRequested, this, [this] { runEditorSpec(); });
  // A new window starts from the bundled example, ready to run or to edit.
  if (const QString bundled = bundledSpecPath(); !bundled.isEmpty()) editor_->newFromExample(bundled);
  experiment->raise();  // the Training tab comes up when a job starts or a run is opened
  // The view's charts and tables would otherwise claim ~1000 px of the window's width.
  alignment_view_->setMinimumSize(320, 240);
  QDockWidget* log = addViewDock("log", "Log", log_, Qt::BottomDockWidgetArea,
                                 "messages of the engine and of this window");
  jobs_panel_ = new JobsPanel(queue_);
  QDockWidget* jobs = addViewDock("jobs", "Jobs", jobs_panel_, Qt::BottomDockWidgetArea,
                                  "the queue of runs with progress and time left");
  connect(jobs_panel_, &JobsPanel::openRequested, this, [this](const QString& dir) {
    QString why;
    if (!openRunFolder(dir, &why)) reportFailure("Cannot open run folder", why);
  });
  buildRunBrowser();
  runs_dock_ = addViewDock("runs", "Runs", run_browser_, Qt::BottomDockWidgetArea,
                           "every run of the workspace " + workspace());
  tabifyDockWidget(jobs, runs_dock_);
  tabifyDockWidget(jobs, log);
  runs_dock_->raise();  // the Jobs tab comes up when a job starts
  resizeDocks({training}, {560}, Qt::Horizontal);
  resizeDocks({jobs}, {230}, Qt::Vertical);
}

void MainWindow::setInteractive(bool interactive) {
  interactive_ = interactive;
  editor_->setInteractive(interactive);
}

QStringList MainWindow::viewNames() {
  return {"paths",     "all-paths", "compare", "training", "alignment",
          "experiment", "log",      "jobs",    "runs"};
}

QDockWidget* MainWindow::viewDock(const QString& name) const { return docks_.value(name); }

QWidget* MainWindow::viewWidget(const QString& name) const {
  if (name == "paths" || name == "all-paths" || name == "compare" || name.startsWith("paths:"))
    return results_area_;
  QDockWidget* dock = docks_.value(name);
  return dock ? dock->widget() : nullptr;
}

bool MainWindow::showView(const QString& name, QString* error) {
  auto fail = [&](const QString& why) {
    if (error) *error = why;
    return false;
  };
  if (QDockWidget* dock = docks_.value(name)) {
    dock->show();
    dock->raise();
    return true;
  }
  QWidget* tab = nullptr;
  if (name == "all-paths") {
    tab = all_paths_page_;
    if (!tab) return fail("--view all-paths: this run has fewer than two paths");
  } else if (name == "compare") {
    tab = compare_page_;
    if (!tab) return fail("--view compare: no two runs are compared");
  } else if (name.startsWith("paths:")) {
    const QString id = name.mid(6);
    for (int i = 0; i < tabs_->count(); ++i)
      if (tabs_->tabText(i) == id) tab = tabs_->widget(i);
    if (!tab) return fail("--view " + name + ": no path '" + id + "' (paths: " +
                          resultIds().join(", ") + ")");
  } else if (name != "paths") {
    return fail("--view: unknown view '" + name + "' (views: " + viewNames().join(", ") +
                ", paths:<step id>)");
  }
  if (tab) {
    tabs_->setCurrentWidget(tab);
    results_stack_->setCurrentIndex(1);
  }
  return true;
}

}  // namespace ridgeline::gui
