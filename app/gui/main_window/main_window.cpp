#include "gui/results/result_views.h"
#include "gui/main_window/main_window.h"
#include "ridgeline/core/format.h"
#include "gui/results/train_view.h"

#include <QAction>
#include <QChartView>
#include <QCoreApplication>
#include <QDockWidget>
#include <QTime>
#include <QDir>
#include <QFileDialog>
#include <QFile>
#include <QFileInfo>
#include <QFontDatabase>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QSplitter>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTabWidget>
#include <QThread>
#include <QToolBar>
#include <QVBoxLayout>
#include <algorithm>
#include <exception>

#include "gui/editor/experiment_editor.h"
#include "gui/main_window/settings.h"
#include "ridgeline/core/backend.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/experiment/steps/attention_step.h"
#include "widgets/training/training_monitor.h"

namespace ridgeline::gui {

MainWindow::MainWindow(const GuiOptions& options, QWidget* parent)
    : QMainWindow(parent), options_(options) {
  setWindowTitle("Ridgeline");
  resize(1400, 900);
  setDockOptions(QMainWindow::AnimatedDocks | QMainWindow::AllowTabbedDocks);
  buildLayout();
  ResultHost host;
  host.window = this;
  host.tabs = tabs_;
  host.show_tabs = [this] { results_stack_->setCurrentIndex(1); };
  host.add_chart_menu = [this](QChartView* view, const QString& name,
                               std::function<QString()> csv) {
    addChartMenu(view, name, std::move(csv));
  };
  host.spec = [this]() -> const ExperimentSpec* { return spec_ ? &*spec_ : nullptr; };
  results_ = std::make_unique<ResultArea>(host);
  buildActions();
  JobRunner& runner = queue_.runner();
  connect(&runner, &JobRunner::logLine, this, &MainWindow::onEngineLog);
  connect(&runner, &JobRunner::progress, this, &MainWindow::onProgress);
  connect(&runner, &JobRunner::step, this, &MainWindow::onStep);
  connect(&runner, &JobRunner::epoch, this, &MainWindow::onEpoch);
  connect(&runner, &JobRunner::result, this,
          [this](const StepResult& r) { results_->show(r); });
  connect(&queue_, &JobQueue::jobStarted, this, &MainWindow::onJobStarted);
  connect(&queue_, &JobQueue::jobEnded, this, &MainWindow::onJobEnded);
  buildDocks();
  buildStudy();
  setBusy(false);
  probeDevice();
}

MainWindow::~MainWindow() {
  if (probe_) probe_->wait();
}

void MainWindow::buildLayout() {
  log_ = new QPlainTextEdit;
  log_->setReadOnly(true);
  log_->setMaximumBlockCount(5000);
  log_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
  log_->setPlaceholderText("Run log");
  log_->setToolTip("Messages of the engine and of this window (also in the run's log.txt)");

  header_ = new QLabel;
  header_->setWordWrap(true);
  header_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  header_->setContentsMargins(4, 2, 4, 2);
  header_->setToolTip("The experiment: data, architecture, training recipe and run folder");
  header_->setText("<b>No results yet</b> — edit the experiment on the left and press Run "
                   "(Ctrl+R), start from File ▸ New from example, or open a run folder.");
  tabs_ = new QTabWidget;
  tabs_->setDocumentMode(true);
  tabs_->setToolTip("The results of the spec's steps (one tab per interpolation path)");
  placeholder_ = new QLabel;
  placeholder_->setAlignment(Qt::AlignCenter);
  placeholder_->setWordWrap(true);
  placeholder_->setMargin(24);
  setPlaceholder(false, {});
  results_stack_ = new QStackedWidget;
  results_stack_->addWidget(placeholder_);
  results_stack_->addWidget(tabs_);

  results_area_ = new QWidget;
  auto* rl = new QVBoxLayout(results_area_);
  rl->setContentsMargins(0, 0, 0, 0);
  rl->addWidget(header_);
  rl->addWidget(results_stack_, 1);
  setCentralWidget(results_area_);

  stage_label_ = new QLabel("Idle");
  stage_label_->setToolTip("Current stage of the running job");
  progress_ = new QProgressBar;
  progress_->setRange(0, 1000);
  progress_->setValue(0);
  progress_->setFixedWidth(240);
  progress_->setToolTip("Progress of the whole run (the Jobs dock has every job's time left)");
  progress_->hide();  // shown while a run goes on and after it
  device_label_ = new QLabel("Device: probing…");
  device_label_->setToolTip("Compute device of the runs (--device auto|cpu|cuda)");
  threads_label_ = new QLabel(threadsText());
  threads_label_->setToolTip("Host threads of the runs (--threads N; 0 = all hardware threads)");
  statusBar()->addWidget(stage_label_, 1);
  statusBar()->addPermanentWidget(progress_);
  statusBar()->addPermanentWidget(device_label_);
  statusBar()->addPermanentWidget(threads_label_);
}

void MainWindow::probeDevice() {
  // Probing CUDA can take a moment: do it off the GUI thread.
  probe_text_ = std::make_shared<QString>();
  auto text = probe_text_;
  const std::string device = options_.device.toStdString();
  probe_ = QThread::create([text, device] {
    QString cuda;
    try {
      bool registered = false;
      for (const auto& n : registered_backends()) registered |= (n == "cuda");
      const std::string why = registered ? backend_unavailable_reason("cuda")
                                         : std::string("not built with CUDA");
      cuda = why.empty() ? QString() : QString::fromStdString(why);
    } catch (const std::exception& e) {
      cuda = QString::fromStdString(e.what());
    }
    if (device == "cpu")
      *text = "Device: CPU";
    else if (cuda.isEmpty())
      *text = "Device: CUDA";
    else if (device == "cuda")
      *text = "Device: CUDA unavailable (" + cuda + ")";
    else
      *text = "Device: CPU (auto; CUDA: " + cuda + ")";
  });
  connect(probe_, &QThread::finished, this, [this] {
    if (device_label_->text().startsWith("Device: probing")) device_label_->setText(*probe_text_);
  });
  probe_->setParent(this);
  probe_->start();
}

void MainWindow::setBusy(bool busy) {
  // Runs can be queued at any time; the result views belong to the running job meanwhile.
  act_open_run_->setEnabled(!busy);
  act_cancel_->setEnabled(busy);
}

void MainWindow::appendLog(const QString& line) {
  log_->appendPlainText(QTime::currentTime().toString("hh:mm:ss  ") + line);
}

void MainWindow::onEngineLog(const QString& line) {
  appendLog(line);
  // The engine names the device it chose and the run folder as soon as it knows them.
  if (line.startsWith("device ")) device_label_->setText("Device: " + line.mid(7));
  if (line.startsWith("run folder ")) setSpecHeader(line.mid(11));
}

void MainWindow::setPlaceholder(bool failed, const QString& text) {
  if (failed) {
    placeholder_->setStyleSheet("color: #b22222; font-weight: bold;");
    placeholder_->setText(text);
  } else {
    placeholder_->setStyleSheet("color: gray;");
    placeholder_->setText("Interpolation curves and barriers appear here when a path step "
                          "finishes.");
  }
  if (stage_label_) stage_label_->setStyleSheet(failed ? "color: #b22222;" : "");
}

void MainWindow::reportFailure(const QString& title, const QString& message) {
  last_error_ = message;
  appendLog(title + ": " + message);
  setPlaceholder(true, title + "\n" + message);
  stage_label_->setText(title + ": " + message);
  progress_->hide();
  if (!interactive_) return;
  auto* box = new QMessageBox(QMessageBox::Warning, title, message, QMessageBox::Ok, this);
  box->setAttribute(Qt::WA_DeleteOnClose);
  box->open();
}

int MainWindow::startRun(const ExperimentSpec& spec, const QString& source) {
  RunOptions ro;
  ro.out_dir = options_.out_dir.toStdString();
  ro.workspace = options_.workspace.toStdString();
  ro.device = options_.device.toStdString();
  ro.threads = options_.threads;
  if (queue_.busy() || queue_.queuedCount() > 0) {
    // A fixed --out folder holds one run: later jobs get their own workspace folders.
    ro.out_dir.clear();
    appendLog(QString("queued %1 from %2").arg(QString::fromStdString(spec.name), source));
  }
  return queue_.enqueue(spec, ro, source);
}

void MainWindow::onJobStarted(int id) {
  const Job* job = queue_.job(id);
  if (!job) return;
  const ExperimentSpec& spec = job->spec;
  spec_ = spec;
  spec_source_ = job->source;
  summary_ = {};
  last_error_.clear();
  clearResults();
  setPlaceholder(false, {});
  progress_->show();
  setSpecHeader({});
  appendLog(QString("run %1 (%2 models, %3 steps) from %4")
                .arg(QString::fromStdString(spec.name))
                .arg(spec.models.size())
                .arg(spec.steps.size())
                .arg(job->source));
  state_ = State::Running;
  setBusy(true);
  if (QDockWidget* jobs = viewDock("jobs")) jobs->raise();
  if (QDockWidget* training = viewDock("training")) training->raise();
  stage_label_->setText("Starting…");
  progress_->setRange(0, 0);  // busy until the first progress report
}

bool MainWindow::runEditorSpec(QString* error) {
  editor_->validateNow();
  QString why;
  const std::optional<ExperimentSpec> spec = editor_->spec(&why);
  if (!spec) {
    if (error) *error = why;
    showView("experiment");
    reportFailure("The spec is not valid", why);
    return false;
  }
  const QString source = editor_->filePath().isEmpty()
                             ? QString("the editor (unsaved)")
                             : editor_->filePath() + (editor_->isModified() ? " (edited)" : "");
  if (editor_->isStudy()) {
    const std::optional<StudySpec> study = editor_->study(&why);
    if (!study) {
      if (error) *error = why;
      reportFailure("The study is not valid", why);
      return false;
    }
    startStudy(*study, source);
    return true;
  }
  startRun(*spec, source);
  return true;
}

void MainWindow::offerToEditor(const ExperimentSpec& spec, const QString& source,
                               const QString& file) {
  if (editor_->isModified()) return;  // never overwrite the user's unsaved edits
  QString error;
  if (!file.isEmpty() && editor_->loadFile(file, &error)) return;
  editor_->setSpec(spec, source);
}

bool MainWindow::runSpecFile(const QString& path, QString* error) {
  try {
    if (QFile f(path); f.open(QIODevice::ReadOnly) && has_sweep(f.readAll().toStdString())) {
      const StudySpec study = load_study(path.toStdString());
      noteRecent(kRecentSpecsKey, path);
      if (!editor_->isModified()) editor_->loadFile(path);
      return startStudy(study, path) > 0;
    }
    const ExperimentSpec spec = load_spec(path.toStdString());
    noteRecent(kRecentSpecsKey, path);
    offerToEditor(spec, path, path);
    return startRun(spec, path) > 0;
  } catch (const std::exception& e) {
    if (error) *error = QString::fromStdString(e.what());
    last_error_ = QString::fromStdString(e.what());
    return false;
  }
}

bool MainWindow::openRunFolder(const QString& dir, QString* error) {
  if (queue_.busy()) {
    if (error) *error = "a run is going on (its views are live); open the folder when it ends";
    return false;
  }
  if (QFileInfo::exists(QDir(dir).filePath("study.json")) &&
      !QFileInfo::exists(QDir(dir).filePath("experiment.json")))
    return openStudyFolder(dir, error);
  if (is_attention_folder(dir.toStdString())) return openAttentionFolder(dir, error);
  try {
    ExperimentSpec spec;
    RunSummary s = load_run(dir.toStdString(), &spec);
    spec_ = spec;
    spec_source_ = dir;
    summary_ = std::move(s);
    clearResults();
    setPlaceholder(false, {});
    progress_->hide();
    results_->showAll(summary_.results);
    if (!editor_->isModified()) editor_->showRunSpec(spec, dir);  // never over unsaved edits
    setSpecHeader(QString::fromStdString(summary_.run_dir));
    if (!summary_.device.empty())
      device_label_->setText("Device: " + QString::fromStdString(summary_.device));
    if (QDockWidget* training = viewDock("training")) training->raise();
    stage_label_->setText(QString("Opened %1 (status: %2)")
                              .arg(dir, QString::fromStdString(summary_.status)));
    appendLog("opened run folder " + dir);
    noteRecent(kRecentRunsKey, dir);
    // The run's own log (its lines carry their UTC timestamps).
    QFile run_log(QDir(dir).filePath("log.txt"));
    if (run_log.open(QIODevice::ReadOnly | QIODevice::Text))
      log_->appendPlainText(QString::fromUtf8(run_log.readAll()).trimmed());
    state_ = State::Finished;
    return true;
  } catch (const std::exception& e) {
    if (error) *error = QString::fromStdString(e.what());
    last_error_ = QString::fromStdString(e.what());
    return false;
  }
}

bool MainWindow::openAttentionFolder(const QString& dir, QString* error) {
  if (queue_.busy()) {
    if (error) *error = "a run is going on (its views are live); open the folder when it ends";
    return false;
  }
  try {
    AttentionStepResult r = read_attention_folder(dir.toStdString());
    QString id = QFileInfo(QDir::cleanPath(dir)).fileName();
    if (id.isEmpty()) id = "folder";
    const int models = static_cast<int>(r.models.size());
    QStringList names;
    for (size_t k = 0; k < r.models.size(); ++k)
      names << QString::fromStdString(r.models[k] + " (" + r.analyses[k].variant + ")");
    const QString header =
        QString("<b>Attention folder %1</b> — %2<br><span style='color:gray'>%3 · %4</span>")
            .arg(id.toHtmlEscaped(), names.join(", ").toHtmlEscaped(),
                 QString::fromStdString(r.analyses[0].data).toHtmlEscaped(), dir.toHtmlEscaped());
    clearResults();
    summary_ = {};
    summary_.run_dir = dir.toStdString();  // exports and figures go to the folder
    spec_source_ = dir;
    setPlaceholder(false, {});
    progress_->hide();
    results_->showAll({StepResult{id.toStdString(), "attention", std::move(r)}});
    spec_.reset();  // no spec: the folder is not a run
    header_->setText(header);
    setWindowTitle("Ridgeline — " + id);
    stage_label_->setText(QString("Opened attention folder %1 (%2 model%3)")
                              .arg(dir).arg(models).arg(models == 1 ? "" : "s"));
    appendLog("opened attention folder " + dir);
    noteRecent(kRecentRunsKey, dir);
    state_ = State::Finished;
    return true;
  } catch (const std::exception& e) {
    if (error) *error = QString::fromStdString(e.what());
    last_error_ = QString::fromStdString(e.what());
    return false;
  }
}

void MainWindow::cancelRun() {
  const Job* job = queue_.running();
  if (!job) return;
  queue_.cancel(job->id);
  stage_label_->setText("Cancelling…");
  appendLog("cancel requested");
}

bool MainWindow::saveScreenshot(const QString& path, QString* error, QWidget* target) {
  const QPixmap pix = target ? target->grab() : grab();
  if (pix.isNull() || !pix.save(path, "PNG")) {
    if (error) *error = "cannot write the image " + path;
    return false;
  }
  return true;
}

void MainWindow::onProgress(const RunProgress& p) {
  QString text = stage_text(p);
  const long long total = p.total;
  const Job* job = queue_.running();
  if (job) text += "  ·  " + queue_.etaText(job->id);
  stage_label_->setText(text);
  if (job) {
    // The bar shows the whole run (JobProgress), not only the current stage.
    progress_->setRange(0, 1000);
    progress_->setValue(static_cast<int>(1000.0 * queue_.fraction(job->id)));
  } else if (total <= 0) {
    progress_->setRange(0, 0);
  }
}

// The running job's training progress goes to the train stage's page (gui/results/train_view.h).
void MainWindow::onStep(const QString& model, const StepMetrics& m) {
  results_->get<TrainPages>()->addStep(model, m);
}

void MainWindow::onEpoch(const QString& model, const EpochMetrics& m) {
  results_->get<TrainPages>()->addEpoch(model, m);
}

widgets::TrainingMonitor* MainWindow::trainingMonitor() const {
  return results_->get<TrainPages>()->monitor();
}

void MainWindow::onJobEnded(int id, JobOutcome outcome, const QString& message,
                            const RunSummary& summary) {
  setBusy(false);
  progress_->setRange(0, 1000);
  bool ok = false;
  const Job* job = queue_.job(id);
  if (job && job->study && outcome == JobOutcome::Finished) {
    // The study view comes with studyEnded (onStudyEnded), right after this.
    progress_->setValue(1000);
    state_ = State::Finished;
    appendLog("study finished: " + job->run_dir);
    emit runEnded(true);
    return;
  }
  switch (outcome) {
    case JobOutcome::Finished: {
      summary_ = summary;
      // The summary is the record of the run: show exactly its results.
      results_->showAll(summary_.results);
      if (!summary_.device.empty())
        device_label_->setText("Device: " + QString::fromStdString(summary_.device));
      setSpecHeader(QString::fromStdString(summary_.run_dir));
      progress_->setValue(1000);
      const QString text = QString("Finished in %1 — %2")
                               .arg(QString::fromStdString(format_seconds(summary_.seconds)))
                               .arg(QString::fromStdString(summary_.run_dir));
      stage_label_->setText(text);
      appendLog(text);
      state_ = State::Finished;
      ok = true;
      break;
    }
    case JobOutcome::Cancelled:
      state_ = State::Cancelled;
      last_error_ = "cancelled";
      progress_->setValue(0);
      stage_label_->setText("Cancelled — finished models are kept in the run folder");
      appendLog("cancelled");
      break;
    case JobOutcome::InputFailed:
      state_ = State::Failed;
      progress_->setValue(0);
      reportFailure("Invalid input", message);
      break;
    case JobOutcome::RunFailed:
      state_ = State::Failed;
      progress_->setValue(0);
      reportFailure("Run failed", message);
      break;
  }
  emit runEnded(ok);
}

}  // namespace ridgeline::gui
