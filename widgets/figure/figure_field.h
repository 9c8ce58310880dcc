#pragma once
// Private to the renderer (figure_render.cpp, figure_page_layout.cpp): the marks of a contour
// map — a field's raster, its contour lines and its colour bar (figure.h, Field). Coordinates
// in points.
#include <QFontMetricsF>
#include <QRectF>

#include "widgets/figure/figure.h"

class QPainter;

namespace ridgeline::figure {

/// The field's cells through the colormap and its contour lines, inside `plot` whose axes are
/// x and y. `dots_per_pt`: device pixels per point (the raster's resolution, capped).
void paint_field(QPainter& p, const Field& field, const AxisLayout& x, const AxisLayout& y,
                 const QRectF& plot, double dots_per_pt);

/// Width of the colour bar with its ticks, labels and title, right of a plot.
double color_bar_width(const AxisLayout& color, const Field& field, const QFontMetricsF& fm,
                       double font_pt);

/// The colour bar in `box` (the full height of the plot; as wide as color_bar_width).
void paint_color_bar(QPainter& p, const Field& field, const AxisLayout& color, const QRectF& box,
                     const QFontMetricsF& fm, double font_pt);

}  // namespace ridgeline::figure
