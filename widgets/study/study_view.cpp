#include "widgets/study/study_view.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>
#include <cmath>
#include <set>

#include "ridgeline/core/format.h"
#include "widgets/study/study_chart.h"

namespace ridgeline::widgets {

namespace {
QString csv_number(double v) { return std::isfinite(v) ? QString::number(v, 'g', 17) : QString(); }

QString csv_field(const QString& s) {
  if (!s.contains(',') && !s.contains('"') && !s.contains('\n')) return s;
  QString q = s;
  q.replace("\"", "\"\"");
  return "\"" + q + "\"";
}
}  // namespace

StudyView::StudyView(QWidget* parent) : QWidget(parent) {
  measure_ = new QComboBox;
  measure_->setObjectName("study.measure");
  measure_->addItem("Loss barrier (linear)", "loss_lin");
  measure_->addItem("Loss barrier (vs mean of ends)", "loss_mid");
  measure_->addItem("Error barrier (linear)", "error_lin");
  measure_->addItem("Error barrier (vs mean of ends)", "error_mid");
  measure_->setToolTip("Linear: the largest gap between the path and the chord between its ends "
                       "(Frankle et al. 2020). Vs mean of ends: the path's maximum minus the mean "
                       "of its ends (Git Re-Basin's code)");
  split_ = new QComboBox;
  split_->setObjectName("study.split");
  split_->addItems({"test", "train"});
  band_ = new QComboBox;
  band_->setObjectName("study.band");
  band_->addItem("± std (n ≥ 3), else min–max", static_cast<int>(StudyChart::Band::Auto));
  band_->addItem("± std", static_cast<int>(StudyChart::Band::Std));
  band_->addItem("min–max", static_cast<int>(StudyChart::Band::MinMax));
  band_->addItem("no band", static_cast<int>(StudyChart::Band::None));
  band_->setToolTip("The band around each mean, over the group's seed pairs");

  auto* controls = new QHBoxLayout;
  controls->addWidget(new QLabel("Show"));
  controls->addWidget(measure_);
  controls->addWidget(new QLabel("on"));
  controls->addWidget(split_);
  controls->addSpacing(12);
  controls->addWidget(new QLabel("Band"));
  controls->addWidget(band_);
  controls->addStretch(1);

  chart_ = new StudyChart;
  chart_->setMinimumHeight(280);
  note_ = new QLabel;
  note_->setObjectName("study.note");
  note_->setWordWrap(true);
  note_->setStyleSheet("color: #b26a00");
  note_->hide();
  table_ = new QTableWidget;
  table_->setObjectName("study.table");
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->verticalHeader()->hide();
  table_->setToolTip("One row per swept value and path kind; double-click a row to open its cells");

  auto* split = new QSplitter(Qt::Vertical);
  split->addWidget(chart_);
  split->addWidget(table_);
  split->setStretchFactor(0, 3);
  split->setStretchFactor(1, 1);
  table_->setMinimumHeight(110);
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(controls);
  layout->addWidget(note_);
  layout->addWidget(split, 1);

  connect(measure_, &QComboBox::currentIndexChanged, this, [this](int i) {
    chart_->setMeasure(i);
    refreshTable();
  });
  connect(split_, &QComboBox::currentTextChanged, this, [this](const QString& s) {
    chart_->setSplit(s);
    refreshTable();
  });
  connect(band_, &QComboBox::currentIndexChanged, this, [this](int) {
    chart_->setBand(static_cast<StudyChart::Band>(band_->currentData().toInt()));
  });
  connect(chart_, &StudyChart::pointClicked, this, &StudyView::cellsRequested);
  connect(table_, &QTableWidget::cellDoubleClicked, this, [this](int row, int) {
    const QTableWidgetItem* it = table_->item(row, 0);
    if (it) emit cellsRequested(it->data(Qt::UserRole).toString(), it->data(Qt::UserRole + 1).toString());
  });
}

void StudyView::setAggregate(const StudyAggregate& agg) {
  agg_ = agg;
  chart_->setAggregate(agg);
  // The split the study has: a study without a test split shows train.
  const QSignalBlocker block(split_);
  split_->setCurrentText(chart_->split());
  chart_->setSplit(chart_->split());
  refreshTable();
}

void StudyView::refreshTable() {
  const int m = measure_->currentIndex();
  const bool err = m >= 2;
  QStringList headers;
  for (const std::string& k : agg_.keys) headers << QString::fromStdString(k);
  headers << "path" << "n" << "mean" << "std" << "min" << "max";
  table_->clear();
  table_->setColumnCount(static_cast<int>(headers.size()));
  table_->setHorizontalHeaderLabels(headers);
  table_->setRowCount(0);
  const std::string split = chart_->split().toStdString();
  for (const StudyGroupRow& g : agg_.groups) {
    if (g.split != split) continue;
    const int row = table_->rowCount();
    table_->insertRow(row);
    int col = 0;
    for (const std::string& k : agg_.keys) {
      QString text;
      for (const SweptValue& v : g.values)
        if (v.key == k) text = QString::fromStdString(v.text);
      auto* it = new QTableWidgetItem(text);
      if (col == 0) {
        it->setData(Qt::UserRole, QString::fromStdString(g.group));
        it->setData(Qt::UserRole + 1, QString::fromStdString(g.path));
      }
      table_->setItem(row, col++, it);
    }
    auto* path = new QTableWidgetItem(QString::fromStdString(g.path));
    if (col == 0) {
      path->setData(Qt::UserRole, QString::fromStdString(g.group));
      path->setData(Qt::UserRole + 1, QString::fromStdString(g.path));
    }
    table_->setItem(row, col++, path);
    table_->setItem(row, col++, new QTableWidgetItem(QString::number(g.n)));
    const BarrierStats& s = g.stats[static_cast<size_t>(m)];
    auto barrier = [&](double v) {
      return QString::fromStdString(err ? format_error_barrier(v) : format_loss_barrier(v));
    };
    const QString spread = g.n >= 2 ? QString::fromStdString(err ? format_error(s.std) : format_loss(s.std))
                                    : QString("–");
    for (const QString& t : {barrier(s.mean), spread, barrier(s.min), barrier(s.max)}) {
      auto* it = new QTableWidgetItem(t);
      it->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
      table_->setItem(row, col++, it);
    }
  }
  table_->resizeColumnsToContents();
  QString note = chart_->note();
  if (!agg_.missing.empty())
    note = QString("%1 of %2 cells have no results yet (not finished): the numbers cover the others")
               .arg(agg_.missing.size())
               .arg(agg_.missing.size() + [&] {
                 std::set<std::string> cells;
                 for (const StudyCellRow& c : agg_.cells) cells.insert(c.cell);
                 return cells.size();
               }()) +
           (note.isEmpty() ? QString() : "; " + note);
  note_->setText(note);
  note_->setVisible(!note.isEmpty());
}

QString StudyView::tableCsv() const {
  const int m = measure_->currentIndex();
  const std::string measure = kBarrierMeasures[static_cast<size_t>(m)];
  QStringList header;
  for (const std::string& k : agg_.keys) header << QString::fromStdString(k);
  header << "group" << "path" << "split" << "n";
  for (const char* s : {"_mean", "_std", "_min", "_max"}) header << QString::fromStdString(measure + s);
  QString out = header.join(',') + "\n";
  const std::string split = chart_->split().toStdString();
  for (const StudyGroupRow& g : agg_.groups) {
    if (g.split != split) continue;
    QStringList row;
    for (const std::string& k : agg_.keys) {
      QString text;
      for (const SweptValue& v : g.values)
        if (v.key == k) text = QString::fromStdString(v.text);
      row << csv_field(text);
    }
    row << csv_field(QString::fromStdString(g.group)) << csv_field(QString::fromStdString(g.path))
        << QString::fromStdString(g.split) << QString::number(g.n);
    const BarrierStats& s = g.stats[static_cast<size_t>(m)];
    row << csv_number(s.mean) << csv_number(s.std) << csv_number(s.min) << csv_number(s.max);
    out += row.join(',') + "\n";
  }
  return out;
}

}  // namespace ridgeline::widgets
