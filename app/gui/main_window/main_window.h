#pragma once
/// @file gui_main_window.h
/// The first window of the desktop application: run a spec (or open a run folder), watch the
/// training live, and read the results of every step. The window is generic plumbing (result
/// tabs, docks, actions, job queue); each step kind's pages come from the result views
/// registry (gui/results/result_views.h).
#include <QMainWindow>
#include <QList>
#include <QMap>
#include <QPair>
#include <QString>
#include <functional>
#include <memory>
#include <optional>

#include "gui/jobs/job_queue.h"
#include "ridgeline/experiment/run.h"
#include "ridgeline/experiment/spec.h"
#include "ridgeline/experiment/study.h"

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
class RunBrowser;
class StudyView;
class TrainingMonitor;
}  // namespace ridgeline::widgets

namespace ridgeline::gui {

class ExperimentEditor;
class JobsPanel;
class ResultArea;

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
  void setInteractive(bool interactive);

  /// Queues a run of `spec` (it starts at once when nothing runs); `source` names where it
  /// came from (a file). Returns the job's id.
  int startRun(const ExperimentSpec& spec, const QString& source);
  /// Loads a spec file and queues a run of it. On a bad file returns false with the one-line
  /// reason.
  bool runSpecFile(const QString& path, QString* error = nullptr);
  /// Shows the spec and results of a finished run folder (load_run). False with the reason.
  bool openRunFolder(const QString& dir, QString* error = nullptr);
  /// File ▸ Compare checkpoints… after its dialogs: a spec of the files as external models
  /// (compare_spec.h: naive and weight-matched paths) on `data`, shown in the editor and
  /// queued. Returns the job's id, or 0 with the one-line reason (a missing or incompatible
  /// file, fewer than two files, an unknown data set).
  int compareCheckpoints(const QStringList& files, const QString& data, QString* error = nullptr);
  /// Queues a study (a spec with a "sweep"): its cells run one after another in one job, and
  /// the study view shows the aggregate when it ends. Returns the job's id.
  int startStudy(const StudySpec& study, const QString& source);
  /// Shows a study folder (STUDY_DIR/study.json; ridgeline study): the study view with the
  /// aggregate of its finished cells. False with the reason.
  bool openStudyFolder(const QString& dir, QString* error = nullptr);
  /// Shows a folder written by `ridgeline attention` (comparison.json and one analysis per
  /// model) as an attention page named after the folder ("attention:<folder name>"); also
  /// what openRunFolder does with such a folder. False with the reason.
  bool openAttentionFolder(const QString& dir, QString* error = nullptr);
  /// The open study's view (null when no study is shown).
  widgets::StudyView* studyView() const { return study_view_; }
  /// The cells of group `group` ("width=64") of the open study, in order.
  QStringList studyCells(const QString& group) const;
  /// Opens cell `cell` of the open study (its run folder) on the tab of path `path`; the
  /// header then links back to the study. False with the reason.
  bool openStudyCell(const QString& cell, const QString& path, QString* error = nullptr);
  /// Cancels the running job (queued jobs stay queued; see the Jobs dock).
  void cancelRun();
  /// The queue of runs and its dock.
  JobQueue& jobQueue() { return queue_; }
  JobsPanel* jobsPanel() const { return jobs_panel_; }

  /// The views by name, for --view and tests: "paths" (the result tabs), "training", "log",
  /// "jobs", "runs" and the names in viewNames(). showView raises a view (its dock or tab);
  /// "paths:<step id>", "all-paths" and "compare" select a result tab. False with the reason
  /// for an unknown name or a tab that does not exist (yet).
  static QStringList viewNames();
  bool showView(const QString& name, QString* error = nullptr);
  /// The widget a view shows (its dock's content or the result area); null if unknown.
  QWidget* viewWidget(const QString& name) const;
  /// The dock of a view (null for "paths", whose area is the central widget).
  QDockWidget* viewDock(const QString& name) const;
  /// The "Runs" dock's browser, filled from the workspace's catalog.
  widgets::RunBrowser* runBrowser() const { return run_browser_; }
  /// Rescans and lists the workspace's catalog into the browser. False with the reason
  /// (also shown in the status bar).
  bool refreshRuns(QString* error = nullptr);
  /// The workspace of the runs: --workspace, else default_workspace().
  QString workspace() const;
  /// Loads two run folders and hands them to the result views to overlay (the interpolate
  /// view's "compare" tab). False with the reason.
  bool compareRuns(const QStringList& dirs, QString* error = nullptr);
  /// Grabs the window (or only `target`, e.g. a viewWidget()) and writes a PNG. False with
  /// the reason.
  bool saveScreenshot(const QString& path, QString* error = nullptr, QWidget* target = nullptr);

  /// The chart of the current result tab (ResultArea::chartOn); the training monitor when no
  /// result is shown yet.
  QChartView* currentChart() const;
  /// Exports currentChart() to PNG or SVG by the suffix of `path` (gui_export.h).
  bool exportCurrentChart(const QString& path, QString* error = nullptr);
  /// The views that are charts, which --export-chart can write: "paths" (the first path's
  /// tab), "paths:<step id>", "all-paths", "compare", "training" and "alignment".
  static QStringList chartViewNames();
  /// The prefixes of per-step views ("paths:", "landscape:", "layerwise:"): each followed by a
  /// step id names that step's result tab.
  static QStringList stepViewPrefixes();
  static bool isStepView(const QString& name);
  /// "paths:<step id>, landscape:<step id>, …" for messages and --help.
  static QString stepViewHelp();
  /// Exports view `name` (one of chartViewNames(), or a "paths:<step id>"): its tab's chart,
  /// the training monitor, or the alignment charts stacked in one image. False with the
  /// reason when the view is not a chart or has nothing drawn yet (then `bad_input` is set:
  /// the command line's exit code 2), or when the file cannot be written.
  bool exportView(const QString& name, const QString& path, QString* error = nullptr,
                  bool* bad_input = nullptr);
  /// The current tab's numbers as CSV (ResultArea::numbersOn); its companion table (a path's
  /// barrier rows) goes to barriers_path_for(path).
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
  bool isRunning() const { return queue_.busy(); }
  QString lastError() const { return last_error_; }
  const RunSummary& lastSummary() const { return summary_; }

