#include "widgets/runs/run_browser.h"

#include <QDateTime>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>
#include <algorithm>
#include <set>

#include "widgets/paths/quantity_text.h"

namespace ridgeline::widgets {

namespace {

QString str(const std::string& s) { return QString::fromStdString(s); }

QString startedText(const std::string& iso) {
  const QDateTime t = QDateTime::fromString(str(iso), Qt::ISODate);
  return t.isValid() ? t.toLocalTime().toString("yyyy-MM-dd hh:mm:ss") : str(iso);
}

QColor statusColour(const std::string& status) {
  if (status == "failed") return QColor(178, 34, 34);
  if (status == "cancelled") return QColor(128, 128, 128);
  if (status == "running") return QColor(0, 114, 178);
  if (status == "interrupted") return QColor(213, 94, 0);
  return {};
}

/// Sorts by a number in Qt::UserRole + 1 (barriers; rows without one sort last).
class NumberItem : public QTableWidgetItem {
 public:
  using QTableWidgetItem::QTableWidgetItem;
  bool operator<(const QTableWidgetItem& other) const override {
    const QVariant a = data(Qt::UserRole + 1), b = other.data(Qt::UserRole + 1);
    if (!a.isValid() || !b.isValid()) return a.isValid();
    return a.toDouble() < b.toDouble();
  }
};

}  // namespace

RunBrowser::RunBrowser(QWidget* parent) : QWidget(parent) {
  table_ = new QTableWidget(0, ColumnCount);
  table_->setHorizontalHeaderLabels(
      {"Run", "Status", "Started", "Data", "Architecture", "Test barrier"});
  const QStringList header_tips = {
      "The run folder's name",
      "finished, cancelled, failed or running",
      "When the run started (local time)",
      "Data set of the spec",
      "Model architecture of the spec",
      "Test loss barrier (mean-endpoint) of the first interpolation path (the naive one in the "
      "bundled studies) and the lowest among the other paths, named (the best aligned one)"};
  for (int c = 0; c < ColumnCount; ++c) table_->horizontalHeaderItem(c)->setToolTip(header_tips[c]);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setSelectionMode(QAbstractItemView::ExtendedSelection);
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->setAlternatingRowColors(true);
  table_->verticalHeader()->hide();
  table_->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
  table_->horizontalHeader()->setSectionResizeMode(Arch, QHeaderView::Stretch);
  table_->setToolTip("Runs of the workspace: double-click one to open it; select two and "
                     "press \"Compare selected\" to overlay their paths; click a column "
                     "header to sort");
  table_->setSortingEnabled(true);
  table_->sortByColumn(Started, Qt::DescendingOrder);

  compare_ = new QPushButton("Compare selected");
  compare_->setToolTip("Overlay the interpolation paths of the two selected runs "
                       "(select exactly two rows)");
  count_ = new QLabel;
  count_->setStyleSheet("color: gray;");

  auto* buttons = new QHBoxLayout;
  buttons->addWidget(count_, 1);
  buttons->addWidget(compare_);
  auto* lay = new QVBoxLayout(this);
  lay->setContentsMargins(2, 2, 2, 2);
  lay->addWidget(table_, 1);
  lay->addLayout(buttons);

  connect(table_, &QTableWidget::cellDoubleClicked, this, [this](int row, int) {
    const QString dir = runDir(row);
    if (!dir.isEmpty()) emit openRequested(dir);
  });
  connect(table_->selectionModel(), &QItemSelectionModel::selectionChanged, this,
          &RunBrowser::updateButtons);
  connect(compare_, &QPushButton::clicked, this, [this] {
    const QStringList dirs = selectedDirs();
    if (dirs.size() == 2) emit compareRequested(dirs);
  });
  setRecords({});
}

QString RunBrowser::barrierText(const RunRecord& record) {
  const RunBarrier* b = record.headline();
  if (!b) return QString::fromUtf8("—");
  QString text = QString("%1 %2").arg(str(b->step), loss_barrier_text(b->loss_mid));
  if (const RunBarrier* best = record.best_other())
    text += QString(" · best %1 %2").arg(str(best->step), loss_barrier_text(best->loss_mid));
  return text;
}

void RunBrowser::setRecords(const std::vector<RunRecord>& records) {
  table_->clearSelection();
  // Filling a sorted table moves rows under our feet: sort once, after the rows are in.
  const int sort_column = table_->horizontalHeader()->sortIndicatorSection();
  const Qt::SortOrder sort_order = table_->horizontalHeader()->sortIndicatorOrder();
  table_->setSortingEnabled(false);
  table_->setRowCount(static_cast<int>(records.size()));
  for (int row = 0; row < static_cast<int>(records.size()); ++row) {
    const RunRecord& r = records[static_cast<size_t>(row)];
    const RunBarrier* b = r.headline();
    QString barrier_tip = b ? QString("Test barriers (mean-endpoint), loss and error:")
                            : QString("No test barrier recorded for this run");
    for (const RunBarrier& t : r.barriers)
      if (t.split == "test")
        barrier_tip += QString("\n%1: %2, %3")
                           .arg(str(t.step), loss_barrier_text(t.loss_mid),
                                error_barrier_text(t.error_mid));
    const QString texts[ColumnCount] = {str(r.id),   str(r.status), startedText(r.started),
                                        str(r.data), str(r.arch),   barrierText(r)};
    const QString tips[ColumnCount] = {
        str(r.dir) + (r.name.empty() ? QString() : "\nexperiment: " + str(r.name)),
        QString("%1 (%2, device: %3)%4")
            .arg(str(r.status), seconds_text(r.seconds),
                 r.device.empty() ? QString("?") : str(r.device),
                 r.status == "interrupted"
                     ? QString("\nIts process ended without finishing (killed or crashed).\n"
                               "Resume: ridgeline run %1/experiment.json --out %1")
                           .arg(str(r.dir))
                     : QString()),
        str(r.started),
        str(r.data),
        str(r.arch),
        barrier_tip};
    for (int c = 0; c < ColumnCount; ++c) {
      auto* item = c == Barrier ? new NumberItem(texts[c]) : new QTableWidgetItem(texts[c]);
      if (c == Barrier && b) item->setData(Qt::UserRole + 1, b->loss_mid);
      item->setToolTip(tips[c]);
      if (c == Barrier) item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
      if (c == Status && statusColour(r.status).isValid())
        item->setForeground(statusColour(r.status));
      if (c == Id) item->setData(Qt::UserRole, str(r.dir));
      table_->setItem(row, c, item);
    }
  }
  table_->setSortingEnabled(true);
  table_->sortByColumn(sort_column, sort_order);
  table_->resizeColumnsToContents();
  count_->setText(records.empty() ? QString("No runs in this workspace")
                                  : QString("%1 run(s)").arg(records.size()));
  updateButtons();
}

int RunBrowser::rowCount() const { return table_->rowCount(); }

QString RunBrowser::cellText(int row, int column) const {
  const QTableWidgetItem* item = table_->item(row, column);
  return item ? item->text() : QString();
}

QString RunBrowser::runDir(int row) const {
  const QTableWidgetItem* item = table_->item(row, Id);
  return item ? item->data(Qt::UserRole).toString() : QString();
}

QStringList RunBrowser::selectedDirs() const {
  std::set<int> rows;
  for (const QModelIndex& i : table_->selectionModel()->selectedRows()) rows.insert(i.row());
  QStringList dirs;
  for (int row : rows) dirs << runDir(row);
  return dirs;
}

void RunBrowser::selectRows(const QList<int>& rows) {
  table_->clearSelection();
  for (int row : rows)
    table_->selectionModel()->select(table_->model()->index(row, 0),
                                     QItemSelectionModel::Select | QItemSelectionModel::Rows);
}

void RunBrowser::updateButtons() { compare_->setEnabled(selectedDirs().size() == 2); }

}  // namespace ridgeline::widgets
