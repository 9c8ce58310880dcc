// The line charts of a spectra result (spectra_charts.h).
#include "widgets/spectra/spectra_charts.h"

#include <QAreaSeries>
#include <QChart>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QMouseEvent>
#include <QPen>
#include <QToolTip>
#include <QValueAxis>
#include <algorithm>
#include <cmath>

#include "ridgeline/core/format.h"

namespace ridgeline::widgets {

namespace {

constexpr const char* kHelper = "spectraHelper";  ///< a series hover ignores (a fill, a floor)
constexpr double kReachPixels = 12;

QString q(const std::string& s) { return QString::fromStdString(s); }

QLogValueAxis* log_axis(const QString& title, double lo, double hi) {
  auto* a = new QLogValueAxis;
  a->setTitleText(title);
  // Labels sit on powers of the base: over less than two decades base 10 would label one tick
  // or none, so the base is the largest of 10, 2, √2, ∛2, ∜2 that leaves three or more labels.
  double base = 10;
  for (double b : {10.0, 2.0, std::sqrt(2.0), std::cbrt(2.0), std::pow(2.0, 0.25)}) {
    base = b;
    if (hi / lo >= b * b * 1.5) break;
  }
  a->setBase(base);
  a->setLabelFormat(base == 10 ? "%g" : "%.3g");
  a->setMinorTickCount(base == 10 ? 8 : 0);
  a->setMinorGridLineVisible(true);
  a->setMinorGridLinePen(QPen(QColor(235, 235, 235), 1));
  a->setRange(lo, hi);
  return a;
}

void attach(QChart* chart, QAbstractSeries* s, QAbstractAxis* x, QAbstractAxis* y) {
  chart->addSeries(s);
  s->attachAxis(x);
  s->attachAxis(y);
}

// Log-axis limits around [lo, hi] (positive) with a little room.
void log_pad(double* lo, double* hi) {
  if (!(*lo > 0)) *lo = *hi > 0 ? *hi / 10 : 0.1;
  if (!(*hi > *lo)) *hi = *lo * 10;
  const double span = std::log10(*hi) - std::log10(*lo);
  *lo = std::pow(10.0, std::log10(*lo) - 0.06 * span - 0.02);
  *hi = std::pow(10.0, std::log10(*hi) + 0.06 * span + 0.02);
}

}  // namespace

QColor spectra_color(int index) {
  static const QColor kPalette[] = {QColor(0, 114, 178),   QColor(213, 94, 0),  QColor(0, 158, 115),
                                    QColor(204, 121, 167), QColor(230, 159, 0), QColor(86, 180, 233),
                                    QColor(0, 0, 0)};
  return kPalette[static_cast<size_t>(index) % (sizeof kPalette / sizeof kPalette[0])];
}

// ---- SpectraChartBase ---------------------------------------------------------------------

SpectraChartBase::SpectraChartBase(QWidget* parent) : QChartView(parent) {
  auto* chart = new QChart;
  QFont f = chart->titleFont();
  f.setBold(true);
  chart->setTitleFont(f);
  chart->setMargins(QMargins(4, 4, 4, 4));
  setChart(chart);
  legend_ = new SeriesLegend(chart);
  note_ = new ChartNote(chart);
  setRenderHint(QPainter::Antialiasing);
  setMouseTracking(true);
  setMinimumSize(320, 240);
}

void SpectraChartBase::resetChart() {
  chart()->removeAllSeries();
  for (QAbstractAxis* a : chart()->axes()) {
    chart()->removeAxis(a);
    delete a;
  }
  note_->setNote("");
}

QXYSeries* SpectraChartBase::series(const QString& name) const {
  for (QAbstractSeries* s : chart()->series())
    if (s->name() == name)
      if (auto* xy = qobject_cast<QXYSeries*>(s)) return xy;
  return nullptr;
}

QStringList SpectraChartBase::seriesNames() const {
  QStringList out;
  for (QAbstractSeries* s : chart()->series())
    if (!s->property(kHelper).toBool()) out << s->name();
  return out;
}

QString SpectraChartBase::pointText(const QXYSeries* series, int i) const {
  const QPointF p = series->at(i);
  return series->name() + ": " + q(sig4(p.x())) + ", " + q(sig4(p.y()));
}

QString SpectraChartBase::hoverText(const QPoint& pos) const {
  double best = kReachPixels;
  QString text;
  for (QAbstractSeries* s : chart()->series()) {
    auto* xy = qobject_cast<QXYSeries*>(s);
    if (!xy || !xy->isVisible() || xy->property(kHelper).toBool()) continue;
    for (int i = 0; i < xy->count(); ++i) {
      const QPointF at = mapFromScene(chart()->mapToScene(chart()->mapToPosition(xy->at(i), xy)));
      const double d = std::hypot(at.x() - pos.x(), at.y() - pos.y());
      if (d < best) {
        best = d;
        text = pointText(xy, i);
      }
    }
  }
  return text;
}

void SpectraChartBase::mouseMoveEvent(QMouseEvent* event) {
  QChartView::mouseMoveEvent(event);
  const QString t = hoverText(event->pos());
  if (t.isEmpty())
    QToolTip::hideText();
  else
    QToolTip::showText(event->globalPosition().toPoint(), t, this);
}

// ---- SingularValueChart -------------------------------------------------------------------

SingularValueChart::SingularValueChart(QWidget* parent) : SpectraChartBase(parent) {
  setToolTip("Singular values of the selected layer, every model overlaid (log–log); a permuted "
             "copy π(B) is dashed over B's solid line: permutations do not change singular values");
}

void SingularValueChart::setData(const SpectraResult& r, const std::vector<PermutedCopy>& copies,
                                 const std::string& layer) {
  resetChart();
  names_.clear();
  twins_.clear();
  QChart* c = chart();
  double lo = INFINITY, hi = 0;
  int rmax = 1, zeros = 0;
  const MatrixSpectrum* any = nullptr;
  for (const ModelSpectra& m : r.models)
    if (const MatrixSpectrum* l = find_layer(m, layer)) {
      any = l;
      rmax = std::max(rmax, static_cast<int>(l->singular_values.size()));
      for (double s : l->singular_values)
        if (s > 0) {
          lo = std::min(lo, s);
          hi = std::max(hi, s);
        }
    }
  c->setTitle(any ? QString("Singular values of %1 (%2×%3)").arg(q(layer)).arg(any->rows).arg(any->cols)
                  : QString("Singular values: no layer %1").arg(q(layer)));
  log_pad(&lo, &hi);
  double xlo = 1, xhi = rmax;
  log_pad(&xlo, &xhi);
  auto* ax = log_axis("index i (singular values in descending order)", xlo, xhi);
  auto* ay = log_axis("singular value σᵢ", lo, hi);
  c->addAxis(ax, Qt::AlignBottom);
  c->addAxis(ay, Qt::AlignLeft);
  // Three layers: a model that has a permuted copy (wide), the other models, then the copies
  // (dashed), so that every line stays visible where the spectra nearly coincide.
  auto has_copy_of = [&](const std::string& model) {
    for (const PermutedCopy& other : copies)
      if (other.of == model && find_model(r, other.model)) return true;
    return false;
  };
  for (int pass = 0; pass < 3; ++pass)
    for (size_t k = 0; k < r.models.size(); ++k) {
      const ModelSpectra& m = r.models[k];
      const PermutedCopy* cp = copy_of(copies, m.model);
      const ModelSpectra* base = cp ? find_model(r, cp->of) : nullptr;
      if (pass != (base ? 2 : has_copy_of(m.model) ? 0 : 1)) continue;
      const MatrixSpectrum* l = find_layer(m, layer);
      if (!l) continue;
      auto* s = new QLineSeries;
      for (size_t i = 0; i < l->singular_values.size(); ++i)
        if (l->singular_values[i] > 0)
          s->append(double(i + 1), l->singular_values[i]);
        else
          ++zeros;
      QString name = q(m.model);
      QPen pen(spectra_color(static_cast<int>(k)), 2.2);
      if (base) {
        const MatrixSpectrum* bl = find_layer(*base, layer);
        const double d = bl ? max_relative_difference(l->singular_values, bl->singular_values) : NAN;
        name = QString("%1 = π(%2), dashed: ").arg(q(m.model), q(cp->of));
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.0e", d);
        name += std::isfinite(d) && d < 1e-6 ? QString("same σ (Δ ≤ %1 σ_max)").arg(buf)
                : std::isfinite(d)           ? QString("σ differ (Δ up to %1 σ_max)").arg(buf)
                                             : QString("not comparable");
        pen.setWidthF(2.0);
        pen.setStyle(Qt::CustomDashLine);
        pen.setDashPattern({3, 2.5});
        twins_[name] = names_.value(q(cp->of));
        twins_[names_.value(q(cp->of))] = name;
      } else if (has_copy_of(m.model)) {
        pen.setWidthF(6.0);  // wide, so that the lines on top leave it visible
      }
      s->setName(name);
      s->setPen(pen);
      attach(c, s, ax, ay);
      names_[q(m.model)] = name;
    }
  if (zeros > 0) note_->setNote(QString("%1 zero singular values not drawn (log axis)").arg(zeros));
  legend_->refresh();
}

QString SingularValueChart::pointText(const QXYSeries* series, int i) const {
  const QPointF p = series->at(i);
  QString model = names_.key(series->name());
  QString t = QString("%1: σ_%2 = %3").arg(model).arg(static_cast<int>(p.x())).arg(q(sig4(p.y())));
  const QString twin = twins_.value(series->name());
  if (!twin.isEmpty()) {
    if (const QXYSeries* other = this->series(twin); other && i < other->count())
      t += QString("\n%1: σ_%2 = %3 (the same singular values: a permutation does not change them)")
               .arg(names_.key(twin))
               .arg(static_cast<int>(other->at(i).x()))
               .arg(q(sig4(other->at(i).y())));
  }
  return t;
}

// ---- RGammaChart --------------------------------------------------------------------------

RGammaChart::RGammaChart(QWidget* parent) : SpectraChartBase(parent) {
  setToolTip("Alignment score R(γ) of every model against the reference: B as trained (dashed) "
             "and its permuted copy π(B) (solid); the dotted line is the paper's γ = 0.3");
}

void RGammaChart::setData(const SpectraResult& r, const std::vector<PermutedCopy>& copies) {
  resetChart();
  names_.clear();
  QChart* c = chart();
  c->setTitle(r.aligned_to.empty() ? QString("Alignment score R(γ): no reference (aligned_to) in this step")
                                   : QString("Alignment score R(γ) against %1").arg(q(r.aligned_to)));
  double lo = 0, hi = 1;
  for (const SpectraAlignment& al : r.alignments)
    for (double v : al.r)
      if (std::isfinite(v)) {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
  auto* ax = new QValueAxis;
  ax->setTitleText("γ (singular vectors with σ ≥ γ·σ_max of their layer)");
  ax->setRange(-0.02, 1.02);
  ax->setTickCount(6);
  ax->setLabelFormat("%.1f");
  auto* ay = new QValueAxis;
  ay->setTitleText("R(γ)");
  ay->setRange(lo - 0.05, hi + 0.05);
  ay->setTickType(QValueAxis::TicksDynamic);
  ay->setTickAnchor(0);
  ay->setTickInterval(0.2);
  ay->setLabelFormat("%.1f");
  c->addAxis(ax, Qt::AlignBottom);
  c->addAxis(ay, Qt::AlignLeft);
  auto* paper = new QLineSeries;
  paper->setName("γ = 0.3, the paper's threshold (Ito et al. 2024)");
  paper->append(kPaperGamma, lo - 0.05);
  paper->append(kPaperGamma, hi + 0.05);
  paper->setPen(QPen(QColor(120, 120, 120), 1.5, Qt::DotLine));
  paper->setProperty(kHelper, true);
  attach(c, paper, ax, ay);
  QStringList at_paper;
  for (const SpectraAlignment& al : r.alignments) {
    const PermutedCopy* cp = copy_of(copies, al.b);
    const std::string base = cp && find_model(r, cp->of) ? cp->of : al.b;
    int colour = 0;
    for (size_t k = 0; k < r.models.size(); ++k)
      if (r.models[k].model == base) colour = static_cast<int>(k);
    bool has_copy = false;
    for (const PermutedCopy& other : copies) has_copy |= other.of == al.b && find_alignment(r, other.model);
    QString name = q(al.b);
    QPen pen(spectra_color(colour), 2.2);
    SeriesMarker marker = SeriesMarker::Circle;
    if (cp && base != al.b) {
      name = QString("%1 = π(%2): after %3").arg(q(al.b), q(base), q(cp->how.empty() ? "alignment" : cp->how));
    } else if (has_copy) {
      name = QString("%1: before (no permutation)").arg(q(al.b));
      pen.setStyle(Qt::DashLine);
      marker = SeriesMarker::Square;
    }
    auto* s = new QLineSeries;
    for (size_t i = 0; i < al.gammas.size() && i < al.r.size(); ++i)
      if (std::isfinite(al.r[i])) s->append(al.gammas[i], al.r[i]);
    s->setName(name);
    s->setPen(pen);
    set_series_marker(s, marker, 7);
    attach(c, s, ax, ay);
    names_[q(al.b)] = name;
    at_paper << QString("%1 %2").arg(q(al.b), q(format_alignment_score(r_at(al, kPaperGamma))));
  }
  if (!at_paper.isEmpty()) note_->setNote("R(0.3): " + at_paper.join(" · "));
  legend_->refresh();
}

QString RGammaChart::pointText(const QXYSeries* series, int i) const {
  const QPointF p = series->at(i);
  return QString("%1\nR(γ = %2) = %3")
      .arg(names_.key(series->name()), QString::number(p.x(), 'g', 3), q(format_alignment_score(p.y())));
}

// ---- EsdChart -----------------------------------------------------------------------------

EsdChart::EsdChart(QWidget* parent) : SpectraChartBase(parent) {
  setToolTip("Empirical spectral density of WᵀW (λ = σ²; log–log), the power-law tail fitted from "
             "x_min (WeightWatcher) and the Marchenko–Pastur bulk edge of a random matrix");
}

void EsdChart::setData(const MatrixSpectrum& l, const QString& model) {
  resetChart();
  has_fit_ = false;
  QChart* c = chart();
  c->setTitle(QString("ESD of %1 %2").arg(model, q(l.name)));
  const EsdHistogram h = esd_histogram(l.singular_values);
  if (h.density.empty()) {
    note_->setNote("no positive eigenvalue to draw");
    legend_->refresh();
    return;
  }
  double ylo = INFINITY, yhi = 0;
  for (double d : h.density)
    if (d > 0) {
      ylo = std::min(ylo, d);
      yhi = std::max(yhi, d);
    }
  const PowerLawFit& f = l.fit;
  if (f.ok)
    for (double lam : {f.xmin, h.lambdas.back()})
      if (const double d = power_law_density(f, lam); d > 0) {
        ylo = std::min(ylo, d);
        yhi = std::max(yhi, d);
      }
  const double floor = ylo / 3;
  double xlo = h.edges.front(), xhi = h.edges.back();
  if (l.mp_edge > 0) {
    xlo = std::min(xlo, l.mp_edge);
    xhi = std::max(xhi, l.mp_edge);
  }
  log_pad(&xlo, &xhi);
  // Room above the bars for the "fit failed" line.
  double ya = floor, yb = f.ok ? yhi : yhi * 6;
  log_pad(&ya, &yb);
  auto* ax = log_axis("eigenvalue λ = σ² of WᵀW", xlo, xhi);
  auto* ay = log_axis("density", ya, yb);
  c->addAxis(ax, Qt::AlignBottom);
  c->addAxis(ay, Qt::AlignLeft);
  // The histogram: its outline (hover reads it) over a light fill down to the floor.
  auto* upper = new QLineSeries;
  auto* lower = new QLineSeries;
  upper->append(h.edges.front(), floor);
  for (size_t b = 0; b < h.density.size(); ++b) {
    const double d = h.density[b] > 0 ? h.density[b] : floor;
    upper->append(h.edges[b], d);
    upper->append(h.edges[b + 1], d);
  }
  upper->append(h.edges.back(), floor);
  lower->append(h.edges.front(), floor);
  lower->append(h.edges.back(), floor);
  auto* fill = new QAreaSeries(upper, lower);
  fill->setName("fill");
  fill->setProperty(kHelper, true);
  fill->setBrush(QColor(0, 114, 178, 60));
  fill->setPen(Qt::NoPen);
  attach(c, fill, ax, ay);
  auto* outline = new QLineSeries;
  outline->append(upper->points());
  outline->setName(QString("ESD histogram (%1 eigenvalues%2)")
                       .arg(h.lambdas.size())
                       .arg(h.zeros > 0 ? QString(", %1 zero not drawn").arg(h.zeros) : QString()));
  outline->setPen(QPen(QColor(0, 114, 178), 1.5));
  attach(c, outline, ax, ay);
  auto vline = [&](double x, const QString& name, const QPen& pen) {
    auto* s = new QLineSeries;
    s->append(x, ya);
    s->append(x, yb);
    s->setName(name);
    s->setPen(pen);
    attach(c, s, ax, ay);
  };
  if (f.ok) {
    has_fit_ = true;
    auto* tail = new QLineSeries;
    const double a = std::log10(f.xmin), b = std::log10(std::max(h.lambdas.back(), f.xmin * 1.0001));
    for (int i = 0; i <= 24; ++i) {
      const double lam = std::pow(10.0, a + (b - a) * i / 24);
      tail->append(lam, power_law_density(f, lam));
    }
    tail->setName(QString("power-law tail: α = %1 ± %2 (tail %3 of %4, KS D = %5)")
                      .arg(q(sig4(f.alpha)), q(sig4(f.alpha_se)))
                      .arg(f.tail)
                      .arg(f.n)
                      .arg(q(sig4(f.ks_distance))));
    tail->setPen(QPen(QColor(213, 94, 0), 2.5));
    attach(c, tail, ax, ay);
    vline(f.xmin, QString("x_min = %1").arg(q(sig4(f.xmin))),
          QPen(QColor(213, 94, 0), 1.5, Qt::DotLine));
  } else {
    note_->setNote("fit failed: " + q(f.failure));
    note_->setBrush(QColor(170, 40, 0));
  }
  if (l.mp_edge > 0)
    vline(l.mp_edge,
          QString("Marchenko–Pastur bulk edge λ₊ = %1 (%2 spike%3 above)")
              .arg(q(sig4(l.mp_edge)))
              .arg(l.mp_spikes)
              .arg(l.mp_spikes == 1 ? "" : "s"),
          QPen(QColor(90, 90, 90), 1.5, Qt::DashLine));
  legend_->refresh();
}

QString EsdChart::pointText(const QXYSeries* series, int i) const {
  const QPointF p = series->at(i);
  if (series->name().startsWith("ESD"))
    return QString("λ = %1: density %2").arg(q(sig4(p.x())), q(sig4(p.y())));
  return series->name();
}

}  // namespace ridgeline::widgets
