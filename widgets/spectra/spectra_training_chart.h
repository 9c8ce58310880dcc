#pragma once
/// @file spectra_training_chart.h
/// Spectra over training (a spectra step with "over_training"; docs/USER_GUIDE.md, "Spectra"):
/// one quantity against the epoch — R(γ) of each model against the reference's checkpoint of
/// the same epoch, as trained (dashed, squares) and after weight matching at that epoch
/// (solid, circles); or, for one layer, each model's power-law α, stable rank, entropy rank or
/// number of Marchenko–Pastur spikes. Fed only the result's SpectraCheckpoints.
#include <QStringList>

#include "widgets/spectra/spectra_charts.h"

namespace ridgeline::widgets {

class SpectraTrainingChart : public SpectraChartBase {
  Q_OBJECT
 public:
  /// What the chart draws against the epoch.
  enum class Quantity { R, Alpha, StableRank, EntropyRank, Spikes };
  explicit SpectraTrainingChart(QWidget* parent = nullptr);

  /// Draws `q` (for R: at `gamma`, which must be on the result's grid; for the others: of
  /// `layer`). An empty over_training leaves a note instead.
  void setData(const SpectraResult& r, Quantity q, const std::string& layer, double gamma = 0.3);
  /// The names of the quantities, in the enum's order (for a chooser).
  static QStringList quantityNames();
  /// The epochs and values of the series named `name` (empty when none).
  std::vector<QPointF> points(const QString& name) const;
};

/// "seed1@epoch3" → "seed1"; "seed1@epoch3@wm" → "seed1@wm"; other names unchanged.
std::string without_epoch(const std::string& name);

}  // namespace ridgeline::widgets
