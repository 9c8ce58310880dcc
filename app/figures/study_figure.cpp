// A study folder's figure ("study"; docs/USER_GUIDE.md, "Studies"): the linear-form barrier
// (the largest gap between the path and the chord between its endpoints; Frankle et al. 2020,
// Entezari et al. 2022) against a swept variable, one line per path kind: the mean over seed
// pairs, with a band of ± one standard deviation (n ≥ 3) or min–max (n < 3). Loss and error
// barriers side by side, on the test split (train when the cells have no test split).
//
// A study that varies two variables (besides the seed pair) draws one line per path kind and
// value of the second variable: colour by path kind, line style and marker by the value.
// Three or more varying variables need all but two fixed with --where.
//
// A variable without numeric values (attn: attention variants) is a category axis: its values
// in the sweep's order at 0..k−1, named; each line's points sit side by side around their
// category (a small offset per line) with an error bar each, and no line joins categories.
// The x axis prefers a varying numeric variable; the categorical one then splits lines.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <set>

#include "figures/figure_parts.h"
#include "figures/figure_views.h"
#include "ridgeline/core/errors.h"

namespace ridgeline::figures {

using namespace figure;

namespace {

const SweptValue* find_value(const StudyGroupRow& g, const std::string& key) {
  for (const SweptValue& v : g.values)
    if (v.key == key) return &v;
  return nullptr;
}

double value_of(const StudyGroupRow& g, const std::string& key) {
  const SweptValue* v = find_value(g, key);
  return v ? v->number : NAN;
}

// True when every group that has `key` gives it a numeric value.
bool numeric_key(const std::vector<const StudyGroupRow*>& groups, const std::string& key) {
  for (const StudyGroupRow* g : groups)
    if (const SweptValue* v = find_value(*g, key); v && !std::isfinite(v->number)) return false;
  return true;
}

std::string join(const std::vector<std::string>& list, const std::string& last_sep) {
  std::string out;
  for (size_t i = 0; i < list.size(); ++i)
    out += (i == 0 ? "" : i + 1 == list.size() ? last_sep : ", ") + list[i];
  return out;
}

// The distinct values of `key` among the groups: in numeric order, or, when they are not all
// numbers (attention variants), in the order of the sweep's list (the groups' order).
std::vector<const SweptValue*> values_of(const std::vector<const StudyGroupRow*>& groups,
                                         const std::string& key) {
  std::vector<const SweptValue*> out;
  for (const StudyGroupRow* g : groups)
    if (const SweptValue* v = find_value(*g, key))
      if (std::none_of(out.begin(), out.end(),
                       [&](const SweptValue* o) { return o->text == v->text; }))
        out.push_back(v);
  if (std::all_of(out.begin(), out.end(),
                  [](const SweptValue* v) { return std::isfinite(v->number); }))
    std::stable_sort(out.begin(), out.end(), [](const SweptValue* a, const SweptValue* b) {
      return a->number < b->number;
    });
  return out;
}

// --where "key=value[,key=value]": the groups whose values match (a value matches its text as
// the cell name writes it, or the same number: "0.010" is 0.01). Throws naming the choices.
std::vector<const StudyGroupRow*> select_groups(const StudyAggregate& agg, const std::string& where,
                                                std::set<std::string>* fixed) {
  std::vector<const StudyGroupRow*> groups;
  for (const StudyGroupRow& g : agg.groups) groups.push_back(&g);
  size_t start = 0;
  while (!where.empty() && start <= where.size()) {
    const size_t comma = std::min(where.find(',', start), where.size());
    const std::string item = where.substr(start, comma - start);
    start = comma + 1;
    const size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == item.size())
      throw InputError("--where " + echo_input(where) + ": expected KEY=VALUE[,KEY=VALUE] (" +
                       "depth=2)");
    const std::string key = item.substr(0, eq), value = item.substr(eq + 1);
    if (std::find(agg.keys.begin(), agg.keys.end(), key) == agg.keys.end())
      throw InputError("--where " + echo_input(key) + ": not a swept variable of this study; " +
                       "choices: " + join(agg.keys, ", "));
    if (!fixed->insert(key).second)
      throw InputError("--where " + echo_input(key) + ": given twice");
    char* end = nullptr;
    const double number = std::strtod(value.c_str(), &end);
    const bool numeric = end && *end == '\0' && std::isfinite(number);
    std::vector<const StudyGroupRow*> kept;
    for (const StudyGroupRow* g : groups)
      if (const SweptValue* v = find_value(*g, key))
        if (v->text == value || (numeric && v->number == number)) kept.push_back(g);
    if (kept.empty()) {
      std::vector<std::string> texts;
      for (const SweptValue* v : values_of(groups, key)) texts.push_back(v->text);
      throw InputError("--where " + echo_input(key + "=" + value) + ": no finished cell has " +
                       key + " = " + echo_input(value) + "; values: " + join(texts, ", "));
    }
    groups = std::move(kept);
  }
  return groups;
}

// The x variable and the second variable ("" when none) among the varying swept variables.
// Throws when the study has no swept variable, --x names none of them, or more than two vary.
std::pair<std::string, std::string> choose_keys(const StudyAggregate& agg,
                                                const std::vector<const StudyGroupRow*>& groups,
                                                const std::set<std::string>& fixed,
                                                const std::string& x_option) {
  if (agg.keys.empty()) {
    std::vector<std::string> keys;
    for (const std::string& k : sweep_keys())
      if (k != "seeds") keys.push_back(k);
    throw InputError("--view study: the study sweeps only seeds; its x axis needs a swept "
                     "variable (" + join(keys, " or ") + ")");
  }
  std::vector<std::string> varying;
  for (const std::string& k : agg.keys)
    if (!fixed.count(k) && values_of(groups, k).size() > 1) varying.push_back(k);
  std::string x;
  if (!x_option.empty()) {
    if (std::find(varying.begin(), varying.end(), x_option) == varying.end()) {
      const bool swept = std::find(agg.keys.begin(), agg.keys.end(), x_option) != agg.keys.end();
      throw InputError(
          "--x " + echo_input(x_option) + ": " +
          (swept ? "takes one value in the cells drawn" : "not a swept variable") + "; choices: " +
          (varying.empty() ? std::string("none (nothing varies)") : join(varying, ", ")));
    }
    x = x_option;
  } else {
    // The first varying numeric variable; a categorical one only when nothing numeric varies.
    const auto numeric = std::find_if(varying.begin(), varying.end(), [&](const std::string& k) {
      return numeric_key(groups, k);
    });
    x = varying.empty() ? agg.keys.front() : numeric != varying.end() ? *numeric : varying.front();
  }
  std::vector<std::string> others;
  for (const std::string& k : varying)
    if (k != x) others.push_back(k);
  if (others.size() > 1)
    throw InputError("--view study: draws at most two swept variables; this study varies " +
                     join(varying, " and ") + ": fix all but two with --where (--where " +
                     others.back() + "=" + values_of(groups, others.back()).front()->text + ")");
  return {x, others.empty() ? std::string() : others.front()};
}

LineStyle line_cycle(size_t index) {
  static const LineStyle styles[] = {LineStyle::Solid, LineStyle::Dashed, LineStyle::Dotted,
                                     LineStyle::DashDot};
  return styles[index % 4];
}

Figure study_figure(const FigureInput& in, const std::string&) {
  const StudyAggregate& agg = *in.study;
  if (in.band != "auto" && in.band != "std" && in.band != "minmax")
    throw InputError("--band " + echo_input(in.band) + ": must be auto, std or minmax");
  std::set<std::string> fixed;
  const std::vector<const StudyGroupRow*> groups = select_groups(agg, in.where, &fixed);
  const auto [key, second] = choose_keys(agg, groups, fixed, in.x_key);
  bool any_test = false;
  for (const StudyGroupRow* g : groups) any_test |= g->split == "test";
  const std::string split = any_test ? "test" : "train";

  // The x values: every group's value of the key, sorted, distinct; a categorical key's
  // values are its categories 0..k−1 in the sweep's order.
  const bool categorical = !numeric_key(groups, key);
  std::vector<std::string> categories;
  if (categorical)
    for (const SweptValue* v : values_of(groups, key)) categories.push_back(v->text);
  auto x_of = [&](const StudyGroupRow& g) {
    if (!categorical) return value_of(g, key);
    const SweptValue* v = find_value(g, key);
    const auto it = std::find(categories.begin(), categories.end(), v ? v->text : "");
    return static_cast<double>(it - categories.begin());
  };
  std::vector<double> xs;
  for (const StudyGroupRow* g : groups) {
    const double x = x_of(*g);
    if (std::find(xs.begin(), xs.end(), x) == xs.end()) xs.push_back(x);
  }
  std::sort(xs.begin(), xs.end());
  if (xs.empty()) throw InputError("--view study: the study has no results yet (no finished cell)");
  // The second variable's values, one line style and marker each (a single "" without one).
  std::vector<const SweptValue*> seconds = {nullptr};
  if (!second.empty()) seconds = values_of(groups, second);

  Axis x;
  x.title = key;
  if (categorical) {
    x.categories = categories;
  } else {
    x.ticks = xs;
    x.log = (key == "width" || key == "lr") && xs.front() > 0;
  }
  // On a category axis the lines' points sit side by side around their category, each with
  // an error bar: slot j of n at an offset of (j − (n − 1)/2)·w.
  const size_t slots = agg.paths.size() * seconds.size();
  const double slot_w = std::min(0.16, 0.64 / static_cast<double>(std::max<size_t>(1, slots)));
  Panel loss, error;
  loss.x = error.x = x;
  loss.y.title = split + " loss barrier (linear)";
  error.y.title = split + " error barrier (linear)";
  error.y.percent = true;

  // Bands: with one line per colour each band is plainly its line's. With several lines per
  // colour (a second variable) bands of one colour overlap and cannot be told apart, and
  // lighter ones vanish in print, so `--band auto` draws none there and the note says so;
  // an explicit --band std or minmax still draws them (the reader asked).
  const bool bands = seconds.size() == 1 || in.band != "auto" || categorical;
  Figure f;
  bool any_error = false, any_std = false, any_minmax = false;
  int n_min = 1 << 30, n_max = 0;
  for (size_t k = 0; k < agg.paths.size(); ++k) {
    const std::string& path = agg.paths[k];
    bool path_drawn = false;
    for (size_t j = 0; j < seconds.size(); ++j) {
      const SweptValue* sv = seconds[j];
      const std::string tag = sv ? "," + second + "=" + sv->text : "";
      // kBarrierMeasures: 0 loss_lin, 2 error_lin.
      for (int m : {0, 2}) {
        std::vector<double> y(xs.size(), NAN), lo(xs.size(), NAN), hi(xs.size(), NAN);
        for (const StudyGroupRow* g : groups) {
          if (g->path != path || g->split != split) continue;
          if (sv) {
            const SweptValue* gv = find_value(*g, second);
            if (!gv || gv->text != sv->text) continue;
          }
          const size_t i =
              static_cast<size_t>(std::find(xs.begin(), xs.end(), x_of(*g)) - xs.begin());
          const BarrierStats& s = g->stats[static_cast<size_t>(m)];
          y[i] = s.mean;
          if (std::isfinite(s.mean)) {
            n_min = std::min(n_min, g->n);
            n_max = std::max(n_max, g->n);
          }
          if (!bands) continue;
          const bool use_std =
              in.band == "std" || (in.band == "auto" && g->n >= 3 && std::isfinite(s.std));
          lo[i] = use_std ? s.mean - s.std : s.min;
          hi[i] = use_std ? s.mean + s.std : s.max;
          if (std::isfinite(s.mean)) (use_std ? any_std : any_minmax) = true;
        }
        const std::string measure = kBarrierMeasures[static_cast<size_t>(m)];
        Style style = sv ? Style{palette(k), line_cycle(j), marker_cycle(j), false}
                         : detail::split_style(palette(k), marker_cycle(k), false);
        std::vector<double> sx = xs;
        if (categorical) {
          style.line = LineStyle::None;  // no line joins categories
          const double offset =
              (static_cast<double>(k * seconds.size() + j) - (static_cast<double>(slots) - 1) / 2) *
              slot_w;
          for (double& v : sx) v += offset;
        }
        Series s = detail::line(path + " " + split + " " + measure + " mean" +
                                    (sv ? " " + second + "=" + sv->text : ""),
                                "results/study.json groups[path=" + path + tag + ",split=" + split +
                                    "]." + measure + "_mean",
                                sx, y, style);
        s.mark_every = 1;
        s.whiskers = categorical;
        if (bands) {
          s.lo = lo;
          s.hi = hi;
        }
        path_drawn |= detail::any_finite(y);
        if (m == 2) any_error |= detail::any_finite(y);
        (m == 0 ? loss : error).series.push_back(std::move(s));
      }
    }
    if (!path_drawn && !second.empty()) continue;  // a path kind the --where cells lack
    // With a second variable the marker belongs to its value: path kinds show colour only.
    // (On a category axis no line is drawn: the legend shows the markers alone.)
    const LineStyle legend_line = categorical ? LineStyle::None : LineStyle::Solid;
    // With a second variable too, the path kind's colour alone: a filled square.
    f.legend.push_back({path,
                        {palette(k), legend_line, second.empty() ? marker_cycle(k) : Marker::None,
                         categorical && !second.empty()}});
  }
  if (!second.empty())
    for (size_t j = 0; j < seconds.size(); ++j)
      f.legend.push_back({second + " = " + seconds[j]->text,
                          {grey(), categorical ? LineStyle::None : line_cycle(j),
                           marker_cycle(j), false}});
  // Which band the figure shows, and over how many seed pairs (short: it sits above a panel).
  std::string note;
  if (n_max > 0) {
    const std::string n = n_min == n_max ? std::to_string(n_min)
                                         : std::to_string(n_min) + "–" + std::to_string(n_max);
    note = !bands                  ? "mean over seed pairs, n = " + n
           : any_std && any_minmax ? "± std; min–max if n < 3"
           : any_std               ? "mean ± std, n = " + n
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
          "a study folder: linear barrier vs a swept variable, one line per path kind (and value "
          "of a second swept variable), band over seed pairs",
          "a study folder (ridgeline run of a spec with a \"sweep\")",
          [](const FigureInput& in) {
            return in.study ? std::vector<std::string>{"study"} : std::vector<std::string>{};
          },
          study_figure};
}

}  // namespace ridgeline::figures
