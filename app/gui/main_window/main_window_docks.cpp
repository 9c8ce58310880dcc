// MainWindow: the dock widgets of the views (training monitor, log, jobs, runs), the View
// menu's toggles, the view names behind --view / showView(), and exportView() behind
// --export-chart.
#include <QChartView>
#include <QDockWidget>
#include <QImage>
#include <QMenu>
#include <QPlainTextEdit>
#include <QStackedWidget>
#include <QTabWidget>

#include "gui/editor/experiment_editor.h"
#include "gui/main_window/export.h"
#include "gui/jobs/jobs_panel.h"
#include "gui/main_window/main_window.h"
#include "widgets/study/study_chart.h"
#include "widgets/study/study_view.h"
#include "gui/results/result_views.h"
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
  // The result views' docks (Training, Alignment) share the left area, tabbed with the first.
  QDockWidget* training = nullptr;
  for (const ViewDock& d : results_->docks()) {
    QDockWidget* dock = addViewDock(d.name, d.title, d.widget, Qt::LeftDockWidgetArea, d.tip);
    if (training) tabifyDockWidget(training, dock);
    else training = dock;
  }
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
  QStringList names = {"paths"};
  for (const ResultView& v : result_views()) names += v.views;
  return names + QStringList{"study", "experiment", "log", "jobs", "runs"};
}

QDockWidget* MainWindow::viewDock(const QString& name) const { return docks_.value(name); }

QWidget* MainWindow::viewWidget(const QString& name) const {
  if (QDockWidget* dock = docks_.value(name)) return dock->widget();
  // Every other view is a tab of the result area ("paths", "paths:<id>", "all-paths", ...).
  if (name == "paths" || name == "study" || isStepView(name)) return results_area_;
  for (const ResultView& v : result_views())
    if (v.views.contains(name)) return results_area_;
  return nullptr;
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
  if (name == "study") {
    if (!study_view_) return fail("--view study: no study is shown (open a study folder or run a study spec)");
    tabs_->setCurrentWidget(study_view_);
    results_stack_->setCurrentIndex(1);
    return true;
  }
  QString why;
  QWidget* tab = results_->page(name, &why);
  if (!why.isEmpty()) return fail(why);
  if (!tab)
    return fail("--view: unknown view '" + name + "' (views: " + viewNames().join(", ") + ", " +
                stepViewHelp() + ")");
  tabs_->setCurrentWidget(tab);
  results_stack_->setCurrentIndex(1);
  return true;
}

QStringList MainWindow::stepViewPrefixes() {
  return {"paths:", "landscape:", "layerwise:", "spectra:", "hessian:", "attention:"};
}

bool MainWindow::isStepView(const QString& name) {
  for (const QString& p : stepViewPrefixes())
    if (name.startsWith(p)) return true;
  return false;
}

QString MainWindow::stepViewHelp() {
  QStringList out;
  for (const QString& p : stepViewPrefixes()) out << p + "<step id>";
  return out.join(", ");
}

QStringList MainWindow::chartViewNames() {
  return {"paths", "all-paths", "compare", "training", "alignment", "study"};
}

bool MainWindow::exportView(const QString& name, const QString& path, QString* error,
                            bool* bad_input) {
  auto fail = [&](const QString& why) {
    if (error) *error = why;
    if (bad_input) *bad_input = true;
    return false;
  };
  if (!chartViewNames().contains(name) && !isStepView(name))
    return fail("--export-chart: the view '" + name + "' is not a chart (charts: " +
                chartViewNames().join(", ") + ", " + stepViewHelp() + ")");
  // The 3-D surface and the attention grid, as rendered (PNG only; the grid's own right-click
  // menu also writes SVG, PDF and the maps as .npy).
  if (name.startsWith("landscape:") || name.startsWith("attention:")) {
    if (QString why; !showView(name, &why)) return fail(why);
    if (!path.endsWith(".png", Qt::CaseInsensitive))
      return fail("--export-chart: the " + name + " view is written as PNG only: " + path);
    const QImage image = results_->imageOn(tabs_->currentWidget());
    if (image.isNull()) return fail("--export-chart: the " + name + " view has nothing drawn yet");
    if (!image.save(path, "PNG")) {
      if (error) *error = path + ": cannot write the PNG";
      return false;
    }
    return true;
  }
  if (docks_.contains(name)) {
    const QList<QChartView*> charts = results_->dockCharts(name);
    if (charts.isEmpty()) return fail("--export-chart: the " + name + " view has nothing to draw");
    return export_charts(charts, path, error);
  }
  if (QString why; !showView(name, &why)) return fail(why);
  QChartView* chart = name == "study" ? static_cast<QChartView*>(study_view_->chart())
                      : results_stack_->currentIndex() == 1 && tabs_->count() > 0
                          ? results_->chartOn(tabs_->currentWidget())
                          : nullptr;
  if (!chart) return fail("--export-chart: the " + name + " view has no chart yet");
  return export_chart(chart, path, error);
}

}  // namespace ridgeline::gui
