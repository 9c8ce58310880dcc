#include "gui/jobs/job_runner.h"

#include <QThread>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "ridgeline/core/errors.h"

namespace ridgeline::gui {

/// Everything the worker hands to the GUI thread; guarded by `mutex`.
struct JobRunner::Shared {
  std::mutex mutex;
  CancelToken cancel;
  std::vector<std::string> logs;
  std::optional<RunProgress> progress;
  std::map<std::string, StepMetrics> steps;  // latest per model
  std::vector<std::pair<std::string, EpochMetrics>> epochs;
  std::vector<StepResult> results;
  struct CellStart {
    int index = 0, total = 0;
    std::string name;
    bool reused = false;
  };
  std::vector<CellStart> cells;  // a study's cells as they start
  // Set once by the worker when it ends.
  JobOutcome outcome = JobOutcome::Finished;
  std::string message;
  RunSummary summary;
  StudySummary study;
};

JobRunner::JobRunner(QObject* parent) : QObject(parent) {
  timer_.setInterval(50);
  connect(&timer_, &QTimer::timeout, this, &JobRunner::drain);
}

JobRunner::~JobRunner() {
  if (thread_) {
    shared_->cancel.cancel();
    thread_->wait();
    delete thread_;
    thread_ = nullptr;
  }
}

namespace {

/// The engine's events, stored for the GUI thread's next drain.
RunEvents events_into(const std::shared_ptr<JobRunner::Shared>& shared);

}  // namespace

bool JobRunner::start(const ExperimentSpec& spec, const RunOptions& options) {
  return startWork([spec, options](const RunEvents& ev, Shared& shared) {
    RunSummary summary = run_experiment(spec, options, ev, &shared.cancel);
    const bool cancelled = summary.status == "cancelled";
    std::lock_guard lock(shared.mutex);
    shared.summary = std::move(summary);
    return cancelled;
  });
}

bool JobRunner::start(const StudySpec& study, const StudyOptions& options) {
  return startWork([study, options](const RunEvents& ev, Shared& shared) {
    StudyEvents sev;
    sev.run = ev;
    Shared* sh = &shared;
    sev.on_cell_start = [sh](size_t index, size_t total, const StudyCell& cell, bool reused) {
      std::lock_guard lock(sh->mutex);
      sh->cells.push_back({static_cast<int>(index), static_cast<int>(total), cell.name, reused});
    };
    StudySummary summary = run_study(study, options, sev, &shared.cancel);
    std::lock_guard lock(shared.mutex);
    shared.study = std::move(summary);
    return false;
  });
}

bool JobRunner::startWork(std::function<bool(const RunEvents&, Shared&)> work) {
  if (thread_) return false;
  auto shared = std::make_shared<Shared>();
  shared_ = shared;
  summary_ = {};
  study_ = {};

  thread_ = QThread::create([shared, work = std::move(work)] {
    const RunEvents ev = events_into(shared);
    JobOutcome outcome = JobOutcome::Finished;
    std::string message;
    try {
      if (work(ev, *shared)) outcome = JobOutcome::Cancelled;
    } catch (const Cancelled&) {
      outcome = JobOutcome::Cancelled;
      message = "cancelled";
    } catch (const InputError& e) {
      outcome = JobOutcome::InputFailed;
      message = e.what();
    } catch (const RunError& e) {
      outcome = JobOutcome::RunFailed;
      message = e.what();
    } catch (const std::exception& e) {
      outcome = JobOutcome::RunFailed;
      message = e.what();
    } catch (...) {
      outcome = JobOutcome::RunFailed;
      message = "unknown error";
    }
    std::lock_guard lock(shared->mutex);
    shared->outcome = outcome;
    shared->message = std::move(message);
  });
  connect(thread_, &QThread::finished, this, &JobRunner::onThreadFinished, Qt::QueuedConnection);
  timer_.start();
  thread_->start();
  return true;
}

namespace {

RunEvents events_into(const std::shared_ptr<JobRunner::Shared>& shared) {
  RunEvents ev;
  ev.on_log = [shared](const std::string& line) {
    std::lock_guard lock(shared->mutex);
    shared->logs.push_back(line);
  };
  ev.on_progress = [shared](const RunProgress& p) {
    std::lock_guard lock(shared->mutex);
    shared->progress = p;
  };
  ev.on_step = [shared](const std::string& model, const StepMetrics& m) {
    std::lock_guard lock(shared->mutex);
    shared->steps[model] = m;
  };
  ev.on_epoch = [shared](const std::string& model, const EpochMetrics& m) {
    std::lock_guard lock(shared->mutex);
    shared->epochs.emplace_back(model, m);
  };
  ev.on_result = [shared](const StepResult& r) {
    std::lock_guard lock(shared->mutex);
    shared->results.push_back(r);
  };
  return ev;
}

}  // namespace

void JobRunner::cancel() {
  if (shared_) shared_->cancel.cancel();
}

void JobRunner::drain() {
  if (!shared_) return;
  std::vector<std::string> logs;
  std::optional<RunProgress> prog;
  std::map<std::string, StepMetrics> steps;
  std::vector<std::pair<std::string, EpochMetrics>> epochs;
  std::vector<StepResult> results;
  std::vector<Shared::CellStart> cells;
  {
    std::lock_guard lock(shared_->mutex);
    cells.swap(shared_->cells);
    logs.swap(shared_->logs);
    prog.swap(shared_->progress);
    steps.swap(shared_->steps);
    epochs.swap(shared_->epochs);
    results.swap(shared_->results);
  }
  // A cell's start comes before what its run reports.
  for (const auto& c : cells) emit cellStarted(c.index, c.total, QString::fromStdString(c.name), c.reused);
  for (const auto& l : logs) emit logLine(QString::fromStdString(l));
  for (const auto& [model, m] : steps) emit step(QString::fromStdString(model), m);
  for (const auto& [model, m] : epochs) emit epoch(QString::fromStdString(model), m);
  for (const auto& r : results) emit result(r);
  if (prog) emit progress(*prog);
}

void JobRunner::onThreadFinished() {
  timer_.stop();
  drain();  // what arrived after the last tick
  JobOutcome outcome;
  QString message;
  {
    std::lock_guard lock(shared_->mutex);
    outcome = shared_->outcome;
    message = QString::fromStdString(shared_->message);
    summary_ = std::move(shared_->summary);
    study_ = std::move(shared_->study);
  }
  thread_->wait();
  thread_->deleteLater();
  thread_ = nullptr;
  emit finished(outcome, message);
}

}  // namespace ridgeline::gui
