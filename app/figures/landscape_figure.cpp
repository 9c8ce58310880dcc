// A landscape step's figure ("landscape:<id>"; docs/USER_GUIDE.md, "Landscapes"): the contour
// map of its slice (widgets/figure/contour_figure.h) with the models, the linear path, the
// lowest pass and the run's other in-plane paths (figures/landscape_scene.h).
#include "figures/figure_views.h"
#include "figures/landscape_scene.h"
#include "ridgeline/core/errors.h"
#include "widgets/figure/contour_figure.h"

namespace ridgeline::figures {

namespace {

std::vector<std::pair<std::string, const LandscapeResult*>> landscapes(const FigureInput& in) {
  std::vector<std::pair<std::string, const LandscapeResult*>> out;
  if (!in.run) return out;
  for (const StepResult& r : in.run->results)
    if (const auto* l = r.as<LandscapeResult>()) out.emplace_back(r.id, l);
  return out;
}

figure::Figure landscape_figure(const FigureInput& in, const std::string& view) {
  const std::string id = view.substr(std::string("landscape:").size());
  for (const auto& [step, r] : landscapes(in))
    if (step == id) {
      const widgets::SurfaceScene scene = landscape_scene(*r, in.spec, id);
      if (const std::string bad = widgets::check_scene(scene); !bad.empty())
        throw InputError("--view " + view + ": " + bad);
      figure::ContourFigureOptions o;
      o.view = view;
      // Losses span orders of magnitude away from the models: log colours where possible.
      o.log = widgets::log_scale_possible(scene);
      return figure::contour_figure(scene, o);
    }
  throw InputError("--view " + view + ": no landscape step '" + id + "'");
}

}  // namespace

FigureView landscape_figure_view() {
  return {"landscape:",
          "landscape",
          "landscape:<step id>: the contour map of a landscape step's plane with its models, the "
          "linear path and the lowest pass",
          "a landscape step",
          [](const FigureInput& in) {
            std::vector<std::string> names;
            for (const auto& [id, r] : landscapes(in)) names.push_back("landscape:" + id);
            return names;
          },
          landscape_figure};
}

}  // namespace ridgeline::figures
