#pragma once
/// @file study_progress.h
/// Overall progress and time left of a study job: its cells run one after another, each an
/// ordinary run whose own progress JobProgress follows. The time left is the current cell's
/// rest (its JobProgress, or the mean cell duration while that cannot extrapolate yet) plus
/// every later cell at the mean duration of the cells finished in this job (cells reused from
/// an earlier run took no time and do not count). Time is passed in (seconds since the job
/// started), so the estimator is deterministic under test.
#include <QString>
#include <vector>

#include "gui/jobs/job_progress.h"
#include "ridgeline/experiment/study.h"

namespace ridgeline::gui {

class StudyProgress {
 public:
  StudyProgress() = default;
  explicit StudyProgress(const std::vector<StudyCell>& cells);

  /// Cell `index` starts at `now` (reused: its finished folder is kept; it takes no time).
  void cellStarted(int index, bool reused, double now);
  /// A stage report of the current cell's run.
  void report(const RunProgress& p, double now);
  void finish(double now);

  int cellCount() const { return static_cast<int>(cells_.size()); }
  int currentCell() const { return current_; }
  /// Cells finished (run or reused) before the current one.
  int cellsDone() const;
  double fraction(double now) const;
  /// −1 while nothing can be estimated.
  double secondsLeft(double now) const;
  /// "cell 3 of 15 · about 2 min 10 s left", "cell 1 of 15 · estimating…", "done".
  QString etaText(double now) const;

 private:
  struct Cell {
    JobProgress progress;
    double start = -1, end = -1;
    bool reused = false;
  };
  double meanCellSeconds() const;
  double currentLeft(double now) const;

  std::vector<Cell> cells_;
  int current_ = -1;
  bool finished_ = false;
};

}  // namespace ridgeline::gui
