// The gain chart of AlignmentView (alignment_view_parts.h).
#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QLegend>
#include <QLogValueAxis>
#include <QValueAxis>
#include <algorithm>
#include <cmath>
#include <limits>

#include "widgets/alignment/alignment_view_parts.h"
#include "widgets/paths/interpolation_chart.h"

namespace ridgeline::widgets::alignment_detail {

GainBars gain_bars(const Reports& reports, bool share) {
  GainBars g;
  for (const auto& [id, r] : reports)
    for (const auto& l : r.layers)
      if (!g.categories.contains(QString::fromStdString(l.name)))
        g.categories << QString::fromStdString(l.name);
  g.all_positive = true;
  QStringList ids;
  for (const auto& [id, r] : reports) ids << QString::fromStdString(id);
  const QStringList shown = short_ids(ids, &g.prefix);  // legend entries fit side by side
  for (size_t s = 0; s < reports.size(); ++s) {
    const auto& [id, r] = reports[s];
    const QString label = step_label(id, r);
    double total = 0;
    for (const auto& l : r.layers) total += l.gain;
    if (r.layers.empty()) {  // a transformer's "+orth" row: a rotation, no permutations
      g.notes << QStringLiteral("%1: no permutations (one rotation of the residual stream)").arg(label);
      continue;
    }
    if (share && !(total > 0 && std::isfinite(total))) {
      g.notes << QStringLiteral("%1 left out: its layer gains sum to %2, no share")
                     .arg(label, format_significant(total, 3));
      continue;
    }
    QList<double> values;
    for (const QString& cat : g.categories) {
      auto it = std::find_if(r.layers.begin(), r.layers.end(),
                             [&](const auto& l) { return QString::fromStdString(l.name) == cat; });
      if (it == r.layers.end()) {
        g.notes << QStringLiteral("%1 has no layer %2 (drawn as 0)").arg(label, cat);
        values << 0.0;
      } else {
        values << (share ? 100.0 * it->gain / total : it->gain);
      }
      if (!(values.back() > 0 && std::isfinite(values.back()))) g.all_positive = false;
    }
    g.labels << step_label(shown[static_cast<qsizetype>(s)].toStdString(), r);
    g.step_index.push_back(s);
    g.values.push_back(values);
  }
  if (g.values.empty()) g.all_positive = false;
  return g;
}

void draw_gain_chart(QChart* chart, const GainBars& g, bool share, bool log_axis) {
  reset_chart(chart);
  // The step ids' common prefix is named in the view's title: a chart title cut off at "…" was
  // unreadable at the dock's width.
  chart->setTitle(g.values.empty() ? QStringLiteral("Gain per layer: no alignment")
                                   : QStringLiteral("Gain per layer"));
  auto* series = new QBarSeries;
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (size_t k = 0; k < g.values.size(); ++k) {
    auto* set = new QBarSet(g.labels[static_cast<qsizetype>(k)]);
    for (double v : g.values[k]) {
      set->append(v);
      if (std::isfinite(v)) {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
    }
    style_set(set, step_color(g.step_index[k]));
    series->append(set);
  }
  const qsizetype bars = g.categories.size() * static_cast<qsizetype>(g.values.size());
  series->setLabelsVisible(bars > 0 && bars <= 12);  // values on the bars while they fit
  series->setLabelsPosition(QAbstractBarSeries::LabelsOutsideEnd);
  series->setLabelsPrecision(3);
  series->setBarWidth(0.8);
  chart->addSeries(series);
  auto* x = category_axis(chart, g.categories, QStringLiteral("permutation (hidden layer)"));
  series->attachAxis(x);
  show_bar_tips(series, g.categories, 4);
  const QString y_title = share ? QStringLiteral("share of the step's summed gain (%)")
                                : QStringLiteral("gain ⟨C,P⟩ − ⟨C,I⟩ (objective units)");
  if (log_axis && g.all_positive) {
    auto* y = new QLogValueAxis;
    y->setBase(10);
    y->setLabelFormat("%g");
    // From a whole decade at least 0.3 decades below the lowest bar (which stays visible), with
    // room above the highest for its label.
    y->setRange(std::pow(10.0, std::floor(std::log10(lo * 0.5))), hi * 2.5);
    y->setMinorTickCount(-1);  // ticks at 2…9 × 10^k
    y->setTitleText(y_title + QStringLiteral(", log"));
    chart->addAxis(y, Qt::AlignLeft);
    series->attachAxis(y);
  } else {
    auto* y = new QValueAxis;
    y->setLabelFormat("%.3g");
    y->setTitleText(y_title);
    fit_value_axis(y, lo, hi * (bars > 0 && bars <= 12 ? 1.08 : 1.0), true);
    chart->addAxis(y, Qt::AlignLeft);
    series->attachAxis(y);
  }
  chart->legend()->setVisible(!g.values.empty());
}

}  // namespace ridgeline::widgets::alignment_detail
