#pragma once
// Internal to app/figures: the paper style's conventions shared by the builders (train dashed,
// test solid; one colour and marker per model or path; legends that show both).
#include <string>
#include <vector>

#include "ridgeline/experiment/spec.h"
#include "widgets/figure/figure.h"

namespace ridgeline::figures::detail {

/// A polyline series with markers on about eight of its points.
figure::Series line(const std::string& label, const std::string& source, std::vector<double> x,
                    std::vector<double> y, const figure::Style& style);
/// Train dashed, test solid, in `color` with `marker`.
figure::Style split_style(figure::Rgb color, figure::Marker marker, bool train);
/// Legend entries "test" (solid) and "train" (dashed) in black, for the splits present.
std::vector<figure::LegendEntry> split_legend(bool test, bool train);
/// The step of `spec` with id `id` (null when none).
const StepSpec* find_step(const ExperimentSpec* spec, const std::string& id);
/// True when any value is finite.
bool any_finite(const std::vector<double>& v);

}  // namespace ridgeline::figures::detail
