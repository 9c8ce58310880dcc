#pragma once
/// @file gui_jobs_panel.h
/// The "Jobs" dock: every job of a JobQueue with its state, a progress bar over the whole
/// run, the time left, the current stage and the run folder; cancel a job (queued or
/// running), clear the ended ones. Refreshes on the queue's signals and once a second (the
/// time left moves with the clock).
#include <QMap>
#include <QTimer>
#include <QWidget>

class QProgressBar;
class QPushButton;
class QTreeWidget;
class QTreeWidgetItem;

namespace ridgeline::gui {

class JobQueue;

class JobsPanel : public QWidget {
  Q_OBJECT

 public:
  enum Column { Name = 0, State, Progress, TimeLeft, Stage, Folder, ColumnCount };

  explicit JobsPanel(JobQueue& queue, QWidget* parent = nullptr);

  QTreeWidget* tree() const { return tree_; }
  /// The progress bar of a job (null for unknown ids).
  QProgressBar* progressBar(int id) const;
  /// Text of a job's cell ("" for unknown ids).
  QString cellText(int id, int column) const;
  /// The job of the selected row (0 when none).
  int selectedJob() const;
  /// The job "Cancel job" stops: the selected one when it is queued or running, else the
  /// running one (0 when none).
  int cancelTarget() const;
  QPushButton* cancelButton() const { return cancel_; }

  /// Re-reads every job from the queue (what the timer does).
  void refresh();

 signals:
  /// The user asked to open a job's run folder (double-click on an ended job).
  void openRequested(const QString& dir);

 private:
  void addRow(int id);
  void updateRow(int id);
  void updateButtons();

  JobQueue& queue_;
  QTreeWidget* tree_ = nullptr;
  QPushButton* cancel_ = nullptr;
  QPushButton* clear_ = nullptr;
  QMap<int, QTreeWidgetItem*> rows_;
  QTimer tick_;
};

}  // namespace ridgeline::gui
