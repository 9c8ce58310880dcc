#pragma once
/// @file surface_scene.h
/// What the surface view and the contour-map figure draw: a loss surface over a plane's grid,
/// the models on it and the paths between them (docs/ARCHITECTURE.md, "Views and result pages").
/// A plain struct, no Qt and no VTK: the GUI converts a landscape result into it.
#include <string>
#include <vector>

namespace ridgeline::widgets {

struct SurfaceScene {
  /// Grid coordinates along the plane's two axes, strictly ascending, at least 2 each.
  std::vector<double> xs, ys;
  /// Row-major [iy * nx + ix]. `loss` is required; `error` (fractions) may be empty, and NaN
  /// where a point has none (a model without accuracy).
  std::vector<double> loss, error;
  std::string x_label = "x", y_label = "y", title;
  /// What the values are ("test loss"): the scalar bar's and the colour bar's title.
  std::string value_label = "loss";

  /// A model on the plane (A, B, C): drawn as a labelled marker.
  struct Marker {
    std::string name;
    double x = 0, y = 0;
  };
  std::vector<Marker> markers;

  /// A path on the plane, drawn on the surface.
  struct Path {
    std::string name;  ///< legend text ("seed0 → seed1 (linear)")
    std::string kind;  ///< "linear", "curve" or "pass" (the lowest pass)
    std::vector<double> x, y;
  };
  std::vector<Path> paths;

  size_t nx() const { return xs.size(); }
  size_t ny() const { return ys.size(); }
};

/// Checks the shape: axes ascending with at least 2 points, loss nx·ny finite-or-NaN values,
/// error empty or nx·ny, path x/y of equal length, path kinds known. Returns the problem, or
/// empty.
std::string check_scene(const SurfaceScene& scene);

/// One grid point: its indices, coordinates and values (error NaN when the scene has none).
struct GridPoint {
  size_t ix = 0, iy = 0;
  double x = 0, y = 0, loss = 0, error = 0;
};

/// The grid point (ix, iy). Indices must be in range.
GridPoint grid_point(const SurfaceScene& scene, size_t ix, size_t iy);
/// The grid point nearest to (x, y) on the plane (clamped to the grid).
GridPoint nearest_grid_point(const SurfaceScene& scene, double x, double y);
/// Hover text of a point: "x 0.500, y -0.250 · loss 1.453 · error 58.49%" (core/format.h; the
/// error part left out when it is NaN).
std::string hover_text(const SurfaceScene& scene, const GridPoint& p);

/// The loss at (x, y), bilinear between grid points (clamped to the grid; NaN corners give NaN).
double interpolate_loss(const SurfaceScene& scene, double x, double y);

/// Finite loss range [lo, hi] (positive values only when `positive_only`). False when none.
bool loss_range(const SurfaceScene& scene, bool positive_only, double* lo, double* hi);

/// A log10 colour scale needs every finite loss positive and at least two distinct values.
bool log_scale_possible(const SurfaceScene& scene);

}  // namespace ridgeline::widgets
