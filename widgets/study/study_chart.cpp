#include "widgets/study/study_chart.h"

#include <QAreaSeries>
#include <QCategoryAxis>
#include <QChart>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QMouseEvent>
#include <QPen>
#include <QToolTip>
#include <QValueAxis>
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "ridgeline/core/format.h"

namespace ridgeline::widgets {

namespace {
// Colour-blind-safe palette (Okabe–Ito), one colour per path kind, as in the paths chart.
const QColor kPalette[] = {QColor(0, 114, 178), QColor(213, 94, 0), QColor(0, 158, 115),
                           QColor(204, 121, 167), QColor(230, 159, 0), QColor(86, 180, 233),
                           QColor(0, 0, 0), QColor(240, 228, 66)};
const Qt::PenStyle kStyles[] = {Qt::SolidLine, Qt::DashLine, Qt::DotLine, Qt::DashDotLine,
                                Qt::DashDotDotLine};
const SeriesMarker kMarkers[] = {SeriesMarker::Circle, SeriesMarker::Square, SeriesMarker::Triangle,
                                 SeriesMarker::Diamond};
constexpr double kPickPixels = 12;

bool is_error(int measure) { return measure >= 2; }

double value_of(const StudyGroupRow& g, const std::string& key) {
  for (const SweptValue& v : g.values)
    if (v.key == key) return v.number;
  return NAN;
}

std::string text_of(const StudyGroupRow& g, const std::string& key) {
  for (const SweptValue& v : g.values)
    if (v.key == key) return v.text;
  return {};
}

bool powers_of_two(const std::vector<double>& xs) {
  for (double x : xs) {
    if (!(x > 0)) return false;
    const double l = std::log2(x);
    if (std::abs(l - std::round(l)) > 1e-9) return false;
  }
  return true;
}
}  // namespace

StudyChart::StudyChart(QWidget* parent) : QChartView(parent) {
  auto* chart = new QChart;
  QFont f = chart->titleFont();
  f.setBold(true);
  f.setPointSizeF(f.pointSizeF() * 1.15);
  chart->setTitleFont(f);
  setChart(chart);
  legend_ = new SeriesLegend(chart);
  setRenderHint(QPainter::Antialiasing);
  setMouseTracking(true);
  setToolTip("Barrier against the swept variable: mean over seed pairs with its band; hover "
             "a point for its numbers, click it to open its cells; right-click to export");
}

void StudyChart::setAggregate(const StudyAggregate& agg) {
  agg_ = agg;
  rebuild();
}

void StudyChart::setMeasure(int measure) {
  measure_ = std::clamp(measure, 0, 3);
  rebuild();
}

void StudyChart::setSplit(const QString& split) {
  split_ = split;
  rebuild();
}

void StudyChart::setBand(Band band) {
  band_ = band;
  rebuild();
}

QString StudyChart::split() const {
  bool has = false, other = false;
  for (const StudyGroupRow& g : agg_.groups) (g.split == split_.toStdString() ? has : other) = true;
  if (has || !other) return split_;
  return split_ == "test" ? "train" : "test";
}

QString StudyChart::measureTitle() const {
  const bool lin = measure_ == 0 || measure_ == 2;
  return QString("%1 %2 barrier (%3)")
      .arg(split(), is_error(measure_) ? "error" : "loss", lin ? "linear" : "vs mean of ends");
}

void StudyChart::rebuild() {
  QChart* c = chart();
  c->removeAllSeries();
  for (QAbstractAxis* a : c->axes()) {
    c->removeAxis(a);
    delete a;
  }
  lines_.clear();
  note_.clear();
  x_key_.clear();
  line_key_.clear();
  log_x_ = false;
  categories_.clear();

  // The x axis: the first swept variable (sweep order) that takes several values, numeric
  // ones first (a variable without numeric values, attn, is the x axis only when nothing
  // numeric varies); the other varying ones split the lines.
  std::vector<std::string> varying;
  auto numeric = [&](const std::string& k) {
    return std::all_of(agg_.groups.begin(), agg_.groups.end(),
                       [&](const StudyGroupRow& g) { return std::isfinite(value_of(g, k)); });
  };
  for (const std::string& k : agg_.keys) {
    std::set<std::string> values;
    for (const StudyGroupRow& g : agg_.groups) values.insert(text_of(g, k));
    if (values.size() > 1) varying.push_back(k);
  }
  const auto first_numeric = std::find_if(varying.begin(), varying.end(), numeric);
  const std::string x_key = varying.empty() ? (agg_.keys.empty() ? std::string() : agg_.keys.front())
                            : first_numeric != varying.end() ? *first_numeric
                                                             : varying.front();
  x_key_ = QString::fromStdString(x_key);
  const bool categorical = !x_key.empty() && !numeric(x_key);
  if (categorical)  // in the groups' order: the sweep's
    for (const StudyGroupRow& g : agg_.groups)
      if (const QString t = QString::fromStdString(text_of(g, x_key)); !categories_.contains(t))
        categories_ << t;
  std::vector<std::string> line_keys;
  for (const std::string& k : varying)
    if (k != x_key) line_keys.push_back(k);
  QStringList lk;
  for (const auto& k : line_keys) lk << QString::fromStdString(k);
  line_key_ = lk.join(", ");

  const std::string split_s = split().toStdString();
  std::vector<double> xs;
  std::vector<QString> line_values;  // in order of appearance
  std::map<std::pair<std::string, QString>, int> line_of;
  int skipped = 0;
  for (const StudyGroupRow& g : agg_.groups) {
    if (g.split != split_s) continue;
    const double x = x_key.empty() ? 0.0
                     : categorical
                         ? static_cast<double>(categories_.indexOf(QString::fromStdString(text_of(g, x_key))))
                         : value_of(g, x_key);
    if (!std::isfinite(x)) {
      ++skipped;
      continue;
    }
    QStringList parts;
    for (const auto& k : line_keys)
      parts << QString::fromStdString(k + "=" + text_of(g, k));
    const QString lv = parts.join(", ");
    if (std::find(line_values.begin(), line_values.end(), lv) == line_values.end())
      line_values.push_back(lv);
    if (std::find(xs.begin(), xs.end(), x) == xs.end()) xs.push_back(x);
    auto key = std::make_pair(g.path, lv);
    if (!line_of.count(key)) {
      Line l;
      l.path = QString::fromStdString(g.path);
      l.line_value = lv;
      l.name = lv.isEmpty() ? l.path : l.path + " · " + lv;
      line_of[key] = static_cast<int>(lines_.size());
      lines_.push_back(l);
    }
    Line& l = lines_[line_of[key]];
    const BarrierStats& s = g.stats[static_cast<size_t>(measure_)];
    if (!std::isfinite(s.mean)) continue;
    const double scale = is_error(measure_) ? 100.0 : 1.0;
    Hit h{QString::fromStdString(g.group), l.path, x, s.mean * scale, g.n, s};
    l.hits.push_back(h);
    const bool use_std = band_ == Band::Std ||
                         (band_ == Band::Auto && g.n >= 3 && std::isfinite(s.std));
    if (band_ != Band::None && g.n >= 2) {  // (on a category axis: an error bar)
      const double lo = use_std ? s.mean - s.std : s.min, hi = use_std ? s.mean + s.std : s.max;
      if (std::isfinite(lo) && std::isfinite(hi)) {
        l.lo.push_back({x, lo * scale});
        l.hi.push_back({x, hi * scale});
      }
    }
  }
  std::sort(xs.begin(), xs.end());
  // On a category axis the lines' points sit side by side around their category: line j of n
  // at an offset of (j − (n − 1)/2)·w, so that error bars never overlap.
  if (categorical) {
    const double n = static_cast<double>(lines_.size());
    const double w = std::min(0.16, 0.64 / std::max(1.0, n));
    for (qsizetype j = 0; j < lines_.size(); ++j) {
      const double off = (static_cast<double>(j) - (n - 1) / 2) * w;
      for (Hit& h : lines_[j].hits) h.x += off;
      for (QPointF& p : lines_[j].lo) p.rx() += off;
      for (QPointF& p : lines_[j].hi) p.rx() += off;
    }
  }
  if (skipped > 0)
    note_ = QString("%1 group(s) have no numeric value of %2 and are not drawn").arg(skipped).arg(x_key_);
  if (x_key.empty()) note_ = "the study sweeps only seeds: one point per path kind";

  // Axes (their ranges are set once every series is attached).
  log_x_ = !categorical && (x_key == "width" || x_key == "lr") && !xs.empty() && xs.front() > 0 &&
           xs.size() > 1;
  double x_lo = xs.empty() ? -1 : xs.front(), x_hi = xs.empty() ? 1 : xs.back();
  if (categorical) {
    x_lo = -0.5;
    x_hi = static_cast<double>(categories_.size()) - 0.5;
  } else if (log_x_) {
    x_lo /= 1.25;
    x_hi *= 1.25;
  } else {
    const double pad = x_hi > x_lo ? 0.06 * (x_hi - x_lo) : 1.0;
    x_lo -= pad;
    x_hi += pad;
  }
  QAbstractAxis* ax = nullptr;
  if (categorical) {
    // Each category a slot from i − ½ to i + ½ with its name centred under it.
    auto* a = new QCategoryAxis;
    a->setStartValue(-0.5);
    for (qsizetype i = 0; i < categories_.size(); ++i)
      a->append(categories_[i], static_cast<double>(i) + 0.5);
    a->setLabelsPosition(QCategoryAxis::AxisLabelsPositionCenter);
    ax = a;
  } else if (log_x_) {
    auto* a = new QLogValueAxis;
    a->setBase(powers_of_two(xs) ? 2.0 : 10.0);
    a->setLabelFormat("%g");
    a->setMinorTickCount(powers_of_two(xs) ? 0 : 8);
    ax = a;
  } else {
    auto* a = new QValueAxis;
    a->setLabelFormat("%g");
    ax = a;
  }
  ax->setTitleText(x_key.empty() ? QString("(no swept variable)")
                                 : x_key_ + (log_x_ ? " (log scale)" : QString()));
  auto* ay = new QValueAxis;
  ay->setTitleText(measureTitle() + (is_error(measure_) ? " (%)" : ""));
  ay->setLabelFormat(is_error(measure_) ? "%.1f" : "%.3g");
  c->addAxis(ax, Qt::AlignBottom);
  c->addAxis(ay, Qt::AlignLeft);

  // Bands first (under the lines), then the zero line, then the lines.
  const size_t np = std::size(kPalette);
  // Several lines per path kind on a category axis (no line style to tell them apart): the
  // marker says the value of the other variable.
  const bool marker_by_value = categorical && line_values.size() > 1;
  auto colour_of = [&](const QString& path) {
    const auto it = std::find(agg_.paths.begin(), agg_.paths.end(), path.toStdString());
    return kPalette[static_cast<size_t>(it - agg_.paths.begin()) % np];
  };
  double lo = 0, hi = 0;  // keep 0 in view: "no barrier" is the reference
  for (Line& l : lines_) {
    const auto vi = std::find(line_values.begin(), line_values.end(), l.line_value) - line_values.begin();
    l.style = kStyles[static_cast<size_t>(vi) % std::size(kStyles)];
    std::sort(l.hits.begin(), l.hits.end(), [](const Hit& a, const Hit& b) { return a.x < b.x; });
    auto by_x = [](const QPointF& a, const QPointF& b) { return a.x() < b.x(); };
    std::sort(l.lo.begin(), l.lo.end(), by_x);
    std::sort(l.hi.begin(), l.hi.end(), by_x);
    for (const Hit& h : l.hits) lo = std::min(lo, h.y), hi = std::max(hi, h.y);
    for (const QPointF& p : l.lo) lo = std::min(lo, p.y());
    for (const QPointF& p : l.hi) hi = std::max(hi, p.y());
    if (categorical) {  // error bars: a whisker with caps at each point
      QPen wp(colour_of(l.path));
      wp.setWidthF(1.6);
      for (qsizetype i = 0; i < l.lo.size() && i < l.hi.size(); ++i) {
        const double x = l.lo[i].x(), y0 = l.lo[i].y(), y1 = l.hi[i].y(), cap = 0.035;
        auto* bar = new QLineSeries;
        bar->append({QPointF(x - cap, y0), QPointF(x + cap, y0), QPointF(x, y0), QPointF(x, y1),
                     QPointF(x - cap, y1), QPointF(x + cap, y1)});
        bar->setPen(wp);
        bar->setName(l.name + " error bar");
        hide_from_legend(bar);
        c->addSeries(bar);
        bar->attachAxis(ax);
        bar->attachAxis(ay);
      }
      continue;
    }
    if (l.lo.size() < 2) continue;  // a band needs two x values to have an area
    auto* upper = new QLineSeries;
    auto* lower = new QLineSeries;
    upper->append(l.hi);
    lower->append(l.lo);
    auto* area = new QAreaSeries(upper, lower);
    QColor fill = colour_of(l.path);
    fill.setAlpha(line_values.size() > 1 ? 28 : 45);  // several lines per colour: lighter
    area->setBrush(fill);
    area->setPen(Qt::NoPen);
    area->setName(l.name + " band");
    c->addSeries(area);
    area->attachAxis(ax);
    area->attachAxis(ay);
  }
  if (!xs.empty()) {
    auto* zero = new QLineSeries;
    zero->append(x_lo, 0);
    zero->append(x_hi, 0);
    QPen zp(QColor(150, 150, 150));
    zp.setStyle(Qt::DashLine);
    zp.setWidthF(1.0);
    zero->setPen(zp);
    zero->setName("zero");
    hide_from_legend(zero);
    c->addSeries(zero);
    zero->attachAxis(ax);
    zero->attachAxis(ay);
  }
  for (const Line& l : lines_) {
    auto* s = new QLineSeries;
    s->setName(l.name);
    QPen pen(colour_of(l.path));
    pen.setWidthF(2.2);
    pen.setStyle(categorical ? Qt::NoPen : l.style);  // no line joins categories
    s->setPen(pen);
    for (const Hit& h : l.hits) s->append(h.x, h.y);
    const auto pi = std::find(agg_.paths.begin(), agg_.paths.end(), l.path.toStdString()) - agg_.paths.begin();
    const auto vi = std::find(line_values.begin(), line_values.end(), l.line_value) - line_values.begin();
    set_series_marker(s, kMarkers[static_cast<size_t>(marker_by_value ? vi : pi) % std::size(kMarkers)],
                      categorical ? 10.0 : 8.0);
    c->addSeries(s);
    s->attachAxis(ax);
    s->attachAxis(ay);
  }
  const double pad = std::max(is_error(measure_) ? 0.5 : 1e-3, 0.06 * (hi - lo));
  // A band dipping a hair below 0 (mean − std of barriers near 0) would stretch the axis to a
  // negative tick that no barrier has: such a band is cut at 0.
  if (lo < 0 && -lo < 0.05 * (hi - lo)) lo = 0;
  ay->setRange(lo - (lo < 0 ? pad : 0.0), hi + pad);
  ax->setRange(x_lo, x_hi);
  ay->applyNiceNumbers();
  const bool any_band = std::any_of(lines_.begin(), lines_.end(), [&](const Line& l) {
    return l.lo.size() >= (categorical ? 1 : 2);
  });
  QString band_text;
  const QString what = categorical ? " · error bars" : " · band";
  if (any_band)
    band_text = what + (band_ == Band::Std      ? " ± std"
                        : band_ == Band::MinMax ? " min–max"
                                                : " ± std (n ≥ 3), else min–max");
  c->setTitle(QString("%1: %2%3")
                  .arg(QString::fromStdString(agg_.study).toHtmlEscaped(), measureTitle(), band_text));
  legend_->refresh();
}

std::optional<StudyChart::Hit> StudyChart::hitAt(const QPointF& value) const {
  const QPointF at = chart()->mapToPosition(value);
  std::optional<Hit> best;
  double best_d = kPickPixels;
  for (const Line& l : lines_)
    for (const Hit& h : l.hits) {
      const QPointF p = chart()->mapToPosition(QPointF(h.x, h.y));
      const double d = std::hypot(p.x() - at.x(), p.y() - at.y());
      if (d <= best_d) {
        best_d = d;
        best = h;
      }
    }
  return best;
}

QString StudyChart::hitText(const Hit& h) const {
  const bool err = is_error(measure_);
  auto text = [&](double v) {
    return err ? QString::fromStdString(format_error_barrier(v)) : QString::fromStdString(format_loss_barrier(v));
  };
  QString out = QString("%1 · %2\n%3: %4").arg(h.group, h.path, measureTitle(), text(h.stats.mean));
  if (h.n >= 2)
    out += QString(" ± %1 (std)\nmin %2, max %3")
               .arg(err ? QString::fromStdString(format_error(h.stats.std))
                        : QString::fromStdString(format_loss(h.stats.std)),
                    text(h.stats.min), text(h.stats.max));
  out += QString("\nn = %1 seed pair%2 · click to open its cells").arg(h.n).arg(h.n == 1 ? "" : "s");
  return out;
}

QStringList StudyChart::seriesNames() const {
  QStringList out;
  for (const Line& l : lines_) out << l.name;
  return out;
}

QList<QPointF> StudyChart::seriesPoints(const QString& name) const {
  for (const Line& l : lines_)
    if (l.name == name) {
      QList<QPointF> out;
      for (const Hit& h : l.hits) out.append({h.x, h.y});
      return out;
    }
  return {};
}

QList<QPointF> StudyChart::bandLow(const QString& name) const {
  for (const Line& l : lines_)
    if (l.name == name) return l.lo.size() >= (categories_.isEmpty() ? 2 : 1) ? l.lo : QList<QPointF>{};
  return {};
}

QList<QPointF> StudyChart::bandHigh(const QString& name) const {
  for (const Line& l : lines_)
    if (l.name == name) return l.hi.size() >= (categories_.isEmpty() ? 2 : 1) ? l.hi : QList<QPointF>{};
  return {};
}

Qt::PenStyle StudyChart::lineStyle(const QString& name) const {
  for (const Line& l : lines_)
    if (l.name == name) return l.style;
  return Qt::NoPen;
}

void StudyChart::mousePressEvent(QMouseEvent* event) {
  if (event->button() == Qt::LeftButton) {
    if (const auto h = hitAt(chart()->mapToValue(event->position()))) {
      emit pointClicked(h->group, h->path);
      event->accept();
      return;
    }
  }
  QChartView::mousePressEvent(event);
}

void StudyChart::mouseMoveEvent(QMouseEvent* event) {
  if (const auto h = hitAt(chart()->mapToValue(event->position())))
    QToolTip::showText(event->globalPosition().toPoint(), hitText(*h), this);
  else
    QToolTip::hideText();
  QChartView::mouseMoveEvent(event);
}

}  // namespace ridgeline::widgets
