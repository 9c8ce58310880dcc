// The joint query/key embedding plot (qk_embedding_plot.h).
#include "widgets/attention/qk_embedding_plot.h"

#include <QChart>
#include <QContextMenuEvent>
#include <QCursor>
#include <QLegend>
#include <QLegendMarker>
#include <QMenu>
#include <QScatterSeries>
#include <QToolTip>
#include <QValueAxis>
#include <algorithm>
#include <cmath>
#include <limits>

#include "widgets/attention/chart_export.h"
#include "widgets/figure/colormap.h"

namespace ridgeline::widgets {

namespace {

// Okabe–Ito: queries vermillion, keys blue (they stay apart for colour-blind readers and in
// grey, where the marker shapes differ too).
const QColor kQuery(213, 94, 0), kKey(0, 114, 178);

QString number(double v) { return QString::number(v, 'g', 4); }

}  // namespace

QkEmbeddingPlot::QkEmbeddingPlot(QWidget* parent) : QChartView(parent) {
  setRenderHint(QPainter::Antialiasing);
  setMinimumSize(320, 280);
  chart()->legend()->setAlignment(Qt::AlignBottom);
  chart()->legend()->setMarkerShape(QLegend::MarkerShapeFromSeries);  // circles and squares
  chart()->setTitle("Queries and keys: no embedding yet");
}

void QkEmbeddingPlot::setEmbedding(attention::QkEmbedding e, const QString& context,
                                   std::vector<QStringList> tokens) {
  e_ = std::move(e);
  tokens_ = std::move(tokens);
  context_ = context;
  QChart* c = chart();
  c->removeAllSeries();
  for (QAbstractAxis* a : c->axes()) {
    c->removeAxis(a);
    delete a;
  }
  data_.clear();
  series_index_.assign(static_cast<size_t>(e_.size()), 0);
  max_position_ = 0;
  for (const auto& src : e_.source) max_position_ = std::max(max_position_, src.position);
  // Many points: smaller markers, so clusters stay readable.
  const double marker = e_.size() > 2000 ? 5 : e_.size() > 300 ? 7 : 9;
  auto make = [&](bool query, const QColor& fill, const QColor& border) {
    auto* s = new QScatterSeries;
    s->setMarkerShape(query ? QScatterSeries::MarkerShapeCircle
                            : QScatterSeries::MarkerShapeRectangle);
    s->setMarkerSize(marker);
    s->setColor(fill);
    s->setBorderColor(border);
    return s;
  };
  // The legend's two entries; by kind they hold the points, by position they stay empty and
  // grey, and the points go to one series per colour bin (styled before they join the chart:
  // per-point colours or restyling a shown series of 16k points take seconds).
  const bool by_kind = colour_by_ == ColourBy::Kind;
  QColor qfill = kQuery, kfill = kKey;
  qfill.setAlphaF(0.75);
  kfill.setAlphaF(0.75);
  queries_ = by_kind ? make(true, qfill, kQuery.darker(140))
                     : make(true, QColor(150, 150, 150), QColor(60, 60, 60));
  keys_ = by_kind ? make(false, kfill, kKey.darker(140))
                  : make(false, QColor(150, 150, 150), QColor(60, 60, 60));
  queries_->setName(QString("queries (%1)").arg(e_.num_queries));
  keys_->setName(QString("keys (%1)").arg(e_.num_keys));
  std::vector<QList<QPointF>> points;
  std::vector<QScatterSeries*> bins;
  if (by_kind) {
    bins = {queries_, keys_};
  } else {
    for (int kind = 0; kind < 2; ++kind)
      for (int b = 0; b < kColourBins; ++b) {
        const figure::Rgb rgb = figure::colormap(double(b) / (kColourBins - 1));
        const QColor colour(rgb.r, rgb.g, rgb.b);
        bins.push_back(make(kind == 0, colour, QColor(60, 60, 60)));
      }
  }
  points.resize(bins.size());
  for (int i = 0; i < e_.size(); ++i) {
    const bool query = e_.is_query[static_cast<size_t>(i)] != 0;
    const int bin = by_kind ? (query ? 0 : 1) : (query ? 0 : kColourBins) + colourBin(i);
    series_index_[static_cast<size_t>(i)] =
        static_cast<int>(points[static_cast<size_t>(bin)].size());
    points[static_cast<size_t>(bin)]
        << QPointF(e_.x[static_cast<size_t>(i)], e_.y[static_cast<size_t>(i)]);
  }
  for (size_t b = 0; b < bins.size(); ++b) bins[b]->replace(points[b]);
  c->addSeries(queries_);
  c->addSeries(keys_);
  for (size_t b = 0; b < bins.size(); ++b) {
    if (by_kind) {
      data_.push_back({bins[b], b == 0});
      continue;
    }
    if (points[b].isEmpty()) {
      delete bins[b];
      continue;
    }
    c->addSeries(bins[b]);
    for (QLegendMarker* m : c->legend()->markers(bins[b])) m->setVisible(false);
    data_.push_back({bins[b], static_cast<int>(b) < kColourBins});
  }
  auto* x = new QValueAxis;
  auto* y = new QValueAxis;
  x->setTitleText(axisTitle(0));
  y->setTitleText(axisTitle(1));
  c->addAxis(x, Qt::AlignBottom);
  c->addAxis(y, Qt::AlignLeft);
  for (QScatterSeries* s : {queries_, keys_}) {
    if (by_kind) continue;
    s->attachAxis(x);
    s->attachAxis(y);
  }
  for (const auto& [s, is_query] : data_) {
    s->attachAxis(x);
    s->attachAxis(y);
    connect(s, &QScatterSeries::hovered, this, [this, q = is_query](const QPointF& p, bool on) {
      if (!on) return QToolTip::hideText();
      QToolTip::showText(QCursor::pos(), hoverText(indexAt(p, q)), this);
    });
  }
  setTitle();
  fitRanges();
}

void QkEmbeddingPlot::setTitle() {
  int inputs = 0;
  for (const auto& s : e_.source) inputs = std::max(inputs, s.input + 1);
  // Two lines: what was embedded, then how (a long single line is cut off in a narrow view).
  QString title = "Queries and keys" +
                  (context_.isEmpty() ? QString() : ", " + context_.toHtmlEscaped()) +
                  QString(": joint PCA over %1 input%2").arg(inputs).arg(inputs == 1 ? "" : "s");
  title += e_.normalisation.applied
               ? "<br><small>keys translated to the queries' centroid, equal mean norms "
                 "(each query's ranking of keys unchanged)"
               : "<br><small>vectors as computed, not normalised";
  if (colour_by_ == ColourBy::Position)
    title +=
        QString(
            "<br>colour: token position 0 (violet) to %1 (yellow); circles queries, squares keys")
            .arg(max_position_);
  chart()->setTitle(title + "</small>");
}

void QkEmbeddingPlot::setColourBy(ColourBy c) {
  if (c == colour_by_) return;
  colour_by_ = c;
  if (!queries_) return setTitle();
  // Rebuilt rather than restyled (see setEmbedding).
  attention::QkEmbedding e = std::move(e_);
  std::vector<QStringList> tokens = std::move(tokens_);
  setEmbedding(std::move(e), context_, std::move(tokens));
}

QColor QkEmbeddingPlot::pointColour(int index) const {
  if (index < 0 || index >= e_.size()) return {};
  const bool query = e_.is_query[static_cast<size_t>(index)] != 0;
  if (colour_by_ == ColourBy::Kind) return query ? kQuery : kKey;
  const figure::Rgb rgb = figure::colormap(double(colourBin(index)) / (kColourBins - 1));
  return QColor(rgb.r, rgb.g, rgb.b);
}

int QkEmbeddingPlot::colourBin(int index) const {
  const double t = max_position_ > 0
                       ? double(e_.source[static_cast<size_t>(index)].position) / max_position_
                       : 0.0;
  return static_cast<int>(std::lround(t * (kColourBins - 1)));
}

int QkEmbeddingPlot::drawnCount(bool query) const {
  int n = 0;
  for (const auto& [s, q] : data_)
    if (q == query) n += s->count();
  return n;
}

QString QkEmbeddingPlot::axisTitle(int component) const {
  const QString name = QString("PC%1").arg(component + 1);
  const double r = e_.explained[component == 0 ? 0 : 1];
  if (e_.size() == 0) return name;
  if (!std::isfinite(r)) return name + " (no variance)";
  return name + QString(" (%1%)").arg(100 * r, 0, 'f', 1);
}

QString QkEmbeddingPlot::hoverText(int index) const {
  if (index < 0 || index >= e_.size()) return {};
  const auto& s = e_.source[static_cast<size_t>(index)];
  QString t = QString("%1 %2 of input %3")
                  .arg(e_.is_query[static_cast<size_t>(index)] ? "query" : "key")
                  .arg(s.position)
                  .arg(s.input);
  if (s.input < static_cast<int>(tokens_.size()) &&
      s.position < tokens_[static_cast<size_t>(s.input)].size())
    t += QString(", token '%1'").arg(tokens_[static_cast<size_t>(s.input)][s.position]);
  t += " · PC1 " + number(e_.x[static_cast<size_t>(index)]) + ", PC2 " +
       number(e_.y[static_cast<size_t>(index)]);
  return t;
}

int QkEmbeddingPlot::indexAt(const QPointF& value, bool query) const {
  int best = -1;
  double bd = std::numeric_limits<double>::infinity();
  for (int i = 0; i < e_.size(); ++i) {
    if ((e_.is_query[static_cast<size_t>(i)] != 0) != query) continue;
    const double dx = e_.x[static_cast<size_t>(i)] - value.x(),
                 dy = e_.y[static_cast<size_t>(i)] - value.y();
    const double d = dx * dx + dy * dy;
    if (d < bd) bd = d, best = i;
  }
  return best;
}

void QkEmbeddingPlot::fitRanges() {
  const auto axes_x = chart()->axes(Qt::Horizontal), axes_y = chart()->axes(Qt::Vertical);
  if (axes_x.isEmpty() || axes_y.isEmpty()) return;
  double x0 = -1, x1 = 1, y0 = -1, y1 = 1;
  if (e_.size() > 0) {
    const auto [xa, xb] = std::minmax_element(e_.x.begin(), e_.x.end());
    const auto [ya, yb] = std::minmax_element(e_.y.begin(), e_.y.end());
    x0 = *xa, x1 = *xb, y0 = *ya, y1 = *yb;
  }
  double w = std::max(x1 - x0, 1e-12), h = std::max(y1 - y0, 1e-12);
  // Equal units per pixel on both axes: widen the shorter span to the plot area's aspect.
  const QRectF area = chart()->plotArea();
  const double aspect =
      area.width() > 10 && area.height() > 10 ? area.width() / area.height() : 1.0;
  const double pad = 0.06;
  w *= 1 + 2 * pad, h *= 1 + 2 * pad;
  if (w / h > aspect)
    h = w / aspect;
  else
    w = h * aspect;
  const double cx = 0.5 * (x0 + x1), cy = 0.5 * (y0 + y1);
  auto* ax = static_cast<QValueAxis*>(axes_x.first());
  auto* ay = static_cast<QValueAxis*>(axes_y.first());
  ax->setRange(cx - w / 2, cx + w / 2);
  ay->setRange(cy - h / 2, cy + h / 2);
  // Ticks at round numbers, one step on both axes (equal scales), anchored at 0.
  const double raw = std::max(w, h) / 6;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  const double step = raw / mag < 1.5   ? mag
                      : raw / mag < 3.5 ? 2 * mag
                      : raw / mag < 7.5 ? 5 * mag
                                        : 10 * mag;
  for (QValueAxis* a : {ax, ay}) {
    a->setTickType(QValueAxis::TicksDynamic);
    a->setTickAnchor(0);
    a->setTickInterval(step);
    a->setLabelFormat("%g");
  }
}

void QkEmbeddingPlot::resizeEvent(QResizeEvent* event) {
  QChartView::resizeEvent(event);
  fitRanges();
}

void QkEmbeddingPlot::contextMenuEvent(QContextMenuEvent* event) {
  QMenu menu(this);
  QAction* by_position = menu.addAction("Colour by token position");
  by_position->setCheckable(true);
  by_position->setChecked(colour_by_ == ColourBy::Position);
  connect(by_position, &QAction::toggled, this,
          [this](bool on) { setColourBy(on ? ColourBy::Position : ColourBy::Kind); });
  menu.addSeparator();
  add_export_actions(menu, this, "qk_embedding",
                     [this](const QString& p, QString* e) { return exportTo(p, e); });
  menu.exec(event->globalPos());
}

bool QkEmbeddingPlot::exportTo(const QString& path, QString* error) const {
  return export_chart_view(*this, path, "Query/key embedding", error);
}

}  // namespace ridgeline::widgets
