#include "gui/jobs/study_progress.h"

#include <algorithm>

namespace ridgeline::gui {

StudyProgress::StudyProgress(const std::vector<StudyCell>& cells) {
  for (const StudyCell& c : cells) cells_.push_back({JobProgress(c.spec)});
}

void StudyProgress::cellStarted(int index, bool reused, double now) {
  if (index < 0 || index >= cellCount() || index <= current_ || finished_) return;
  if (current_ >= 0 && cells_[current_].end < 0) {
    cells_[current_].end = now;
    cells_[current_].progress.finish(now - cells_[current_].start);
  }
  current_ = index;
  cells_[index].start = now;
  cells_[index].reused = reused;
}

void StudyProgress::report(const RunProgress& p, double now) {
  if (current_ < 0 || finished_) return;
  Cell& c = cells_[current_];
  c.progress.report(p, now - c.start);
}

void StudyProgress::finish(double now) {
  if (current_ >= 0 && cells_[current_].end < 0) cells_[current_].end = now;
  finished_ = true;
}

int StudyProgress::cellsDone() const { return finished_ ? cellCount() : std::max(current_, 0); }

double StudyProgress::meanCellSeconds() const {
  double sum = 0;
  int n = 0;
  for (int k = 0; k < current_; ++k) {
    const Cell& c = cells_[k];
    if (c.reused || c.start < 0 || c.end < 0) continue;
    sum += c.end - c.start;
    ++n;
  }
  return n > 0 ? sum / n : -1;
}

double StudyProgress::currentLeft(double now) const {
  const Cell& c = cells_[current_];
  if (c.reused) return 0;
  const double elapsed = now - c.start;
  const double own = c.progress.secondsLeft(elapsed);
  // A cell's own estimate leaves out its untimed steps; the cells before it timed them all.
  const double mean = meanCellSeconds();
  if (own >= 0 && (c.progress.untimedStages() == 0 || mean < 0)) return own;
  if (mean >= 0) return std::max(own >= 0 ? own : 0.0, mean - elapsed);
  return -1;
}

double StudyProgress::secondsLeft(double now) const {
  if (finished_) return 0;
  if (current_ < 0) return -1;
  const double cur = currentLeft(now);
  if (cur < 0) return -1;
  double per_cell = meanCellSeconds();
  if (per_cell < 0) per_cell = (now - cells_[current_].start) + cur;  // the current cell's length
  return cur + per_cell * (cellCount() - current_ - 1);
}

double StudyProgress::fraction(double now) const {
  if (finished_) return 1;
  if (current_ < 0 || cells_.empty()) return 0;
  const double left = secondsLeft(now);
  if (left >= 0 && now > 0) return std::clamp(now / (now + left), 0.0, 1.0);
  const Cell& c = cells_[current_];
  return std::clamp((current_ + c.progress.fraction(now - c.start)) / cellCount(), 0.0, 1.0);
}

QString StudyProgress::etaText(double now) const {
  if (finished_) return "done";
  if (current_ < 0) return "starting";
  const QString cell = QString("cell %1 of %2").arg(current_ + 1).arg(cellCount());
  const double left = secondsLeft(now);
  if (left < 0) return cell + " · estimating…";
  return cell + " · about " + JobProgress::formatSeconds(left) + " left";
}

}  // namespace ridgeline::gui
