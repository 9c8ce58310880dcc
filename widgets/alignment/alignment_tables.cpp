// The tables of AlignmentView (alignment_view_parts.h): one row per step, one per layer, one
// per step that also permuted within heads (with its line).
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
               "mismatch; L2 between the canonical forms); <method>+orth+learned: then learned "
               "matching (objective: the midpoint training loss)",
               "Sweeps of coordinate ascent (wm), epochs (ste, learned), 1 for activation matching",
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

namespace {

// Up to 5 significant digits, as the table's other numbers; a gain > 0 signed.
QString gain_text(double v) { return QString::number(v, 'g', 5); }

QString signed_text(double v) {
  const QString t = gain_text(v);
  return v > 0 ? "+" + t : t;
}

// "3 of 8 (37.5%)": count of a total, as the layers table writes units moved.
QString count_of(int n, int total) {
  const double pct = total > 0 ? 100.0 * n / total : 0.0;
  return QStringLiteral("%1 of %2 (%3%)").arg(n).arg(total).arg(pct, 0, 'f', 1);
}

// The layers whose heads were paired again: "block 0: heads 1 0 2 3" (π(B)'s head h is B's
// head head_perms[l][h]).
QString head_pairing_tip(const WithinHeadsSummary& w) {
  QStringList lines;
  for (size_t l = 0; l < w.head_perms.size(); ++l) {
    const Permutation& p = w.head_perms[l];
    if (moved_units(p) == 0) continue;
    QStringList heads;
    for (int h : p) heads << QString::number(h);
    lines << QStringLiteral("block %1: B's heads %2 at positions 0..%3").arg(l).arg(heads.join(' ')).arg(p.size() - 1);
  }
  return lines.isEmpty() ? QStringLiteral("Every head kept the method's pairing")
                         : "Heads paired again (π(B)'s head h is B's head listed h-th):\n" +
                               lines.join('\n');
}

}  // namespace

void fill_within_heads_model(QStandardItemModel* m, const WithinHeadsRows& rows, int role) {
  m->clear();
  set_headers(m,
              {"step", "heads\npaired again", "σ moved\n(query/key)", "τ moved\n(value/output)",
               "Q/K ⟨A,B⟩\nbefore", "Q/K ⟨A,B⟩\nafter", "V/O ⟨A,B⟩\nbefore",
               "V/O ⟨A,B⟩\nafter", "gained"},
              {"Step id in the experiment spec",
               "Whole heads paired again on a cost their inner permutations cannot change "
               "(of layers × heads); hover a cell for the new pairing",
               "Heads whose query/key dimensions were permuted (σ_h not the identity)",
               "Heads whose value dimensions and projection columns were permuted (τ_h not the "
               "identity)",
               "Σ over heads of ⟨A, B⟩ over the query and key rows and biases, at the method's "
               "head pairing with the identity inside",
               "The same after pairing the heads again and applying every σ_h",
               "Σ over heads of ⟨A, B⟩ over the value rows and biases and the projection's "
               "columns, at the method's head pairing with the identity inside",
               "The same after pairing the heads again and applying every τ_h",
               "(Q/K after − before) + (V/O after − before): the weight-matching objective "
               "gained within heads"});
  for (const auto& [id, w] : rows) {
    QList<QStandardItem*> row;
    row << text_item(QString::fromStdString(id));
    auto* repaired = integer_item(w.heads_moved, role, count_of(w.heads_moved, w.heads));
    repaired->setToolTip(head_pairing_tip(w));
    row << repaired;
    if (w.qk_skipped.empty()) {
      row << integer_item(w.qk_moved, role, count_of(w.qk_moved, w.heads));
    } else {
      auto* qk = text_item("not searched", QString::fromStdString(w.qk_skipped));
      qk->setData(QVariant(), role);
      row << qk;
    }
    row << integer_item(w.vo_moved, role, count_of(w.vo_moved, w.heads))
        << number_item(w.qk_before, role, 6) << number_item(w.qk_after, role, 6)
        << number_item(w.vo_before, role, 6) << number_item(w.vo_after, role, 6);
    const double gained = (w.qk_after - w.qk_before) + (w.vo_after - w.vo_before);
    auto* g = number_item(gained, role);
    g->setText(std::isfinite(gained) ? signed_text(gained) : QStringLiteral("–"));
    row << g;
    m->appendRow(row);
  }
}

QString within_heads_line(const std::string& id, const WithinHeadsSummary& w) {
  const QString sigma = w.qk_skipped.empty()
                            ? QStringLiteral("σ (query/key) moved in %1 of %2 heads")
                                  .arg(w.qk_moved)
                                  .arg(w.heads)
                            : QStringLiteral("σ (query/key) not searched: %1")
                                  .arg(QString::fromStdString(w.qk_skipped));
  auto gain = [](const char* what, double before, double after) {
    return QStringLiteral("%1 %2 → %3 (%4)")
        .arg(what, gain_text(before), gain_text(after),
             signed_text(after - before));
  };
  return QStringLiteral("Within heads, %1: %2 of %3 heads paired again; %4, τ (value/output) in "
                        "%5 of %3; ⟨A, π(B)⟩ %6, %7")
      .arg(QString::fromStdString(id))
      .arg(w.heads_moved)
      .arg(w.heads)
      .arg(sigma)
      .arg(w.vo_moved)
      .arg(gain("Q/K", w.qk_before, w.qk_after), gain("V/O", w.vo_before, w.vo_after));
}

}  // namespace ridgeline::widgets::alignment_detail
