// Spectra over training (spectra_training_chart.h).
#include "widgets/spectra/spectra_training_chart.h"

#include <QChart>
#include <QLineSeries>
#include <QValueAxis>
#include <cmath>
#include <map>
#include <regex>

#include "ridgeline/core/format.h"

namespace ridgeline::widgets {

namespace {

QString q(const std::string& s) { return QString::fromStdString(s); }

double layer_value(const MatrixSpectrum& l, SpectraTrainingChart::Quantity what) {
  switch (what) {
    case SpectraTrainingChart::Quantity::Alpha: return l.fit.ok ? l.fit.alpha : NAN;
    case SpectraTrainingChart::Quantity::StableRank: return l.stable_rank;
    case SpectraTrainingChart::Quantity::EntropyRank: return l.entropy_rank;
    case SpectraTrainingChart::Quantity::Spikes: return l.mp_spikes;
    default: return NAN;
  }
}

}  // namespace

std::string without_epoch(const std::string& name) {
  static const std::regex epoch("@epoch[0-9]+");
  return std::regex_replace(name, epoch, "");
}

SpectraTrainingChart::SpectraTrainingChart(QWidget* parent) : SpectraChartBase(parent) {}

QStringList SpectraTrainingChart::quantityNames() {
  return {"R(γ) against the reference", "power-law α (layer)", "stable rank (layer)",
          "entropy rank (layer)", "MP spikes (layer)"};
}

std::vector<QPointF> SpectraTrainingChart::points(const QString& name) const {
  std::vector<QPointF> out;
  if (const QXYSeries* s = series(name))
    for (int i = 0; i < s->count(); ++i) out.push_back(s->at(i));
  return out;
}

void SpectraTrainingChart::setData(const SpectraResult& r, Quantity what, const std::string& layer,
                                   double gamma) {
  resetChart();
  QChart* c = chart();
  const QString qname = quantityNames()[static_cast<int>(what)];
  if (r.over_training.empty()) {
    c->setTitle("Over training");
    note_->setNote("no checkpoints: run the step with \"over_training\": true");
    return;
  }
  // Series by name without the epoch, in first-seen order; y per epoch.
  std::vector<std::string> order;
  std::map<std::string, std::vector<QPointF>> data;
  auto add = [&](const std::string& name, int epoch, double y) {
    if (!data.count(name)) order.push_back(name);
    if (std::isfinite(y)) data[name].push_back(QPointF(epoch, y));
    else data[name];
  };
  for (const SpectraCheckpoint& cp : r.over_training) {
    if (what == Quantity::R) {
      for (const SpectraAlignment& al : cp.alignments) add(without_epoch(al.b), cp.epoch, r_at(al, gamma));
    } else {
      for (const ModelSpectra& m : cp.models)
        for (const MatrixSpectrum& l : m.layers)
          if (l.name == layer) add(without_epoch(m.model), cp.epoch, layer_value(l, what));
    }
  }
  c->setTitle(what == Quantity::R
                  ? QString("R(γ = %1) per epoch, vs %2 at that epoch")
                        .arg(gamma)
                        .arg(q(r.aligned_to))
                  : QString("%1 of %2 over training").arg(qname.section(" (", 0, 0), q(layer)));
  double lo = INFINITY, hi = -INFINITY;
  int e0 = r.over_training.front().epoch, e1 = r.over_training.back().epoch;
  for (const auto& [name, pts] : data)
    for (const QPointF& p : pts) lo = std::min(lo, p.y()), hi = std::max(hi, p.y());
  if (!std::isfinite(lo)) {
    note_->setNote(what == Quantity::Alpha ? "the power-law fit failed at every epoch" : "no values");
    lo = 0, hi = 1;
  }
  if (what == Quantity::R) lo = std::min(lo, 0.0), hi = std::max(hi, 1.0);
  const double pad = hi > lo ? 0.06 * (hi - lo) : 0.5;
  auto* ax = new QValueAxis;
  ax->setTitleText("epoch");
  ax->setRange(e0 - 0.3, e1 + 0.3);
  ax->setTickType(QValueAxis::TicksDynamic);
  ax->setTickAnchor(0);
  ax->setTickInterval(std::max(1.0, std::ceil((e1 - e0) / 8.0)));
  ax->setLabelFormat("%d");
  auto* ay = new QValueAxis;
  ay->setTitleText(what == Quantity::R ? QString("R(γ = %1)").arg(gamma) : qname.section(" (", 0, 0));
  ay->setRange(lo - pad, hi + pad);
  ay->applyNiceNumbers();
  c->addAxis(ax, Qt::AlignBottom);
  c->addAxis(ay, Qt::AlignLeft);
  int k = 0;
  for (const std::string& name : order) {
    auto* s = new QLineSeries;
    for (const QPointF& p : data[name]) s->append(p);
    const bool after = name.size() > 3 && name.compare(name.size() - 3, 3, "@wm") == 0;
    QString label = q(name);
    if (what == Quantity::R)
      label = after ? label + ": after weight matching at each epoch" : label + ": as trained";
    s->setName(label);
    QPen pen(spectra_color(what == Quantity::R ? k / 2 : k), 2.2);
    if (what == Quantity::R && !after) pen.setStyle(Qt::DashLine);
    s->setPen(pen);
    set_series_marker(s, what == Quantity::R && !after ? SeriesMarker::Square : SeriesMarker::Circle, 7);
    c->addSeries(s);
    s->attachAxis(ax);
    s->attachAxis(ay);
    ++k;
  }
  legend_->refresh();
}

}  // namespace ridgeline::widgets
