// MainWindow: studies (docs/USER_GUIDE.md, "Studies"). A study runs as one job of the queue
// (its cells one after another; each cell's training and results stream into the views as a
// plain run's do); when it ends, or when a study folder is opened, the "study" tab shows the
// barrier against the swept variable (widgets/study). Clicking a point opens that group's
// cells; the header of an opened cell links back to its study.
#include <QCursor>
#include <QDir>
#include <QDockWidget>
#include <QFileInfo>
#include <QLabel>
#include <QMenu>
#include <QProgressBar>
#include <QStackedWidget>
#include <QTabWidget>
#include <filesystem>

#include "gui/main_window/main_window.h"
#include "gui/main_window/settings.h"
#include "gui/results/result_views.h"
#include "ridgeline/core/format.h"
#include "widgets/study/study_chart.h"
#include "widgets/study/study_view.h"

namespace ridgeline::gui {

namespace {
constexpr const char* kBackLink = "ridgeline-study:back";
}

void MainWindow::buildStudy() {
  header_->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::LinksAccessibleByMouse);
  header_->setOpenExternalLinks(false);
  connect(&queue_.runner(), &JobRunner::cellStarted, this, &MainWindow::onCellStarted);
  connect(&queue_, &JobQueue::studyEnded, this, &MainWindow::onStudyEnded);
  connect(header_, &QLabel::linkActivated, this, [this](const QString& link) {
    if (link != kBackLink || !study_) return;
    QString why;
    if (!openStudyFolder(QString::fromStdString(study_->study_dir), &why))
      reportFailure("Cannot open the study", why);
  });
}

int MainWindow::startStudy(const StudySpec& study, const QString& source) {
  RunOptions ro;
  ro.out_dir = options_.out_dir.toStdString();
  ro.workspace = options_.workspace.toStdString();
  ro.device = options_.device.toStdString();
  ro.threads = options_.threads;
  if (queue_.busy() || queue_.queuedCount() > 0) {
    ro.out_dir.clear();  // a fixed --out folder holds one study
    appendLog(QString("queued study %1 from %2").arg(QString::fromStdString(study.base.name), source));
  }
  return queue_.enqueueStudy(study, ro, source);
}

void MainWindow::onCellStarted(int index, int total, const QString& name, bool reused) {
  const Job* job = queue_.running();
  if (!job || !job->study) return;
  // Each cell is a run of its own: its training and paths replace the previous cell's.
  const std::vector<StudyCell> cells = expand_study(*job->study);
  if (index >= 0 && index < static_cast<int>(cells.size())) spec_ = cells[static_cast<size_t>(index)].spec;
  clearResults();
  setPlaceholder(false, {});
  setSpecHeader({});
  header_->setText(header_->text() +
                   QString("<br><b>Study cell %1 of %2:</b> %3%4")
                       .arg(index + 1)
                       .arg(total)
                       .arg(name.toHtmlEscaped(), reused ? " (finished earlier: reused)" : ""));
  appendLog(QString("study cell %1/%2 %3%4").arg(index + 1).arg(total).arg(name, reused ? " (reused)" : ""));
}

void MainWindow::onStudyEnded(int, JobOutcome outcome, const StudySummary& summary) {
  if (outcome != JobOutcome::Finished && outcome != JobOutcome::Cancelled) return;
  // A cancelled study keeps its finished cells: show what they hold.
  const QString dir = QString::fromStdString(summary.study_dir);
  if (dir.isEmpty()) return;
  QString why;
  if (!openStudyFolder(dir, &why)) {
    appendLog("study: " + why);
    return;
  }
  if (outcome == JobOutcome::Finished) {
    state_ = State::Finished;
    stage_label_->setText(QString("Study finished in %1 — %2")
                              .arg(QString::fromStdString(format_seconds(summary.seconds)), dir));
  }
}

bool MainWindow::openStudyFolder(const QString& dir, QString* error) {
  if (queue_.busy()) {
    if (error) *error = "a run is going on (its views are live); open the study when it ends";
    return false;
  }
  try {
    StudySummary s = read_study_folder(dir.toStdString());
    showStudy(s);
    noteRecent(kRecentRunsKey, dir);
    appendLog("opened study folder " + dir);
    return true;
  } catch (const std::exception& e) {
    if (error) *error = QString::fromStdString(e.what());
    last_error_ = QString::fromStdString(e.what());
    return false;
  }
}

