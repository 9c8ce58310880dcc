#pragma once
/// @file figure_export.h
/// File ▸ Export figure…: a view of the shown run as a paper figure (docs/USER_GUIDE.md, "Paper
/// figures"), the same figure `ridgeline figure` draws (figures/figure_views.h).
#include <QDialog>
#include <QString>
#include <QStringList>

#include "widgets/figure/figure.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QSpinBox;

namespace ridgeline::gui {

/// What to export: a view of a run folder, its file, size and whether to add Python.
struct FigureExportRequest {
  QString run_dir;
  QString view;          ///< "training", "alignment", "paths:<id>", "all-paths", "compare"
  QString compare_dir;   ///< the second run of "compare"
  QString out;           ///< .pdf, .svg or .png
  figure::FigureSize size;
  /// A figure of square panels (attention maps, heatmaps, planes) gets the height that fits
  /// them (figure::fitted_height_mm) instead of size.height_mm; other figures keep it.
  bool fit_height = false;
  bool python = false;
};

/// Loads the run (and the compared one), builds the view's figure and writes it (and FIG.py +
/// FIG.csv when asked). False with a one-line reason. `written`: the size it was drawn at
/// (the fitted height, when asked for).
bool export_figure(const FigureExportRequest& request, QString* error,
                   figure::FigureSize* written = nullptr);

/// The dialog: view (the run's views, `view` preselected), file (format by suffix), width and
/// height in mm ("fit square panels", on by default: the height of a figure of square panels
/// follows from its width), font in pt, dpi, "also write a Python script".
class FigureExportDialog : public QDialog {
  Q_OBJECT

 public:
  FigureExportDialog(const QString& run_dir, const QString& view, QWidget* parent = nullptr);

  /// The views the run can draw ("compare" always offered: it asks for a second run).
  QStringList views() const;
  FigureExportRequest request() const;
  /// Sets the fields (for tests and scripted use).
  void setRequest(const FigureExportRequest& r);
  /// Exports what the fields say; false with the reason (shown under the fields).
  bool exportNow(QString* error = nullptr);

 private:
  void updateFields();

  QString run_dir_;
  QComboBox* view_ = nullptr;
  QLineEdit* compare_ = nullptr;
  QLineEdit* out_ = nullptr;
  QDoubleSpinBox* width_ = nullptr;
  QDoubleSpinBox* height_ = nullptr;
  QCheckBox* fit_height_ = nullptr;
  QDoubleSpinBox* font_ = nullptr;
  QSpinBox* dpi_ = nullptr;
  QCheckBox* python_ = nullptr;
  QLabel* status_ = nullptr;
};

/// Opens the dialog for the window's run folder and current view; reports in a message box.
void open_figure_export(QWidget* window, const QString& run_dir, const QString& view);

}  // namespace ridgeline::gui
