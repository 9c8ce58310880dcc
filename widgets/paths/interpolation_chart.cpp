#include "widgets/paths/interpolation_chart.h"

#include <QChart>
#include <QGraphicsSimpleTextItem>
#include <QLegend>
#include <QLegendMarker>
#include <QLineSeries>
#include <QPen>
#include <QValueAxis>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace ridgeline::widgets {

namespace {

const QColor kLossColor(31, 119, 180);
const QColor kErrorColor(44, 160, 44);
const QColor kBarrierColor(214, 39, 40);

struct Range {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  void add(const std::vector<double>& v, double scale) {
    for (double x : v) {
      if (!std::isfinite(x)) continue;
      lo = std::min(lo, x * scale);
      hi = std::max(hi, x * scale);
    }
  }
  bool valid() const { return lo <= hi; }
};

void setAxisRange(QValueAxis* axis, Range r, bool from_zero) {
  if (!r.valid()) r = {0, 1};
  if (from_zero) r.lo = std::min(0.0, r.lo);
  double pad = (r.hi - r.lo) * 0.08;
  if (pad <= 0) pad = std::max(std::abs(r.hi) * 0.1, 1e-3);
  axis->setRange(from_zero && r.lo >= 0 ? 0.0 : r.lo - pad, r.hi + pad);
  axis->applyNiceNumbers();
}

}  // namespace

QString format_significant(double value, int digits) {
  if (!std::isfinite(value)) return QStringLiteral("–");
  // %#g keeps trailing zeros, so a column of numbers shows the same precision throughout.
  // (std::snprintf: QString::asprintf drops a digit with '#' for values below 0.1.)
  char buf[64];
  std::snprintf(buf, sizeof buf, "%#.*g", digits, value);
  return QString::fromLatin1(buf);
}

InterpolationChart::InterpolationChart(QWidget* parent) : QChartView(parent) {
  setRenderHint(QPainter::Antialiasing);
  setMinimumSize(360, 260);
  auto* c = chart();
  c->legend()->setAlignment(Qt::AlignBottom);
  c->legend()->setMarkerShape(QLegend::MarkerShapeFromSeries);
  c->setMargins(QMargins(6, 6, 6, 6));
  c->setBackgroundRoundness(0);
  QFont title_font = c->titleFont();
  title_font.setPointSizeF(title_font.pointSizeF() * 1.25);
  title_font.setBold(true);
  c->setTitleFont(title_font);
  barrier_label_ = new QGraphicsSimpleTextItem(c);
  barrier_label_->setBrush(kBarrierColor);
  barrier_label_->setZValue(20);
  barrier_label_->hide();
  connect(c, &QChart::plotAreaChanged, this, [this] { placeBarrierLabel(); });
  clear();
}

void InterpolationChart::clear() {
  result_ = {};
  has_result_ = false;
  title_.clear();
  barrier_split_.clear();
  barrier_alpha_ = barrier_value_ = 0;
  rebuild();
}

void InterpolationChart::setResult(const InterpolationResult& result, const QString& path_title) {
  result_ = result;
  title_ = path_title;
  has_result_ = true;
  rebuild();
}

void InterpolationChart::setErrorVisible(bool visible) {
  if (visible == error_visible_) return;
  error_visible_ = visible;
  rebuild();
}

QLineSeries* InterpolationChart::addCurve(const QString& name, const std::vector<double>& y,
                                          double scale, const QColor& color, Qt::PenStyle style,
                                          QValueAxis* axis) {
  auto* s = new QLineSeries;
  s->setName(name);
  const size_t n = std::min(y.size(), result_.alpha.size());
  QList<QPointF> pts;
  pts.reserve(static_cast<qsizetype>(n));
  for (size_t i = 0; i < n; ++i)
    if (std::isfinite(y[i])) pts.append(QPointF(result_.alpha[i], y[i] * scale));
  s->replace(pts);
  QPen pen(color);
  pen.setWidthF(2.0);
  pen.setStyle(style);
  s->setPen(pen);
  s->setPointsVisible(n <= 41);
  chart()->addSeries(s);
  s->attachAxis(axis_x_);
  s->attachAxis(axis);
  return s;
}

