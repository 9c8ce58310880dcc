#pragma once
/// @file chart_export.h
/// Writes a chart view of the attention lab (qk_embedding_plot.h, attention_metric_chart.h,
/// accuracy_curve_chart.h) by the path's suffix, like AttentionGrid::exportTo: .png (2× the
/// view's pixels), .svg or .pdf (vector, one view pixel = one unit at 96 dpi). The view is
/// rendered through its scene, so hover tooltips never end up in a file.
#include <QString>
#include <functional>

class QGraphicsView;
class QMenu;
class QWidget;

namespace ridgeline::widgets {

/// False with "PATH: reason" in *error when the suffix is unknown or the file cannot be written.
bool export_chart_view(const QGraphicsView& view, const QString& path, const QString& title,
                       QString* error = nullptr);

/// Adds "Export as PNG…", "…SVG…" and "…PDF…" to a context menu: each asks for a file name
/// (default `base_name`.suffix) and calls `write`; a failure shows its reason as a tooltip.
void add_export_actions(QMenu& menu, QWidget* parent, const QString& base_name,
                        std::function<bool(const QString& path, QString* error)> write);

}  // namespace ridgeline::widgets
