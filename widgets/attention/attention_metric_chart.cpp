// Grouped bars of one attention metric per layer and variant (attention_metric_chart.h).
#include "widgets/attention/attention_metric_chart.h"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QContextMenuEvent>
#include <QCursor>
#include <QLegend>
#include <QMenu>
#include <QToolTip>
#include <QValueAxis>
#include <algorithm>
#include <cmath>
#include <limits>

#include "widgets/attention/chart_export.h"
#include "widgets/attention/lab_palette.h"

namespace ridgeline::widgets {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kDilutionRadius = 0.1;  // the dilution bar: l(r) at the radius nearest this

QString number(double v) { return QString::number(v, 'g', 4); }

// Index of the dilution radius nearest kDilutionRadius (-1: no curve).
int dilution_index(const MapMetrics& m) {
  int best = -1;
  for (size_t i = 0; i < m.dilution_radii.size() && i < m.dilution.size(); ++i)
    if (best < 0 || std::abs(m.dilution_radii[i] - kDilutionRadius) <
                        std::abs(m.dilution_radii[static_cast<size_t>(best)] - kDilutionRadius))
      best = static_cast<int>(i);
  return best;
}

}  // namespace

AttentionMetricChart::AttentionMetricChart(QWidget* parent) : QChartView(parent) {
  setRenderHint(QPainter::Antialiasing);
  setMinimumSize(360, 240);
  chart()->legend()->setAlignment(Qt::AlignBottom);
}

std::vector<AttentionMetricChart::Metric> AttentionMetricChart::metrics() {
  return {Metric::Entropy,  Metric::Monotonicity, Metric::EffectiveRank, Metric::CollisionRate,
          Metric::Locality, Metric::Dilution,     Metric::FidelityKl};
}

QStringList AttentionMetricChart::metricNames() {
  return {"entropy",  "monotonicity", "effective rank", "collision rate",
          "locality", "dilution",     "fidelity (KL)"};
}

void AttentionMetricChart::setMetrics(std::vector<VariantLayerMetrics> variants,
                                      QStringList layer_labels) {
  variants_ = std::move(variants);
  labels_ = std::move(layer_labels);
  rebuild();
}

void AttentionMetricChart::setMetrics(
    const std::map<std::string, std::vector<MapMetrics>>& variants, QStringList layer_labels) {
  std::vector<VariantLayerMetrics> v;
  for (const auto& [name, layers] : variants) v.push_back({name, layers, {}});
  setMetrics(std::move(v), std::move(layer_labels));
}

void AttentionMetricChart::setMetric(Metric m) {
  metric_ = m;
  rebuild();
  emit metricChanged();
}

void AttentionMetricChart::contextMenuEvent(QContextMenuEvent* event) {
  QMenu menu(this);
  const auto all = metrics();
  for (size_t i = 0; i < all.size(); ++i) {
    QAction* a = menu.addAction(metricNames()[static_cast<int>(i)]);
    a->setCheckable(true);
    a->setChecked(all[i] == metric_);
    const Metric m = all[i];
    connect(a, &QAction::triggered, this, [this, m] { setMetric(m); });
  }
  menu.addSeparator();
  add_export_actions(menu, this, "attention_metrics",
                     [this](const QString& p, QString* e) { return exportTo(p, e); });
  menu.exec(event->globalPos());
}

QStringList AttentionMetricChart::variantNames() const {
  QStringList out;
  for (const auto& v : variants_) out << QString::fromStdString(v.variant);
  return out;
}

double AttentionMetricChart::value(int v, int layer) const {
  if (v < 0 || v >= static_cast<int>(variants_.size())) return kNaN;
  const VariantLayerMetrics& vm = variants_[static_cast<size_t>(v)];
  if (layer < 0 || layer >= static_cast<int>(vm.layers.size())) return kNaN;
  const MapMetrics& m = vm.layers[static_cast<size_t>(layer)];
  switch (metric_) {
    case Metric::Entropy:
      return m.entropy;
    case Metric::Monotonicity:
      return m.monotonicity;
    case Metric::EffectiveRank:
      return m.effective_rank;
    case Metric::CollisionRate:
      return layer < static_cast<int>(vm.collision_rate.size())
                 ? vm.collision_rate[static_cast<size_t>(layer)]
                 : kNaN;
    case Metric::Locality:
      return m.locality.empty() ? kNaN : m.locality[0];
    case Metric::Dilution: {
      const int i = dilution_index(m);
      return i < 0 ? kNaN : m.dilution[static_cast<size_t>(i)];
    }
    case Metric::FidelityKl:
      return m.kl;
  }
  return kNaN;
}

QString AttentionMetricChart::metricTitle() const {
  const MapMetrics* any = nullptr;
  for (const auto& v : variants_)
    if (!v.layers.empty()) {
      any = &v.layers.front();
      break;
    }
  switch (metric_) {
    case Metric::Entropy:
      return "mean row entropy (nats)";
    case Metric::Monotonicity:
      return "mean Spearman ρ(a_ij, q_i·k_j)";
    case Metric::EffectiveRank:
      return "effective rank exp H(σ/Σσ)";
    case Metric::CollisionRate:
      return "collision rate (distinct queries, same row)";
    case Metric::Locality:
      return QString("locality: mass within |i−j| ≤ %1")
          .arg(any && !any->radii.empty() ? any->radii[0] : 1);
    case Metric::Dilution: {
      const int i = any ? dilution_index(*any) : -1;
      return QString("mass within |i−j| ≤ %1·n")
          .arg(i < 0 ? kDilutionRadius : any->dilution_radii[static_cast<size_t>(i)]);
    }
    case Metric::FidelityKl:
      return "KL to the softmax map (nats)";
  }
  return {};
}

