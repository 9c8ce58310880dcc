// The charts of a hessian result (curvature_charts.h).
#include "widgets/curvature/curvature_charts.h"

#include <QChart>
#include <QLegend>
#include <QLegendMarker>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QScatterSeries>
#include <QValueAxis>
#include <cmath>

#include "ridgeline/core/format.h"

namespace ridgeline::widgets {

namespace {

// Okabe–Ito (colour-blind safe), as the other views.
QColor colour(int k) {
  static const QColor c[] = {{0, 114, 178}, {230, 159, 0}, {0, 158, 115}, {204, 121, 167},
                             {86, 180, 233}, {213, 94, 0}, {240, 228, 66}, {0, 0, 0}};
  return c[k % 8];
}

void attach(QChart* c, QAbstractSeries* s, QAbstractAxis* x, QAbstractAxis* y) {
  c->addSeries(s);
  s->attachAxis(x);
  s->attachAxis(y);
}

void reset(QChart* c) {
  c->removeAllSeries();
  for (QAbstractAxis* a : c->axes()) {
    c->removeAxis(a);
    delete a;
  }
}

}  // namespace

QString selection_label(const std::string& name) {
  return name.empty() ? QString("whole model") : QString::fromStdString(name);
}

HessianDensityChart::HessianDensityChart(QWidget* parent) : QChartView(parent) {
  setRenderHint(QPainter::Antialiasing);
  setMinimumSize(320, 240);
  chart()->legend()->setAlignment(Qt::AlignBottom);
}

QStringList HessianDensityChart::curveNames() const { return names_; }

void HessianDensityChart::setReport(const HessianReport& r) {
  QChart* c = chart();
  reset(c);
  names_.clear();
  c->setTitle(QString("Hessian spectral density of %1 (SLQ; ▲ top eigenvalues by Lanczos)")
                  .arg(QString::fromStdString(r.model)));
  double xlo = INFINITY, xhi = -INFINITY, ymax = 0;
  for (const auto& s : r.selections)
    for (size_t i = 0; i < s.density_grid.size() && i < s.density_values.size(); ++i) {
      xlo = std::min(xlo, s.density_grid[i]);
      xhi = std::max(xhi, s.density_grid[i]);
      ymax = std::max(ymax, s.density_values[i]);
    }
  if (!(ymax > 0) || !(xhi > xlo)) {
    c->setTitle("Hessian spectral density: none computed (density_vectors 0)");
    return;
  }
  // A log density axis down to 1e-6 of the peak: the outliers (the top eigenvalues) sit far
  // from the bulk at densities many decades lower.
  const double floor = ymax * 1e-6;
  auto* ax = new QValueAxis;
  ax->setTitleText("eigenvalue λ");
  ax->setRange(xlo, xhi);
  auto* ay = new QLogValueAxis;
  ay->setTitleText("density (log)");
  ay->setBase(10);
  ay->setRange(floor, ymax * 2);
  ay->setLabelFormat("%.0e");
  c->addAxis(ax, Qt::AlignBottom);
  c->addAxis(ay, Qt::AlignLeft);
  int k = 0;
  for (const auto& s : r.selections) {
    if (s.density_values.empty()) continue;
    const QString name = selection_label(s.name);
    auto* line = new QLineSeries;
    line->setName(name);
    for (size_t i = 0; i < s.density_grid.size() && i < s.density_values.size(); ++i)
      line->append(s.density_grid[i], std::max(s.density_values[i], floor));
    line->setPen(QPen(colour(k), s.name.empty() ? 2.4 : 1.4));
    attach(c, line, ax, ay);
    names_ << name;
    if (!s.eigen.values.empty()) {
      auto* top = new QScatterSeries;
      top->setName(name + " top");
      top->setMarkerShape(QScatterSeries::MarkerShapeTriangle);
      top->setMarkerSize(9);
      top->setColor(colour(k));
      top->setBorderColor(colour(k).darker(140));
      for (double v : s.eigen.values) top->append(v, ymax);
      attach(c, top, ax, ay);
      // The markers share their curve's colour; the title says what they are.
      for (QLegendMarker* m : c->legend()->markers(top)) m->setVisible(false);
    }
    ++k;
  }
}

PathCurvatureChart::PathCurvatureChart(QWidget* parent) : QChartView(parent) {
  setRenderHint(QPainter::Antialiasing);
  setMinimumSize(320, 240);
  chart()->legend()->setAlignment(Qt::AlignBottom);
}

QStringList PathCurvatureChart::quantityNames() {
  return {"barrier: measured and second-order predictions", "λ_max(α)", "tr H(α)",
          "ΔᵀH(θ(α))Δ"};
}

QStringList PathCurvatureChart::seriesNames() const {
  QStringList out;
  for (QAbstractSeries* s : chart()->series()) out << s->name();
  return out;
}

std::vector<QPointF> PathCurvatureChart::points(const QString& name) const {
  std::vector<QPointF> out;
  for (QAbstractSeries* s : chart()->series())
    if (s->name() == name)
      if (auto* xy = qobject_cast<QXYSeries*>(s))
        for (int i = 0; i < xy->count(); ++i) out.push_back(xy->at(i));
  return out;
}

void PathCurvatureChart::setPath(const PathCurvature& path, Quantity q, const QString& label) {
  QChart* c = chart();
  reset(c);
  double lo = INFINITY, hi = -INFINITY;
  auto line = [&](const QString& name, auto value, const QPen& pen, bool squares) {
    auto* s = new QLineSeries;
    s->setName(name);
    for (const auto& p : path.points) {
      const double y = value(p);
      if (!std::isfinite(y)) continue;
      s->append(p.alpha, y);
      lo = std::min(lo, y);
      hi = std::max(hi, y);
    }
    s->setPen(pen);
    s->setPointsVisible(true);
    s->setMarkerSize(squares ? 7 : 6);
    return s;
  };
  std::vector<QAbstractSeries*> series;
  if (q == Quantity::Barrier) {
    c->setTitle("Barrier along the path, " + label + ": measured vs second-order prediction");
    series.push_back(line("measured b(α)", [](const PathCurvaturePoint& p) { return p.barrier; },
                          QPen(colour(0), 2.4), false));
    QPen dashed(colour(5), 2.0, Qt::DashLine);
    series.push_back(line("midpoint form",
                          [](const PathCurvaturePoint& p) { return p.predicted; }, dashed, true));
    auto* end = new QScatterSeries;
    end->setName("endpoint form b(½)");
    end->setMarkerShape(QScatterSeries::MarkerShapeRotatedRectangle);
    end->setMarkerSize(11);
    end->setColor(colour(2));
    if (std::isfinite(path.endpoint_prediction)) {
      end->append(0.5, path.endpoint_prediction);
      lo = std::min(lo, path.endpoint_prediction);
      hi = std::max(hi, path.endpoint_prediction);
    }
    series.push_back(end);
  } else {
    const QString name = quantityNames()[static_cast<int>(q)];
    c->setTitle(name + " along the path, " + label);
    series.push_back(line(name,
                          [q](const PathCurvaturePoint& p) {
                            return q == Quantity::LambdaMax ? p.lambda_max
                                   : q == Quantity::Trace   ? p.trace
                                                            : p.dHd;
                          },
                          QPen(colour(0), 2.2), false));
  }
  if (!std::isfinite(lo)) lo = 0, hi = 1;
  if (q == Quantity::Barrier) lo = std::min(lo, 0.0), hi = std::max(hi, 0.0);
  const double pad = hi > lo ? 0.08 * (hi - lo) : 0.5;
  auto* ax = new QValueAxis;
  ax->setTitleText("α");
  ax->setRange(0, 1);
  ax->setTickCount(6);
  ax->setLabelFormat("%.1f");
  auto* ay = new QValueAxis;
  ay->setRange(lo - pad, hi + pad);
  ay->applyNiceNumbers();
  ay->setTitleText(q == Quantity::Barrier ? "loss barrier b(α)" : quantityNames()[static_cast<int>(q)]);
  c->addAxis(ax, Qt::AlignBottom);
  c->addAxis(ay, Qt::AlignLeft);
  for (QAbstractSeries* s : series) attach(c, s, ax, ay);
}

}  // namespace ridgeline::widgets
