#include "figures/landscape_scene.h"

#include <algorithm>
#include <cmath>

#include "ridgeline/core/format.h"

namespace ridgeline::figures {

namespace {
const ModelCoordinate* find_model(const LandscapeInfo& info, const std::string& name) {
  for (const ModelCoordinate& c : info.coordinates)
    if (c.name == name) return &c;
  return nullptr;
}

/// In the plane: its distance from the plane is a rounding error of the basis' scale.
bool in_plane(const LandscapeInfo& info, const ModelCoordinate& c) {
  const double scale = std::max({info.norm_x, info.norm_y, 1e-30});
  return c.off_plane <= 1e-5 * scale;
}
}  // namespace

widgets::SurfaceScene landscape_scene(const LandscapeResult& r, const ExperimentSpec* spec,
                                      const std::string& title) {
  widgets::SurfaceScene s;
  s.xs = r.grid.xs;
  s.ys = r.grid.ys;
  s.loss = r.grid.loss;
  if (std::any_of(r.grid.error.begin(), r.grid.error.end(), [](double e) { return std::isfinite(e); }))
    s.error = r.grid.error;
  s.title = title;
  s.value_label = (r.split.empty() ? std::string() : r.split + " ") + "loss";
  const LandscapeInfo& info = r.info;
  if (info.kind == "plane" && info.models.size() == 3) {
    // Both axes in units of ‖B − A‖ (landscape/plane.h): A = (0, 0), B = (1, 0).
    s.x_label = "x (" + info.models[0] + " → " + info.models[1] + ")";
    s.y_label = "y (toward " + info.models[2] + ")";
  } else {
    s.x_label = "direction 1 (filter-normalised)";
    s.y_label = "direction 2 (filter-normalised)";
  }
  for (const ModelCoordinate& c : info.coordinates)
    s.markers.push_back({in_plane(info, c) ? c.name : c.name + " (projected)", c.x, c.y});
  if (r.linear && info.models.size() >= 2)
    s.paths.push_back({info.models[0] + " → " + info.models[1] + " (linear, barrier " +
                           format_loss_barrier(r.linear->loss_mid) + ")",
                       "linear", r.linear->x, r.linear->y});
  if (r.pass)
    s.paths.push_back({"lowest pass (barrier " + format_loss_barrier(r.pass->loss_mid) + ")", "pass",
                       r.pass->x, r.pass->y});
  // The run's other straight paths between two models of the plane.
  if (spec && info.kind == "plane")
    for (const StepSpec& st : spec->steps) {
      if (st.type != "interpolate") continue;
      const ModelCoordinate* a = find_model(info, st.a);
      const ModelCoordinate* b = find_model(info, st.b);
      if (!a || !b || !in_plane(info, *a) || !in_plane(info, *b)) continue;
      if (r.linear && info.models.size() >= 2 && st.a == info.models[0] && st.b == info.models[1])
        continue;  // drawn along its grid row above
      s.paths.push_back({st.id + ": " + st.a + " → " + st.b + " (linear)", "linear", {a->x, b->x},
                         {a->y, b->y}});
    }
  return s;
}

}  // namespace ridgeline::figures
