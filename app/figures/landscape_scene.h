#pragma once
/// @file landscape_scene.h
/// A landscape step's result as the surface view and its contour figure draw it
/// (widgets/surface/surface_scene.h): the grid, the models placed in the slice, and the paths
/// on it — the linear path A → B along its grid row, the lowest pass, every other interpolate
/// step of the run whose two models are placed in the slice (a straight segment between their
/// markers), and every curve step whose ends and bend are (its Bézier curve or chain; both
/// "projected" when a model lies off the plane: placed there with the step's `project`). Barriers in the legend are the mean-endpoint form (the path's highest
/// loss − the mean of its ends: independent of how the path is parametrised). Shared by the window's landscape tabs and `ridgeline figure`.
#include "ridgeline/experiment/spec.h"
#include "ridgeline/landscape/landscape.h"
#include "widgets/surface/surface_scene.h"

namespace ridgeline::figures {

/// `spec` (may be null) supplies the run's interpolate steps.
widgets::SurfaceScene landscape_scene(const LandscapeResult& r, const ExperimentSpec* spec,
                                      const std::string& title);

}  // namespace ridgeline::figures