void MainWindow::showStudy(const StudySummary& s) {
  const StudyAggregate agg = aggregate_study_folder(s);
  clearResults();
  study_ = s;
  spec_ = s.spec.base;
  spec_source_ = QString::fromStdString(s.study_dir);
  summary_ = {};
  summary_.run_dir = s.study_dir;  // exports and figures go to the study folder
  setPlaceholder(false, {});
  progress_->hide();
  study_view_ = new widgets::StudyView;
  study_view_->setObjectName("studyView");
  study_view_->setAggregate(agg);
  connect(study_view_, &widgets::StudyView::cellsRequested, this, &MainWindow::onStudyCellsRequested);
  addChartMenu(study_view_->chart(), "study", [v = study_view_] { return v->tableCsv(); });
  tabs_->addTab(study_view_, "Study");
  tabs_->setCurrentWidget(study_view_);
  results_stack_->setCurrentIndex(1);
  // The header: the study, its sweep and its cells.
  int finished = 0;
  for (const StudyCellRecord& r : s.records) finished += r.status == "finished" || r.status == "reused";
  QStringList axes;
  for (const SweepAxis& a : s.spec.axes)
    axes << QString::fromStdString(a.key) + " " + QString::number(a.values.size());
  QString html = "<b>Study " + QString::fromStdString(agg.study).toHtmlEscaped() + "</b>";
  if (!s.spec.base.description.empty())
    html += " — " + QString::fromStdString(s.spec.base.description).toHtmlEscaped();
  html += QString("<br><span style='color:gray'>sweep %1 · %2 of %3 cells finished · status %4 · %5</span>")
              .arg(axes.join(" × ").toHtmlEscaped())
              .arg(finished)
              .arg(s.cells.size())
              .arg(QString::fromStdString(s.status).toHtmlEscaped(),
                   QString::fromStdString(s.study_dir).toHtmlEscaped());
  header_->setText(html);
  setWindowTitle("Ridgeline — study " + QString::fromStdString(agg.study));
  stage_label_->setText(QString("Opened study %1 (status: %2)")
                            .arg(QString::fromStdString(s.study_dir), QString::fromStdString(s.status)));
  state_ = State::Finished;
}

QStringList MainWindow::studyCells(const QString& group) const {
  QStringList out;
  if (!study_) return out;
  for (const StudyCell& c : study_->cells)
    if (QString::fromStdString(c.group) == group) out << QString::fromStdString(c.name);
  return out;
}

void MainWindow::onStudyCellsRequested(const QString& group, const QString& path) {
  const QStringList cells = studyCells(group);
  if (cells.isEmpty()) return;
  QString chosen = cells.size() == 1 ? cells.front() : QString();
  if (chosen.isEmpty()) {
    if (!interactive_) return;
    QMenu menu(this);
    menu.addSection(QString("%1 · %2: open a cell").arg(group, path));
    for (const QString& c : cells) {
      QAction* a = menu.addAction(c);
      for (size_t i = 0; i < study_->cells.size(); ++i)
        if (QString::fromStdString(study_->cells[i].name) == c) {
          const auto& seeds = study_->cells[i].seeds;
          a->setText(QString("%1   (seeds %2, %3; %4)")
                         .arg(c)
                         .arg(seeds.first)
                         .arg(seeds.second)
                         .arg(QString::fromStdString(study_->records[i].status)));
          a->setEnabled(study_->records[i].status == "finished" || study_->records[i].status == "reused");
        }
      a->setData(c);
    }
    QAction* picked = menu.exec(QCursor::pos());
    if (!picked) return;
    chosen = picked->data().toString();
  }
  QString why;
  if (!openStudyCell(chosen, path, &why)) reportFailure("Cannot open the cell", why);
}

bool MainWindow::openStudyCell(const QString& cell, const QString& path, QString* error) {
  if (!study_) {
    if (error) *error = "no study is open";
    return false;
  }
  const StudySummary study = *study_;
  size_t index = study.cells.size();
  for (size_t i = 0; i < study.cells.size(); ++i)
    if (QString::fromStdString(study.cells[i].name) == cell) index = i;
  if (index == study.cells.size()) {
    if (error) *error = "the study has no cell '" + cell + "'";
    return false;
  }
  const QString dir = QString::fromStdString(study.records[index].run_dir);
  if (!openRunFolder(dir, error)) return false;
  study_ = study;  // openRunFolder forgot it: keep it for the way back
  if (!path.isEmpty()) showView("paths:" + path);
  header_->setText(header_->text() +
                   QString("<br><a href='%1'>◀ Back to study %2</a> · cell <b>%3</b>")
                       .arg(kBackLink,
                            QString::fromStdString(study.spec.base.name).toHtmlEscaped(),
                            cell.toHtmlEscaped()));
  return true;
}

}  // namespace ridgeline::gui