  // Views, for tests.
  /// The pages of every step kind's view (gui/results): results().get<PathsPages>() etc.
  ResultArea& results() const { return *results_; }
  widgets::TrainingMonitor* trainingMonitor() const;
  /// The "Experiment" dock: the spec that Run (Ctrl+R) queues.
  ExperimentEditor* editor() const { return editor_; }
  /// Queues a run of the editor's spec. False with the engine's message when it is invalid
  /// (also shown in the editor and, interactively, in a message box).
  bool runEditorSpec(QString* error = nullptr);
  QString stageText() const;
  /// The header above the results (the spec's name and recipe, or what folder is shown).
  QString headerText() const;
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
  void buildActions();
  void buildLayout();
  void buildRunBrowser();
  void buildDocks();
  QDockWidget* addViewDock(const QString& name, const QString& title, QWidget* w,
                           Qt::DockWidgetArea area, const QString& tip);
  void onJobStarted(int id);
  void onJobEnded(int id, JobOutcome outcome, const QString& message, const RunSummary& summary);
  // Studies (main_window_study.cpp).
  void buildStudy();
  void showStudy(const StudySummary& study);
  void onStudyCellsRequested(const QString& group, const QString& path);
  void onCellStarted(int index, int total, const QString& name, bool reused);
  void onStudyEnded(int id, JobOutcome outcome, const StudySummary& summary);
  void probeDevice();
  void setBusy(bool busy);
  void appendLog(const QString& line);
  void onEngineLog(const QString& line);
  void reportFailure(const QString& title, const QString& message);
  void setPlaceholder(bool failed, const QString& text);
  void clearResults();
  void setSpecHeader(const QString& run_dir);

  void onOpenSpec();
  /// Shows `spec` in the editor unless the user has unsaved edits there.
  void offerToEditor(const ExperimentSpec& spec, const QString& source, const QString& file);
  void rebuildExamplesMenu();
  void onRunBundled();
  void onRun();
  void onOpenRunFolder();
  /// File ▸ Compare checkpoints…: picked safetensors files and a data set, run as a spec of
  /// external models (compare_spec.h) in the job queue.
  void onCompareCheckpoints();
  void onSaveScreenshot();
  void onExportChart(const QString& suffix);
  void onExportMonitor();
  void onExportCsv();
  void onAbout();
  QString suggestedExportName(const QString& suffix) const;
  /// A right-click menu on `view` exporting it to PNG or SVG ("<name>.png" suggested).
  void addChartMenu(QChartView* view, const QString& name,
                    std::function<QString()> csv = {});

  void noteRecent(const char* key, const QString& path);
  void rebuildRecentMenu();
  void onProgress(const RunProgress& p);
  void onStep(const QString& model, const StepMetrics& m);
  void onEpoch(const QString& model, const EpochMetrics& m);

  GuiOptions options_;
  JobQueue queue_;
  bool interactive_ = true;
  State state_ = State::Idle;
  QString last_error_;
  RunSummary summary_;
  std::optional<ExperimentSpec> spec_;
  QString spec_source_;
  std::optional<StudySummary> study_;  ///< the study shown (or the study of the cell shown)
  widgets::StudyView* study_view_ = nullptr;  ///< its tab (null when not shown)

  QAction* act_open_spec_ = nullptr;
  QAction* act_run_bundled_ = nullptr;
  QAction* act_open_run_ = nullptr;
  QAction* act_run_ = nullptr;
  QAction* act_cancel_ = nullptr;
  QAction* act_export_png_ = nullptr;
  QAction* act_export_svg_ = nullptr;
  QAction* act_export_csv_ = nullptr;
  QAction* act_export_monitor_ = nullptr;
  QMenu* recent_menu_ = nullptr;
  bool settings_enabled_ = false;

  ExperimentEditor* editor_ = nullptr;
  QMenu* examples_menu_ = nullptr;
  /// Per-epoch records shown by the training monitor (live, or of the opened run).
  QPlainTextEdit* log_ = nullptr;
  QLabel* header_ = nullptr;
  QLabel* placeholder_ = nullptr;
  QStackedWidget* results_stack_ = nullptr;
  QTabWidget* tabs_ = nullptr;
  /// The step kinds' pages in the tabs and their docks (gui/results/result_views.h).
  std::unique_ptr<ResultArea> results_;
  widgets::RunBrowser* run_browser_ = nullptr;
  QDockWidget* runs_dock_ = nullptr;
  JobsPanel* jobs_panel_ = nullptr;
  QMap<QString, QDockWidget*> docks_;  ///< by view name
  QMenu* view_menu_ = nullptr;
  QWidget* results_area_ = nullptr;    ///< central: header + result tabs
  QAction* act_refresh_runs_ = nullptr;
  QLabel* stage_label_ = nullptr;
  QProgressBar* progress_ = nullptr;
  QLabel* device_label_ = nullptr;
  QLabel* threads_label_ = nullptr;
  QThread* probe_ = nullptr;
  std::shared_ptr<QString> probe_text_;
};

}  // namespace ridgeline::gui
