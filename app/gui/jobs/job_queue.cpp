#include "gui/jobs/job_queue.h"

#include <algorithm>
#include <filesystem>

namespace ridgeline::gui {

QString to_string(JobState state) {
  switch (state) {
    case JobState::Queued: return "queued";
    case JobState::Running: return "running";
    case JobState::Finished: return "finished";
    case JobState::Cancelled: return "cancelled";
    case JobState::Failed: return "failed";
  }
  return {};
}

QString stage_text(const RunProgress& p) {
  QString text = QString::fromStdString(p.label());
  if (p.total > 0) text += QString("  %1 / %2").arg(p.done).arg(p.total);
  if (!p.message.empty()) text += "  ·  " + QString::fromStdString(p.message);
  return text;
}

JobQueue::JobQueue(QObject* parent) : QObject(parent) {
  connect(&runner_, &JobRunner::progress, this,
          [this](const RunProgress& p) {
            Job* j = find(running_id_);
            if (!j) return;
            if (j->study_progress) j->study_progress->report(p, now());
            else j->progress.report(p, now());
            j->stage = j->study ? j->cell + "  ·  " + stage_text(p) : stage_text(p);
            j->seconds = now();
            emit jobChanged(j->id);
          });
  connect(&runner_, &JobRunner::logLine, this, [this](const QString& line) {
    Job* j = find(running_id_);
    if (j && line.startsWith("run folder ")) {
      // A study's cells are its folder's cells/<name>/.
      j->run_dir = j->study ? QString::fromStdString(
                                  std::filesystem::path(line.mid(11).toStdString()).parent_path().parent_path().string())
                            : line.mid(11);
      emit jobChanged(j->id);
    }
  });
  connect(&runner_, &JobRunner::cellStarted, this,
          [this](int index, int total, const QString& name, bool reused) {
            Job* j = find(running_id_);
            if (!j || !j->study_progress) return;
            j->study_progress->cellStarted(index, reused, now());
            j->cell = QString("cell %1/%2 %3").arg(index + 1).arg(total).arg(name);
            j->stage = j->cell + (reused ? "  ·  reused (finished earlier)" : QString());
            emit jobChanged(j->id);
          });
  connect(&runner_, &JobRunner::finished, this, [this](JobOutcome outcome, const QString& message) {
    Job* j = find(running_id_);
    running_id_ = 0;
    if (!j) return;
    j->seconds = now();
    j->progress.finish(j->seconds);
    if (j->study_progress) j->study_progress->finish(j->seconds);
    switch (outcome) {
      case JobOutcome::Finished: j->state = JobState::Finished; break;
      case JobOutcome::Cancelled: j->state = JobState::Cancelled; break;
      case JobOutcome::InputFailed:
      case JobOutcome::RunFailed: j->state = JobState::Failed; break;
    }
    j->message = message;
    const RunSummary& summary = runner_.summary();
    if (!summary.run_dir.empty()) j->run_dir = QString::fromStdString(summary.run_dir);
    const bool study = j->study.has_value();
    if (study && !runner_.studySummary().study_dir.empty())
      j->run_dir = QString::fromStdString(runner_.studySummary().study_dir);
    j->stage = to_string(j->state);
    const int id = j->id;
    emit jobChanged(id);
    emit jobEnded(id, outcome, message, summary);
    if (study) emit studyEnded(id, outcome, runner_.studySummary());
    // The next job starts once the slots above have read the runner's summary.
    QTimer::singleShot(0, this, &JobQueue::startNext);
  });
}

Job* JobQueue::find(int id) {
  for (auto& j : jobs_)
    if (j.id == id) return &j;
  return nullptr;
}

const Job* JobQueue::job(int id) const {
  for (const auto& j : jobs_)
    if (j.id == id) return &j;
  return nullptr;
}

const Job* JobQueue::running() const { return running_id_ ? job(running_id_) : nullptr; }

int JobQueue::queuedCount() const {
  return static_cast<int>(std::count_if(jobs_.begin(), jobs_.end(),
                                        [](const Job& j) { return j.state == JobState::Queued; }));
}

double JobQueue::now() const { return clock_.isValid() ? clock_.elapsed() / 1000.0 : 0.0; }

int JobQueue::enqueue(const ExperimentSpec& spec, const RunOptions& options, const QString& source) {
  Job j;
  j.name = QString::fromStdString(spec.name);
  j.source = source;
  j.spec = spec;
  j.options = options;
  j.progress = JobProgress(spec);
  return add(std::move(j));
}

int JobQueue::enqueueStudy(const StudySpec& study, const RunOptions& options, const QString& source) {
  Job j;
  const std::vector<StudyCell> cells = expand_study(study, source.toStdString());
  j.name = QString("%1 (study, %2 cells)").arg(QString::fromStdString(study.base.name)).arg(cells.size());
  j.source = source;
  j.spec = study.base;
  j.options = options;
  j.study = study;
  j.study_progress = StudyProgress(cells);
  return add(std::move(j));
}

int JobQueue::add(Job j) {
  j.id = next_id_++;
  j.stage = "queued";
  jobs_.push_back(std::move(j));
  const int id = jobs_.back().id;
  emit jobAdded(id);
  if (!runner_.running() && running_id_ == 0) startNext();
  return id;
}

void JobQueue::startNext() {
  if (runner_.running() || running_id_ != 0) return;
  auto it = std::find_if(jobs_.begin(), jobs_.end(),
                         [](const Job& j) { return j.state == JobState::Queued; });
  if (it == jobs_.end()) return;
  if (it->study) {
    if (!runner_.start(*it->study, StudyOptions{it->options})) return;
  } else if (!runner_.start(it->spec, it->options)) {
    return;
  }
  running_id_ = it->id;
  it->state = JobState::Running;
  it->stage = "starting";
  clock_.start();
  emit jobStarted(it->id);
  emit jobChanged(it->id);
}

bool JobQueue::cancel(int id) {
  Job* j = find(id);
  if (!j) return false;
  if (j->state == JobState::Queued) {
    j->state = JobState::Cancelled;
    j->stage = "cancelled before it started";
    emit jobChanged(id);
    return true;
  }
  if (j->state == JobState::Running) {
    runner_.cancel();
    j->stage = "cancelling…";
    emit jobChanged(id);
    return true;
  }
  return false;
}

void JobQueue::cancelAll() {
  for (auto& j : jobs_)
    if (j.state == JobState::Queued) cancel(j.id);
  if (running_id_) cancel(running_id_);
}

void JobQueue::clearEnded() {
  jobs_.erase(std::remove_if(jobs_.begin(), jobs_.end(),
                             [](const Job& j) {
                               return j.state != JobState::Queued && j.state != JobState::Running;
                             }),
              jobs_.end());
}

double JobQueue::fraction(int id) const {
  const Job* j = job(id);
  if (!j) return 0;
  if (j->state == JobState::Running && j->study_progress) return j->study_progress->fraction(now());
  return j->state == JobState::Running ? j->progress.fraction(now())
                                       : (j->state == JobState::Finished ? 1.0 : 0.0);
}

QString JobQueue::etaText(int id) const {
  const Job* j = job(id);
  if (!j) return {};
  if (j->state == JobState::Running)
    return j->study_progress ? j->study_progress->etaText(now()) : j->progress.etaText(now());
  if (j->state == JobState::Queued) return "waiting";
  if (j->state == JobState::Cancelled && j->seconds == 0) return "not run";
  return QString("took %1").arg(JobProgress::formatSeconds(j->seconds));
}

}  // namespace ridgeline::gui
