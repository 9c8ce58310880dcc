#pragma once
/// @file gui_export.h
/// Figures and numbers out of the window: any QChartView to PNG or SVG at publication size,
/// and interpolation results to CSV. Pure functions: they draw or format what they are given
/// (no analysis) and report failure as `false` plus a one-line reason naming the file.
#include <QList>
#include <QPair>
#include <QSize>
#include <QSizeF>
#include <QString>

#include <string>
#include <utility>
#include <vector>

#include "ridgeline/align/alignment_report.h"
#include "ridgeline/paths/interpolation.h"
#include "ridgeline/train/train.h"

class QChartView;

namespace ridgeline::gui {

/// PNG: 1800×1200 px at devicePixelRatio 1 (180×120 mm at 254 dpi).
inline constexpr QSize kExportPixels{1800, 1200};
/// SVG: width/height attributes of 180×120 mm.
inline constexpr QSizeF kExportMillimetres{180.0, 120.0};
/// The chart is laid out at this logical size (fonts and margins as on screen), then scaled
/// to the PNG's pixels; it is also the SVG's viewBox (0 0 900 600).
inline constexpr QSize kExportLayout{900, 600};

/// Renders `view`'s chart to a PNG of `pixels` (the chart is laid out at kExportLayout scaled
/// to the aspect of `pixels`, then restored). False with the reason in `error`.
bool export_chart_png(QChartView* view, const QString& path, QSize pixels = kExportPixels,
                      QString* error = nullptr);
/// Renders `view`'s chart to an SVG (QSvgGenerator): width/height `mm`, viewBox in layout
/// units. False with the reason in `error`.
bool export_chart_svg(QChartView* view, const QString& path,
                      QSizeF mm = kExportMillimetres, QString* error = nullptr);
/// PNG or SVG by the suffix of `path` (case-insensitive); another suffix is an error.
bool export_chart(QChartView* view, const QString& path, QString* error = nullptr);
/// A view of several charts (the alignment dock) in one image: the charts stacked top to
/// bottom, each laid out at kExportLayout's width × kExportPanelHeight; the PNG is 1800 px
/// wide, the SVG 180 mm wide, each as tall as the stack. One chart: export_chart.
bool export_charts(const QList<QChartView*>& views, const QString& path,
                   QString* error = nullptr);
/// Height of one chart of a stack (export_charts), in layout units.
inline constexpr double kExportPanelHeight = 400;

/// Every CSV written here follows one rule (docs/USER_GUIDE.md, "Numbers"): snake_case column
/// names; a column whose name ends in `error` (or starts `error_`) holds a fraction (0.5849 is
/// 58.49 %), `loss` the model's loss (cross-entropy for a classifier), `seconds` wall-clock
/// seconds, `alpha` the path coordinate; 17 significant digits; an undefined value is empty.
///
/// One path: header `alpha,train_loss,train_error,test_loss,test_error` (columns only for the
/// splits present), one row per α, values with 17 significant digits (exact round trip).
QString interpolation_csv(const InterpolationResult& r);
/// Several paths on a shared α grid: `alpha,<id>:test_loss,...` with each path's test loss (its
/// train loss when it has no test split), as the "all paths" chart draws them; `train_split`
/// prefers the train split, `error` writes the error (fraction) instead of the loss. Paths
/// whose α grid differs from the first path's leave their cells empty where α does not match.
QString paths_csv(const QList<QPair<QString, InterpolationResult>>& paths,
                  bool train_split = false, bool error = false);
/// The barrier table rows of every path, in the names of the run folder's barriers.csv:
/// `path,split,loss_lin,loss_mid,error_lin,error_mid,loss_alpha,error_alpha,loss_a,loss_b`
/// (errors as fractions; loss_alpha/error_alpha where the linear barrier occurs).
QString barriers_csv(const QList<QPair<QString, InterpolationResult>>& paths);

/// The align steps of a run, one row per permutation (layer) with its step's numbers repeated:
/// `step,method,sweeps,seconds,objective_before,objective_after,l2_before,l2_after,
/// max_abs_logit_diff,function_passed,layer,size,moved,gain`.
QString alignment_csv(const std::vector<std::pair<std::string, AlignmentReport>>& reports);
/// Per-epoch training records: `model,epoch,train_loss,train_error,test_loss,test_error,lr,
/// seconds` (test cells empty when the epoch was not evaluated), then `distill_loss` when some
/// model was trained with attention distillation (empty for the others).
QString training_csv(const std::vector<std::pair<std::string, std::vector<EpochMetrics>>>& runs);

/// Writes `text` atomically (QSaveFile). False with the reason in `error`.
bool write_text_file(const QString& path, const QString& text, QString* error = nullptr);
/// The companion file of a curve CSV for its barrier rows: "x.csv" → "x-barriers.csv".
QString barriers_path_for(const QString& csv_path);

}  // namespace ridgeline::gui
