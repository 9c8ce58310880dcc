#pragma once
/// @file gui_main_window.h
/// The first window of the desktop application: run a spec (or open a run folder), watch the
/// training live, and read the interpolation curves and barriers of every step.
#include <QMainWindow>
#include <QMap>
#include <QString>
#include <memory>
#include <optional>

#include "gui_job_runner.h"
#include "ridgeline/run.h"
#include "ridgeline/spec.h"

class QAction;
class QChartView;
class QCloseEvent;
class QDockWidget;
class QLabel;
class QMenu;
class QPlainTextEdit;
class QProgressBar;
class QStackedWidget;
class QTabWidget;
class QThread;

namespace ridgeline::widgets {
class BarrierTable;
class InterpolationChart;
class PathsChart;
class RunBrowser;
class TrainingMonitor;
}  // namespace ridgeline::widgets

namespace ridgeline::gui {

/// Options of the window's runs (from the command line).
struct GuiOptions {
  QString out_dir;      ///< run folder; empty = a new one in the workspace
  QString workspace;    ///< empty = the engine default
  QString device = "auto";
  int threads = 0;
};

class MainWindow : public QMainWindow {
  Q_OBJECT

 public:
  enum class State { Idle, Running, Finished, Cancelled, Failed };

  explicit MainWindow(const GuiOptions& options, QWidget* parent = nullptr);
  ~MainWindow() override;

  /// When false, failures are reported in the status bar and log only (no message boxes):
  /// used for --screenshot runs and tests.
  void setInteractive(bool interactive) { interactive_ = interactive; }

  /// Starts running `spec`; `source` names where it came from (a file). False if busy.
  bool startRun(const ExperimentSpec& spec, const QString& source);
  /// Loads a spec file and runs it. On a bad file returns false with the one-line reason.
  bool runSpecFile(const QString& path, QString* error = nullptr);
  /// Shows the spec and results of a finished run folder (load_run). False with the reason.
  bool openRunFolder(const QString& dir, QString* error = nullptr);
  void cancelRun();
  /// The "all paths" overlay (null until a run shows two interpolation paths).
  widgets::PathsChart* pathsChart() const { return paths_chart_; }
  /// The "Runs" dock's browser, filled from the workspace's catalog.
  widgets::RunBrowser* runBrowser() const { return run_browser_; }
  /// Rescans and lists the workspace's catalog into the browser. False with the reason
  /// (also shown in the status bar).
  bool refreshRuns(QString* error = nullptr);
  /// The workspace of the runs: --workspace, else default_workspace().
  QString workspace() const;
  /// Loads two run folders and overlays every path of both on the "compare" tab, one series
  /// "<run id>: <path id>" each. False with the reason.
  bool compareRuns(const QStringList& dirs, QString* error = nullptr);
  /// The "compare" tab's chart (null until compareRuns succeeds).
  widgets::PathsChart* compareChart() const { return compare_chart_; }
  /// Grabs the window and writes a PNG. False with the reason.
  bool saveScreenshot(const QString& path, QString* error = nullptr);

  /// The chart of the current tab (a path's chart or "all paths"); the training monitor when
  /// no result is shown yet.
  QChartView* currentChart() const;
  /// Exports currentChart() to PNG or SVG by the suffix of `path` (gui_export.h).
  bool exportCurrentChart(const QString& path, QString* error = nullptr);
  /// The current tab's numbers as CSV: a path's α/loss/error columns, or one loss column per
  /// path for "all paths"; their barrier rows go to barriers_path_for(path).
  bool exportCurrentNumbers(const QString& path, QString* error = nullptr);

  /// Restores geometry, state and the recent files from QSettings ("Ridgeline", "Ridgeline")
  /// and keeps them there from now on. Off by default, so tests and --screenshot runs neither
  /// read nor write the user's settings.
  void enableSettings();
  bool settingsEnabled() const { return settings_enabled_; }
  /// "Threads: N" as in the status bar.
  QString threadsText() const;
  /// The About box's text (HTML): version, Qt, device, threads, CUDA support.
  QString aboutText() const;

