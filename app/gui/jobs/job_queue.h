#pragma once
/// @file gui_job_queue.h
/// A queue of runs. Jobs run one at a time, in the order they were added, on the worker thread
/// of one JobRunner (a run already uses every host thread or the GPU; two at once would only
/// slow both). The window connects to runner() for the live stream of the running job (log,
/// steps, epochs, results) and to the queue's own signals for the jobs' states. Every signal
/// is emitted on the GUI thread.
#include <QElapsedTimer>
#include <QObject>
#include <QString>
#include <QTimer>
#include <optional>
#include <vector>

#include "gui/jobs/job_progress.h"
#include "gui/jobs/job_runner.h"
#include "gui/jobs/study_progress.h"
#include "ridgeline/experiment/run.h"
#include "ridgeline/experiment/spec.h"

namespace ridgeline::gui {

enum class JobState { Queued, Running, Finished, Cancelled, Failed };

/// "queued", "running", "finished", "cancelled", "failed".
QString to_string(JobState state);

/// One line for a progress report: "train seed0  2680 / 4690  ·  epoch 6 loss 0.24".
QString stage_text(const RunProgress& p);

struct Job {
  int id = 0;
  QString name;    ///< the spec's name
  QString source;  ///< where the spec came from (a file, "editor")
  ExperimentSpec spec;
  RunOptions options;
  JobState state = JobState::Queued;
  QString stage;       ///< latest stage line of the engine
  QString message;     ///< the error of a failed job
  QString run_dir;     ///< known once the engine has made the folder
  double seconds = 0;  ///< run time so far, or in all once ended
  JobProgress progress;
  /// A study job (a spec with a "sweep"): its spec and the progress over its cells; `spec` is
  /// then its base spec and `run_dir` the study folder.
  std::optional<StudySpec> study;
  std::optional<StudyProgress> study_progress;
  QString cell;  ///< a study's current cell ("width=64,pair=1")
};

class JobQueue : public QObject {
  Q_OBJECT

 public:
  explicit JobQueue(QObject* parent = nullptr);
  /// Cancels the running job and waits for its worker (through the runner).
  ~JobQueue() override = default;

  /// Adds a run; it starts at once when nothing runs. Returns the job's id.
  int enqueue(const ExperimentSpec& spec, const RunOptions& options, const QString& source);
  /// Adds a study (its cells run one after another in this one job). Returns the job's id.
  int enqueueStudy(const StudySpec& study, const RunOptions& options, const QString& source);
  /// Cancels a job: a queued one never starts; the running one stops at its next check and
  /// ends as Cancelled. False for unknown or ended jobs.
  bool cancel(int id);
  /// Cancels the running job and every queued one.
  void cancelAll();
  /// Forgets the ended jobs.
  void clearEnded();

  const std::vector<Job>& jobs() const { return jobs_; }
  const Job* job(int id) const;
  /// The running job (null when idle).
  const Job* running() const;
  int queuedCount() const;
  bool busy() const { return runner_.running(); }
  /// Overall fraction and time left of a job now (0..1, "about … left").
  double fraction(int id) const;
  QString etaText(int id) const;

  /// The runner of the jobs: its signals stream the running job's log, steps, epochs and
  /// results. Its finished() signal is for the queue; use jobEnded().
  JobRunner& runner() { return runner_; }

 signals:
  void jobAdded(int id);
  /// State, stage, progress or run folder of a job changed (throttled with the runner).
  void jobChanged(int id);
  void jobStarted(int id);
  /// A job ended. For a Finished job, `summary` is its RunSummary. The next queued job starts
  /// after the slots of this signal have returned.
  void jobEnded(int id, ridgeline::gui::JobOutcome outcome, const QString& message,
                const ridgeline::RunSummary& summary);
  /// A study job ended (after jobEnded): what its cells did; its folder holds the aggregate
  /// when `outcome` is Finished.
  void studyEnded(int id, ridgeline::gui::JobOutcome outcome, const ridgeline::StudySummary& summary);

 private:
  Job* find(int id);
  int add(Job job);
  void startNext();
  double now() const;

  JobRunner runner_;
  std::vector<Job> jobs_;
  int next_id_ = 1;
  int running_id_ = 0;
  QElapsedTimer clock_;  ///< started when the running job starts
};

}  // namespace ridgeline::gui
