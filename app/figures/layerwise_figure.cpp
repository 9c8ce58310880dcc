// A layerwise step's figure ("layerwise:<id>"; docs/USER_GUIDE.md, "Layer-wise barriers"): the
// loss and the error barrier (linear form) of every partial path — single layers, cumulative
// ranges — as grouped bars, the other layers at A and at B side by side, and the whole path's
// barrier as a dashed line across them. When the run holds a hessian step along the same A → B
// per layer, the loss panel marks its midpoint-form prediction of each layer's barrier (on the
// Hessian batch) on the rest-at-A bar (curvature/barrier_predictions.h).
#include <algorithm>
#include <cctype>
#include <cmath>

#include "figures/figure_views.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/curvature/barrier_predictions.h"
#include "ridgeline/paths/layerwise.h"

namespace ridgeline::figures {

namespace {

using namespace figure;

std::vector<std::pair<std::string, const LayerwiseResult*>> layerwise_results(const FigureInput& in) {
  std::vector<std::pair<std::string, const LayerwiseResult*>> out;
  if (!in.run) return out;
  for (const StepResult& r : in.run->results)
    if (const auto* l = r.as<LayerwiseResult>()) out.emplace_back(r.id, l);
  return out;
}

// The group of a path: its layer ("fc1"), or "≤fc1" for the cumulative range of the first
// layers up to fc1.
std::string group_of(const LayerwisePath& p) {
  return p.layers.size() == 1 ? p.layers.front() : "\u2264" + p.layers.back();
}

// The axis label of a group. A single-column figure has room for about three characters per
// group, and a dropped category label would leave a bar unnamed: when every layer is named
// <prefix><index> ("fc0", "fc1", …) the labels are the indices ("0", "≤1") and the axis title
// names the prefix; otherwise the names themselves.
std::vector<std::string> short_labels(const std::vector<std::string>& groups, std::string* prefix) {
  std::string common;
  bool indexed = true;
  for (const auto& g : groups) {
    const std::string name = g.rfind("\u2264", 0) == 0 ? g.substr(std::string("\u2264").size()) : g;
    size_t d = name.size();
    while (d > 0 && std::isdigit(static_cast<unsigned char>(name[d - 1]))) --d;
    if (d == name.size() || d == 0) indexed = false;
    if (common.empty()) common = name.substr(0, d);
    indexed &= name.substr(0, d) == common;
  }
  std::vector<std::string> out;
  for (const auto& g : groups) {
    if (!indexed) {
      out.push_back(g);
      continue;
    }
    const bool cum = g.rfind("\u2264", 0) == 0;
    const std::string name = cum ? g.substr(std::string("\u2264").size()) : g;
    out.push_back((cum ? "\u2264" : "") + name.substr(common.size()));
  }
  *prefix = indexed ? common : "";
  return out;
}

Figure layerwise_figure(const FigureInput& in, const std::string& view) {
  const std::string id = view.substr(std::string("layerwise:").size());
  const LayerwiseResult* r = nullptr;
  for (const auto& [step, res] : layerwise_results(in))
    if (step == id) r = res;
  if (!r) throw InputError("--view " + view + ": no layerwise step '" + id + "'");
  const bool train = !r->whole.test;
  const std::string split = train ? "train" : "test";
  std::vector<std::string> groups;
  for (const auto& p : r->paths)
    if (std::find(groups.begin(), groups.end(), group_of(p)) == groups.end()) groups.push_back(group_of(p));
  bool any_b = false;
  for (const auto& p : r->paths) any_b |= p.base == "b";
  const std::vector<std::string> bases = any_b ? std::vector<std::string>{"a", "b"}
                                               : std::vector<std::string>{"a"};
  std::string prefix;
  const std::vector<std::string> labels = short_labels(groups, &prefix);
  std::vector<std::pair<std::string, const HessianReport*>> hessians;
  for (const StepResult& res : in.run->results)
    if (const auto* h = res.as<HessianReport>()) hessians.emplace_back(res.id, h);
  const LayerwisePredictions pred = layerwise_predictions(*r, hessians);
  Figure f;
  f.view = view;
  for (int measure = 0; measure < 2; ++measure) {
    const bool error = measure == 1;
    Panel panel;
    panel.x.categories = labels;
    panel.x.title = (prefix.empty() ? std::string("layer") : "layer " + prefix + "\u2113") +
                    " (\u2264: cumulative)";
    panel.y.title = std::string(error ? "error" : "loss") + " barrier (" + split + ")";
    panel.y.percent = error;
    panel.y.include_zero = true;
    for (size_t s = 0; s < bases.size(); ++s) {
      Series b;
      b.bars = true;
      b.slot = static_cast<int>(s);
      b.nslots = static_cast<int>(bases.size());
      b.style = {palette(s), LineStyle::None, Marker::None, true};
      b.label = std::string(error ? "error" : "loss") + " barrier, rest at " + (s == 0 ? "A" : "B");
      b.source = "results/" + id + ".json paths[].curve.barrier." + split + "." +
                 (error ? "error_lin" : "loss_lin") + " (base " + bases[s] + "), whole.barrier";
      for (size_t g = 0; g < groups.size(); ++g) {
        const InterpolationResult* c = nullptr;
        for (const auto& p : r->paths)
          if (group_of(p) == groups[g] && p.base == bases[s]) c = &p.curve;
        const SplitCurve* k = c ? preferred_split(*c, train) : nullptr;
        b.x.push_back(static_cast<double>(g));
        b.y.push_back(!k ? NAN : error ? k->barriers.error_lin : k->barriers.loss_lin);
      }
      panel.series.push_back(b);
    }
    // The whole path (every layer interpolated) as a dashed line across the groups: the
    // reference each partial path's bar is read against.
    if (const SplitCurve* k = preferred_split(r->whole, train)) {
      Series w;
      w.label = "whole path (every layer)";
      w.source = "results/" + id + ".json whole.barrier." + split + "." + (error ? "error_lin" : "loss_lin");
      w.style = {figure::grey(), LineStyle::Dashed, Marker::None, false, 1.2};
      const double y = error ? k->barriers.error_lin : k->barriers.loss_lin;
      w.x = {-0.45, static_cast<double>(groups.size()) - 0.55};
      w.y = {y, y};
      panel.series.push_back(w);
    }
    if (!error && !pred.empty()) {
      Series m;
      m.label = "predicted, midpoint form (Hessian batch, " + std::to_string(pred.rows) + " samples)";
      m.source = "results/" + pred.step + ".json paths[].predicted_max (per layer)";
      m.style = {palette(6), LineStyle::None, Marker::Diamond, false, 1.0};  // black: off the bars' colours
      const double w = 0.8 / static_cast<double>(bases.size());  // figure_render's bar slots
      for (size_t g = 0; g < groups.size(); ++g) {
        double v = NAN;
        for (size_t l = 0; l < pred.layers.size(); ++l)
          if (pred.layers[l] == groups[g]) v = pred.predicted[l];
        m.x.push_back(static_cast<double>(g) - 0.4 + w / 2);
        m.y.push_back(v);
      }
      panel.series.push_back(m);
    }
    bool all_zero = true;
    for (const auto& b : panel.series)
      if (b.bars)
        for (double y : b.y) all_zero &= !(std::abs(y) > 0);
    panel.note = all_zero ? "every partial path: barrier 0" : "no bar: a barrier of 0";
    f.panels.push_back(panel);
  }
  for (size_t s = 0; s < bases.size(); ++s)
    f.legend.push_back({std::string("other layers at ") + (s == 0 ? "A (" + r->a + ")" : "B (" + r->b + ")"),
                        {palette(s), LineStyle::None, Marker::None, true}});
  f.legend.push_back({"whole path (every layer)", {figure::grey(), LineStyle::Dashed, Marker::None, false, 1.2}});
  if (!pred.empty())
    f.legend.push_back({"predicted loss barrier (Hessian, n = " + std::to_string(pred.rows) + ")",
                        {palette(6), LineStyle::None, Marker::Diamond, false, 1.0}});
  return f;
}

}  // namespace

FigureView layerwise_figure_view() {
  return {"layerwise:",
          "layerwise",
          "layerwise:<step id>: the loss and error barriers of a layerwise step's partial paths "
          "(single layers, cumulative ranges, the whole path), the rest at A and at B",
          "a layerwise step",
          [](const FigureInput& in) {
            std::vector<std::string> names;
            for (const auto& [id, r] : layerwise_results(in)) names.push_back("layerwise:" + id);
            return names;
          },
          layerwise_figure};
}

}  // namespace ridgeline::figures
