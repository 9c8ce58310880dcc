// Task accuracy and loss against the training step, per variant (accuracy_curve_chart.h).
#include "widgets/attention/accuracy_curve_chart.h"

#include <QChart>
#include <QContextMenuEvent>
#include <QCursor>
#include <QLineSeries>
#include <QMenu>
#include <QToolTip>
#include <QValueAxis>
#include <algorithm>
#include <cmath>
#include <limits>

#include "ridgeline/core/errors.h"
#include "ridgeline/core/format.h"
#include "widgets/attention/chart_export.h"
#include "widgets/attention/lab_palette.h"
#include "widgets/paths/series_legend.h"

namespace ridgeline::widgets {

AccuracyCurveChart::AccuracyCurveChart(QWidget* parent) : QChartView(parent) {
  setRenderHint(QPainter::Antialiasing);
  setMinimumSize(360, 240);
  legend_ = new SeriesLegend(chart());
  rebuild();
}

void AccuracyCurveChart::setCurves(std::vector<TrainingCurve> curves, const QString& task) {
  for (const auto& c : curves) {
    if (c.accuracy.size() != c.step.size() || (!c.loss.empty() && c.loss.size() != c.step.size()))
      throw InputError("accuracy chart: variant '" + c.variant + "' has " +
                       std::to_string(c.step.size()) + " steps but " +
                       std::to_string(c.accuracy.size()) + " accuracies and " +
                       std::to_string(c.loss.size()) + " losses (one per step, or no loss)");
  }
  curves_ = std::move(curves);
  task_ = task;
  rebuild();
}

void AccuracyCurveChart::appendPoint(const std::string& variant, double step, double accuracy,
                                     double loss) {
  auto it = std::find_if(curves_.begin(), curves_.end(),
                         [&](const TrainingCurve& c) { return c.variant == variant; });
  if (it == curves_.end()) {
    curves_.push_back({variant, {}, {}, {}});
    it = curves_.end() - 1;
  }
  // A curve without losses so far keeps none unless every earlier step gets a NaN.
  if (it->loss.size() != it->step.size())
    it->loss.assign(it->step.size(), std::numeric_limits<double>::quiet_NaN());
  it->step.push_back(step);
  it->accuracy.push_back(accuracy);
  it->loss.push_back(loss);
  rebuild();
}

void AccuracyCurveChart::setShowLoss(bool on) {
  show_loss_ = on;
  rebuild();
}

QLineSeries* AccuracyCurveChart::accuracySeries(int i) const {
  return i >= 0 && i < static_cast<int>(acc_series_.size()) ? acc_series_[static_cast<size_t>(i)]
                                                            : nullptr;
}

QLineSeries* AccuracyCurveChart::lossSeries(int i) const {
  return i >= 0 && i < static_cast<int>(loss_series_.size()) ? loss_series_[static_cast<size_t>(i)]
                                                             : nullptr;
}

int AccuracyCurveChart::pointNear(int i, double step) const {
  if (i < 0 || i >= static_cast<int>(curves_.size())) return -1;
  const auto& s = curves_[static_cast<size_t>(i)].step;
  int best = -1;
  for (int k = 0; k < static_cast<int>(s.size()); ++k)
    if (best < 0 ||
        std::abs(s[static_cast<size_t>(k)] - step) < std::abs(s[static_cast<size_t>(best)] - step))
      best = k;
  return best;
}

QString AccuracyCurveChart::hoverText(int i, int k) const {
  if (i < 0 || i >= static_cast<int>(curves_.size())) return {};
  const TrainingCurve& c = curves_[static_cast<size_t>(i)];
  if (k < 0 || k >= static_cast<int>(c.step.size())) return {};
  QString t = QString::fromStdString(c.variant) +
              QString(", step %1: accuracy ").arg(c.step[static_cast<size_t>(k)], 0, 'g', 12) +
              QString::fromStdString(format_error(c.accuracy[static_cast<size_t>(k)]));
  if (k < static_cast<int>(c.loss.size()) && std::isfinite(c.loss[static_cast<size_t>(k)]))
    t += ", loss " + QString::fromStdString(format_loss(c.loss[static_cast<size_t>(k)]));
  return t;
}

void AccuracyCurveChart::rebuild() {
  QChart* ch = chart();
  ch->removeAllSeries();
  for (QAbstractAxis* a : ch->axes()) {
    ch->removeAxis(a);
    delete a;
  }
  acc_series_.clear();
  loss_series_.clear();
  ch->setTitle("Task accuracy" + QString(show_loss_ ? " and loss" : "") + " during training" +
               (task_.isEmpty() ? QString() : " (" + task_ + ")"));
  auto* x = new QValueAxis;
  x->setTitleText("training step");
  x->setLabelFormat("%g");
  auto* acc = new QValueAxis;
  acc->setTitleText("accuracy (%), solid");
  acc->setRange(0, 100);
  acc->setLabelFormat("%.0f");
  ch->addAxis(x, Qt::AlignBottom);
  ch->addAxis(acc, Qt::AlignLeft);
  QValueAxis* loss_axis = nullptr;
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, l1 = 0;
  bool any_loss = false;
  for (const auto& c : curves_) {
    for (double s : c.step) x0 = std::min(x0, s), x1 = std::max(x1, s);
    for (double l : c.loss)
      if (std::isfinite(l)) l1 = std::max(l1, l), any_loss = true;
  }
  if (show_loss_ && any_loss) {
    loss_axis = new QValueAxis;
    loss_axis->setTitleText("loss, dashed");
    loss_axis->setRange(0, l1 > 0 ? l1 * 1.05 : 1);
    loss_axis->applyNiceNumbers();
    ch->addAxis(loss_axis, Qt::AlignRight);
  }
  if (!(x1 >= x0)) x0 = 0, x1 = 1;
  if (x1 == x0) x1 = x0 + 1;
  x->setRange(x0, x1);
  for (int i = 0; i < static_cast<int>(curves_.size()); ++i) {
    const TrainingCurve& c = curves_[static_cast<size_t>(i)];
    const QColor colour = variant_colour(i);
    auto* a = new QLineSeries;
    a->setName(QString::fromStdString(c.variant) + " accuracy");
    a->setPen(QPen(colour, 2.2));
    for (size_t k = 0; k < c.step.size(); ++k)
      if (std::isfinite(c.accuracy[k])) a->append(c.step[k], 100 * c.accuracy[k]);
    ch->addSeries(a);
    a->attachAxis(x);
    a->attachAxis(acc);
    if (c.step.size() <= 40) set_series_marker(a, SeriesMarker::Circle, 6);
    acc_series_.push_back(a);
    connect(a, &QLineSeries::hovered, this, [this, i](const QPointF& p, bool on) {
      if (!on) return QToolTip::hideText();
      QToolTip::showText(QCursor::pos(), hoverText(i, pointNear(i, p.x())), this);
    });
    QLineSeries* l = nullptr;
    if (loss_axis && !c.loss.empty()) {
      l = new QLineSeries;
      l->setName(QString::fromStdString(c.variant) + " loss");
      l->setPen(QPen(colour, 1.6, Qt::DashLine));
      for (size_t k = 0; k < c.step.size(); ++k)
        if (std::isfinite(c.loss[k])) l->append(c.step[k], c.loss[k]);
      ch->addSeries(l);
      l->attachAxis(x);
      l->attachAxis(loss_axis);
      connect(l, &QLineSeries::hovered, this, [this, i](const QPointF& p, bool on) {
        if (!on) return QToolTip::hideText();
        QToolTip::showText(QCursor::pos(), hoverText(i, pointNear(i, p.x())), this);
      });
    }
    loss_series_.push_back(l);
  }
  legend_->refresh();
}

void AccuracyCurveChart::contextMenuEvent(QContextMenuEvent* event) {
  QMenu menu(this);
  QAction* loss = menu.addAction("Show the loss (dashed, right axis)");
  loss->setCheckable(true);
  loss->setChecked(show_loss_);
  connect(loss, &QAction::toggled, this, [this](bool on) { setShowLoss(on); });
  menu.addSeparator();
  add_export_actions(menu, this, "accuracy",
                     [this](const QString& p, QString* e) { return exportTo(p, e); });
  menu.exec(event->globalPos());
}

bool AccuracyCurveChart::exportTo(const QString& path, QString* error) const {
  return export_chart_view(*this, path, "Task accuracy", error);
}

}  // namespace ridgeline::widgets
