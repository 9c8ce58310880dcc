// MainWindow: its actions and menus (File, View, Run, Help), the file dialogs behind them,
// chart and number export, the About box, and what the window keeps in QSettings (geometry,
// state, recent spec files and run folders).
#include <QAction>
#include <QApplication>
#include <QChartView>
#include <QCloseEvent>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QInputDialog>
#include <QLineEdit>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QRegularExpression>
#include <QSettings>
#include <QStackedWidget>
#include <QTabWidget>
#include <QToolBar>
#include <QtGlobal>
#include <exception>

#include "gui/common/actions.h"
#include "gui/editor/experiment_editor.h"
#include "gui/main_window/export.h"
#include "gui/main_window/figure_export.h"
#include "gui/main_window/main_window.h"
#include "widgets/study/study_chart.h"
#include "widgets/study/study_view.h"
#include "gui/main_window/settings.h"
#include "gui/results/result_views.h"
#include "ridgeline/core/backend.h"
#include "ridgeline/experiment/compare_spec.h"
#include "ridgeline/experiment/run.h"
#include "widgets/training/training_monitor.h"

namespace ridgeline::gui {

namespace {


QSettings windowSettings() { return QSettings("Ridgeline", "Ridgeline"); }

}  // namespace

void MainWindow::buildActions() {
  auto* file = menuBar()->addMenu("&File");
  file->setToolTipsVisible(true);
  examples_menu_ = file->addMenu("&New from example");
  examples_menu_->setToolTipsVisible(true);
  examples_menu_->setToolTip("Start a new spec in the Experiment editor from a bundled example");
  connect(examples_menu_, &QMenu::aboutToShow, this, &MainWindow::rebuildExamplesMenu);
  rebuildExamplesMenu();
  act_open_spec_ = file->addAction("&Open spec…", this, &MainWindow::onOpenSpec);
  describe(act_open_spec_, QKeySequence("Ctrl+O"),
           "Open an experiment spec (JSON) in the Experiment editor; Run (Ctrl+R) queues it");
  act_run_bundled_ = file->addAction("Run &bundled experiment", this, &MainWindow::onRunBundled);
  describe(act_run_bundled_, QKeySequence("Ctrl+B"),
           "Run the bundled example: two Fashion-MNIST MLPs and the path between them");
  act_open_run_ = file->addAction("Open &run folder…", this, &MainWindow::onOpenRunFolder);
  describe(act_open_run_, QKeySequence("Ctrl+Shift+O"), "Show the results of an earlier run");
  describe(file->addAction("&Compare checkpoints…", this, &MainWindow::onCompareCheckpoints), {},
           "Pick two or more safetensors files (Ridgeline's or PyTorch state_dicts of one MLP) and "
           "a data set: runs the naive path, weight matching and the weight-matched path from the "
           "first file to each other one");
  recent_menu_ = file->addMenu("Recent");
  recent_menu_->setToolTipsVisible(true);
  recent_menu_->setToolTip("Spec files and run folders opened recently");
  rebuildRecentMenu();
  file->addSeparator();
  act_export_png_ = file->addAction("Export chart as &PNG…", this, [this] { onExportChart("png"); });
  describe(act_export_png_, QKeySequence("Ctrl+E"),
           "Save the chart of the current tab as a 1800×1200 px PNG");
  act_export_svg_ = file->addAction("Export chart as &SVG…", this, [this] { onExportChart("svg"); });
  describe(act_export_svg_, QKeySequence("Ctrl+Shift+E"),
           "Save the chart of the current tab as a 180×120 mm SVG (vector)");
  act_export_csv_ = file->addAction("Export numbers as &CSV…", this, &MainWindow::onExportCsv);
  describe(act_export_csv_, QKeySequence("Ctrl+Shift+C"),
           "Save the curves of the current tab as CSV, and its barriers beside them "
           "(NAME-barriers.csv)");
  // Paper figures (gui/main_window/figure_export.h): the current tab's view preselected.
  describe(file->addAction("Export &figure…", this, [this] {
    QString view = results_stack_->currentIndex() == 1 && tabs_->count() > 0 ? results_->exportName(tabs_->currentWidget()) : "training";
    if (view.startsWith("landscape-")) view = "landscape:" + view.mid(10);
    if (view.startsWith("layerwise-")) view = "layerwise:" + view.mid(10);
    if (view.startsWith("hessian-")) view = "hessian:" + view.mid(8);
    if (view.startsWith("spectra-")) view = "spectra:" + view.mid(8);
    if (view.startsWith("attention-")) view = "attention:" + view.mid(10);
    if (view.isEmpty()) view = "paths:" + tabs_->tabText(tabs_->currentIndex());
    open_figure_export(this, QString::fromStdString(summary_.run_dir), view);
  }), QKeySequence("Ctrl+Shift+F"), "Save a view of the run as a paper figure (PDF, SVG or PNG; optionally a Python script)");
  act_export_monitor_ =
      file->addAction("Export &training curves…", this, &MainWindow::onExportMonitor);
  describe(act_export_monitor_, QKeySequence("Ctrl+Shift+T"),
           "Save the training monitor as PNG or SVG (by the file name's suffix)");
  auto* shot = file->addAction("Save &screenshot…", this, &MainWindow::onSaveScreenshot);
  describe(shot, QKeySequence("Ctrl+Shift+S"), "Save a PNG image of this window");
  file->addSeparator();
  auto* quit = file->addAction("&Quit", this, &QWidget::close);
  describe(quit, QKeySequence("Ctrl+Q"), "Close the window");

  act_run_ = new QAction("Run", this);
  describe(act_run_, QKeySequence("Ctrl+R"),
           "Queue a run of the Experiment editor's spec (it starts when the running job ends)");
  connect(act_run_, &QAction::triggered, this, &MainWindow::onRun);
  act_cancel_ = new QAction("Cancel", this);
  describe(act_cancel_, QKeySequence("Ctrl+."),
           "Stop the running job; finished models stay in the run folder");
  connect(act_cancel_, &QAction::triggered, this, &MainWindow::cancelRun);

  auto* view = menuBar()->addMenu("&View");
  view->setToolTipsVisible(true);
  view_menu_ = view;
  for (QAction* a : results_->actions()) view->addAction(a);  // the result views' toggles
  auto* run = menuBar()->addMenu("&Run");
  run->setToolTipsVisible(true);
  run->addAction(act_run_);
  run->addAction(act_cancel_);
  auto* help = menuBar()->addMenu("&Help");
  help->setToolTipsVisible(true);
  auto* about = help->addAction("&About Ridgeline", this, &MainWindow::onAbout);
  describe(about, QKeySequence("F1"), "Version, Qt, compute device and CUDA support");
  about->setMenuRole(QAction::AboutRole);

  auto* tb = addToolBar("Run");
  tb->setObjectName("runToolBar");
  tb->setMovable(false);
  tb->setToolButtonStyle(Qt::ToolButtonTextOnly);
  tb->addAction(act_run_);
  tb->addAction(act_cancel_);
  tb->addSeparator();
  tb->addAction(act_open_spec_);
  tb->addAction(act_open_run_);
  tb->addSeparator();
  for (QAction* a : results_->actions()) tb->addAction(a);
  tb->addSeparator();
  tb->addAction(act_export_png_);
  tb->addAction(act_export_svg_);
  tb->addAction(act_export_csv_);
}

void MainWindow::onOpenSpec() {
  const QString path = QFileDialog::getOpenFileName(this, "Open experiment spec",
                                                    QFileInfo(bundledSpecPath()).path(),
                                                    "Experiment specs (*.json);;All files (*)");
  if (path.isEmpty()) return;
  QString error;
  if (!editor_->loadFile(path, &error)) {
    if (!interactive_) return reportFailure("Cannot open spec", error);
    if (!editor_->offerRepair(path, error)) return;
  }
  noteRecent(kRecentSpecsKey, path);
  showView("experiment");
}

void MainWindow::rebuildExamplesMenu() {
  examples_menu_->clear();
  const QStringList files = ExperimentEditor::exampleFiles(), studies = ExperimentEditor::exampleStudies();
  for (const QStringList* list : {&files, &studies}) {
    if (list == &studies && !studies.isEmpty()) examples_menu_->addSection("Studies (sweeps)");
    for (const QString& path : *list) {
      QString title = QFileInfo(path).completeBaseName();
      try {
        const ExperimentSpec spec = list == &studies ? load_study(path.toStdString()).base
                                                     : load_spec(path.toStdString());
        if (!spec.description.empty())
          title += "  —  " + QString::fromStdString(spec.description).left(70) + "…";
      } catch (const std::exception&) {
      }
      QAction* a = examples_menu_->addAction(title, this, [this, path] {
        QString error;
        if (!editor_->newFromExample(path, &error)) return reportFailure("Cannot open example", error);
        showView("experiment");
      });
      a->setToolTip(path);
      a->setStatusTip(path);
    }
  }
  if (files.isEmpty() && studies.isEmpty())
    examples_menu_->addAction("(no bundled examples found)")->setEnabled(false);
}

void MainWindow::onCompareCheckpoints() {
  const QStringList files = QFileDialog::getOpenFileNames(
      this, "Compare checkpoints: two or more models", QString(),
      "Safetensors models (*.safetensors);;All files (*)");
  if (files.isEmpty()) return;
  if (files.size() < 2)
    return reportFailure("Compare checkpoints", "Choose two or more safetensors files (Ctrl-click).");
  bool ok = false;
  const QString data = QInputDialog::getText(
      this, "Compare checkpoints", "Data set (fashion-mnist, gmm:TRAIN,TEST,DIM,CLASSES,SEED, or an IDX folder):",
      QLineEdit::Normal, "fashion-mnist", &ok).trimmed();
  if (!ok || data.isEmpty()) return;
  QString why;
  if (!compareCheckpoints(files, data, &why)) reportFailure("Cannot compare these checkpoints", why);
}

int MainWindow::compareCheckpoints(const QStringList& files, const QString& data, QString* error) {
  try {
    std::vector<std::string> paths;
    for (const QString& f : files) paths.push_back(f.toStdString());
    const ExperimentSpec spec = compare_checkpoints_spec(paths, data.toStdString());
    offerToEditor(spec, "Compare checkpoints", {});
    return startRun(spec, "File ▸ Compare checkpoints");
  } catch (const std::exception& e) {
    if (error) *error = QString::fromStdString(e.what());
  }
  return 0;
}

void MainWindow::onRunBundled() {
  const QString path = bundledSpecPath();
  if (path.isEmpty()) {
    reportFailure("No bundled experiment",
                  "resources/experiments/fmnist-mlp-lmc.json was not found next to the "
                  "executable");
    return;
  }
  QString error;
  if (!runSpecFile(path, &error) && !error.isEmpty()) reportFailure("Cannot open spec", error);
}

void MainWindow::onRun() { runEditorSpec(); }

void MainWindow::onOpenRunFolder() {
  QString start = options_.workspace;
  if (start.isEmpty()) {
    try {
      start = QString::fromStdString(default_workspace());
    } catch (const std::exception&) {
    }
  }
  if (QDir(start + "/runs").exists()) start += "/runs";
  const QString dir = QFileDialog::getExistingDirectory(this, "Open run folder", start);
  if (dir.isEmpty()) return;
  QString error;
  if (!openRunFolder(dir, &error)) reportFailure("Cannot open run folder", error);
}

void MainWindow::onSaveScreenshot() {
  const QString path = QFileDialog::getSaveFileName(this, "Save screenshot", "ridgeline.png",
                                                    "PNG images (*.png)");
  if (path.isEmpty()) return;
  QString error;
  if (!saveScreenshot(path, &error)) reportFailure("Cannot save screenshot", error);
}

// ---- export ------------------------------------------------------------------------------

QChartView* MainWindow::currentChart() const {
  if (study_view_ && results_stack_->currentIndex() == 1 && tabs_->currentWidget() == study_view_)
    return study_view_->chart();
  if (results_stack_->currentIndex() == 1 && tabs_->count() > 0)
    if (QChartView* c = results_->chartOn(tabs_->currentWidget())) return c;
  return trainingMonitor();
}

bool MainWindow::exportCurrentChart(const QString& path, QString* error) {
  return export_chart(currentChart(), path, error);
}

bool MainWindow::exportCurrentNumbers(const QString& path, QString* error) {
  QString curves, companion;
  const bool shown = results_stack_->currentIndex() == 1 && tabs_->count() > 0;
  if (shown && study_view_ && tabs_->currentWidget() == study_view_)
    return write_text_file(path, study_view_->tableCsv(), error);
  if (!shown || !results_->numbersOn(tabs_->currentWidget(), &curves, &companion)) {
    if (error) *error = "no interpolation results to export yet (run a spec or open a run)";
    return false;
  }
  return write_text_file(path, curves, error) &&
         (companion.isEmpty() || write_text_file(barriers_path_for(path), companion, error));
}

QString MainWindow::suggestedExportName(const QString& suffix) const {
  QString name = "ridgeline";
  if (spec_) name = QString::fromStdString(spec_->name);
  QChartView* view = currentChart();
  if (view == trainingMonitor()) name += "-training";
  else if (const QString n = results_->exportName(tabs_->currentWidget()); !n.isEmpty())
    name += "-" + n;
  else if (tabs_->count() > 0) name += "-" + tabs_->tabText(tabs_->currentIndex());
  QString dir = QString::fromStdString(summary_.run_dir);
  if (dir.isEmpty() || !QDir(dir).exists()) dir = QDir::currentPath();
  else if (QDir(dir + "/figures").exists()) dir += "/figures";
  name.replace(QRegularExpression("[^A-Za-z0-9_.@-]+"), "_");
  return QDir(dir).filePath(name + "." + suffix);
}

void MainWindow::addChartMenu(QChartView* view, const QString& name,
                              std::function<QString()> csv) {
  view->setContextMenuPolicy(Qt::CustomContextMenu);
  connect(view, &QWidget::customContextMenuRequested, this, [this, view, name, csv](const QPoint& at) {
    QMenu menu(view);
    menu.setToolTipsVisible(true);
    for (const QString& suffix : {QStringLiteral("png"), QStringLiteral("svg")}) {
      QAction* a = menu.addAction(QString("Export %1 as %2…").arg(name, suffix.toUpper()));
      a->setToolTip(suffix == "svg" ? "180×120 mm vector image" : "1800×1200 px image");
      connect(a, &QAction::triggered, this, [this, view, name, suffix] {
        QString file = suggestedExportName(suffix);
        file = QFileInfo(file).dir().filePath(
            QString(name).replace(QRegularExpression("[^A-Za-z0-9_.@-]+"), "_") + "." + suffix);
        QString path = QFileDialog::getSaveFileName(
            this, "Export chart", file, suffix == "svg" ? "SVG images (*.svg)" : "PNG images (*.png)");
        if (path.isEmpty()) return;
        if (QFileInfo(path).suffix().isEmpty()) path += "." + suffix;
        QString error;
        if (!export_chart(view, path, &error)) return reportFailure("Cannot export the chart", error);
        appendLog("exported the chart to " + path);
      });
    }
    if (csv) {
      QAction* a = menu.addAction("Export the numbers as CSV…");
      a->setToolTip("The numbers behind this chart, one row per record");
      connect(a, &QAction::triggered, this, [this, name, csv] {
        const QString file = QFileInfo(suggestedExportName("csv")).dir().filePath(name + ".csv");
        QString path = QFileDialog::getSaveFileName(this, "Export numbers", file, "CSV files (*.csv)");
        if (path.isEmpty()) return;
        if (QFileInfo(path).suffix().isEmpty()) path += ".csv";
        QString error;
        if (!write_text_file(path, csv(), &error)) return reportFailure("Cannot export numbers", error);
        appendLog("exported the numbers to " + path);
      });
    }
    menu.exec(view->mapToGlobal(at));
  });
}

void MainWindow::onExportChart(const QString& suffix) {
  const QString filter = suffix == "svg" ? "SVG images (*.svg)" : "PNG images (*.png)";
  QString path = QFileDialog::getSaveFileName(this, "Export chart", suggestedExportName(suffix),
                                              filter);
  if (path.isEmpty()) return;
  if (QFileInfo(path).suffix().isEmpty()) path += "." + suffix;
  QString error;
  if (!exportCurrentChart(path, &error)) return reportFailure("Cannot export the chart", error);
  appendLog("exported the chart to " + path);
}

void MainWindow::onExportMonitor() {
  QString path = QFileDialog::getSaveFileName(
      this, "Export training curves", suggestedExportName("png").replace(
                                          QRegularExpression("-[^-/]*\\.png$"), "-training.png"),
      "PNG images (*.png);;SVG images (*.svg)");
  if (path.isEmpty()) return;
  if (QFileInfo(path).suffix().isEmpty()) path += ".png";
  QString error;
  if (!export_chart(trainingMonitor(), path, &error))
    return reportFailure("Cannot export the training curves", error);
  appendLog("exported the training curves to " + path);
}

void MainWindow::onExportCsv() {
  QString path = QFileDialog::getSaveFileName(this, "Export numbers", suggestedExportName("csv"),
                                              "CSV files (*.csv)");
  if (path.isEmpty()) return;
  if (QFileInfo(path).suffix().isEmpty()) path += ".csv";
  QString error;
  if (!exportCurrentNumbers(path, &error)) return reportFailure("Cannot export numbers", error);
  appendLog("exported the numbers to " + path + " and " + barriers_path_for(path));
}

// ---- about, status -----------------------------------------------------------------------

QString MainWindow::threadsText() const {
  return QString("Threads: %1").arg(options_.threads > 0 ? options_.threads : host_threads());
}

QString MainWindow::aboutText() const {
  bool cuda_built = false;
  try {
    for (const auto& n : registered_backends()) cuda_built |= (n == "cuda");
  } catch (const std::exception&) {
  }
  QString device = deviceText();
  if (device.startsWith("Device: ")) device = device.mid(8);
  return QString("<h3>Ridgeline %1</h3>"
                 "<p>A loss-landscape research lab: train networks, align them and walk the "
                 "paths between them.</p>"
                 "<table>"
                 "<tr><td>Version</td><td>%1</td></tr>"
                 "<tr><td>Qt</td><td>%2 (built with %3)</td></tr>"
                 "<tr><td>Compute device</td><td>%4</td></tr>"
                 "<tr><td>Host threads</td><td>%5</td></tr>"
                 "<tr><td>CUDA</td><td>%6</td></tr>"
                 "</table>")
      .arg(QStringLiteral(RIDGELINE_VERSION), QString::fromLatin1(qVersion()),
           QStringLiteral(QT_VERSION_STR), device.toHtmlEscaped(),
           threadsText().mid(9),
           cuda_built ? "this build has the CUDA backend"
                      : "this build has no CUDA backend (CPU only)");
}

void MainWindow::onAbout() { QMessageBox::about(this, "About Ridgeline", aboutText()); }

// ---- settings ----------------------------------------------------------------------------

void MainWindow::enableSettings() {
  settings_enabled_ = true;
  QSettings s = windowSettings();
  const QByteArray geometry = s.value(kGeometryKey).toByteArray();
  if (!geometry.isEmpty()) restoreGeometry(geometry);
  const QByteArray state = s.value(kStateKey).toByteArray();
  if (!state.isEmpty()) restoreState(state);
  rebuildRecentMenu();
}

void MainWindow::noteRecent(const char* key, const QString& path) {
  if (!settings_enabled_) return;
  QSettings s = windowSettings();
  add_recent_file(s, key, path);
  rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu() {
  recent_menu_->clear();
  QStringList specs, runs;
  if (settings_enabled_) {
    const QSettings s = windowSettings();
    specs = recent_files(s, kRecentSpecsKey);
    runs = recent_files(s, kRecentRunsKey);
  }
  auto addEntries = [this](const QStringList& list, bool is_run) {
    for (const QString& path : list) {
      auto* a = recent_menu_->addAction(QFileInfo(path).fileName(), this, [this, path, is_run] {
        QString error;
        bool ok = false;
        if (is_run) {
          ok = openRunFolder(path, &error);
        } else if ((ok = editor_->loadFile(path, &error))) {
          showView("experiment");
        }
        if (ok || error.isEmpty()) return;
        QSettings s = windowSettings();
        remove_recent_file(s, is_run ? kRecentRunsKey : kRecentSpecsKey, path);
        rebuildRecentMenu();
        reportFailure(is_run ? "Cannot open run folder" : "Cannot open spec", error);
      });
      a->setToolTip((is_run ? "Open the run folder " : "Open in the Experiment editor ") + path);
      a->setStatusTip(path);
    }
  };
  if (!specs.isEmpty()) recent_menu_->addSection("Spec files");
  addEntries(specs, false);
  if (!runs.isEmpty()) recent_menu_->addSection("Run folders");
  addEntries(runs, true);
  if (specs.isEmpty() && runs.isEmpty()) recent_menu_->addAction("(none)")->setEnabled(false);
}

void MainWindow::closeEvent(QCloseEvent* event) {
  const Job* running = queue_.running();
  if (interactive_ && running) {
    const int queued = queue_.queuedCount();
    QString text = QString("\"%1\" is running. Quit and cancel it?").arg(running->name);
    if (queued > 0) text += QString(" (%1 queued job(s) will not run.)").arg(queued);
    text += "\n\nModels that finished training stay in its run folder (" + running->run_dir +
            "); `ridgeline run` with --out that folder resumes from them.";
    if (QMessageBox::question(this, "Quit Ridgeline", text,
                              QMessageBox::Yes | QMessageBox::No, QMessageBox::No) !=
        QMessageBox::Yes) {
      event->ignore();
      return;
    }
  }
  if (editor_ && editor_->isModified() && interactive_) {
    if (QMessageBox::question(this, "Quit Ridgeline",
                              "The experiment in the editor has unsaved changes. Quit anyway?",
                              QMessageBox::Yes | QMessageBox::No,
                              QMessageBox::No) != QMessageBox::Yes) {
      event->ignore();
      return;
    }
  }
  queue_.cancelAll();  // the worker stops at its next check; ~JobRunner waits for it
  if (settings_enabled_) {
    QSettings s = windowSettings();
    s.setValue(kGeometryKey, saveGeometry());
    s.setValue(kStateKey, saveState());
  }
  QMainWindow::closeEvent(event);
}

}  // namespace ridgeline::gui
