#include "widgets/alignment/alignment_view.h"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QCheckBox>
#include <QComboBox>
#include <QEvent>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineSeries>
#include <QSplitter>
#include <QStandardItemModel>
#include <QTableView>
#include <QVBoxLayout>
#include <algorithm>
#include <set>

#include "widgets/alignment/alignment_view_parts.h"

namespace ridgeline::widgets {

using namespace alignment_detail;

namespace {

QChartView* make_chart_view(const QString& tip) {
  auto* v = new QChartView;
  v->setRenderHint(QPainter::Antialiasing);
  v->setMinimumSize(320, 260);
  v->setToolTip(tip);
  v->setFocusPolicy(Qt::ClickFocus);
  style_chart(v->chart());
  return v;
}

QLabel* make_note(const QString& tip) {
  auto* l = new QLabel;
  l->setWordWrap(true);
  l->setToolTip(tip);
  l->setStyleSheet("color: #555;");
  l->hide();
  return l;
}

QWidget* with_note(QChartView* view, QLabel* note) {
  auto* w = new QWidget;
  auto* lay = new QVBoxLayout(w);
  lay->setContentsMargins(0, 0, 0, 0);
  lay->setSpacing(2);
  lay->addWidget(view, 1);
  lay->addWidget(note);
  return w;
}

QTableView* make_table(QStandardItemModel* model, const QString& tip) {
  auto* t = new QTableView;
  t->setModel(model);
  t->setToolTip(tip);
  t->setEditTriggers(QAbstractItemView::NoEditTriggers);
  t->setSelectionBehavior(QAbstractItemView::SelectRows);
  t->setAlternatingRowColors(true);
  t->setWordWrap(false);
  t->verticalHeader()->hide();
  t->horizontalHeader()->setStretchLastSection(true);
  t->horizontalHeader()->setDefaultAlignment(Qt::AlignCenter);
  return t;
}

template <class Series>
Series* first_series(QChart* chart) {
  const auto all = chart->series();
  return all.isEmpty() ? nullptr : qobject_cast<Series*>(all.front());
}

QStringList categories_of(QChart* chart) {
  for (auto* a : chart->axes())
    if (auto* c = qobject_cast<QBarCategoryAxis*>(a)) return c->categories();
  return {};
}

template <class T>
QList<T> reversed(QList<T> list) {
  std::reverse(list.begin(), list.end());
  return list;
}

QList<qreal> values_of(const QBarSet* set) {
  QList<qreal> v;
  if (!set) return v;
  for (int i = 0; i < set->count(); ++i) v << set->at(i);
  return v;
}

}  // namespace

AlignmentView::AlignmentView(QWidget* parent) : QWidget(parent) {
  title_ = new QLabel;
  QFont f = title_->font();
  f.setBold(true);
  f.setPointSizeF(f.pointSizeF() * 1.2);
  title_->setFont(f);
  title_->setToolTip("The align steps of the run, in step order");
  title_->setWordWrap(true);
  scale_box_ = new QComboBox;
  scale_box_->addItem("gain (objective units)");
  scale_box_->addItem("share of step's gain (%)");
  scale_box_->setToolTip(
      "Gain bars in the method's own objective units, or each layer's share of its step's "
      "summed gain: methods measure gain in different units, shares compare across them");
  log_box_ = new QCheckBox("log scale");
  gain_view_ = make_chart_view("Objective gained by each layer's permutation, one colour per step");
  l2_view_ = make_chart_view(
      "‖θ_A − θ_B‖₂ and ‖θ_A − π(θ_B)‖₂ over all parameters: how much closer each alignment "
      "brought B to A");
  sweep_view_ = make_chart_view(
      "Weight matching's objective Σ⟨θ_A, π(θ_B)⟩ after each sweep of coordinate ascent; "
      "sweep 0 is B as trained");
  current_ = gain_view_;
  gain_note_ = make_note("Steps or layers the gain chart cannot show as they are");
  sweep_note_ = make_note("Steps whose method has no sweeps of this objective");
  steps_ = new QStandardItemModel(this);
  layers_ = new QStandardItemModel(this);
  steps_table_ = make_table(steps_, "One row per align step; hover a header for its meaning");
  layers_table_ = make_table(
      layers_, "One row per permutation of each step: units it moved and the gain it brought");
  within_ = new QStandardItemModel(this);
  within_table_ = make_table(
      within_, "One row per step that also permuted within attention heads: heads paired "
               "again, heads whose inner dimensions moved, and the objective over them");
  within_text_ = new QLabel;
  within_text_->setWordWrap(true);
  within_text_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  within_text_->setToolTip(
      "Permutations within heads (after the method's own): whole heads paired again, then per "
      "head one σ of its query/key dimensions and one τ of its value dimensions with the "
      "projection's columns; ⟨A, π(B)⟩ over the parameters they act on, before → after");
  within_panel_ = new QWidget;
  {
    auto* wl = new QVBoxLayout(within_panel_);
    wl->setContentsMargins(0, 0, 0, 0);
    wl->setSpacing(2);
    auto* heading = new QLabel("<b>Within heads</b>");
    heading->setToolTip(within_text_->toolTip());
    wl->addWidget(heading);
    wl->addWidget(within_text_);
    wl->addWidget(within_table_, 1);
  }

  auto* top = new QHBoxLayout;
  top->addWidget(title_, 1);
  auto* scale_label = new QLabel("Gain bars:");
  scale_label->setToolTip(scale_box_->toolTip());
  top->addWidget(scale_label);
  top->addWidget(scale_box_);
  top->addWidget(log_box_);
  auto* charts = new QSplitter(Qt::Horizontal);
  charts->addWidget(with_note(gain_view_, gain_note_));
  charts->addWidget(l2_view_);
  charts->addWidget(with_note(sweep_view_, sweep_note_));
  charts->setStretchFactor(0, 4);
  charts->setStretchFactor(1, 3);
  charts->setStretchFactor(2, 3);
  auto* step_tables = new QSplitter(Qt::Vertical);
  step_tables->addWidget(steps_table_);
  step_tables->addWidget(within_panel_);
  auto* tables = new QSplitter(Qt::Horizontal);
  tables->addWidget(step_tables);
  tables->addWidget(layers_table_);
  tables->setStretchFactor(0, 3);
  tables->setStretchFactor(1, 2);
  auto* split = new QSplitter(Qt::Vertical);
  split->addWidget(charts);
  split->addWidget(tables);
  split->setStretchFactor(0, 3);
  split->setStretchFactor(1, 2);
  auto* lay = new QVBoxLayout(this);
  lay->addLayout(top);
  lay->addWidget(split, 1);

  for (QChartView* v : {gain_view_, l2_view_, sweep_view_}) v->viewport()->installEventFilter(this);
  connect(scale_box_, &QComboBox::currentIndexChanged, this, [this](int i) {
    setGainScale(i == 1 ? GainScale::ShareOfStep : GainScale::Absolute);
  });
  connect(log_box_, &QCheckBox::toggled, this, [this](bool on) { setGainLogAxis(on); });
  clear();
}

void AlignmentView::clear() { setReports({}); }

QString AlignmentView::titleText() const { return title_->text(); }

void AlignmentView::setReports(const std::vector<std::pair<std::string, AlignmentReport>>& reports,
                               const WithinHeadsRows& within_heads) {
  reports_ = reports;
  within_heads_ = within_heads;
  std::set<std::string> methods, permuting;  // permuting: methods of rows with gains per layer
  for (const auto& [id, r] : reports_) {
    methods.insert(r.method);
    if (!r.layers.empty()) permuting.insert(r.method);
  }
  gain_scale_ = permuting.size() > 1 ? GainScale::ShareOfStep : GainScale::Absolute;
  gain_log_ = false;
  if (reports_.empty()) {
    title_->setText("Alignment: no align step");
  } else {
    QStringList m;
    for (const auto& s : methods) m << QString::fromStdString(s);
    QStringList ids;
    for (const auto& [id, r] : reports_) ids << QString::fromStdString(id);
    QString prefix;
    alignment_detail::short_ids(ids, &prefix);
    // The charts label steps by their ids less a common prefix: the title names it.
    title_->setText(QStringLiteral("Alignment: %1 step%2 (%3)%4")
                        .arg(reports_.size())
                        .arg(reports_.size() == 1 ? "" : "s")
                        .arg(m.join(", "))
                        .arg(ids.size() == 1    ? QStringLiteral(" · step %1").arg(ids.front())
                             : prefix.isEmpty() ? QString()
                                                : QStringLiteral(" · step ids %1…").arg(prefix)));
    title_->setToolTip("The align steps of the run, in step order: " + ids.join(", "));
  }
  draw_l2_chart(l2Chart(), reports_);
  const QString note = draw_sweep_chart(sweepChart(), reports_);
  sweep_note_->setText(note);
  sweep_note_->setVisible(!note.isEmpty());
  fill_steps_model(steps_, reports_, ValueRole);
  fill_layers_model(layers_, reports_, ValueRole);
  fill_within_heads_model(within_, within_heads_, ValueRole);
  QStringList lines;
  for (const auto& [id, w] : within_heads_) lines << within_heads_line(id, w);
  within_text_->setText(lines.join('\n'));
  within_panel_->setVisible(!within_heads_.empty());
  for (QTableView* t : {steps_table_, layers_table_, within_table_}) {
    t->resizeColumnsToContents();
    t->resizeRowsToContents();
  }
  rebuildGain();
}

void AlignmentView::setGainScale(GainScale scale) {
  gain_scale_ = scale;
  if (gain_log_ && !gainLogAvailable()) gain_log_ = false;
  rebuildGain();
}

bool AlignmentView::setGainLogAxis(bool on) {
  if (on && !gainLogAvailable()) {
    updateControls();
    return false;
  }
  gain_log_ = on;
  rebuildGain();
  return true;
}

bool AlignmentView::gainLogAvailable() const {
  return gain_bars(reports_, gain_scale_ == GainScale::ShareOfStep).all_positive;
}

void AlignmentView::rebuildGain() {
  const bool share = gain_scale_ == GainScale::ShareOfStep;
  const GainBars bars = gain_bars(reports_, share);
  draw_gain_chart(gainChart(), bars, share, gain_log_ && bars.all_positive);
  gain_note_->setText(bars.notes.join("; "));
  gain_note_->setVisible(!bars.notes.isEmpty());
  updateControls();
}

void AlignmentView::updateControls() {
  const QSignalBlocker b1(scale_box_), b2(log_box_);
  scale_box_->setCurrentIndex(gain_scale_ == GainScale::ShareOfStep ? 1 : 0);
  scale_box_->setEnabled(!reports_.empty());
  const bool log_ok = gainLogAvailable();
  log_box_->setEnabled(log_ok);
  log_box_->setChecked(gain_log_);
  log_box_->setToolTip(log_ok ? "Logarithmic gain axis: layers whose gains differ by orders of "
                                "magnitude stay readable"
                              : "Logarithmic gain axis: needs every bar > 0 (a layer whose "
                                "permutation stayed the identity gains 0)");
}

bool AlignmentView::eventFilter(QObject* watched, QEvent* event) {
  if (event->type() == QEvent::MouseButtonPress)
    for (QChartView* v : {gain_view_, l2_view_, sweep_view_})
      if (watched == v->viewport()) current_ = v;
  return QWidget::eventFilter(watched, event);
}

QList<QChartView*> AlignmentView::chartViews() const { return {gain_view_, l2_view_, sweep_view_}; }
QChart* AlignmentView::gainChart() const { return gain_view_->chart(); }
QChart* AlignmentView::l2Chart() const { return l2_view_->chart(); }
QChart* AlignmentView::sweepChart() const { return sweep_view_->chart(); }

QStringList AlignmentView::gainCategories() const { return categories_of(gainChart()); }

int AlignmentView::gainSetCount() const {
  auto* s = first_series<QBarSeries>(gainChart());
  return s ? static_cast<int>(s->count()) : 0;
}

QStringList AlignmentView::gainSetLabels() const {
  QStringList labels;
  if (auto* s = first_series<QBarSeries>(gainChart()))
    for (auto* set : s->barSets()) labels << set->label();
  return labels;
}

QList<qreal> AlignmentView::gainValues(int set) const {
  auto* s = first_series<QBarSeries>(gainChart());
  if (!s || set < 0 || set >= s->count()) return {};
  return values_of(s->barSets()[set]);
}

// The L2 chart draws the first step on top, i.e. last in its category order.
QStringList AlignmentView::l2Categories() const { return reversed(categories_of(l2Chart())); }

QList<qreal> AlignmentView::l2Values(bool after) const {
  auto* s = first_series<QAbstractBarSeries>(l2Chart());
  return s && s->count() == 2 ? reversed(values_of(s->barSets()[after ? 1 : 0])) : QList<qreal>{};
}

QStringList AlignmentView::sweepSeriesNames() const {
  QStringList names;
  for (auto* s : sweepChart()->series()) names << s->name();
  return names;
}

QList<QPointF> AlignmentView::sweepPoints(const QString& step_id) const {
  for (auto* s : sweepChart()->series())
    if (auto* line = qobject_cast<QLineSeries*>(s); line && line->name() == step_id)
      return line->points();
  return {};
}

QString AlignmentView::sweepNote() const { return sweep_note_->text(); }
QString AlignmentView::gainNote() const { return gain_note_->text(); }
QAbstractItemModel* AlignmentView::stepsModel() const { return steps_; }
QAbstractItemModel* AlignmentView::layersModel() const { return layers_; }
QAbstractItemModel* AlignmentView::withinHeadsModel() const { return within_; }
QString AlignmentView::withinHeadsText() const { return within_text_->text(); }
bool AlignmentView::withinHeadsShown() const { return !within_panel_->isHidden(); }

}  // namespace ridgeline::widgets
