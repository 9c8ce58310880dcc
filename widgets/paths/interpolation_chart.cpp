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

#include "widgets/paths/quantity_text.h"
#include "widgets/paths/series_legend.h"

namespace ridgeline::widgets {

namespace {

const QColor kLossColor(31, 119, 180);
const QColor kErrorColor(44, 160, 44);
const QColor kBarrierColor(214, 39, 40);

struct Range {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  Range() = default;
  Range(double l, double h) : lo(l), hi(h) {}
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
  c->setMargins(QMargins(6, 6, 6, 6));
  c->setBackgroundRoundness(0);
  QFont title_font = c->titleFont();
  title_font.setPointSizeF(title_font.pointSizeF() * 1.25);
  title_font.setBold(true);
  c->setTitleFont(title_font);
  legend_ = new SeriesLegend(c);
  range_note_ = new ChartNote(c);
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
  has_marker_ = false;
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

void InterpolationChart::setSharedRanges(QPointF loss, QPointF error_percent) {
  if (loss == shared_loss_ && error_percent == shared_error_) return;
  shared_loss_ = loss;
  shared_error_ = error_percent;
  rebuild();
}

QPointF InterpolationChart::lossExtent(const InterpolationResult& r) {
  Range range;
  if (r.test) range.add(r.test->loss, 1.0);
  if (r.train) range.add(r.train->loss, 1.0);
  return range.valid() ? QPointF(range.lo, range.hi) : QPointF(1, 0);
}

QPointF InterpolationChart::errorExtent(const InterpolationResult& r) {
  Range range;
  if (r.test) range.add(r.test->error, 100.0);
  if (r.train) range.add(r.train->error, 100.0);
  return range.valid() ? QPointF(range.lo, range.hi) : QPointF(1, 0);
}

QLineSeries* InterpolationChart::addCurve(const QString& name, const std::vector<double>& y,
                                          double scale, const QColor& color, Qt::PenStyle style,
                                          int marker, QValueAxis* axis) {
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
  // Markers tell the curves apart where colour and dash do not (legend, print): on sparse
  // grids on every point, on dense ones none (the line is the data).
  set_series_marker(s, n <= 41 ? static_cast<SeriesMarker>(marker) : SeriesMarker::None);
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
  has_marker_ = false;

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
  const QString loss_name =
      classifier || !has_result_ ? QStringLiteral("cross-entropy") : QStringLiteral("loss");
  axis_loss_ = new QValueAxis;
  axis_loss_->setTitleText(loss_name);
  axis_loss_->setLabelsColor(kLossColor.darker(120));
  axis_loss_->setLabelFormat("%.4g");
  c->addAxis(axis_loss_, Qt::AlignLeft);
  axis_error_ = nullptr;

  if (!has_result_) {
    range_note_->setNote({});
    c->setTitle(QStringLiteral("No interpolation yet"));
    axis_loss_->setRange(0, 1);
    legend_->refresh();
    return;
  }
  c->setTitle(title_);

  if (result_.test)
    addCurve("test loss", result_.test->loss, 1.0, kLossColor, Qt::SolidLine,
             static_cast<int>(SeriesMarker::Circle), axis_loss_);
  if (result_.train)
    addCurve("train loss", result_.train->loss, 1.0, kLossColor, Qt::DashLine,
             static_cast<int>(SeriesMarker::Square), axis_loss_);
  const QPointF extent = lossExtent(result_);
  const bool shared = shared_loss_.x() <= shared_loss_.y();
  const QPointF drawn = shared ? shared_loss_ : extent;
  setAxisRange(axis_loss_, Range{drawn.x(), drawn.y()}, false);
  const QString splits =
      result_.test && result_.train ? "test/train " : (result_.test ? "test " : "train ");
  axis_loss_->setTitleText(splits + loss_name);
  // The range of what is drawn: a flat path zoomed to fill the chart says so.
  range_note_->setNote(extent.x() <= extent.y()
                           ? QString("loss range %1–%2%3")
                                 .arg(loss_text(extent.x()), loss_text(extent.y()),
                                      shared ? QString(" · common scale") : QString())
                           : QString());

  if (error_visible_ && classifier) {
    axis_error_ = new QValueAxis;
    axis_error_->setTitleText(QStringLiteral("error (%)"));
    axis_error_->setLabelsColor(kErrorColor.darker(130));
    axis_error_->setLabelFormat("%.3g");
    c->addAxis(axis_error_, Qt::AlignRight);
    if (result_.test)
      addCurve("test error", result_.test->error, 100.0, kErrorColor, Qt::SolidLine,
               static_cast<int>(SeriesMarker::Triangle), axis_error_);
    if (result_.train)
      addCurve("train error", result_.train->error, 100.0, kErrorColor, Qt::DashLine,
               static_cast<int>(SeriesMarker::Diamond), axis_error_);
    const QPointF e = shared_error_.x() <= shared_error_.y() ? shared_error_ : errorExtent(result_);
    Range er;
    if (e.x() <= e.y()) er = {e.x(), e.y()};
    setAxisRange(axis_error_, er, true);
  }

  // The barrier of the barrier split (test, else train): where the linear form peaks.
  const SplitCurve* split = result_.test ? &*result_.test : (result_.train ? &*result_.train : nullptr);
  barrier_split_ = result_.test ? "test" : (result_.train ? "train" : "");
  barrier_alpha_ = split ? split->barriers.loss_alpha : 0;
  barrier_value_ = split ? split->barriers.loss_lin : 0;
  if (split && split->loss.size() >= 2 && split->loss.size() <= result_.alpha.size()) {
    const auto& l = split->loss;
    const double l0 = l.front(), l1 = l.back();
    if (has_interior_barrier(barrier_value_, barrier_alpha_)) {
      // The grid point of the barrier (loss_alpha is one of the grid's α).
      size_t k = 0;
      for (size_t i = 1; i < l.size(); ++i)
        if (std::abs(result_.alpha[i] - barrier_alpha_) < std::abs(result_.alpha[k] - barrier_alpha_))
          k = i;
      const double a = result_.alpha[k];
      auto* chord = new QLineSeries;
      chord->setName(QStringLiteral("chord of the %1 endpoints").arg(barrier_split_));
      chord->append(0.0, l0);
      chord->append(1.0, l1);
      QPen chord_pen(kBarrierColor);
      chord_pen.setWidthF(1.2);
      chord_pen.setStyle(Qt::DotLine);
      chord->setPen(chord_pen);
      c->addSeries(chord);
      chord->attachAxis(axis_x_);
      chord->attachAxis(axis_loss_);
      auto* m = new QLineSeries;
      m->setName(QStringLiteral("%1 barrier (linear)").arg(barrier_split_));
      m->append(a, (1 - a) * l0 + a * l1);
      m->append(a, l[k]);
      QPen pen(kBarrierColor);
      pen.setWidthF(2.5);
      m->setPen(pen);
      c->addSeries(m);
      m->attachAxis(axis_x_);
      m->attachAxis(axis_loss_);
      barrier_peak_ = QPointF(a, l[k]);
      has_marker_ = true;
    }
    barrier_label_->setText(barrierLabel());
    barrier_label_->show();
  }
  legend_->refresh();
  placeBarrierLabel();
}

QString InterpolationChart::barrierLabel() const {
  if (barrier_split_.isEmpty()) return {};
  if (!has_marker_) return QStringLiteral("%1 loss: no interior barrier").arg(barrier_split_);
  return QStringLiteral("barrier %1 at α = %2")
      .arg(loss_barrier_text(barrier_value_), alpha_text(barrier_alpha_));
}

QString InterpolationChart::lossAxisTitle() const { return axis_loss_ ? axis_loss_->titleText() : QString(); }

QString InterpolationChart::rangeNote() const { return range_note_->note(); }

QPointF InterpolationChart::lossAxisRange() const {
  return axis_loss_ ? QPointF(axis_loss_->min(), axis_loss_->max()) : QPointF();
}

void InterpolationChart::placeBarrierLabel() {
  if (!barrier_label_->isVisible() || !axis_x_) return;
  auto* c = chart();
  const QRectF box = barrier_label_->boundingRect();
  const QRectF plot = c->plotArea();
  if (!has_marker_) {
    // No marker to sit by: the top left of the plot, inside it.
    barrier_label_->setPos(plot.left() + 8, plot.top() + 4);
    return;
  }
  const auto series = c->series();
  if (series.isEmpty()) return;
  const QPointF p = c->mapToPosition(barrier_peak_, series.back());
  double x = p.x() + 6;
  if (x + box.width() > plot.right()) x = p.x() - 6 - box.width();
  x = std::max(plot.left() + 2, x);
  const double y = std::clamp(p.y() - box.height() - 4, plot.top() + 2, plot.bottom() - box.height() - 2);
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
