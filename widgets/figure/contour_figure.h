#pragma once
/// @file contour_figure.h
/// The paper figure of a loss surface: a contour map of the plane (figure.h: a Field with
/// contour lines and a colour bar), the models as labelled points and every path as a line with
/// a legend — the lowest pass solid and thick, linear paths dashed, curves dash-dotted, each
/// over a white halo. One unit of x as long as one of y (the plane's coordinates).
#include "widgets/figure/figure.h"
#include "widgets/surface/surface_scene.h"

namespace ridgeline::figure {

struct ContourFigureOptions {
  bool log = false;  ///< log10 colour scale (ignored, with a note, when a loss is ≤ 0)
  int levels = 10;   ///< about this many contour lines (contour.h, contour_levels)
  std::string view = "surface";
};

/// The contour map of `scene` (check_scene must have passed). Nothing is computed but where to
/// draw: the levels are round numbers in the loss range.
Figure contour_figure(const widgets::SurfaceScene& scene, const ContourFigureOptions& options = {});

}  // namespace ridgeline::figure
