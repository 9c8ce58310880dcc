// A study folder's figure ("study"; docs/USER_GUIDE.md, "Studies"): the linear-form barrier
// (the largest gap between the path and the chord between its endpoints; Frankle et al. 2020,
// Entezari et al. 2022) against the swept variable, one line per path kind: the mean over seed
// pairs, with a band of ± one standard deviation (n ≥ 3) or min–max (n < 3). Loss and error
// barriers side by side, on the test split (train when the cells have no test split).
#include <algorithm>
#include <cmath>
#include <set>

#include "figures/figure_parts.h"
#include "figures/figure_views.h"
#include "ridgeline/core/errors.h"

namespace ridgeline::figures {

using namespace figure;

namespace {

// The swept variable the x axis shows; throws when the study has none or several that vary.
std::string x_key(const StudyAggregate& agg) {
  if (agg.keys.empty())
    throw InputError(
        "--view study: the study sweeps only seeds; its x axis needs a swept "
        "variable (width, depth, lr, batch or epochs)");
  std::vector<std::string> varying;
  for (const std::string& k : agg.keys) {
    std::set<std::string> values;
    for (const StudyGroupRow& g : agg.groups)
      for (const SweptValue& v : g.values)
        if (v.key == k) values.insert(v.text);
    if (values.size() > 1) varying.push_back(k);
  }
  if (varying.size() > 1)
    throw InputError("--view study: draws one swept variable; this study sweeps " + varying[0] +
                     " and " + varying[1] +
                     " (use results/study.csv, or a study that sweeps one variable and seeds)");
  return varying.empty() ? agg.keys.front() : varying.front();
}

double value_of(const StudyGroupRow& g, const std::string& key) {
  for (const SweptValue& v : g.values)
    if (v.key == key) return v.number;
  return NAN;
}

Figure study_figure(const FigureInput& in, const std::string&) {
  const StudyAggregate& agg = *in.study;
  if (in.band != "auto" && in.band != "std" && in.band != "minmax")
    throw InputError("--band " + echo_input(in.band) + ": must be auto, std or minmax");
  const std::string key = x_key(agg);
  bool any_test = false;
  for (const StudyGroupRow& g : agg.groups) any_test |= g.split == "test";
  const std::string split = any_test ? "test" : "train";

  // The x values: every group's value of the key, sorted, distinct.
  std::vector<double> xs;
  for (const StudyGroupRow& g : agg.groups) {
    const double x = value_of(g, key);
    if (!std::isfinite(x))
      throw InputError("--view study: the swept value of " + key + " in group " + g.group +
                       " is not a number");
    if (std::find(xs.begin(), xs.end(), x) == xs.end()) xs.push_back(x);
  }
  std::sort(xs.begin(), xs.end());
  if (xs.empty()) throw InputError("--view study: the study has no results yet (no finished cell)");

  Axis x;
  x.title = key;
  x.ticks = xs;
  x.log = (key == "width" || key == "lr") && xs.front() > 0;
  Panel loss, error;
  loss.x = error.x = x;
  loss.y.title = split + " loss barrier (linear)";
  error.y.title = split + " error barrier (linear)";
  error.y.percent = true;

  Figure f;
  bool any_error = false, any_std = false, any_minmax = false;
  int n_min = 1 << 30, n_max = 0;
  for (size_t k = 0; k < agg.paths.size(); ++k) {
    const std::string& path = agg.paths[k];
    // kBarrierMeasures: 0 loss_lin, 2 error_lin.
    for (int m : {0, 2}) {
      std::vector<double> y(xs.size(), NAN), lo(xs.size(), NAN), hi(xs.size(), NAN);
      for (const StudyGroupRow& g : agg.groups) {
        if (g.path != path || g.split != split) continue;
        const size_t i =
            static_cast<size_t>(std::find(xs.begin(), xs.end(), value_of(g, key)) - xs.begin());
        const BarrierStats& s = g.stats[static_cast<size_t>(m)];
        y[i] = s.mean;
        const bool use_std =
            in.band == "std" || (in.band == "auto" && g.n >= 3 && std::isfinite(s.std));
        lo[i] = use_std ? s.mean - s.std : s.min;
        hi[i] = use_std ? s.mean + s.std : s.max;
        if (std::isfinite(s.mean)) {
          (use_std ? any_std : any_minmax) = true;
          n_min = std::min(n_min, g.n);
          n_max = std::max(n_max, g.n);
        }
      }
      const std::string measure = kBarrierMeasures[static_cast<size_t>(m)];
      const Style style = detail::split_style(palette(k), marker_cycle(k), false);
      Series s = detail::line(
          path + " " + split + " " + measure + " mean",
          "results/study.json groups[path=" + path + ",split=" + split + "]." + measure + "_mean",
          xs, y, style);
      s.mark_every = 1;
      s.lo = lo;
      s.hi = hi;
      if (m == 2) any_error |= detail::any_finite(y);
      (m == 0 ? loss : error).series.push_back(std::move(s));
    }
    f.legend.push_back({path, {palette(k), LineStyle::Solid, marker_cycle(k), false}});
  }
  // Which band the figure shows, and over how many seed pairs (short: it sits above a panel).
  std::string note;
  if (n_max > 0) {
    const std::string n = n_min == n_max ? std::to_string(n_min)
                                         : std::to_string(n_min) + "–" + std::to_string(n_max);
    note = any_std && any_minmax ? "± std; min–max if n < 3"
           : any_std             ? "mean ± std, n = " + n
                                 : "mean, min–max, n = " + n;
  }
  loss.note = note;  // once, above the first panel
  f.panels.push_back(loss);
  if (any_error) f.panels.push_back(error);
  return f;
}

}  // namespace

FigureView study_figure_view() {
  return {"study",
          "study",
          "a study folder: linear barrier vs the swept variable, one line per path kind, band over "
          "seed pairs",
          "a study folder (ridgeline run of a spec with a \"sweep\")",
          [](const FigureInput& in) {
            return in.study ? std::vector<std::string>{"study"} : std::vector<std::string>{};
          },
          study_figure};
}

}  // namespace ridgeline::figures
