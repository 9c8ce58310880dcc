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
  // Set once by the worker when it ends.
  JobOutcome outcome = JobOutcome::Finished;
  std::string message;
  RunSummary summary;
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

bool JobRunner::start(const ExperimentSpec& spec, const RunOptions& options) {
  if (thread_) return false;
  auto shared = std::make_shared<Shared>();
  shared_ = shared;
  summary_ = {};

  thread_ = QThread::create([shared, spec, options] {
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
    JobOutcome outcome = JobOutcome::Finished;
    std::string message;
    RunSummary summary;
    try {
      summary = run_experiment(spec, options, ev, &shared->cancel);
      if (summary.status == "cancelled") outcome = JobOutcome::Cancelled;
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
    shared->summary = std::move(summary);
  });
  connect(thread_, &QThread::finished, this, &JobRunner::onThreadFinished, Qt::QueuedConnection);
  timer_.start();
  thread_->start();
  return true;
}

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
  {
    std::lock_guard lock(shared_->mutex);
    logs.swap(shared_->logs);
    prog.swap(shared_->progress);
    steps.swap(shared_->steps);
    epochs.swap(shared_->epochs);
    results.swap(shared_->results);
  }
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
  }
  thread_->wait();
  thread_->deleteLater();
  thread_ = nullptr;
  emit finished(outcome, message);
}

}  // namespace ridgeline::gui
