#include "widgets/training/training_monitor.h"

#include <QChart>
#include <QLegend>
#include <QLegendMarker>
#include <QLineSeries>
#include <QPen>
#include <QValueAxis>
#include <algorithm>
#include <cmath>

#include "widgets/paths/series_legend.h"

namespace ridgeline::widgets {

namespace {
const QColor kPalette[] = {QColor(31, 119, 180), QColor(255, 127, 14), QColor(44, 160, 44),
                           QColor(148, 103, 189), QColor(140, 86, 75), QColor(227, 119, 194)};
}  // namespace

TrainingMonitor::TrainingMonitor(QWidget* parent) : QChartView(parent) {
  setRenderHint(QPainter::Antialiasing);
  setMinimumSize(300, 220);
  auto* c = chart();
  c->setTitle("Training");
  QFont title_font = c->titleFont();
  title_font.setPointSizeF(title_font.pointSizeF() * 1.25);
  title_font.setBold(true);
  c->setTitleFont(title_font);
  c->setMargins(QMargins(6, 6, 6, 6));
  c->setBackgroundRoundness(0);
  legend_ = new SeriesLegend(c);
  axis_x_ = new QValueAxis;
  axis_x_->setTitleText("epoch");
  axis_x_->setLabelFormat("%.3g");
  axis_y_ = new QValueAxis;
  axis_y_->setTitleText("loss");
  axis_y_->setLabelFormat("%.3g");
  c->addAxis(axis_x_, Qt::AlignBottom);
  c->addAxis(axis_y_, Qt::AlignLeft);
  reset();
}

void TrainingMonitor::reset(int epochs) {
  chart()->removeAllSeries();
  axis_y_->setTitleText(metric_ == Metric::Loss ? "loss" : "error (%)");
  curves_.clear();
  epochs_ = epochs;
  x_max_ = std::max(1, epochs);
  has_y_ = false;
  y_min_ = 0;
  y_max_ = 1;
  axis_x_->setRange(0, x_max_);
  axis_x_->setTickCount(std::clamp(static_cast<int>(x_max_) + 1, 2, 11));
  axis_y_->setRange(0, 1);
  legend_->refresh();
  redraw();
}

QLineSeries* TrainingMonitor::makeSeries(const QString& name, const QColor& color, double width,
                                         Qt::PenStyle style, bool in_legend) {
  auto* s = new QLineSeries;
  s->setName(name);
  QPen pen(color);
  pen.setWidthF(width);
  pen.setStyle(style);
  s->setPen(pen);
  chart()->addSeries(s);
  s->attachAxis(axis_x_);
  s->attachAxis(axis_y_);
  if (!in_legend) hide_from_legend(s);
  return s;
}

TrainingMonitor::Curves& TrainingMonitor::curvesFor(const QString& model) {
  auto it = curves_.find(model);
  if (it != curves_.end()) return *it;
  const QColor color = kPalette[curves_.size() % std::size(kPalette)];
  QColor faint = color;
  faint.setAlpha(90);
  Curves c;
  c.steps = makeSeries(model + " batches", faint, 1.0, Qt::SolidLine, false);
  c.train = makeSeries(model + " train", color, 2.0, Qt::DashLine, true);
  c.test = makeSeries(model + " test", color, 2.0, Qt::SolidLine, true);
  set_series_marker(c.train, SeriesMarker::Square);
  set_series_marker(c.test, SeriesMarker::Circle);
  auto& inserted = *curves_.insert(model, c);
  legend_->refresh();
  return inserted;
}

void TrainingMonitor::growRanges(double x, double y) {
  if (!std::isfinite(x) || !std::isfinite(y)) return;
  if (x > x_max_) {
    x_max_ = std::ceil(x);
    axis_x_->setRange(0, x_max_);
    axis_x_->setTickCount(std::clamp(static_cast<int>(x_max_) + 1, 2, 11));
  }
  if (!has_y_) {
    y_min_ = y_max_ = y;
    has_y_ = true;
  } else {
    y_min_ = std::min(y_min_, y);
    y_max_ = std::max(y_max_, y);
  }
  const double pad = std::max((y_max_ - y_min_) * 0.08, 1e-3);
  const double top = metric_ == Metric::Error ? std::min(100.0, y_max_ + pad) : y_max_ + pad;
  axis_y_->setRange(std::max(0.0, y_min_ - pad), top);
  axis_y_->applyNiceNumbers();
}

void TrainingMonitor::append(QLineSeries* series, Points& points, double x, double loss,
                             double error) {
  // NaN (a model without accuracy has NaN errors) is not a point: it is left out.
  if (std::isfinite(loss)) points.loss.append(QPointF(x, loss));
  if (std::isfinite(error) && error >= 0) points.error.append(QPointF(x, 100.0 * error));
  const QList<QPointF>& shown = metric_ == Metric::Loss ? points.loss : points.error;
  if (shown.isEmpty() || shown.back().x() != x || series->count() == shown.size()) return;
  series->append(shown.back());
  growRanges(x, shown.back().y());
}

void TrainingMonitor::addEpoch(const QString& model, const EpochMetrics& m) {
  Curves& c = curvesFor(model);
  append(c.train, c.train_points, m.epoch, m.train_loss, m.train_error);
  if (m.test_loss >= 0) append(c.test, c.test_points, m.epoch, m.test_loss, m.test_error);
  if (std::isfinite(m.distill_loss)) {
    if (!c.distill) {
      c.distill = makeSeries(model + " distillation", c.train->pen().color(), 1.5, Qt::DotLine,
                             true);
      set_series_marker(c.distill, SeriesMarker::Triangle);
      legend_->refresh();
      redraw();  // the tooltip names the new curve
    }
    append(c.distill, c.distill_points, m.epoch, m.distill_loss, -1);
  }
}

void TrainingMonitor::addStepSample(const QString& model, double epoch_position, double loss,
                                    double error) {
  Curves& c = curvesFor(model);
  append(c.steps, c.step_points, epoch_position, loss, error);
}

void TrainingMonitor::setMetric(Metric metric) {
  if (metric == metric_) return;
  metric_ = metric;
  redraw();
}

void TrainingMonitor::redraw() {
  const bool loss = metric_ == Metric::Loss;
  axis_y_->setTitleText(loss ? "loss" : "error (%)");
  has_y_ = false;
  y_min_ = 0;
  y_max_ = 1;
  axis_y_->setRange(0, loss ? 1 : 100);
  bool distilled = false;
  for (auto& c : curves_) {
    const std::pair<QLineSeries*, const Points*> all[] = {{c.steps, &c.step_points},
                                                         {c.train, &c.train_points},
                                                         {c.test, &c.test_points},
                                                         {c.distill, &c.distill_points}};
    distilled |= c.distill != nullptr;
    for (const auto& [series, points] : all) {
      if (!series) continue;
      const QList<QPointF>& shown = loss ? points->loss : points->error;
      series->replace(shown);
      for (const QPointF& p : shown) growRanges(p.x(), p.y());
    }
  }
  QString tip = loss ? "Per model: train loss per epoch (dashed, squares), test loss after each "
                       "epoch (solid, circles), sampled mini-batch losses (thin)"
                     : "Per model: train error (%) per epoch (dashed, squares), test error after "
                       "each epoch (solid, circles), sampled mini-batch errors (thin)";
  if (distilled)
    tip += loss ? "; attention distillation: its mean loss per epoch (dotted, triangles), the "
                  "cross-entropy of the Hedgehog maps to softmax's, added to the task loss with "
                  "weight train.distill"
                : "; the distillation loss has no error: show the loss to see it";
  setToolTip(tip);
}

QStringList TrainingMonitor::seriesNames() const {
  QStringList names;
  for (auto* s : chart()->series()) names << s->name();
  return names;
}

QList<QPointF> TrainingMonitor::seriesPoints(const QString& name) const {
  for (auto* s : chart()->series())
    if (s->name() == name)
      if (auto* xy = qobject_cast<QXYSeries*>(s)) return xy->points();
  return {};
}

}  // namespace ridgeline::widgets
