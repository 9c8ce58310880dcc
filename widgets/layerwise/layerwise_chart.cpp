// The layer-wise barrier chart (layerwise_chart.h).
#include "widgets/layerwise/layerwise_chart.h"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QCursor>
#include <QScatterSeries>
#include <QToolTip>
#include <QValueAxis>
#include <cmath>

#include "ridgeline/core/format.h"

namespace ridgeline::widgets {

namespace {

const SplitCurve* split_of(const InterpolationResult& c, bool train) {
  return preferred_split(c, train);
}

}  // namespace

LayerwiseChart::LayerwiseChart(QWidget* parent) : QChartView(parent) {
  setRenderHint(QPainter::Antialiasing);
  chart()->setTitle("Layer-wise barriers");
  setMinimumSize(360, 240);
}

void LayerwiseChart::setResult(const LayerwiseResult& r, bool error, bool train) {
  result_ = r;
  error_ = error;
  train_ = train;
  rebuild();
}

void LayerwiseChart::setPredictions(const LayerwisePredictions& p) {
  predictions_ = p;
  rebuild();
}

std::vector<double> LayerwiseChart::values(char base) const { return base == 'a' ? at_a_ : at_b_; }

void LayerwiseChart::rebuild() {
  categories_.clear();
  at_a_.clear();
  at_b_.clear();
  auto value = [&](const InterpolationResult& c, double* alpha) -> double {
    const SplitCurve* s = split_of(c, train_);
    if (!s) return NAN;
    if (alpha) *alpha = error_ ? s->barriers.error_alpha : s->barriers.loss_alpha;
    return error_ ? s->barriers.error_lin : s->barriers.loss_lin;
  };
  // Groups in the result's order: singles, then cumulative ranges (each base lists the same).
  std::vector<std::string> groups;
  for (const auto& p : result_.paths) {
    const std::string g = layerwise_range(p);
    if (std::find(groups.begin(), groups.end(), g) == groups.end()) groups.push_back(g);
  }
  std::vector<double> alpha_a, alpha_b;
  for (const auto& g : groups) {
    categories_ << QString::fromStdString(g);
    double va = NAN, vb = NAN, aa = NAN, ab = NAN;
    for (const auto& p : result_.paths)
      if (layerwise_range(p) == g) (p.base == "a" ? va : vb) = value(p.curve, p.base == "a" ? &aa : &ab);
    at_a_.push_back(va);
    at_b_.push_back(vb);
    alpha_a.push_back(aa);
    alpha_b.push_back(ab);
  }
  double aw = NAN;
  const double whole = value(result_.whole, &aw);
  categories_ << "whole path";
  at_a_.push_back(whole);
  at_b_.push_back(whole);
  alpha_a.push_back(aw);
  alpha_b.push_back(aw);

  QChart* c = chart();
  c->removeAllSeries();
  for (QAbstractAxis* ax : c->axes()) c->removeAxis(ax);
  auto* series = new QBarSeries;
  const QString what = error_ ? "error" : "loss";
  auto add = [&](const QString& label, const std::vector<double>& v, const std::vector<double>& al,
                 const QColor& colour) {
    auto* set = new QBarSet(label);
    set->setColor(colour);
    set->setBorderColor(colour.darker(130));
    for (double x : v) *set << (std::isfinite(x) ? (error_ ? 100 * x : x) : 0.0);
    series->append(set);
    QObject::connect(set, &QBarSet::hovered, this, [this, v, al, label](bool on, int i) {
      if (!on || i < 0 || i >= static_cast<int>(v.size())) return QToolTip::hideText();
      const double x = v[i];
      QString t = categories_[i] + " (" + label + "): ";
      if (!std::isfinite(x)) {
        t += "not computed";
      } else {
        t += QString::fromStdString(error_ ? format_error_barrier(x) : format_loss_barrier(x));
        t += has_interior_barrier(x, al[i])
                 ? " at α = " + QString::fromStdString(format_alpha(al[i]))
                 : QString(" (no interior barrier)");
      }
      QToolTip::showText(QCursor::pos(), t, this);
    });
  };
  add("other layers at A", at_a_, alpha_a, QColor(0, 114, 178));
  bool any_b = false;
  for (const auto& p : result_.paths) any_b |= p.base == "b";
  if (any_b) add("other layers at B", at_b_, alpha_b, QColor(230, 159, 0));
  c->addSeries(series);
  // The hessian step's midpoint-form predictions on the rest-at-A bars of the single layers and
  // the whole path: loss barriers on the Hessian batch, so only on the loss chart.
  predicted_.assign(categories_.size(), NAN);
  prediction_label_.clear();
  QScatterSeries* marks = nullptr;
  if (!predictions_.empty() && !error_) {
    for (size_t l = 0; l < predictions_.layers.size(); ++l) {
      const int g = categories_.indexOf(QString::fromStdString(predictions_.layers[l]));
      if (g >= 0) predicted_[static_cast<size_t>(g)] = predictions_.predicted[l];
    }
    predicted_.back() = predictions_.whole;  // the "whole path" group
    prediction_label_ = QString("predicted, midpoint form (Hessian batch, %1 samples)").arg(predictions_.rows);
    marks = new QScatterSeries;
    marks->setName(prediction_label_);
    marks->setMarkerShape(QScatterSeries::MarkerShapeRotatedRectangle);
    marks->setMarkerSize(13);
    // Black with a white edge: apart from both bar colours, readable on a bar and beside it.
    marks->setColor(Qt::black);
    marks->setBorderColor(Qt::white);
    // The rest-at-A bar's centre in group g: QBarSeries spreads its sets over barWidth.
    const int nsets = static_cast<int>(series->count());
    const double w = series->barWidth();
    const double offset = -w / 2 + 0.5 * w / std::max(1, nsets);
    for (size_t g = 0; g < predicted_.size(); ++g)
      if (std::isfinite(predicted_[g])) marks->append(static_cast<double>(g) + offset, predicted_[g]);
    QObject::connect(marks, &QScatterSeries::hovered, this, [this, offset](const QPointF& pt, bool on) {
      if (!on) return QToolTip::hideText();
      const int g = static_cast<int>(std::lround(pt.x() - offset));
      if (g < 0 || g >= static_cast<int>(predicted_.size())) return;
      QString t = categories_[g] + ": predicted largest b(α) by the midpoint form −½α(1−α)ΔᵀH(θ(α))Δ " +
                  QString::fromStdString(format_loss_barrier(predicted_[static_cast<size_t>(g)])) +
                  QString(" · step %1, on its batch %2 (%3 samples), not the %4 split of the bars · "
                          "measured here (rest at A): %5")
                      .arg(QString::fromStdString(predictions_.step), QString::fromStdString(predictions_.batch))
                      .arg(predictions_.rows)
                      .arg(train_ ? "train" : "test")
                      .arg(QString::fromStdString(format_loss_barrier(at_a_[static_cast<size_t>(g)])));
      QToolTip::showText(QCursor::pos(), t, this);
    });
    c->addSeries(marks);
  }
  auto* x = new QBarCategoryAxis;
  x->append(categories_);
  x->setTitleText("interpolated layers (the rest fixed)");
  auto* y = new QValueAxis;
  y->setTitleText(what + " barrier" + (error_ ? " (%)" : "") + ", linear form");
  double lo = 0, hi = 0;
  for (const auto* v : {&at_a_, &at_b_, &predicted_})
    for (double t : *v)
      if (std::isfinite(t)) {
        lo = std::min(lo, error_ ? 100 * t : t);
        hi = std::max(hi, error_ ? 100 * t : t);
      }
  if (hi - lo <= 0) hi = lo + (error_ ? 1.0 : 0.01);  // all zero: a visible, honest axis
  y->setRange(lo, hi + 0.05 * (hi - lo));
  y->applyNiceNumbers();
  c->addAxis(x, Qt::AlignBottom);
  c->addAxis(y, Qt::AlignLeft);
  series->attachAxis(x);
  series->attachAxis(y);
  if (marks) {
    marks->attachAxis(x);
    marks->attachAxis(y);
  }
  c->legend()->setAlignment(Qt::AlignBottom);
  const SplitCurve* s = split_of(result_.whole, train_);
  const bool is_train = s && result_.whole.train && s == &*result_.whole.train;
  c->setTitle(QString("Layer-wise %1 barriers, %2 split: %3 → %4")
                  .arg(what, is_train ? "train" : "test", QString::fromStdString(result_.a),
                       QString::fromStdString(result_.b)));
}

QString LayerwiseChart::csv() const {
  QString out = "path,base,cumulative,loss_lin,loss_alpha,error_lin,error_alpha\n";
  auto row = [&](const std::string& label, const std::string& base, bool cumulative,
                 const InterpolationResult& c) {
    const SplitCurve* s = split_of(c, train_);
    if (!s) return;
    out += QString("%1,%2,%3,%4,%5,%6,%7\n")
               .arg(QString::fromStdString(label), QString::fromStdString(base))
               .arg(cumulative ? 1 : 0)
               .arg(s->barriers.loss_lin, 0, 'g', 8)
               .arg(s->barriers.loss_alpha, 0, 'g', 8)
               .arg(s->barriers.error_lin, 0, 'g', 8)
               .arg(s->barriers.error_alpha, 0, 'g', 8);
  };
  for (const auto& p : result_.paths) row(layerwise_range(p), p.base, p.cumulative, p.curve);
  row("whole path", "", false, result_.whole);
  return out;
}

}  // namespace ridgeline::widgets