  State state() const { return state_; }
  bool isRunning() const { return runner_.running(); }
  QString lastError() const { return last_error_; }
  const RunSummary& lastSummary() const { return summary_; }

  // Views, for tests.
  int resultCount() const;
  QStringList resultIds() const;
  widgets::InterpolationChart* chart(const QString& step_id) const;
  widgets::BarrierTable* barrierTable(const QString& step_id) const;
  widgets::TrainingMonitor* trainingMonitor() const { return monitor_; }
  QString stageText() const;
  QString deviceText() const;
  QString logText() const;

  /// The bundled example spec next to the executable or in the source tree ("" if none).
  static QString bundledSpecPath();

 signals:
  /// A run (or a folder load) ended; `ok` is false when it failed or was cancelled.
  void runEnded(bool ok);

 protected:
  void closeEvent(QCloseEvent* event) override;

 private:
  struct ResultPage {
    widgets::InterpolationChart* chart = nullptr;
    widgets::BarrierTable* table = nullptr;
  };

  void buildActions();
  void buildLayout();
  void buildRunBrowser();
  void probeDevice();
  void setBusy(bool busy);
  void appendLog(const QString& line);
  void onEngineLog(const QString& line);
  void reportFailure(const QString& title, const QString& message);
  void setPlaceholder(bool failed, const QString& text);
  void clearResults();
  void showResult(const QString& step_id, const InterpolationResult& r);
  void setSpecHeader(const QString& run_dir);
  QString pathTitle(const QString& step_id) const;

  void onOpenSpec();
  void onRunBundled();
  void onRun();
  void onOpenRunFolder();
  void onSaveScreenshot();
  void onExportChart(const QString& suffix);
  void onExportMonitor();
  void onExportCsv();
  void onAbout();
  QString suggestedExportName(const QString& suffix) const;
  void noteRecent(const char* key, const QString& path);
  void rebuildRecentMenu();
  void onProgress(const QString& stage, qint64 done, qint64 total, const QString& message);
  void onStep(const QString& model, const StepMetrics& m);
  void onEpoch(const QString& model, const EpochMetrics& m);
  void onFinished(JobOutcome outcome, const QString& message);

  GuiOptions options_;
  JobRunner runner_;
  bool interactive_ = true;
  State state_ = State::Idle;
  QString last_error_;
  RunSummary summary_;
  std::optional<ExperimentSpec> spec_;
  QString spec_source_;

  QAction* act_open_spec_ = nullptr;
  QAction* act_run_bundled_ = nullptr;
  QAction* act_open_run_ = nullptr;
  QAction* act_run_ = nullptr;
  QAction* act_cancel_ = nullptr;
  QAction* act_error_axis_ = nullptr;
  QAction* act_export_png_ = nullptr;
  QAction* act_export_svg_ = nullptr;
  QAction* act_export_csv_ = nullptr;
  QAction* act_export_monitor_ = nullptr;
  QMenu* recent_menu_ = nullptr;
  bool settings_enabled_ = false;

  widgets::TrainingMonitor* monitor_ = nullptr;
  QPlainTextEdit* log_ = nullptr;
  QLabel* header_ = nullptr;
  QLabel* placeholder_ = nullptr;
  QStackedWidget* results_stack_ = nullptr;
  QTabWidget* tabs_ = nullptr;
  QMap<QString, ResultPage> pages_;
  widgets::PathsChart* paths_chart_ = nullptr;  ///< "all paths" tab, once a run has two paths
  widgets::PathsChart* compare_chart_ = nullptr;  ///< "compare" tab, after compareRuns
  widgets::RunBrowser* run_browser_ = nullptr;
  QDockWidget* runs_dock_ = nullptr;
  QAction* act_refresh_runs_ = nullptr;
  QLabel* stage_label_ = nullptr;
  QProgressBar* progress_ = nullptr;
  QLabel* device_label_ = nullptr;
  QLabel* threads_label_ = nullptr;
  QThread* probe_ = nullptr;
  std::shared_ptr<QString> probe_text_;
};

}  // namespace ridgeline::gui