void InterpolationChart::rebuild() {
  auto* c = chart();
  c->removeAllSeries();
  for (auto* a : c->axes()) {
    c->removeAxis(a);
    delete a;
  }
  barrier_label_->hide();

  axis_x_ = new QValueAxis;
  axis_x_->setTitleText(QStringLiteral("α"));
  axis_x_->setRange(0, 1);
  axis_x_->setTickCount(11);
  axis_x_->setMinorTickCount(0);
  axis_x_->setLabelFormat("%.1f");
  c->addAxis(axis_x_, Qt::AlignBottom);
  // A model without accuracy (NaN errors: the quadratic oracle) has a plain loss and no error
  // axis; a classifier's loss is the cross-entropy.
  bool classifier = false;
  for (const auto* split : {&result_.test, &result_.train})
    if (has_result_ && *split)
      for (double e : (*split)->error) classifier |= std::isfinite(e);
  axis_loss_ = new QValueAxis;
  axis_loss_->setTitleText(classifier || !has_result_ ? QStringLiteral("cross-entropy")
                                                      : QStringLiteral("loss"));
  axis_loss_->setLabelsColor(kLossColor.darker(120));
  axis_loss_->setLabelFormat("%.3g");
  c->addAxis(axis_loss_, Qt::AlignLeft);
  axis_error_ = nullptr;

  if (!has_result_) {
    c->setTitle(QStringLiteral("No interpolation yet"));
    axis_loss_->setRange(0, 1);
    return;
  }
  c->setTitle(title_);

  Range loss_range;
  if (result_.test) {
    addCurve("test loss", result_.test->loss, 1.0, kLossColor, Qt::SolidLine, axis_loss_);
    loss_range.add(result_.test->loss, 1.0);
  }
  if (result_.train) {
    addCurve("train loss", result_.train->loss, 1.0, kLossColor, Qt::DashLine, axis_loss_);
    loss_range.add(result_.train->loss, 1.0);
  }
  setAxisRange(axis_loss_, loss_range, false);

  if (error_visible_ && classifier) {
    axis_error_ = new QValueAxis;
    axis_error_->setTitleText(QStringLiteral("error (%)"));
    axis_error_->setLabelsColor(kErrorColor.darker(130));
    axis_error_->setLabelFormat("%.3g");
    c->addAxis(axis_error_, Qt::AlignRight);
    Range err_range;
    if (result_.test) {
      addCurve("test error", result_.test->error, 100.0, kErrorColor, Qt::SolidLine, axis_error_);
      err_range.add(result_.test->error, 100.0);
    }
    if (result_.train) {
      addCurve("train error", result_.train->error, 100.0, kErrorColor, Qt::DashLine,
               axis_error_);
      err_range.add(result_.train->error, 100.0);
    }
    setAxisRange(axis_error_, err_range, true);
  }

  // Barrier marker: from the mean endpoint loss up to the peak of the barrier split's curve.
  const SplitCurve* split = result_.test ? &*result_.test : (result_.train ? &*result_.train : nullptr);
  barrier_split_ = result_.test ? "test" : (result_.train ? "train" : "");
  if (split && split->loss.size() >= 2 && split->loss.size() <= result_.alpha.size()) {
    const auto& l = split->loss;
    const size_t k = static_cast<size_t>(std::max_element(l.begin(), l.end()) - l.begin());
    const double mid = 0.5 * (l.front() + l.back());
    barrier_alpha_ = result_.alpha[k];
    barrier_value_ = split->barriers.loss_mid;
    auto* m = new QLineSeries;
    m->setName(QStringLiteral("%1 barrier (mean-endpoint)").arg(barrier_split_));
    m->append(barrier_alpha_, mid);
    m->append(barrier_alpha_, l[k]);
    QPen pen(kBarrierColor);
    pen.setWidthF(2.5);
    m->setPen(pen);
    m->setPointsVisible(true);
    c->addSeries(m);
    m->attachAxis(axis_x_);
    m->attachAxis(axis_loss_);
    barrier_peak_ = QPointF(barrier_alpha_, l[k]);
    barrier_label_->setText(QStringLiteral("barrier %1").arg(format_significant(barrier_value_)));
    barrier_label_->show();
    placeBarrierLabel();
  }
}

void InterpolationChart::placeBarrierLabel() {
  if (!barrier_label_->isVisible() || !axis_x_) return;
  auto* c = chart();
  const auto series = c->series();
  if (series.isEmpty()) return;
  const QPointF p = c->mapToPosition(barrier_peak_, series.back());
  const QRectF box = barrier_label_->boundingRect();
  const QRectF plot = c->plotArea();
  double x = p.x() + 6;
  if (x + box.width() > plot.right()) x = p.x() - 6 - box.width();
  double y = std::max(plot.top() + 2, p.y() - box.height() - 4);
  barrier_label_->setPos(x, y);
}

int InterpolationChart::seriesCount() const { return static_cast<int>(chart()->series().size()); }

QStringList InterpolationChart::seriesNames() const {
  QStringList names;
  for (auto* s : chart()->series()) names << s->name();
  return names;
}

QList<QPointF> InterpolationChart::seriesPoints(int index) const {
  const auto series = chart()->series();
  if (index < 0 || index >= series.size()) return {};
  auto* xy = qobject_cast<QXYSeries*>(series[index]);
  return xy ? xy->points() : QList<QPointF>{};
}

QList<QPointF> InterpolationChart::seriesPoints(const QString& name) const {
  return seriesPoints(static_cast<int>(seriesNames().indexOf(name)));
}

QString InterpolationChart::title() const { return chart()->title(); }

}  // namespace ridgeline::widgets
