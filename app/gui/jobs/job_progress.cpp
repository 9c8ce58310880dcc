#include "gui/jobs/job_progress.h"

#include <algorithm>
#include <cmath>

namespace ridgeline::gui {

namespace {
/// Below this fraction of a stage, its rate is too noisy to extrapolate.
constexpr double kMinFractionToExtrapolate = 0.02;
}  // namespace

JobProgress::JobProgress(const ExperimentSpec& spec) {
  for (const auto& m : spec.models)
    stages_.push_back({StageKind::Train, m.name, "train"});
  for (const auto& s : spec.steps) stages_.push_back({StageKind::Step, s.id, QString::fromStdString(s.type)});
}

int JobProgress::indexOf(const RunProgress& p) const {
  const std::string& name = p.kind == StageKind::Train ? p.model : p.step_id;
  for (size_t i = 0; i < stages_.size(); ++i)
    if (stages_[i].kind == p.kind && stages_[i].name == name) return static_cast<int>(i);
  return -1;
}

void JobProgress::report(const RunProgress& p, double now) {
  const long long done = p.done, total = p.total;
  const int i = indexOf(p);
  if (i < 0 || finished_) return;
  if (i != current_) {
    if (i < current_) return;  // a late report of an earlier stage
    if (current_ >= 0) stages_[current_].end = now;
    // Stages passed without a report were resumed from the run folder: they took no time.
    for (int k = std::max(current_ + 1, 0); k < i; ++k) {
      stages_[k].start = stages_[k].end = now;
      stages_[k].skipped = true;
    }
    current_ = i;
    stages_[i].start = now;
    // A spawned model trains on from its parent's checkpoint: its first report is at the
    // spawn step, where its own share of the work starts. (A step's first report may come
    // after some of its points: those count as done.)
    stages_[i].base = p.kind == StageKind::Train && total > 0 ? std::clamp(done, 0LL, total) : 0;
    fraction_in_stage_ = 0;
  }
  const long long base = stages_[i].base;
  if (total > base)
    fraction_in_stage_ = std::clamp(static_cast<double>(done - base) / static_cast<double>(total - base),
                                    0.0, 1.0);
}

void JobProgress::finish(double now) {
  if (current_ >= 0 && stages_[current_].end < 0) stages_[current_].end = now;
  finished_ = true;
}

double JobProgress::meanDuration(const QString& type) const {
  double sum = 0;
  int n = 0;
  for (int k = 0; k < current_; ++k) {
    const Stage& s = stages_[k];
    if (s.type != type || s.skipped || s.end < 0) continue;
    sum += s.end - s.start;
    ++n;
  }
  return n > 0 ? sum / n : -1;
}

double JobProgress::currentEstimate(double now) const {
  if (current_ < 0 || fraction_in_stage_ < kMinFractionToExtrapolate) return -1;
  return (now - stages_[current_].start) / fraction_in_stage_;
}

int JobProgress::untimedStages() const {
  if (finished_) return 0;
  int n = 0;
  const QString current_kind = current_ >= 0 ? stages_[current_].type : QString();
  for (int k = current_ + 1; k < stageCount(); ++k) {
    const QString& kind = stages_[k].type;
    if (meanDuration(kind) >= 0) continue;
    if (kind == current_kind) continue;  // timed by the current stage's extrapolation
    ++n;
  }
  return n;
}

double JobProgress::secondsLeft(double now) const {
  if (finished_) return 0;
  const double cur = currentEstimate(now);
  if (cur < 0) return -1;
  double left = std::max(0.0, cur - (now - stages_[current_].start));
  const QString current_kind = stages_[current_].type;
  for (int k = current_ + 1; k < stageCount(); ++k) {
    double d = meanDuration(stages_[k].type);
    if (d < 0 && stages_[k].type == current_kind) d = cur;
    if (d > 0) left += d;
  }
  return left;
}

double JobProgress::fraction(double now) const {
  if (finished_) return 1;
  if (current_ < 0 || stages_.empty()) return 0;
  const double left = secondsLeft(now);
  if (left >= 0 && now > 0) return std::clamp(now / (now + left), 0.0, 1.0);
  return std::clamp((current_ + fraction_in_stage_) / stageCount(), 0.0, 1.0);
}

QString JobProgress::formatSeconds(double seconds) {
  const long long s = std::llround(std::max(0.0, seconds));
  if (s >= 3600) return QString("%1 h %2 min").arg(s / 3600).arg((s % 3600) / 60, 2, 10, QChar('0'));
  if (s >= 60) return QString("%1 min %2 s").arg(s / 60).arg(s % 60);
  return QString("%1 s").arg(s);
}

QString JobProgress::etaText(double now) const {
  if (finished_) return "done";
  const double left = secondsLeft(now);
  if (left < 0) return "estimating…";
  QString text = "about " + formatSeconds(left) + " left";
  const int untimed = untimedStages();
  if (untimed > 0)
    text += QString(" + %1 untimed step%2").arg(untimed).arg(untimed == 1 ? "" : "s");
  return text;
}

}  // namespace ridgeline::gui
