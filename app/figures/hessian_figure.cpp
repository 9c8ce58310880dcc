// A hessian step's figure ("hessian:<id>"; docs/USER_GUIDE.md, "Curvature"): the spectral
// density (stochastic Lanczos quadrature, log density) of every selection with its top
// eigenvalues marked, and — when the step followed a path — the whole model's measured barrier
// b(α) next to the midpoint-form prediction −½α(1−α)ΔᵀH(θ(α))Δ and the endpoint form of b(½).
// Its companion "hessian-layers:<id>", for a step that followed its path per layer: b(½)
// measured, by the midpoint form and by the endpoint form as grouped bars, the whole model and
// each layer moved alone (curvature/barrier_predictions.h).
#include <algorithm>
#include <cmath>

#include "figures/figure_views.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/core/format.h"
#include "ridgeline/curvature/barrier_predictions.h"
#include "ridgeline/curvature/hessian_report.h"

namespace ridgeline::figures {

namespace {

using namespace figure;

std::vector<std::pair<std::string, const HessianReport*>> reports(const FigureInput& in) {
  std::vector<std::pair<std::string, const HessianReport*>> out;
  if (!in.run) return out;
  for (const StepResult& r : in.run->results)
    if (const auto* h = r.as<HessianReport>()) out.emplace_back(r.id, h);
  return out;
}

std::string label_of(const std::string& selection) { return selection.empty() ? "whole model" : selection; }

Figure hessian_figure(const FigureInput& in, const std::string& view) {
  const std::string id = view.substr(std::string("hessian:").size());
  const HessianReport* r = nullptr;
  for (const auto& [step, h] : reports(in))
    if (step == id) r = h;
  if (!r) throw InputError("--view " + view + ": no hessian step '" + id + "'");
  const std::string src = "results/" + id + ".json";
  Figure fig;
  fig.view = view;
  Panel density;
  density.x.title = "eigenvalue \u03bb";
  density.y.title = "density";
  density.y.log = true;
  double ymax = 0;
  for (const auto& s : r->selections)
    for (double v : s.density_values) ymax = std::max(ymax, v);
  if (ymax > 0) {
    const double floor = ymax * 1e-6;
    for (size_t k = 0; k < r->selections.size(); ++k) {
      const auto& s = r->selections[k];
      if (s.density_values.empty()) continue;
      Series line;
      line.label = label_of(s.name);
      line.source = src + " selections[" + std::to_string(k) + "].density";
      line.style = {palette(k), LineStyle::Solid, Marker::None, false, s.name.empty() ? 1.6 : 1.0};
      for (size_t i = 0; i < s.density_grid.size() && i < s.density_values.size(); ++i) {
        line.x.push_back(s.density_grid[i]);
        line.y.push_back(std::max(s.density_values[i], floor));
      }
      density.series.push_back(line);
      fig.legend.push_back({line.label, line.style});
      if (!s.eigen.values.empty()) {
        Series top;
        top.label = label_of(s.name) + " top eigenvalues";
        top.source = src + " selections[" + std::to_string(k) + "].eigenvalues";
        top.style = {palette(k), LineStyle::None, Marker::TriangleDown, false, 1.0};
        for (double v : s.eigen.values) {
          top.x.push_back(v);
          top.y.push_back(ymax * 1.5);
        }
        density.series.push_back(top);
      }
    }
    density.note = "\u25bc top eigenvalues (Lanczos)";
    fig.panels.push_back(density);
  }
  if (!r->paths.empty()) {
    const PathCurvature& p = r->paths.front();  // the whole model (or the step's block)
    Panel path;
    path.x.title = "\u03b1 (" + r->model + " \u2192 " + r->path_to + ")";
    path.y.title = "loss barrier b(\u03b1), " + label_of(p.selection);
    path.x.min = 0;
    path.x.max = 1;
    Series measured, predicted, endpoint;
    measured.label = "measured b(\u03b1)";
    measured.source = src + " paths[0].barrier";
    measured.style = {palette(0), LineStyle::Solid, Marker::Circle, false, 1.4};
    predicted.label = "midpoint form \u2212\u00bd\u03b1(1\u2212\u03b1)\u0394\u1d40H\u0394";
    predicted.source = src + " paths[0].predicted";
    predicted.style = {palette(1), LineStyle::Dashed, Marker::Square, false, 1.2};
    for (const auto& q : p.points) {
      measured.x.push_back(q.alpha);
      measured.y.push_back(q.barrier);
      predicted.x.push_back(q.alpha);
      predicted.y.push_back(q.predicted);
    }
    endpoint.label = "endpoint form of b(\u00bd)";
    endpoint.source = src + " paths[0].endpoint_prediction";
    endpoint.style = {palette(2), LineStyle::None, Marker::Diamond, false, 1.0};
    endpoint.x = {0.5};
    endpoint.y = {p.endpoint_prediction};
    path.series = {measured, predicted, endpoint};
    path.legend = {{measured.label, measured.style}, {predicted.label, predicted.style},
                   {endpoint.label, endpoint.style}};
    fig.panels.push_back(path);
  }
  if (fig.panels.empty()) throw InputError("--view " + view + ": the step computed no density and no path");
  return fig;
}

// b(½) per selection: measured and both second-order forms, as grouped bars around a dashed
// zero line (a bar below it: the path runs under its chord, no barrier).
Figure hessian_layers_figure(const FigureInput& in, const std::string& view) {
  const std::string id = view.substr(std::string("hessian-layers:").size());
  const HessianReport* r = nullptr;
  for (const auto& [step, h] : reports(in))
    if (step == id) r = h;
  if (!r || !has_selection_paths(*r))
    throw InputError("--view " + view + ": no hessian step '" + id + "' with per-layer paths");
  const std::string src = "results/" + id + ".json";
  const std::vector<BarrierComparison> rows = barrier_comparisons(*r);
  Figure fig;
  fig.view = view;
  Panel panel;
  for (const auto& c : rows) panel.x.categories.push_back(c.selection.empty() ? "whole" : c.selection);
  panel.x.title = "moved alone (the rest at " + r->model + "); whole: every layer";
  panel.y.title = "b(½), " + r->model + " → " + r->path_to;
  panel.y.include_zero = true;
  struct Form {
    const char* label;
    const char* field;
    double BarrierComparison::*value;
  };
  const Form forms[] = {{"measured b(½)", "barrier at α = ½", &BarrierComparison::measured_half},
                        {"midpoint form", "predicted_midpoint at α = ½", &BarrierComparison::midpoint_half},
                        {"endpoint form", "predicted_endpoint_half", &BarrierComparison::endpoint_half}};
  for (size_t k = 0; k < 3; ++k) {
    Series b;
    b.bars = true;
    b.slot = static_cast<int>(k);
    b.nslots = 3;
    b.style = {palette(k == 0 ? 0 : k == 1 ? 1 : 2), LineStyle::None, Marker::None, true};
    b.label = forms[k].label;
    b.source = src + " paths[]." + forms[k].field;
    for (size_t g = 0; g < rows.size(); ++g) {
      b.x.push_back(static_cast<double>(g));
      b.y.push_back(rows[g].*forms[k].value);
    }
    panel.series.push_back(b);
    fig.legend.push_back({b.label, b.style});
  }
  Series zero;
  zero.label = "b = 0";
  zero.source = "(the chord between the path's ends)";
  zero.style = {figure::grey(), LineStyle::Dashed, Marker::None, false, 1.0};
  zero.x = {-0.5, static_cast<double>(rows.size()) - 0.5};
  zero.y = {0, 0};
  panel.series.push_back(zero);
  panel.note = "Hessian batch: " + std::to_string(r->rows) + " samples; below 0: no barrier";
  fig.panels.push_back(panel);
  return fig;
}

}  // namespace

FigureView hessian_layers_figure_view() {
  return {"hessian-layers:",
          "hessian",
          "hessian-layers:<step id>: per layer of a hessian step with per_layer and path_to, the "
          "measured barrier b(½) next to its midpoint- and endpoint-form predictions",
          "a hessian step with per_layer and path_to",
          [](const FigureInput& in) {
            std::vector<std::string> names;
            for (const auto& [id, r] : reports(in))
              if (has_selection_paths(*r)) names.push_back("hessian-layers:" + id);
            return names;
          },
          hessian_layers_figure};
}

FigureView hessian_figure_view() {
  return {"hessian:",
          "hessian",
          "hessian:<step id>: a hessian step's spectral density per selection with its top "
          "eigenvalues, and along its path the measured barrier next to the second-order predictions",
          "a hessian step",
          [](const FigureInput& in) {
            std::vector<std::string> names;
            for (const auto& [id, r] : reports(in)) names.push_back("hessian:" + id);
            return names;
          },
          hessian_figure};
}

}  // namespace ridgeline::figures
