// Per layer: measured barriers next to their second-order predictions
// (layer_prediction_chart.h).
#include "widgets/curvature/layer_prediction_chart.h"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QCursor>
#include <QLegend>
#include <QLineSeries>
#include <QToolTip>
#include <QValueAxis>
#include <cmath>

#include "ridgeline/core/format.h"
#include "ridgeline/paths/interpolation.h"
#include "widgets/curvature/curvature_charts.h"

namespace ridgeline::widgets {

namespace {

// Okabe–Ito, the colours of the path chart: measured blue, midpoint vermillion, endpoint green.
const QColor kColour[] = {{0, 114, 178}, {213, 94, 0}, {0, 158, 115}};

QString barrier(double x) { return QString::fromStdString(format_loss_barrier(x)); }

QString ratio_text(double r) {
  return std::isfinite(r) ? QString::number(r, 'f', 2) : QString("—");
}

}  // namespace

LayerPredictionChart::LayerPredictionChart(QWidget* parent) : QChartView(parent) {
  setRenderHint(QPainter::Antialiasing);
  setMinimumSize(360, 240);
  chart()->legend()->setAlignment(Qt::AlignBottom);
}

QStringList LayerPredictionChart::formNames() {
  return {"b(½): measured, midpoint and endpoint forms",
          "largest b(α): measured and midpoint form"};
}

void LayerPredictionChart::setReport(const HessianReport& r, Form form) {
  report_ = r;
  form_ = form;
  rebuild();
}

std::vector<double> LayerPredictionChart::values(const QString& name) const {
  const int i = names_.indexOf(name);
  return i < 0 ? std::vector<double>{} : values_[static_cast<size_t>(i)];
}

void LayerPredictionChart::rebuild() {
  rows_ = barrier_comparisons(report_);
  categories_.clear();
  names_.clear();
  values_.clear();
  for (const auto& c : rows_) categories_ << selection_label(c.selection);
  auto column = [&](auto get) {
    std::vector<double> v;
    for (const auto& c : rows_) v.push_back(get(c));
    return v;
  };
  if (form_ == Form::AtHalf) {
    names_ << "measured b(½)"
           << "midpoint form"
           << "endpoint form";
    values_.push_back(column([](const BarrierComparison& c) { return c.measured_half; }));
    values_.push_back(column([](const BarrierComparison& c) { return c.midpoint_half; }));
    values_.push_back(column([](const BarrierComparison& c) { return c.endpoint_half; }));
  } else {
    names_ << "measured, largest b(α)"
           << "midpoint form, largest b(α)";
    values_.push_back(column([](const BarrierComparison& c) { return c.measured_max; }));
    values_.push_back(column([](const BarrierComparison& c) { return c.predicted_max; }));
  }

  QChart* c = chart();
  c->removeAllSeries();
  for (QAbstractAxis* a : c->axes()) {
    c->removeAxis(a);
    delete a;
  }
  const QString batch = QString("Hessian batch, %1 samples").arg(report_.rows);
  c->setTitle(QString("Per layer: measured vs predicted barrier%1, %2 → %3 (%4)")
                  .arg(form_ == Form::AtHalf ? " b(½)" : ", largest b(α)",
                       QString::fromStdString(report_.model),
                       QString::fromStdString(report_.path_to), batch));
  if (rows_.empty()) return;
  auto* series = new QBarSeries;
  double lo = 0, hi = 0;
  for (int s = 0; s < names_.size(); ++s) {
    auto* set = new QBarSet(names_[s]);
    set->setColor(kColour[s]);
    set->setBorderColor(kColour[s].darker(130));
    for (double x : values_[static_cast<size_t>(s)]) {
      // A missing value draws no bar; the hover says why.
      *set << (std::isfinite(x) ? x : 0.0);
      if (std::isfinite(x)) lo = std::min(lo, x), hi = std::max(hi, x);
    }
    series->append(set);
    QObject::connect(set, &QBarSet::hovered, this, [this, s](bool on, int i) {
      if (!on) return QToolTip::hideText();
      QToolTip::showText(QCursor::pos(), hoverText(i, s), this);
    });
  }
  series->setBarWidth(0.8);
  c->addSeries(series);
  auto* x = new QBarCategoryAxis;
  x->append(categories_);
  x->setTitleText("the whole model, or one layer moved alone (the others at " +
                  QString::fromStdString(report_.model) + ")");
  auto* y = new QValueAxis;
  y->setTitleText(form_ == Form::AtHalf ? "loss barrier b(½)" : "largest loss barrier b(α)");
  if (hi - lo <= 0) hi = lo + 0.01;  // all zero: a visible, honest axis
  const double pad = 0.06 * (hi - lo);
  y->setRange(lo < 0 ? lo - pad : 0.0, hi > 0 ? hi + pad : 0.0);
  y->applyNiceNumbers();
  c->addAxis(x, Qt::AlignBottom);
  c->addAxis(y, Qt::AlignLeft);
  series->attachAxis(x);
  series->attachAxis(y);
  // The zero line: above it a barrier, below it the path runs under its chord.
  auto* zero = new QLineSeries;
  zero->setName(form_ == Form::AtHalf ? "b = 0 (above: a barrier; below: under the chord, none)"
                                      : "b = 0 (no barrier inside the path)");
  zero->append(-0.5, 0);
  zero->append(static_cast<double>(categories_.size()) - 0.5, 0);
  zero->setPen(QPen(QColor(60, 60, 60), 1.2, Qt::DashLine));
  c->addSeries(zero);
  zero->attachAxis(x);
  zero->attachAxis(y);
}

QString LayerPredictionChart::hoverText(int group, int set) const {
  if (group < 0 || group >= static_cast<int>(rows_.size()) || set < 0 || set >= names_.size())
    return {};
  const BarrierComparison& c = rows_[static_cast<size_t>(group)];
  QString t = categories_[group] + QString(" (‖Δ‖ %1, %2 parameters) · ")
                                       .arg(QString::fromStdString(format_loss(c.delta_norm)))
                                       .arg(c.size);
  const double measured = values_[0][static_cast<size_t>(group)];
  const double v = values_[static_cast<size_t>(set)][static_cast<size_t>(group)];
  if (set == 0) {
    if (form_ == Form::AtHalf) {
      if (!std::isfinite(v))
        return t + "measured b(½): α = ½ is not on the path's grid (odd path_points put it there)";
      t += "measured b(½) on the Hessian batch: " + barrier(v);
      t += v > 0 ? " (above the chord: a barrier)" : " (not above the chord: no barrier)";
    } else {
      t += "largest measured b(α): " + barrier(v);
      t += has_interior_barrier(v, c.measured_alpha)
               ? " at α = " + QString::fromStdString(format_alpha(c.measured_alpha))
               : QString(" (no interior barrier)");
    }
    return t;
  }
  const bool midpoint = set == 1;
  t += midpoint ? "midpoint form −½α(1−α)ΔᵀH(θ(α))Δ"
                : "endpoint form ¼(g_A − g_B)·Δ + (1/16)Δᵀ(H_A + H_B)Δ";
  if (!std::isfinite(v)) return t + ": α = ½ is not on the path's grid";
  if (form_ == Form::AtHalf) {
    t += " at α = ½: " + barrier(v);
  } else {
    t += ", largest: " + barrier(v);
    if (has_interior_barrier(v, c.predicted_alpha))
      t += " at α = " + QString::fromStdString(format_alpha(c.predicted_alpha));
  }
  const double r = prediction_ratio(v, measured);
  t += std::isfinite(r)
           ? " · ÷ measured " + ratio_text(r) + (r < 0 ? " (the wrong sign)" : QString())
           : QString(" · measured ≈ 0: no ratio");
  return t;
}

QString LayerPredictionChart::taylorLine() const {
  if (rows_.empty()) return {};
  QStringList parts;
  for (size_t g = 0; g < rows_.size(); ++g) {
    const double m = values_[0][g];
    QString p = "<b>" + categories_[static_cast<int>(g)].toHtmlEscaped() + "</b> " +
                ratio_text(prediction_ratio(values_[1][g], m));
    if (values_.size() > 2) p += " | " + ratio_text(prediction_ratio(values_[2][g], m));
    parts << p;
  }
  const QString what = form_ == Form::AtHalf
                           ? "prediction ÷ measured b(½), midpoint | endpoint form"
                           : "midpoint form ÷ measured, largest b(α)";
  return "Where the Taylor picture holds (" + what +
         "; 1.00 = exact, negative = the wrong sign, — = measured ≈ 0): " + parts.join(" · ");
}

QString LayerPredictionChart::csv() const {
  QString out =
      "selection,parameters,delta_norm,measured_half,midpoint_half,endpoint_half,measured_max,"
      "measured_alpha,predicted_max,predicted_alpha\n";
  for (const auto& c : rows_)
    out +=
        QString("%1,%2,%3,%4,%5,%6,%7,%8,%9,%10\n")
            .arg(c.selection.empty() ? QString("whole model") : QString::fromStdString(c.selection))
            .arg(c.size)
            .arg(c.delta_norm, 0, 'g', 17)
            .arg(c.measured_half, 0, 'g', 17)
            .arg(c.midpoint_half, 0, 'g', 17)
            .arg(c.endpoint_half, 0, 'g', 17)
            .arg(c.measured_max, 0, 'g', 17)
            .arg(c.measured_alpha, 0, 'g', 17)
            .arg(c.predicted_max, 0, 'g', 17)
            .arg(c.predicted_alpha, 0, 'g', 17);
  return out;
}

}  // namespace ridgeline::widgets
