#include "gui/jobs/jobs_panel.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QTreeWidget>
#include <QVBoxLayout>
#include <cmath>

#include "gui/jobs/job_queue.h"

namespace ridgeline::gui {

JobsPanel::JobsPanel(JobQueue& queue, QWidget* parent) : QWidget(parent), queue_(queue) {
  tree_ = new QTreeWidget;
  tree_->setColumnCount(ColumnCount);
  tree_->setHeaderLabels({"Job", "State", "Progress", "Time left", "Stage", "Run folder"});
  tree_->setRootIsDecorated(false);
  tree_->setUniformRowHeights(true);
  tree_->setSelectionMode(QAbstractItemView::SingleSelection);
  tree_->setToolTip("The runs started from this window, in the order they run (one at a time); "
                    "double-click an ended job to open its run folder");
  // The stage ("step wm+repair (repair statistics) 12/40") takes the room left; the run folder
  // is elided in the middle (its name is at the end), its full path in the tooltip.
  tree_->header()->setStretchLastSection(false);
  tree_->setTextElideMode(Qt::ElideMiddle);
  tree_->setColumnWidth(Name, 170);
  tree_->setColumnWidth(State, 80);
  tree_->setColumnWidth(Progress, 150);
  tree_->setColumnWidth(TimeLeft, 250);
  tree_->setColumnWidth(Folder, 280);
  tree_->header()->setSectionResizeMode(Stage, QHeaderView::Stretch);

  cancel_ = new QPushButton("Cancel job");
  cancel_->setToolTip("Stop the selected job, or the running one when no row is selected: a "
                      "queued job never starts; a running one stops within a second and keeps "
                      "its finished models");
  clear_ = new QPushButton("Clear ended");
  clear_->setToolTip("Remove the finished, cancelled and failed jobs from this list (their run "
                     "folders stay; see the Runs dock)");
  auto* buttons = new QHBoxLayout;
  buttons->addWidget(cancel_);
  buttons->addWidget(clear_);
  buttons->addStretch(1);
  auto* lay = new QVBoxLayout(this);
  lay->setContentsMargins(2, 2, 2, 2);
  lay->addWidget(tree_, 1);
  lay->addLayout(buttons);

  connect(cancel_, &QPushButton::clicked, this, [this] {
    if (const int id = cancelTarget()) queue_.cancel(id);
  });
  connect(clear_, &QPushButton::clicked, this, [this] {
    queue_.clearEnded();
    refresh();
  });
  connect(tree_, &QTreeWidget::itemSelectionChanged, this, &JobsPanel::updateButtons);
  connect(tree_, &QTreeWidget::itemDoubleClicked, this, [this](QTreeWidgetItem* item, int) {
    const Job* j = queue_.job(item->data(Name, Qt::UserRole).toInt());
    if (j && j->state != JobState::Queued && j->state != JobState::Running && !j->run_dir.isEmpty())
      emit openRequested(j->run_dir);
  });
  connect(&queue_, &JobQueue::jobAdded, this, [this](int id) {
    addRow(id);
    updateButtons();
  });
  connect(&queue_, &JobQueue::jobChanged, this, [this](int id) {
    updateRow(id);
    updateButtons();
  });
  tick_.setInterval(1000);
  connect(&tick_, &QTimer::timeout, this, [this] {
    if (const Job* j = queue_.running()) updateRow(j->id);
  });
  tick_.start();
  refresh();
}

void JobsPanel::addRow(int id) {
  if (rows_.contains(id)) return updateRow(id);
  auto* item = new QTreeWidgetItem(tree_);
  item->setData(Name, Qt::UserRole, id);
  auto* bar = new QProgressBar;
  bar->setRange(0, 1000);
  bar->setTextVisible(true);
  bar->setToolTip("The whole run, by time over the stages timed so far (steps of a kind not yet "
                  "timed are named under Time left, not counted)");
  tree_->setItemWidget(item, Progress, bar);
  rows_.insert(id, item);
  updateRow(id);
}

void JobsPanel::updateRow(int id) {
  const Job* j = queue_.job(id);
  QTreeWidgetItem* item = rows_.value(id);
  if (!j || !item) return;
  const double f = queue_.fraction(id);
  item->setText(Name, QString("#%1 %2").arg(id).arg(j->name));
  item->setToolTip(Name, "Spec from " + j->source);
  item->setText(State, to_string(j->state));
  item->setText(TimeLeft, queue_.etaText(id));
  item->setText(Stage, j->state == JobState::Failed ? j->message : j->stage);
  item->setToolTip(Stage, item->text(Stage));
  item->setText(Folder, j->run_dir);
  item->setToolTip(Folder, j->run_dir);
  const QColor color = j->state == JobState::Failed      ? QColor("#b22222")
                       : j->state == JobState::Cancelled ? QColor("#8a6d00")
                                                         : QColor();
  for (int c = 0; c < ColumnCount; ++c) item->setForeground(c, color.isValid() ? color : QColor());
  if (auto* bar = qobject_cast<QProgressBar*>(tree_->itemWidget(item, Progress))) {
    bar->setValue(static_cast<int>(std::lround(1000 * f)));
    bar->setFormat(QString("%1 %").arg(100 * f, 0, 'f', 0));
  }
}

void JobsPanel::refresh() {
  // Rows of jobs the queue forgot go; every job left is re-read.
  for (auto it = rows_.begin(); it != rows_.end();) {
    if (!queue_.job(it.key())) {
      delete it.value();
      it = rows_.erase(it);
    } else {
      ++it;
    }
  }
  for (const Job& j : queue_.jobs()) addRow(j.id);
  updateButtons();
}

void JobsPanel::updateButtons() {
  const Job* j = queue_.job(cancelTarget());
  cancel_->setEnabled(j && (j->state == JobState::Queued || j->state == JobState::Running));
  cancel_->setText(j && j->state == JobState::Running && selectedJob() != j->id
                       ? QString("Cancel running job")
                       : QString("Cancel job"));
  bool ended = false;
  for (const Job& k : queue_.jobs()) ended |= k.state != JobState::Queued && k.state != JobState::Running;
  clear_->setEnabled(ended);
}

QProgressBar* JobsPanel::progressBar(int id) const {
  QTreeWidgetItem* item = rows_.value(id);
  return item ? qobject_cast<QProgressBar*>(tree_->itemWidget(item, Progress)) : nullptr;
}

QString JobsPanel::cellText(int id, int column) const {
  QTreeWidgetItem* item = rows_.value(id);
  return item ? item->text(column) : QString();
}

int JobsPanel::cancelTarget() const {
  if (const Job* j = queue_.job(selectedJob()))
    if (j->state == JobState::Queued || j->state == JobState::Running) return j->id;
  const Job* running = queue_.running();
  return running ? running->id : 0;
}

int JobsPanel::selectedJob() const {
  const auto items = tree_->selectedItems();
  return items.isEmpty() ? 0 : items.front()->data(Name, Qt::UserRole).toInt();
}

}  // namespace ridgeline::gui
