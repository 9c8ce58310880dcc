// The paper style's shared conventions (figure_parts.h).
#include "figures/figure_parts.h"

#include <algorithm>
#include <cmath>

namespace ridgeline::figures::detail {

figure::Series line(const std::string& label, const std::string& source, std::vector<double> x,
                    std::vector<double> y, const figure::Style& style) {
  figure::Series s;
  s.label = label;
  s.source = source;
  s.x = std::move(x);
  s.y = std::move(y);
  s.style = style;
  s.mark_every = std::max<int>(1, static_cast<int>(std::lround(static_cast<double>(s.x.size()) / 8.0)));
  return s;
}

figure::Style split_style(figure::Rgb color, figure::Marker marker, bool train) {
  return {color, train ? figure::LineStyle::Dashed : figure::LineStyle::Solid, marker, false};
}

std::vector<figure::LegendEntry> split_legend(bool test, bool train) {
  std::vector<figure::LegendEntry> out;
  if (test) out.push_back({"test", {{0, 0, 0}, figure::LineStyle::Solid, figure::Marker::None, false}});
  if (train) out.push_back({"train", {{0, 0, 0}, figure::LineStyle::Dashed, figure::Marker::None, false}});
  return out;
}

const StepSpec* find_step(const ExperimentSpec* spec, const std::string& id) {
  if (!spec) return nullptr;
  for (const auto& s : spec->steps)
    if (s.id == id) return &s;
  return nullptr;
}

bool any_finite(const std::vector<double>& v) {
  return std::any_of(v.begin(), v.end(), [](double x) { return std::isfinite(x); });
}

}  // namespace ridgeline::figures::detail
