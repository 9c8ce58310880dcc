// MainWindow: the "Runs" dock (a RunBrowser fed from the workspace's run catalog), its
// refresh, and Compare (two run folders handed to the result views).
#include <QAction>
#include <QDir>
#include <QDockWidget>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTabWidget>
#include <exception>

#include "gui/main_window/main_window.h"
#include "gui/results/result_views.h"
#include "ridgeline/experiment/run.h"
#include "ridgeline/experiment/run_catalog.h"
#include "widgets/runs/run_browser.h"

namespace ridgeline::gui {

void MainWindow::buildRunBrowser() {
  run_browser_ = new widgets::RunBrowser;
  act_refresh_runs_ = new QAction("Refresh runs", this);
  act_refresh_runs_->setShortcut(QKeySequence(Qt::Key_F5));
  act_refresh_runs_->setToolTip("Rescan the workspace's run folders into the Runs list (F5)");
  act_refresh_runs_->setStatusTip("Rescan the workspace's run folders into the Runs list");
  addAction(act_refresh_runs_);  // F5 works with the menus closed
  connect(act_refresh_runs_, &QAction::triggered, this, [this] { refreshRuns(); });

  view_menu_->addAction(act_refresh_runs_);

  connect(run_browser_, &widgets::RunBrowser::openRequested, this, [this](const QString& dir) {
    QString why;
    if (!openRunFolder(dir, &why))
      reportFailure("Cannot open run folder", why.isEmpty() ? QString("a run is going on") : why);
  });
  connect(run_browser_, &widgets::RunBrowser::compareRequested, this,
          [this](const QStringList& dirs) {
            QString why;
            if (!compareRuns(dirs, &why)) reportFailure("Cannot compare runs", why);
          });
  // Every run that ends (finished, cancelled or failed) has a new record.
  connect(&queue_, &JobQueue::jobEnded, this, [this] { refreshRuns(); });
  refreshRuns();
}

QString MainWindow::workspace() const {
  return options_.workspace.isEmpty() ? QString::fromStdString(default_workspace())
                                      : options_.workspace;
}

bool MainWindow::refreshRuns(QString* error) {
  try {
    RunCatalog catalog(workspace().toStdString());
    const int added = catalog.rescan();
    const std::vector<RunRecord> records = catalog.list();
    run_browser_->setRecords(records);
    if (added > 0) appendLog(QString("indexed %1 run folder(s) of %2").arg(added).arg(workspace()));
    return true;
  } catch (const std::exception& e) {
    const QString why = QString::fromStdString(e.what());
    if (error) *error = why;
    statusBar()->showMessage("Runs: " + why, 10000);
    appendLog("cannot list the runs: " + why);
    return false;
  }
}

bool MainWindow::compareRuns(const QStringList& dirs, QString* error) {
  auto fail = [&](const QString& why) {
    if (error) *error = why;
    last_error_ = why;
    return false;
  };
  if (dirs.size() != 2) return fail("select exactly two runs to compare");
  if (queue_.busy()) return fail("a run is going on (its views are live); compare when it ends");
  std::vector<std::pair<QString, RunSummary>> runs;
  try {
    for (const QString& dir : dirs) {
      RunSummary s = load_run(dir.toStdString());
      runs.emplace_back(QDir(QDir::cleanPath(dir)).dirName(), std::move(s));
    }
  } catch (const std::exception& e) {
    return fail(QString::fromStdString(e.what()));
  }
  QString why;
  if (!results_->compare(runs, &why)) return fail(why);
  stage_label_->setText(QString("Comparing %1 and %2").arg(runs[0].first, runs[1].first));
  appendLog(QString("compare %1 and %2").arg(dirs[0], dirs[1]));
  return true;
}

}  // namespace ridgeline::gui
