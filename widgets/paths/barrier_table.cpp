#include "widgets/paths/barrier_table.h"

#include <QHeaderView>
#include <cmath>

#include "widgets/paths/quantity_text.h"

namespace ridgeline::widgets {

BarrierTable::BarrierTable(QWidget* parent) : QTableWidget(parent) {
  setColumnCount(ColumnCount);
  // No parentheses on the barrier forms: at the default window size a column is as wide as
  // "mean-endpoint", and a clipped "(mean-endpoint)" lost its edges.
  const QStringList headers = {"loss barrier\nlinear",  "loss barrier\nmean-endpoint",
                               "error barrier\nlinear", "error barrier\nmean-endpoint",
                               "barrier at α\n(linear, loss)", "loss at α = 0",
                               "loss at α = 1"};
  setHorizontalHeaderLabels(headers);
  const QStringList tips = {
      "max over α of L(α) − [(1−α)·L(0) + α·L(1)]: height above the straight line between "
      "the endpoint losses",
      "max over α of L(α) − ½·(L(0) + L(1)): height above the mean endpoint loss",
      "As the linear loss barrier, for the classification error (percentage points)",
      "As the mean-endpoint loss barrier, for the classification error (percentage points)",
      "Where the linear loss barrier occurs: the α of the maximum of L(α) − [(1−α)·L(0) + "
      "α·L(1)]. \"no interior barrier\": the maximum sits at an endpoint (the loss never "
      "rises above the straight line between the endpoint losses)",
      "Cross-entropy of model A (α = 0)", "Cross-entropy of model B (α = 1)"};
  for (int c = 0; c < ColumnCount; ++c) horizontalHeaderItem(c)->setToolTip(tips[c]);
  setEditTriggers(QAbstractItemView::NoEditTriggers);
  setSelectionBehavior(QAbstractItemView::SelectRows);
  setAlternatingRowColors(true);
  setWordWrap(false);  // rows of one height; a narrow column elides rather than wraps
  horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
  // "no interior barrier" is read whole; the numbers share the rest.
  horizontalHeader()->setSectionResizeMode(BarrierAlpha, QHeaderView::ResizeToContents);
  horizontalHeader()->setDefaultAlignment(Qt::AlignCenter);
  verticalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
  setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  setToolTip("Barriers along the path; hover a column header for its definition");
}

QString BarrierTable::alphaText(const Barriers& b) {
  if (!std::isfinite(b.loss_alpha)) return QStringLiteral("n/a");
  return has_interior_barrier(b.loss_lin, b.loss_alpha) ? alpha_text(b.loss_alpha)
                                                        : QStringLiteral("no interior barrier");
}

void BarrierTable::clearResult() { setRowCount(0); }

void BarrierTable::setResult(const InterpolationResult& result) {
  setRowCount(0);
  if (result.test) addRow("test", *result.test);
  if (result.train) addRow("train", *result.train);
  resizeRowsToContents();
  setFixedHeight(sizeHint().height());
}

void BarrierTable::setResults(const QList<QPair<QString, InterpolationResult>>& paths,
                              bool train_split) {
  setRowCount(0);
  for (const auto& [id, r] : paths) {
    const SplitCurve* c = preferred_split(r, train_split);
    if (!c) continue;
    const bool is_train = r.train && c == &*r.train;
    addRow(id + (is_train ? " · train" : " · test"), *c);
  }
  resizeRowsToContents();
  setFixedHeight(sizeHint().height());
}

void BarrierTable::addRow(const QString& split, const SplitCurve& curve) {
  const int row = rowCount();
  insertRow(row);
  setVerticalHeaderItem(row, new QTableWidgetItem(split));
  const auto& b = curve.barriers;
  const QString cells[ColumnCount] = {
      loss_barrier_text(b.loss_lin),
      loss_barrier_text(b.loss_mid),
      error_barrier_text(b.error_lin),
      error_barrier_text(b.error_mid),
      alphaText(b),
      curve.loss.empty() ? QStringLiteral("–") : loss_text(curve.loss.front()),
      curve.loss.empty() ? QStringLiteral("–") : loss_text(curve.loss.back())};
  for (int c = 0; c < ColumnCount; ++c) {
    auto* item = new QTableWidgetItem(cells[c]);
    item->setTextAlignment(Qt::AlignCenter);
    if ((c == ErrorLinear || c == ErrorMid) && !std::isfinite(c == ErrorLinear ? b.error_lin : b.error_mid))
      item->setToolTip("No accuracy for this model: its loss has no classification error");
    setItem(row, c, item);
  }
}

int BarrierTable::rowOf(const QString& split) const {
  for (int r = 0; r < rowCount(); ++r)
    if (verticalHeaderItem(r) && verticalHeaderItem(r)->text() == split) return r;
  return -1;
}

QString BarrierTable::cellText(int row, int column) const {
  const auto* it = item(row, column);
  return it ? it->text() : QString();
}

QSize BarrierTable::sizeHint() const {
  // Exactly the header and the rows (at least two), without a scroll bar.
  int h = horizontalHeader()->sizeHint().height() + 2 * frameWidth();
  for (int r = 0; r < rowCount(); ++r) h += verticalHeader()->sectionSize(r);
  for (int r = rowCount(); r < 2; ++r) h += verticalHeader()->minimumSectionSize() + 6;
  return {QTableWidget::sizeHint().width(), h};
}

QSize BarrierTable::minimumSizeHint() const { return {200, sizeHint().height()}; }

}  // namespace ridgeline::widgets
