// Chart helpers of AlignmentView and its L2 and sweep charts (alignment_view_parts.h).
#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QCursor>
#include <QHorizontalBarSeries>
#include <QLegend>
#include <QLineSeries>
#include <QPen>
#include <QToolTip>
#include <QValueAxis>
#include <algorithm>
#include <cmath>
#include <limits>

#include "widgets/alignment/alignment_view_parts.h"
#include "widgets/paths/interpolation_chart.h"

namespace ridgeline::widgets::alignment_detail {

namespace {

// Tableau 10: distinct on screen and in print.
const QColor kPalette[] = {{31, 119, 180}, {255, 127, 14}, {44, 160, 44},  {214, 39, 40},
                           {148, 103, 189}, {140, 86, 75}, {227, 119, 194}, {127, 127, 127},
                           {188, 189, 34},  {23, 190, 207}};

}  // namespace

void fit_value_axis(QValueAxis* axis, double lo, double hi, bool from_zero) {
  if (!(lo <= hi) || (lo == 0 && hi == 0)) {  // nothing drawn
    lo = 0;
    hi = 1;
  }
  if (from_zero) {
    lo = std::min(lo, 0.0);
    hi = std::max(hi, 0.0);
  }
  double pad = (hi - lo) * 0.08;
  if (pad <= 0) pad = std::max(std::abs(hi) * 0.1, 1e-3);
  axis->setRange(from_zero && lo >= 0 ? 0.0 : lo - pad, from_zero && hi <= 0 ? 0.0 : hi + pad);
  axis->applyNiceNumbers();
}

QBarCategoryAxis* category_axis(QChart* chart, const QStringList& categories, const QString& title,
                                Qt::Alignment where) {
  auto* axis = new QBarCategoryAxis;
  axis->append(categories);
  axis->setTitleText(title);
  chart->addAxis(axis, where);
  return axis;
}

QStringList short_ids(const QStringList& ids, QString* prefix) {
  prefix->clear();
  if (ids.size() == 1) {  // "align-seed1@wm" → "wm": Qt elides long labels even alone
    const qsizetype at = ids.front().lastIndexOf('@');
    if (at <= 0 || at + 1 == ids.front().size()) return ids;
    *prefix = ids.front().left(at + 1);
    return {ids.front().mid(at + 1)};
  }
  if (ids.isEmpty()) return ids;
  qsizetype n = ids.front().size();
  for (const QString& id : ids) {
    qsizetype k = 0;
    while (k < n && k < id.size() && id[k] == ids.front()[k]) ++k;
    n = k;
  }
  while (n > 0 && !QStringLiteral("@-_:/.").contains(ids.front()[n - 1])) --n;
  QStringList out;
  for (const QString& id : ids) {
    if (id.size() == n) return ids;  // an id would become empty
    out << id.mid(n);
  }
  *prefix = ids.front().left(n);
  return out;
}

// Bar values are hard to read off an axis: hovering a bar shows its set, category and value.
void show_bar_tips(QAbstractBarSeries* series, const QStringList& full_categories, int digits) {
  QObject::connect(series, &QAbstractBarSeries::hovered, series,
                   [full_categories, digits](bool on, int index, QBarSet* set) {
                     if (!on || !set) return QToolTip::hideText();
                     QToolTip::showText(QCursor::pos(),
                                        QStringLiteral("%1\n%2: %3")
                                            .arg(full_categories.value(index), set->label(),
                                                 format_significant(set->at(index), digits)));
                   });
}

void style_set(QBarSet* set, const QColor& color) {
  set->setColor(color);
  set->setBorderColor(color.darker(130));
  set->setLabelColor(QColor(40, 40, 40));  // the default white vanishes above a bar
}


QColor step_color(size_t index) { return kPalette[index % std::size(kPalette)]; }

QString step_label(const std::string& id, const AlignmentReport& r) {
  const QString q = QString::fromStdString(id), m = QString::fromStdString(r.method);
  return q == m || q.endsWith("@" + m) ? q : QStringLiteral("%1 (%2)").arg(q, m);
}

void style_chart(QChart* chart) {
  chart->legend()->setAlignment(Qt::AlignBottom);
  chart->setMargins(QMargins(4, 4, 4, 4));
  chart->setBackgroundRoundness(0);
  QFont f = chart->titleFont();
  f.setPointSizeF(f.pointSizeF() * 1.15);
  f.setBold(true);
  chart->setTitleFont(f);
}

void reset_chart(QChart* chart) {
  chart->removeAllSeries();
  for (auto* a : chart->axes()) {
    chart->removeAxis(a);
    delete a;
  }
}

void draw_l2_chart(QChart* chart, const Reports& reports) {
  reset_chart(chart);
  chart->setTitle(reports.empty() ? QStringLiteral("Distance to θ_A: no alignment")
                                  : QStringLiteral("Distance to θ_A, before and after"));
  auto* before = new QBarSet(QStringLiteral("‖θ_A − θ_B‖"));
  auto* after = new QBarSet(QStringLiteral("‖θ_A − π(θ_B)‖"));
  style_set(before, QColor(160, 160, 160));
  style_set(after, QColor(31, 119, 180));
  // Horizontal bars, the first step on top: step ids read in full beside their bars.
  QStringList categories;
  double hi = 0;
  for (auto it = reports.rbegin(); it != reports.rend(); ++it) {
    categories << QString::fromStdString(it->first);
    before->append(it->second.l2_before);
    after->append(it->second.l2_after);
    for (double v : {it->second.l2_before, it->second.l2_after})
      if (std::isfinite(v)) hi = std::max(hi, v);
  }
  auto* series = new QHorizontalBarSeries;
  series->append(before);
  series->append(after);
  series->setLabelsVisible(!reports.empty() && reports.size() <= 8);
  series->setLabelsPosition(QAbstractBarSeries::LabelsOutsideEnd);
  series->setLabelsPrecision(4);
  series->setBarWidth(0.8);
  chart->addSeries(series);
  QString prefix;
  const QStringList labels = short_ids(categories, &prefix);
  auto* y = category_axis(chart, labels, QStringLiteral("step"), Qt::AlignLeft);
  series->attachAxis(y);
  show_bar_tips(series, categories, 5);
  auto* x = new QValueAxis;
  x->setTitleText(QStringLiteral("L2 distance"));  // the chart is narrow: the tooltip says more
  x->setLabelFormat("%.3g");
  fit_value_axis(x, 0, hi * (series->isLabelsVisible() ? 1.2 : 1.0), true);  // room for labels
  chart->addAxis(x, Qt::AlignBottom);
  series->attachAxis(x);
  chart->legend()->setVisible(!reports.empty());
}

QString draw_sweep_chart(QChart* chart, const Reports& reports) {
  reset_chart(chart);
  auto* x = new QValueAxis;
  x->setTitleText(QStringLiteral("sweep (0 = identity)"));
  x->setLabelFormat("%d");
  auto* y = new QValueAxis;
  y->setTitleText(QStringLiteral("objective Σ⟨θ_A, π(θ_B)⟩"));
  y->setLabelFormat("%.5g");
  chart->addAxis(x, Qt::AlignBottom);
  chart->addAxis(y, Qt::AlignLeft);
  QStringList without;
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  int max_sweep = 1;
  for (size_t s = 0; s < reports.size(); ++s) {
    const auto& [id, r] = reports[s];
    if (r.method != "wm" || r.objective_per_sweep.empty()) {
      const bool orth = r.method.size() > 5 && r.method.compare(r.method.size() - 5, 5, "+orth") == 0;
      without << (r.method == "ste"
                      ? QStringLiteral("%1: trains on the midpoint loss (per-epoch losses, not this objective)")
                            .arg(step_label(id, r))
                      : orth ? QStringLiteral("%1: one Procrustes rotation of the residual stream (its "
                                              "objective is the streams' mismatch)").arg(step_label(id, r))
                             : QStringLiteral("%1: one assignment per layer, no sweeps").arg(step_label(id, r)));
      continue;
    }
    auto* line = new QLineSeries;
    line->setName(QString::fromStdString(id));
    line->append(0, r.objective_before);
    for (size_t i = 0; i < r.objective_per_sweep.size(); ++i)
      line->append(static_cast<double>(i + 1), r.objective_per_sweep[i]);
    for (const QPointF& p : line->points())
      if (std::isfinite(p.y())) {
        lo = std::min(lo, p.y());
        hi = std::max(hi, p.y());
      }
    max_sweep = std::max(max_sweep, static_cast<int>(r.objective_per_sweep.size()));
    QPen pen(step_color(s));
    pen.setWidthF(2.0);
    line->setPen(pen);
    line->setPointsVisible(r.objective_per_sweep.size() <= 40);
    chart->addSeries(line);
    line->attachAxis(x);
    line->attachAxis(y);
  }
  const bool any = !chart->series().isEmpty();
  chart->setTitle(any ? QStringLiteral("Weight matching: objective per sweep")
                      : QStringLiteral("Objective per sweep: no weight-matching step"));
  x->setRange(-0.25, max_sweep + 0.25);  // the end points' markers stay whole
  x->setTickType(QValueAxis::TicksDynamic);
  x->setTickAnchor(0);
  x->setTickInterval(std::max(1.0, std::ceil(max_sweep / 8.0)));
  fit_value_axis(y, lo, hi, lo >= 0);
  chart->legend()->setVisible(any);
  return without.isEmpty() ? QString() : QStringLiteral("No curve for ") + without.join("; ");
}

}  // namespace ridgeline::widgets::alignment_detail
