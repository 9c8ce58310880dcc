// Measured barriers next to their second-order predictions, and the join onto a layerwise
// result (ridgeline/curvature/barrier_predictions.h).
#include "ridgeline/curvature/barrier_predictions.h"

#include <algorithm>
#include <cmath>

namespace ridgeline {

namespace {

// α = ½ on a grid written as decimals (alpha_grid: i / (n − 1)).
bool is_half(double alpha) { return std::abs(alpha - 0.5) < 1e-9; }

}  // namespace

std::vector<BarrierComparison> barrier_comparisons(const HessianReport& r) {
  std::vector<BarrierComparison> out;
  for (const PathCurvature& p : r.paths) {
    BarrierComparison c;
    c.selection = p.selection;
    c.size = p.size;
    c.delta_norm = p.delta_norm;
    for (const PathCurvaturePoint& q : p.points)
      if (is_half(q.alpha)) {
        c.measured_half = q.barrier;
        c.midpoint_half = q.predicted;
      }
    c.endpoint_half = p.endpoint_prediction;
    c.measured_max = p.measured_max;
    c.measured_alpha = p.measured_alpha;
    c.predicted_max = p.predicted_max;
    c.predicted_alpha = p.predicted_alpha;
    out.push_back(c);
  }
  return out;
}

bool has_selection_paths(const HessianReport& r) {
  return std::any_of(r.paths.begin(), r.paths.end(),
                     [](const PathCurvature& p) { return !p.selection.empty(); });
}

double prediction_ratio(double predicted, double measured) {
  if (!std::isfinite(predicted) || !std::isfinite(measured)) return NAN;
  if (std::abs(measured) <= 1e-9 * std::max(1.0, std::abs(predicted))) return NAN;
  return predicted / measured;
}

LayerwisePredictions layerwise_predictions(
    const LayerwiseResult& lw,
    const std::vector<std::pair<std::string, const HessianReport*>>& hessians) {
  for (const auto& [id, r] : hessians) {
    if (!r || r->model != lw.a || r->path_to != lw.b) continue;
    LayerwisePredictions out;
    bool any = false;
    for (const LayerGroup& g : lw.layers) {
      double v = NAN, a = NAN;
      for (const PathCurvature& p : r->paths)
        if (!p.selection.empty() && p.selection == g.name) {
          v = p.predicted_max;
          a = p.predicted_alpha;
          any = true;
        }
      out.layers.push_back(g.name);
      out.predicted.push_back(v);
      out.predicted_alpha.push_back(a);
    }
    if (!any) continue;
    for (const PathCurvature& p : r->paths)
      if (p.selection.empty()) {
        out.whole = p.predicted_max;
        out.whole_alpha = p.predicted_alpha;
      }
    out.step = id;
    out.batch = r->batch;
    out.rows = r->rows;
    return out;
  }
  return {};
}

}  // namespace ridgeline
