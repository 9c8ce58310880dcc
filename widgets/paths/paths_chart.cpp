#include "widgets/paths/paths_chart.h"

#include <QChart>
#include <QLineSeries>
#include <QPen>
#include <QValueAxis>
#include <algorithm>
#include <cmath>
#include <iterator>

#include "widgets/paths/quantity_text.h"

namespace ridgeline::widgets {

namespace {
// Colour-blind-safe palette (Okabe–Ito), in the order paths appear.
const QColor kPalette[] = {QColor(0, 114, 178), QColor(213, 94, 0), QColor(0, 158, 115),
                           QColor(204, 121, 167), QColor(230, 159, 0), QColor(86, 180, 233),
                           QColor(0, 0, 0), QColor(240, 228, 66)};
}  // namespace

PathsChart::PathsChart(QWidget* parent) : QChartView(parent) {
  auto* chart = new QChart;
  chart->setTitle("All paths: loss along α");
  QFont f = chart->titleFont();
  f.setBold(true);
  f.setPointSizeF(f.pointSizeF() * 1.15);
  chart->setTitleFont(f);
  axis_x_ = new QValueAxis;
  axis_x_->setTitleText("α");
  axis_x_->setRange(0, 1);
  axis_x_->setTickCount(11);
  axis_x_->setLabelFormat("%.1f");
  axis_y_ = new QValueAxis;
  chart->addAxis(axis_x_, Qt::AlignBottom);
  chart->addAxis(axis_y_, Qt::AlignLeft);
  setChart(chart);
  legend_ = new SeriesLegend(chart);
  range_note_ = new ChartNote(chart);
  setRenderHint(QPainter::Antialiasing);
  updateTitles();
}

void PathsChart::updateTitles() {
  const bool test = split_ == Split::Test, loss = quantity_ == Quantity::Loss;
  chart()->setTitle(QString("All paths: %1 along α").arg(loss ? "loss" : "error"));
  // A model without accuracy (NaN errors) has a plain loss, not a cross-entropy.
  bool classifier = results_.isEmpty();
  for (const InterpolationResult& r : results_)
    for (const auto* split : {&r.test, &r.train})
      if (*split)
        for (double e : (*split)->error) classifier |= std::isfinite(e);
  axis_y_->setTitleText(QString("%1 %2").arg(test ? "test" : "train",
                                             loss ? (classifier ? "cross-entropy" : "loss")
                                                  : "error (%)"));
  setToolTip(QString("Every path on one chart: %1 %2 against α (a path without a %1 split "
                     "shows its %3 split); right-click to export")
                 .arg(test ? "test" : "train", loss ? "loss" : "error", test ? "train" : "test"));
}

void PathsChart::setSplit(Split split) {
  split_ = split;
  updateTitles();
  for (const QString& id : order_) draw(id);
  fitAxes();
}

void PathsChart::setQuantity(Quantity quantity) {
  quantity_ = quantity;
  updateTitles();
  for (const QString& id : order_) draw(id);
  fitAxes();
}

void PathsChart::setPath(const QString& id, const InterpolationResult& r, int colour,
                         Qt::PenStyle style, SeriesMarker marker) {
  if (!r.test && !r.train) return;
  results_.insert(id, r);
  QLineSeries* s = series_.value(id, nullptr);
  if (!s) {
    s = new QLineSeries;
    s->setName(id);
    const size_t n = sizeof kPalette / sizeof kPalette[0];
    QPen pen(kPalette[(colour >= 0 ? static_cast<size_t>(colour) : order_.size()) % n]);
    pen.setWidthF(2.2);
    pen.setStyle(style);
    s->setPen(pen);
    // Markers cycle with the paths, so that paths stay apart in print and in the legend.
    static const SeriesMarker kMarkers[] = {SeriesMarker::Circle, SeriesMarker::Square,
                                            SeriesMarker::Triangle, SeriesMarker::Diamond};
    set_series_marker(s, marker != SeriesMarker::None ? marker
                                                      : kMarkers[order_.size() % std::size(kMarkers)]);
    chart()->addSeries(s);
    s->attachAxis(axis_x_);
    s->attachAxis(axis_y_);
    series_.insert(id, s);
    order_.push_back(id);
    legend_->refresh();
  }
  updateTitles();
  draw(id);
  fitAxes();
}

QString PathsChart::yAxisTitle() const { return axis_y_->titleText(); }
QString PathsChart::rangeNote() const { return range_note_->note(); }

void PathsChart::draw(const QString& id) {
  const InterpolationResult& r = results_[id];
  const SplitCurve* c = preferred_split(r, split_ == Split::Train);
  QList<QPointF> pts;
  const bool loss = quantity_ == Quantity::Loss;
  for (size_t k = 0; c && k < r.alpha.size(); ++k) {
    const double y = loss ? c->loss[k] : 100.0 * c->error[k];
    if (std::isfinite(y)) pts.append(QPointF(r.alpha[k], y));  // NaN: no accuracy, no point
  }
  series_.value(id)->replace(pts);
}

void PathsChart::clear() {
  range_note_->setNote({});
  chart()->removeAllSeries();
  series_.clear();
  results_.clear();
  order_.clear();
  legend_->refresh();
}

void PathsChart::fitAxes() {
  double lo = INFINITY, hi = -INFINITY;
  for (QLineSeries* s : series_)
    for (const QPointF& p : s->points()) {
      lo = std::min(lo, p.y());
      hi = std::max(hi, p.y());
    }
  if (!std::isfinite(lo)) return range_note_->setNote({});
  const double pad = std::max(1e-3, 0.05 * (hi - lo));
  axis_y_->setRange(std::max(0.0, lo - pad), hi + pad);
  axis_y_->applyNiceNumbers();
  // The range of what is drawn: close curves zoomed to fill the chart say so.
  const bool loss = quantity_ == Quantity::Loss;
  range_note_->setNote(QString("%1 range %2–%3")
                           .arg(loss ? "loss" : "error", loss ? loss_text(lo) : error_text(lo / 100.0),
                                loss ? loss_text(hi) : error_text(hi / 100.0)));
}

QStringList PathsChart::seriesNames() const { return order_; }

QList<QPointF> PathsChart::seriesPoints(const QString& name) const {
  QLineSeries* s = series_.value(name, nullptr);
  return s ? s->points() : QList<QPointF>{};
}

}  // namespace ridgeline::widgets