QString AttentionMetricChart::hoverText(int v, int layer) const {
  if (v < 0 || v >= static_cast<int>(variants_.size()) || layer < 0 || layer >= categories_.size())
    return {};
  const VariantLayerMetrics& vm = variants_[static_cast<size_t>(v)];
  const QString name = metricNames()[static_cast<int>(metric_)];
  QString t = QString::fromStdString(vm.variant) + ", " + categories_[layer] + ": ";
  const double x = value(v, layer);
  if (!std::isfinite(x)) {
    if (layer >= static_cast<int>(vm.layers.size())) return t + "no such layer";
    if (metric_ == Metric::FidelityKl && vm.variant == "softmax")
      return t + name + ": the reference itself";
    return t + name + " not measured";
  }
  t += name + " " + number(x);
  if (metric_ == Metric::Entropy || metric_ == Metric::FidelityKl) t += " nats";
  const MapMetrics& m = vm.layers[static_cast<size_t>(layer)];
  if (metric_ == Metric::Entropy && std::isfinite(m.normalised_entropy))
    t += " (normalised " + number(m.normalised_entropy) + ")";
  if (metric_ == Metric::Locality && std::isfinite(m.locality_grid))
    t += " · 3×3 patch locality " + number(m.locality_grid);
  if (metric_ != Metric::CollisionRate)
    t += QString(" (mean over %1 map%2)").arg(m.maps).arg(m.maps == 1 ? "" : "s");
  return t;
}

void AttentionMetricChart::rebuild() {
  QChart* c = chart();
  c->removeAllSeries();
  for (QAbstractAxis* a : c->axes()) {
    c->removeAxis(a);
    delete a;
  }
  int layers = 0;
  for (const auto& v : variants_) layers = std::max(layers, static_cast<int>(v.layers.size()));
  categories_.clear();
  for (int l = 0; l < layers; ++l)
    categories_ << (l < labels_.size()                 ? labels_[l]
                    : layers == 1 && labels_.isEmpty() ? QString("mean")
                                                       : QString("layer %1").arg(l));
  const QString name = metricNames()[static_cast<int>(metric_)];
  c->setTitle(QString("Attention %1 per layer, by variant").arg(name));
  if (variants_.empty() || layers == 0) return;
  auto* series = new QBarSeries;
  double lo = 0, hi = 0;
  for (int v = 0; v < static_cast<int>(variants_.size()); ++v) {
    auto* set = new QBarSet(QString::fromStdString(variants_[static_cast<size_t>(v)].variant));
    const QColor colour = variant_colour(v);
    set->setColor(colour);
    set->setBorderColor(colour.darker(130));
    for (int l = 0; l < layers; ++l) {
      const double x = value(v, l);
      *set << (std::isfinite(x) ? x : 0.0);  // a missing value draws no bar; the hover says why
      if (std::isfinite(x)) lo = std::min(lo, x), hi = std::max(hi, x);
    }
    series->append(set);
    connect(set, &QBarSet::hovered, this, [this, v](bool on, int l) {
      if (!on) return QToolTip::hideText();
      QToolTip::showText(QCursor::pos(), hoverText(v, l), this);
    });
  }
  series->setBarWidth(0.8);
  c->addSeries(series);
  auto* x = new QBarCategoryAxis;
  x->append(categories_);
  // A missing value and a zero both draw no bar: say which are missing.
  QStringList missing;
  for (int v = 0; v < static_cast<int>(variants_.size()); ++v) {
    QStringList where;
    for (int l = 0; l < layers; ++l)
      if (!std::isfinite(value(v, l))) where << categories_[l];
    if (where.size() == layers && layers > 1)
      missing << QString::fromStdString(variants_[static_cast<size_t>(v)].variant) + " (all)";
    else if (!where.isEmpty())
      missing << QString::fromStdString(variants_[static_cast<size_t>(v)].variant) + " (" +
                     where.join(", ") + ")";
  }
  if (!missing.isEmpty()) x->setTitleText("no bar, not measured: " + missing.join("; "));
  auto* y = new QValueAxis;
  y->setTitleText(metricTitle());
  // Fractions and correlations keep their natural range (a rate of 1.5 would not exist);
  // entropy, rank and KL get a padded, rounded one.
  const bool bounded = metric_ == Metric::Monotonicity || metric_ == Metric::CollisionRate ||
                       metric_ == Metric::Locality || metric_ == Metric::Dilution;
  if (bounded) {
    y->setRange(lo < 0 ? std::min(lo, metric_ == Metric::Monotonicity ? -1.0 : lo) : 0.0,
                std::max(hi, 1.0));
    y->setTickCount(lo < 0 ? 9 : 6);
  } else {
    if (hi - lo <= 0) hi = lo + 1;  // nothing measured, or all zero: a visible, honest axis
    const double pad = 0.06 * (hi - lo);
    y->setRange(lo < 0 ? lo - pad : 0.0, hi > 0 ? hi + pad : 0.0);
    y->applyNiceNumbers();
  }
  c->addAxis(x, Qt::AlignBottom);
  c->addAxis(y, Qt::AlignLeft);
  series->attachAxis(x);
  series->attachAxis(y);
}

bool AttentionMetricChart::exportTo(const QString& path, QString* error) const {
  return export_chart_view(*this, path, "Attention metrics", error);
}

}  // namespace ridgeline::widgets
