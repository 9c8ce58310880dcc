#pragma once
/// @file gui_job_progress.h
/// Overall progress and time left of one run, from the engine's stage reports.
///
/// A run is a sequence of stages known from its spec: the training of every model, then every
/// analysis step. The engine reports structured progress (RunProgress: stage kind, model or
/// step id, done, total) for the stage it works on; nothing here parses its display text. The estimate of the time left is the sum of
///   - the current stage's rest, extrapolated linearly from its own rate (once it is ≥ 2 %
///     done), and
///   - every later stage, at the mean duration of the finished stages of the same kind
///     (training, interpolate, align, merge; a model's training also takes the current
///     training stage's extrapolated length).
/// Stages whose kind has not been timed yet make the estimate partial: untimedStages() counts
/// them and etaText() says so instead of guessing. Time is passed in (seconds since the job
/// started) so the estimator is deterministic under test.
#include <QString>
#include <QStringList>
#include <vector>

#include "ridgeline/experiment/run.h"

namespace ridgeline::gui {

class JobProgress {
 public:
  JobProgress() = default;
  explicit JobProgress(const ExperimentSpec& spec);

  /// A stage report at `now` seconds since the job started. Unknown stages are ignored.
  void report(const RunProgress& p, double now);
  /// Marks the whole run done at `now`.
  void finish(double now);

  int stageCount() const { return static_cast<int>(stages_.size()); }
  /// Index of the current stage (-1 before the first report).
  int currentStage() const { return current_; }
  /// Fraction of the run done, in [0, 1]: by time over the stages that can be timed (untimed
  /// stages, named by etaText(), are not counted) once the current stage can be extrapolated;
  /// before that by stages (finished stages + the current one's fraction, over all stages).
  double fraction(double now) const;
  /// Seconds left (−1 while nothing can be estimated); covers only the timed stages when
  /// untimedStages() > 0.
  double secondsLeft(double now) const;
  /// Stages after the current one whose kind has no finished stage to time it by.
  int untimedStages() const;
  /// "about 2 min 10 s left", "about 40 s left + 2 untimed steps", "estimating…", "done".
  QString etaText(double now) const;

  /// "1 h 02 min", "2 min 10 s", "40 s".
  static QString formatSeconds(double seconds);

 private:
  struct Stage {
    StageKind kind = StageKind::Train;
    std::string name;   ///< the model trained, or the step's id
    QString type;       ///< "train", "interpolate", "align", "merge"
    double start = -1;  ///< seconds since the job started; -1 = not reached
    double end = -1;
    bool skipped = false;  ///< passed without a report (a resumed checkpoint)
    long long base = 0;    ///< `done` of the stage's first report (a spawn's start step)
  };
  int indexOf(const RunProgress& p) const;
  /// Mean duration of the finished, reported stages of `type`; -1 if none.
  double meanDuration(const QString& type) const;
  /// Extrapolated total duration of the current stage; -1 while unknown.
  double currentEstimate(double now) const;

  std::vector<Stage> stages_;
  int current_ = -1;
  double fraction_in_stage_ = 0;
  bool finished_ = false;
};

}  // namespace ridgeline::gui
