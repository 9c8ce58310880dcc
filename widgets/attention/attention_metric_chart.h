#pragma once
/// @file attention_metric_chart.h
/// AttentionMetricChart: one attention metric per layer as grouped bars, one colour per
/// variant (docs/USER_GUIDE.md, "Attention metric and accuracy charts"). Fed the per-layer
/// metrics of each variant (ridgeline/attention/metrics.h: MapMetrics, typically the mean over
/// heads and inputs of one layer, or one entry for the whole model) and, optionally, each
/// layer's collision rate (collision_rate() is a separate measurement). A metric a variant does
/// not have (NaN: not measured, or undefined) draws no bar and its hover says so. No math
/// beyond picking the number.
#include <QChartView>
#include <QStringList>
#include <map>
#include <string>
#include <vector>

#include "ridgeline/attention/metrics.h"

namespace ridgeline::widgets {

/// One variant's metrics, layer by layer.
struct VariantLayerMetrics {
  std::string variant;
  std::vector<MapMetrics> layers;
  /// Collision rate per layer (CollisionRate::rate); empty or NaN: not measured.
  std::vector<double> collision_rate;
};

class AttentionMetricChart : public QChartView {
  Q_OBJECT
 public:
  enum class Metric {
    Entropy,
    Monotonicity,
    EffectiveRank,
    CollisionRate,
    Locality,
    Dilution,
    FidelityKl
  };
  explicit AttentionMetricChart(QWidget* parent = nullptr);

  static std::vector<Metric> metrics();
  /// The selector's names: "entropy", "monotonicity", ... (same order as metrics()).
  static QStringList metricNames();

  /// Shows `variants` in the order given (the bars of a group left to right). Layer labels
  /// default to "layer 0", "layer 1", … (a variant with one entry and no labels: "mean").
  void setMetrics(std::vector<VariantLayerMetrics> variants, QStringList layer_labels = {});
  /// The same from a map (variants in name order).
  void setMetrics(const std::map<std::string, std::vector<MapMetrics>>& variants,
                  QStringList layer_labels = {});
  void setMetric(Metric m);
  Metric metric() const { return metric_; }

  /// The group labels ("layer 0", …) and the bar sets' names (the variants).
  QStringList categories() const { return categories_; }
  QStringList variantNames() const;
  /// The chosen metric of variant `v` at layer `layer` (NaN when it has none).
  double value(int v, int layer) const;
  /// The y axis title of the chosen metric, with its unit or definition.
  QString metricTitle() const;
  /// "linear_elu, layer 2: entropy 1.234 nats (mean over 8 maps)".
  QString hoverText(int v, int layer) const;

  bool exportTo(const QString& path, QString* error = nullptr) const;
  QSize sizeHint() const override { return {720, 440}; }

 signals:
  /// The metric was switched (from the context menu or setMetric).
  void metricChanged();

 protected:
  /// The metric selector and the exports.
  void contextMenuEvent(QContextMenuEvent* event) override;

 private:
  void rebuild();

  std::vector<VariantLayerMetrics> variants_;
  QStringList labels_, categories_;
  Metric metric_ = Metric::Entropy;
};

}  // namespace ridgeline::widgets
