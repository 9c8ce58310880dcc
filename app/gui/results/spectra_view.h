#pragma once
/// @file spectra_view.h
/// The spectra step's pages: one result tab per spectra step ("spectra:<id>") holding a
/// widgets::SpectraView (singular values with the models overlaid, the ESD with its power-law
/// fit and Marchenko–Pastur edge, R(γ), the overlap heatmaps before and after alignment and
/// the per-layer table). Which model is a permuted copy of which comes from the run's align
/// steps (figures/spectra_copies.h). Each chart exports by right-click (PNG, SVG, CSV); so do
/// the heatmaps; File ▸ Export chart exports the singular-value chart, File ▸ Export numbers
/// the table.
#include <QMap>

#include "gui/results/result_views.h"
#include "ridgeline/spectra/spectra.h"

namespace ridgeline::widgets {
class SpectraView;
}

namespace ridgeline::gui {

class SpectraPages : public ResultPages {
 public:
  explicit SpectraPages(const ResultHost& host);

  void show(const StepResult& result) override;
  void clear() override;
  QWidget* page(const QString& name, QString* why) const override;
  QChartView* chartOn(const QWidget* page) const override;
  bool numbersOn(const QWidget* page, QString* csv, QString* companion) const override;
  QString exportName(const QWidget* page) const override;

  QStringList ids() const { return order_; }
  /// The view of step `id` (null when none).
  widgets::SpectraView* view(const QString& id) const { return pages_.value(id); }

 private:
  ResultHost host_;
  QMap<QString, widgets::SpectraView*> pages_;
  QStringList order_;
};

}  // namespace ridgeline::gui
