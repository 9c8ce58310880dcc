#include "figures/landscape_scene.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

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
  } else if (info.kind == "hessian" && info.eigenvalues.size() == 2) {
    // Unit eigenvectors: the axes are distances in parameter space.
    // Short enough for a one-column figure's y axis; the title and summary say "Hessian".
    auto lam = [](double v) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.3g", std::abs(v));
      return std::string(v < 0 ? "−" : "") + buf;
    };
    const bool bottom = info.hessian_pair == "top_bottom";
    s.x_label = "top eigenvector (λ = " + lam(info.eigenvalues[0]) + ")";
    s.y_label = std::string(bottom ? "bottom" : "second") + " eigenvector (λ = " +
                lam(info.eigenvalues[1]) + ")";
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
      if (!a || !b) continue;
      if (r.linear && info.models.size() >= 2 && st.a == info.models[0] && st.b == info.models[1])
        continue;  // drawn along its grid row above
      // The least-squares projection onto the plane is affine: a segment projects to the
      // segment between the projected ends (its loss is then not the surface's).
      const bool projected = !in_plane(info, *a) || !in_plane(info, *b);
      s.paths.push_back({st.id + ": " + st.a + " → " + st.b + (projected ? " (linear, projected)" : " (linear)"),
                         "linear", {a->x, b->x}, {a->y, b->y}});
    }
  // Curves (the curve step: its bend is a model named by the step id) whose ends and bend are
  // placed in the slice: θ(t) = (1−t)²A + 2t(1−t)C + t²B (Bézier), or the chain A → C → B, in
  // the plane's coordinates as in parameter space, since the map to the plane's coordinates
  // is affine. When all three lie in the plane the curve lies in it; otherwise this is its
  // projection (labelled so).
  if (spec && info.kind == "plane") {
    const nlohmann::json doc = nlohmann::json::parse(spec_to_json(*spec));
    for (const auto& st : doc.value("steps", nlohmann::json::array())) {
      if (st.value("type", "") != "curve") continue;
      const std::string id = st.value("id", ""), kind = st.value("curve", "bezier");
      const ModelCoordinate* a = find_model(info, st.value("a", ""));
      const ModelCoordinate* b = find_model(info, st.value("b", ""));
      const ModelCoordinate* c = find_model(info, id);
      if (!a || !b || !c) continue;
      const bool projected = !in_plane(info, *a) || !in_plane(info, *b) || !in_plane(info, *c);
      widgets::SurfaceScene::Path p{id + ": " + (kind == "chain" ? "chain " : "Bézier curve ") +
                                        a->name + " → " + b->name + (projected ? " (projected)" : ""),
                                    "curve", {}, {}};
      if (kind == "chain") {
        p.x = {a->x, c->x, b->x};
        p.y = {a->y, c->y, b->y};
      } else {
        for (int k = 0; k <= 40; ++k) {
          const double t = k / 40.0, wa = (1 - t) * (1 - t), wc = 2 * t * (1 - t), wb = t * t;
          p.x.push_back(wa * a->x + wc * c->x + wb * b->x);
          p.y.push_back(wa * a->y + wc * c->y + wb * b->y);
        }
      }
      s.paths.push_back(std::move(p));
    }
  }
  return s;
}

}  // namespace ridgeline::figures
