// The align step kind's figure ("alignment"), the paper form of the Alignment dock: per layer,
// the gain of each step's permutation (its share of the step's summed gain when the steps use
// different methods, whose objectives have different units) and the share of units it moved;
// per step, the L2 distance to θ_A before and after alignment.
#include <algorithm>
#include <cmath>

#include "figures/figure_parts.h"
#include "figures/figure_views.h"
#include "ridgeline/core/errors.h"

namespace ridgeline::figures {

using namespace figure;

namespace {

using Reports = std::vector<std::pair<std::string, AlignmentReport>>;

// Step ids less what they all share up to a separator ("align-seed1@wm", "align-seed1@am" →
// "wm", "am"; one id keeps what follows its last '@').
std::vector<std::string> short_ids(const std::vector<std::string>& ids) {
  if (ids.size() == 1) {
    const size_t at = ids.front().rfind('@');
    return {at == std::string::npos || at + 1 == ids.front().size() ? ids.front() : ids.front().substr(at + 1)};
  }
  if (ids.empty()) return ids;
  size_t n = ids.front().size();
  for (const auto& id : ids) {
    size_t k = 0;
    while (k < n && k < id.size() && id[k] == ids.front()[k]) ++k;
    n = k;
  }
  while (n > 0 && std::string("@-_:/.").find(ids.front()[n - 1]) == std::string::npos) --n;
  std::vector<std::string> out;
  for (const auto& id : ids) {
    if (id.size() == n) return ids;
    out.push_back(id.substr(n));
  }
  return out;
}

Figure alignment_figure(const FigureInput& in, const std::string&) {
  const Reports reports = in.run->alignment_reports();
  if (reports.empty()) throw InputError("--view alignment: this run has no alignment results");
  bool same_method = true;
  std::vector<std::string> layers, ids;
  // Rows without permutations (a transformer's "<id>+orth": one rotation of the residual
  // stream) have no gain or moved units: they appear in the L2 panel only.
  std::vector<size_t> permuted;
  for (size_t s = 0; s < reports.size(); ++s)
    if (!reports[s].second.layers.empty()) permuted.push_back(s);
  for (const auto& [id, r] : reports) {
    if (!r.layers.empty())  // then `permuted` holds at least this row
      same_method &= r.method == reports[permuted.front()].second.method;
    ids.push_back(id);
    for (const auto& l : r.layers)
      if (std::find(layers.begin(), layers.end(), l.name) == layers.end()) layers.push_back(l.name);
  }
  const std::vector<std::string> names = short_ids(ids);
  Panel gain, moved, l2;
  gain.x.categories = moved.x.categories = layers;
  gain.x.title = moved.x.title = "hidden layer";
  gain.y.title = same_method ? "gain (objective units)" : "share of gain";
  gain.y.percent = !same_method;
  moved.y.title = "units moved";
  moved.y.percent = true;
  gain.y.include_zero = moved.y.include_zero = l2.y.include_zero = true;
  Figure f;
  const int nslots = static_cast<int>(permuted.size());
  for (size_t slot = 0; slot < permuted.size(); ++slot) {
    const size_t s = permuted[slot];
    const auto& [id, r] = reports[s];
    double total = 0;
    for (const auto& l : r.layers) total += l.gain;
    Series g, m;
    for (Series* x : {&g, &m}) {
      x->bars = true;
      x->slot = static_cast<int>(slot);
      x->nslots = nslots;
      x->style = {palette(s), LineStyle::None, Marker::None, true};
    }
    g.label = id + (same_method ? " gain" : " gain share");
    g.source = "results/" + id + ".json layers[].gain" + (same_method ? "" : " / sum");
    m.label = id + " moved";
    m.source = "results/" + id + ".json layers[].moved / size";
    for (const std::string& name : layers) {
      auto it = std::find_if(r.layers.begin(), r.layers.end(), [&](const auto& l) { return l.name == name; });
      const bool have = it != r.layers.end();
      g.x.push_back(g.x.size());
      m.x.push_back(m.x.size());
      g.y.push_back(!have ? NAN : same_method ? it->gain : (total > 0 ? it->gain / total : NAN));
      m.y.push_back(have && it->size > 0 ? static_cast<double>(it->moved) / static_cast<double>(it->size) : NAN);
    }
    gain.series.push_back(g);
    moved.series.push_back(m);
    f.legend.push_back({names[s] == id ? id : names[s] + " (" + id + ")", g.style});
  }
  // L2 distance to θ_A, before (light) and after (dark) alignment, one group per step.
  l2.x.categories = names;
  l2.y.title = "L2 distance to θ_A";
  const Style before{{187, 187, 187}, LineStyle::None, Marker::None, true};
  const Style after{{68, 68, 68}, LineStyle::None, Marker::None, true};
  for (int k = 0; k < 2; ++k) {
    Series b;
    b.bars = true;
    b.slot = k;
    b.nslots = 2;
    b.style = k == 0 ? before : after;
    b.label = k == 0 ? "L2 before" : "L2 after";
    b.source = std::string("results/<step>.json ") + (k == 0 ? "l2_before" : "l2_after");
    for (size_t s = 0; s < reports.size(); ++s) {
      b.x.push_back(static_cast<double>(s));
      b.y.push_back(k == 0 ? reports[s].second.l2_before : reports[s].second.l2_after);
    }
    l2.series.push_back(b);
  }
  l2.legend = {{"before", before}, {"after", after}};
  f.panels = {gain, moved, l2};
  return f;
}

}  // namespace

FigureView alignment_figure_view() {
  return {"alignment", "align",
          "per layer: gain and units moved by each alignment; per step: L2 distance before/after",
          "an align step's results",
          [](const FigureInput& in) {
            return in.run->alignment_reports().empty() ? std::vector<std::string>{}
                                                       : std::vector<std::string>{"alignment"};
          },
          alignment_figure};
}

}  // namespace ridgeline::figures
