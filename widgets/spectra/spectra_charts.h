#pragma once
/// @file spectra_charts.h
/// The line charts of a spectra result (docs/USER_GUIDE.md, "Spectra"), fed a SpectraResult
/// and the list of permuted copies only:
/// - SingularValueChart: one layer's singular values σ_i against i on log–log axes, every model
///   overlaid. A permuted copy π(B) has B's singular values: it is drawn dashed on top of B's
///   wide solid line, so the two visibly coincide, and its legend entry says so with the largest
///   relative difference measured between the two.
/// - RGammaChart: R(γ) of every model against the reference, "before" (B as trained, dashed,
///   open squares) and "after" (π(B), solid, circles) in one colour per B, with the paper's
///   γ = 0.3 marked.
/// - EsdChart: one model's ESD of WᵀW for one layer as a histogram on log–log axes, the fitted
///   power-law tail from x_min (α, x_min marked), the Marchenko–Pastur bulk edge as a vertical
///   line, and "fit failed: <reason>" when there is no fit.
/// Hovering a point shows its numbers (core/format.h rules).
#include <QChartView>
#include <QColor>
#include <QList>
#include <QMap>
#include <QPointF>
#include <QString>
#include <QStringList>
#include <vector>

#include "widgets/paths/series_legend.h"
#include "widgets/spectra/spectra_data.h"

class QXYSeries;

namespace ridgeline::widgets {

/// The colour of model k of a result (Okabe–Ito); a permuted copy takes its own next one.
QColor spectra_color(int index);

/// A chart with hover tooltips over its series' points and a note line.
class SpectraChartBase : public QChartView {
  Q_OBJECT
 public:
  explicit SpectraChartBase(QWidget* parent = nullptr);
  /// The series named `name` (its legend name), or null.
  QXYSeries* series(const QString& name) const;
  QStringList seriesNames() const;
  /// The note shown in the plot ("" when none).
  QString note() const { return note_ ? note_->note() : QString(); }
  SeriesLegend* legend() const { return legend_; }
  /// The tooltip text of the point nearest `pos` (widget pixels), "" when none within reach.
  QString hoverText(const QPoint& pos) const;

 protected:
  void mouseMoveEvent(QMouseEvent* event) override;
  /// The text of point `i` of `series` (override for a richer text).
  virtual QString pointText(const QXYSeries* series, int i) const;
  void resetChart();
  SeriesLegend* legend_ = nullptr;
  ChartNote* note_ = nullptr;
};

class SingularValueChart : public SpectraChartBase {
  Q_OBJECT
 public:
  explicit SingularValueChart(QWidget* parent = nullptr);
  /// Shows layer `layer` of every model (a model without it is left out).
  void setData(const SpectraResult& r, const std::vector<PermutedCopy>& copies, const std::string& layer);
  /// The legend name of a model's series.
  QString seriesName(const QString& model) const { return names_.value(model); }

 protected:
  QString pointText(const QXYSeries* series, int i) const override;

 private:
  QMap<QString, QString> names_;   ///< model → legend name
  QMap<QString, QString> twins_;   ///< legend name → the other series with the same values
};

class RGammaChart : public SpectraChartBase {
  Q_OBJECT
 public:
  explicit RGammaChart(QWidget* parent = nullptr);
  void setData(const SpectraResult& r, const std::vector<PermutedCopy>& copies);
  QString seriesName(const QString& b) const { return names_.value(b); }
  /// The γ marked on the chart (the paper's 0.3).
  static constexpr double kPaperGamma = 0.3;

 protected:
  QString pointText(const QXYSeries* series, int i) const override;

 private:
  QMap<QString, QString> names_;  ///< model B → legend name
};

class EsdChart : public SpectraChartBase {
  Q_OBJECT
 public:
  explicit EsdChart(QWidget* parent = nullptr);
  /// The ESD of `spectrum` (of model `model`).
  void setData(const MatrixSpectrum& spectrum, const QString& model);
  bool hasFit() const { return has_fit_; }

 protected:
  QString pointText(const QXYSeries* series, int i) const override;

 private:
  bool has_fit_ = false;
};

}  // namespace ridgeline::widgets
