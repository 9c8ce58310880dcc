#pragma once
/// @file gui_job_runner.h
/// Runs ridgeline::run_experiment on a worker thread with a CancelToken. The engine calls
/// RunEvents on that worker thread; the runner stores what arrives under a mutex and a 50 ms
/// timer on the GUI thread drains it and emits the signals below, so the GUI draws at most
/// ~20 times a second however fast the engine reports. Every signal is emitted on the GUI
/// thread. Exceptions never leave the worker: they end the job with an outcome and a message.
#include <QObject>
#include <QString>
#include <QTimer>
#include <functional>
#include <memory>

#include "ridgeline/experiment/run.h"
#include "ridgeline/experiment/study.h"

class QThread;

namespace ridgeline::gui {

enum class JobOutcome { Finished, Cancelled, InputFailed, RunFailed };

class JobRunner : public QObject {
  Q_OBJECT

 public:
  explicit JobRunner(QObject* parent = nullptr);
  /// Cancels a running job and waits for its worker to stop.
  ~JobRunner() override;

  /// Starts a job; returns false when one is already running.
  bool start(const ExperimentSpec& spec, const RunOptions& options);
  /// Starts a study (run_study: its cells one after another); false when a job is running.
  bool start(const StudySpec& study, const StudyOptions& options);
  /// Asks the running job to stop (it ends with JobOutcome::Cancelled at its next check).
  void cancel();
  bool running() const { return thread_ != nullptr; }
  /// Result of the last job that finished (valid after finished(Finished)).
  const RunSummary& summary() const { return summary_; }
  /// Result of the last study that finished (valid after finished(Finished) of a study).
  const StudySummary& studySummary() const { return study_; }

  struct Shared;  ///< what the worker hands to the GUI thread (job_runner.cpp)

 signals:
  void logLine(const QString& line);
  /// Latest progress of the current stage (coalesced).
  void progress(const ridgeline::RunProgress& p);
  /// Latest mini-batch of a model (coalesced: at most one per model per tick).
  void step(const QString& model, const ridgeline::StepMetrics& m);
  void epoch(const QString& model, const ridgeline::EpochMetrics& m);
  /// A step's typed result, once its results are written (gui/results shows it).
  void result(const ridgeline::StepResult& r);
  /// A study's cell starts (index from 0 of `total`); `reused` when its finished run folder
  /// is kept. Emitted before anything the cell's run reports.
  void cellStarted(int index, int total, const QString& name, bool reused);
  /// The job ended; `message` is empty on success, else one line for the user.
  void finished(ridgeline::gui::JobOutcome outcome, const QString& message);

 private:
  bool startWork(std::function<bool(const RunEvents&, Shared&)> work);
  void drain();
  void onThreadFinished();

  QThread* thread_ = nullptr;
  std::shared_ptr<Shared> shared_;
  QTimer timer_;
  RunSummary summary_;
  StudySummary study_;
};

}  // namespace ridgeline::gui
