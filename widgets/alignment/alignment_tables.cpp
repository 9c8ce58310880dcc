// The two tables of AlignmentView (alignment_view_parts.h): one row per step, one per layer.
#include <QBrush>
#include <QStandardItemModel>
#include <cmath>

#include "widgets/alignment/alignment_view_parts.h"
#include "widgets/paths/quantity_text.h"
#include "widgets/paths/interpolation_chart.h"

namespace ridgeline::widgets::alignment_detail {

namespace {

QStandardItem* text_item(const QString& text, const QString& tip = {}) {
  auto* it = new QStandardItem(text);
  it->setEditable(false);
  if (!tip.isEmpty()) it->setToolTip(tip);
  return it;
}

// Shown with up to `digits` significant digits ("19683", "14.554", "1.14e-05"); the exact
// value under `role`.
QStandardItem* number_item(double v, int role, int digits = 5) {
  auto* it = text_item(std::isfinite(v) ? QString::number(v, 'g', digits) : QStringLiteral("–"));
  it->setData(v, role);
  it->setData(QVariant(int(Qt::AlignRight | Qt::AlignVCenter)), Qt::TextAlignmentRole);
  return it;
}

// Wall-clock time by the one rule of core/format.h ("0.04 s", "3 min 05 s"); seconds under `role`.
QStandardItem* seconds_item(double s, int role) {
  auto* it = text_item(std::isfinite(s) ? seconds_text(s) : QStringLiteral("–"));
  it->setData(s, role);
  it->setData(QVariant(int(Qt::AlignRight | Qt::AlignVCenter)), Qt::TextAlignmentRole);
  return it;
}

QStandardItem* integer_item(qint64 v, int role, const QString& text = {}) {
  auto* it = text_item(text.isEmpty() ? QString::number(v) : text);
  it->setData(v, role);
  it->setData(QVariant(int(Qt::AlignRight | Qt::AlignVCenter)), Qt::TextAlignmentRole);
  return it;
}

void set_headers(QStandardItemModel* m, const QStringList& names, const QStringList& tips) {
  m->setColumnCount(static_cast<int>(names.size()));
  for (int c = 0; c < names.size(); ++c) {
    auto* h = new QStandardItem(names[c]);
    h->setToolTip(tips[c]);
    m->setHorizontalHeaderItem(c, h);
  }
}

}  // namespace

void fill_steps_model(QStandardItemModel* m, const Reports& reports, int role) {
  m->clear();
  set_headers(m,
              {"step", "method", "sweeps", "time", "objective\nbefore", "objective\nafter",
               "L2\nbefore", "L2\nafter", "max |Δlogit|", "function\ncheck"},
              {"Step id in the experiment spec",
               "wm: weight matching; am / am-pearson: activation matching (cross-moment / "
               "correlation); ste: straight-through estimator; <method>+orth: then an "
               "orthogonal map of a transformer's residual stream (objective: the streams' "
               "mismatch; L2 between the canonical forms)",
               "Sweeps of coordinate ascent (wm), epochs (ste), 1 for activation matching",
               "Wall-clock seconds of the alignment",
               "The method's objective with B's units in their own order (identity)",
               "The method's objective after alignment",
               "‖θ_A − θ_B‖₂ over all parameters", "‖θ_A − π(θ_B)‖₂ over all parameters",
               "max |logit(θ_B) − logit(π(θ_B))| on test rows: a permutation must not change "
               "the function",
               "Passed when max |Δlogit| ≤ 1e-4 × max |logit| (at least 1e-5): float32 rounding"});
  for (const auto& [id, r] : reports) {
    QList<QStandardItem*> row;
    row << text_item(QString::fromStdString(id)) << text_item(QString::fromStdString(r.method))
        << integer_item(r.sweeps, role) << seconds_item(r.seconds, role)
        << number_item(r.objective_before, role, 6) << number_item(r.objective_after, role, 6)
        << number_item(r.l2_before, role) << number_item(r.l2_after, role)
        << number_item(r.function_max_diff, role, 3);
    auto* check = text_item(r.function_passed ? "passed" : "FAILED",
                            QStringLiteral("max |Δlogit| %1 of max |logit| %2")
                                .arg(format_significant(r.function_max_diff, 3),
                                     format_significant(r.function_max_logit, 4)));
    check->setData(r.function_passed, role);
    check->setForeground(r.function_passed ? QBrush(QColor(30, 120, 30)) : QBrush(Qt::red));
    row << check;
    m->appendRow(row);
  }
}

void fill_layers_model(QStandardItemModel* m, const Reports& reports, int role) {
  m->clear();
  set_headers(m, {"step", "layer", "units", "moved", "gain"},
              {"Step id in the experiment spec",
               "The permutation: P<ℓ> acts on hidden layer ℓ's units",
               "Units the permutation acts on",
               "Units i with p[i] ≠ i: how many of B's units changed place (percent of units)",
               "⟨C,P⟩ − ⟨C,I⟩: the method's objective gained by this layer's permutation, in "
               "the method's own units"});
  for (const auto& [id, r] : reports)
    for (const auto& l : r.layers) {
      const double pct = l.size > 0 ? 100.0 * double(l.moved) / double(l.size) : 0.0;
      QList<QStandardItem*> row;
      row << text_item(QString::fromStdString(id)) << text_item(QString::fromStdString(l.name))
          << integer_item(l.size, role)
          << integer_item(l.moved, role, QStringLiteral("%1 (%2%)").arg(l.moved).arg(pct, 0, 'f', 1))
          << number_item(l.gain, role);
      m->appendRow(row);
    }
}

}  // namespace ridgeline::widgets::alignment_detail
