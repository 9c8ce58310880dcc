#pragma once
/// @file colormap.h
/// The colormap of contour maps and the surface view: viridis (perceptually uniform; the table
/// and its source are in colormap.cpp). No Qt.
#include "widgets/figure/figure.h"

namespace ridgeline::figure {

/// The colormap's matplotlib name ("viridis"), for the Python export.
const char* colormap_name();
/// The colour at t in [0, 1] (clamped; NaN as 0), linear between the table's 256 entries,
/// as sRGB components in [0, 1].
void colormap_rgb(double t, double rgb[3]);
/// The same as 8-bit sRGB.
Rgb colormap(double t);

}  // namespace ridgeline::figure
