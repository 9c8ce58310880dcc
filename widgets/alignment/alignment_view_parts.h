#pragma once
// Internal to AlignmentView: what its charts and tables draw from a list of reports.
// alignment_charts.cpp fills the charts, alignment_tables.cpp the tables.
#include <QColor>
#include <QList>
#include <QString>
#include <QStringList>
#include <string>
#include <utility>
#include <vector>

#include "ridgeline/align/alignment_report.h"

class QAbstractBarSeries;
class QBarCategoryAxis;
class QBarSet;
class QChart;
class QStandardItemModel;
class QValueAxis;

namespace ridgeline::widgets::alignment_detail {

using Reports = std::vector<std::pair<std::string, AlignmentReport>>;
using WithinHeadsRows = std::vector<std::pair<std::string, WithinHeadsSummary>>;

/// The colour of step `index` (the same in the gain bars and the sweep lines).
QColor step_color(size_t index);
/// "align-seed1@wm" stays as it is; an id that does not name its method gets " (method)".
QString step_label(const std::string& id, const AlignmentReport& r);
/// Margins, fonts and legend shared by the three charts.
void style_chart(QChart* chart);
/// Removes every series and axis.
void reset_chart(QChart* chart);
/// [lo, hi] padded and made nice; from_zero keeps 0 in view. Nothing finite: [0, 1].
void fit_value_axis(QValueAxis* axis, double lo, double hi, bool from_zero);
/// A category axis added to `chart` at `where`.
QBarCategoryAxis* category_axis(QChart* chart, const QStringList& categories, const QString& title,
                                Qt::Alignment where = Qt::AlignBottom);
/// The ids less their common prefix up to a separator ("align-seed1@wm", "align-seed1@am" →
/// "wm", "am"; a lone "align-seed1@wm" → "wm"), so that labels fit; `prefix` gets the cut.
QStringList short_ids(const QStringList& ids, QString* prefix);
/// Hovering a bar shows its category (from `full_categories`), set and value.
void show_bar_tips(QAbstractBarSeries* series, const QStringList& full_categories, int digits);
/// Fill, border and a label colour that shows above the bar.
void style_set(QBarSet* set, const QColor& color);

/// The gain bars: one set per drawn step, one value per category (layer name).
struct GainBars {
  QStringList categories;
  QStringList labels;               ///< one per set: step ids less `prefix`
  QString prefix;                   ///< common to every step id ("align-seed1@"), or empty
  std::vector<size_t> step_index;   ///< into the reports, one per set
  std::vector<QList<double>> values;
  QStringList notes;                ///< steps left out, layers a step lacks (drawn as 0)
  bool all_positive = false;        ///< every value finite and > 0 (a log axis can show them)
};
/// share: each gain in percent of its step's summed layer gains; a step whose sum is not > 0
/// has no share and is left out with a note.
GainBars gain_bars(const Reports& reports, bool share);
void draw_gain_chart(QChart* chart, const GainBars& bars, bool share, bool log_axis);

void draw_l2_chart(QChart* chart, const Reports& reports);
/// Draws the weight-matching steps' objective per sweep; returns the note naming the steps
/// without a curve and why (empty when every step has one).
QString draw_sweep_chart(QChart* chart, const Reports& reports);

void fill_steps_model(QStandardItemModel* model, const Reports& reports, int value_role);
void fill_layers_model(QStandardItemModel* model, const Reports& reports, int value_role);
void fill_within_heads_model(QStandardItemModel* model, const WithinHeadsRows& rows, int value_role);
/// The within-heads line of one step (AlignmentView::withinHeadsText).
QString within_heads_line(const std::string& id, const WithinHeadsSummary& w);

}  // namespace ridgeline::widgets::alignment_detail
