// The interpolate step kind's figures: one path ("paths:<step id>"), every path of a run
// overlaid ("all-paths") and the paths of two runs overlaid ("compare"). Loss and error side by
// side; the barrier is marked where the results put it (Barriers::loss_alpha / error_alpha) and
// only when it is interior (has_interior_barrier).
#include <algorithm>
#include <cmath>
#include <set>

#include "figures/figure_parts.h"
#include "figures/figure_views.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/core/format.h"
#include "ridgeline/paths/interpolation.h"

namespace ridgeline::figures {

using namespace figure;
using detail::any_finite;
using detail::find_step;
using detail::line;

namespace {

using Paths = std::vector<std::pair<std::string, InterpolationResult>>;

const InterpolationResult* find_path(const RunSummary& run, const std::string& id) {
  for (const auto& r : run.results)
    if (r.id == id)
      if (const auto* p = r.as<InterpolationResult>()) return p;
  return nullptr;
}

bool has_error(const InterpolationResult& r) {
  return (r.test && any_finite(r.test->error)) || (r.train && any_finite(r.train->error));
}

// The α axis: endpoints named after the models (θ_A and θ_B when the paths differ in them).
Axis alpha_axis(const std::string& a, const std::string& b) {
  Axis x;
  x.title = "α";
  x.min = 0;
  x.max = 1;
  x.low_label = a.empty() ? "θ_A" : a;
  x.high_label = b.empty() ? "θ_B" : b;
  return x;
}

Panel loss_panel(const Axis& x, const std::string& title) {
  Panel p;
  p.x = x;
  p.y.title = title;
  return p;
}

Panel error_panel(const Axis& x, const std::string& title) {
  Panel p = loss_panel(x, title);
  p.y.percent = true;
  return p;
}

// The linear-form barrier of `v` (loss or error) on `alpha`, marked at `at` when interior.
bool mark_barrier(Panel& panel, const std::vector<double>& alpha, const std::vector<double>& v,
                  double value, double at, const std::string& text, Rgb color) {
  if (!has_interior_barrier(value, at) || alpha.size() < 2 || v.size() != alpha.size()) return false;
  size_t k = 0;
  for (size_t i = 1; i < alpha.size(); ++i)
    if (std::abs(alpha[i] - at) < std::abs(alpha[k] - at)) k = i;
  BarrierMarker b;
  b.x = alpha[k];
  b.y_curve = v[k];
  b.x0 = alpha.front();
  b.y0 = v.front();
  b.x1 = alpha.back();
  b.y1 = v.back();
  b.y_chord = b.y0 + (b.y1 - b.y0) * (b.x - b.x0) / (b.x1 - b.x0);
  b.text = text;
  b.color = color;
  panel.barriers.push_back(b);
  return true;
}

std::string common(const std::vector<std::string>& names) {
  if (names.empty()) return {};
  for (const auto& n : names)
    if (n != names.front()) return {};
  return names.front();
}

Figure path_figure(const FigureInput& in, const std::string& view) {
  const std::string id = view.substr(6);
  const InterpolationResult* r = find_path(*in.run, id);
  if (!r) throw InputError("--view " + view + ": no results of path '" + id + "'");
  const StepSpec* st = find_step(in.spec, id);
  const Axis x = alpha_axis(st ? st->a : "", st ? st->b : "");
  Panel loss = loss_panel(x, "loss"), error = error_panel(x, "error");
  Figure f;
  const std::string src = "results/" + id + ".json ";
  // Test: blue, solid, circles; train: vermillion, dashed, squares.
  const SplitCurve* marked = r->test ? &*r->test : r->train ? &*r->train : nullptr;
  for (bool train : {false, true}) {
    const auto& split = train ? r->train : r->test;
    if (!split) continue;
    const std::string name = train ? "train" : "test";
    const Style style = detail::split_style(palette(train ? 1 : 0), marker_cycle(train ? 1 : 0), train);
    loss.series.push_back(line(name + " loss", src + name + ".loss", r->alpha, split->loss, style));
    error.series.push_back(line(name + " error", src + name + ".error", r->alpha, split->error, style));
    f.legend.push_back({name, style});
    if (&*split != marked) continue;
    const Barriers& b = split->barriers;
    if (!mark_barrier(loss, r->alpha, split->loss, b.loss_lin, b.loss_alpha,
                      name + " barrier " + format_loss_barrier(b.loss_lin), style.color))
      loss.note = "no interior barrier";
    if (!mark_barrier(error, r->alpha, split->error, b.error_lin, b.error_alpha,
                      name + " barrier " + format_error_barrier(b.error_lin), style.color))
      error.note = "no interior barrier";
  }
  f.panels.push_back(loss);
  if (has_error(*r)) f.panels.push_back(error);
  return f;
}

// Paths overlaid: one colour and marker per path `key`; `dashed` for run B (compare) or the
// train split (all-paths).
struct Overlay {
  Panel loss, error;
  std::vector<std::string> keys;
  bool any_error = false;

  size_t index(const std::string& key) {
    auto it = std::find(keys.begin(), keys.end(), key);
    if (it != keys.end()) return static_cast<size_t>(it - keys.begin());
    keys.push_back(key);
    return keys.size() - 1;
  }
  void add(const std::string& key, const std::string& label, const std::string& source,
           const InterpolationResult& r, const SplitCurve& c, bool dashed) {
    const size_t k = index(key);
    const Style style = detail::split_style(palette(k), marker_cycle(k), dashed);
    loss.series.push_back(line(label + " loss", source + ".loss", r.alpha, c.loss, style));
    error.series.push_back(line(label + " error", source + ".error", r.alpha, c.error, style));
    any_error |= any_finite(c.error);
  }
  Figure figure(std::vector<LegendEntry> styles) {
    Figure f;
    f.panels.push_back(loss);
    if (any_error) f.panels.push_back(error);
    for (size_t k = 0; k < keys.size(); ++k)
      f.legend.push_back({keys[k], {palette(k), LineStyle::Solid, marker_cycle(k), false}});
    for (auto& e : styles) f.legend.push_back(e);
    return f;
  }
};

Figure all_paths_figure(const FigureInput& in, const std::string&) {
  const Paths paths = in.run->interpolations();
  std::vector<std::string> as, bs;
  for (const auto& [id, r] : paths)
    if (const StepSpec* st = find_step(in.spec, id)) {
      as.push_back(st->a);
      bs.push_back(st->b);
    }
  const Axis x = alpha_axis(common(as), common(bs));
  Overlay o{loss_panel(x, "loss"), error_panel(x, "error"), {}, false};
  bool any_test = false, any_train = false;
  for (const auto& [id, r] : paths) {
    const std::string src = "results/" + id + ".json ";
    if (r.test) o.add(id, id + " test", src + "test", r, *r.test, false);
    if (r.train) o.add(id, id + " train", src + "train", r, *r.train, true);
    any_test |= r.test.has_value();
    any_train |= r.train.has_value();
  }
  return o.figure(detail::split_legend(any_test, any_train));
}

// The split compare draws: test when the path has it.
const SplitCurve* compare_split(const InterpolationResult& r) {
  return r.test ? &*r.test : r.train ? &*r.train : nullptr;
}

Figure compare_figure(const FigureInput& in, const std::string&) {
  if (!in.other) throw InputError("--view compare: needs a second run folder (--compare RUN_DIR2)");
  std::vector<std::string> as, bs;
  bool train_only = true;
  for (const auto* run : {in.run, in.other})
    for (const auto& [id, r] : run->interpolations()) {
      if (r.test) train_only = false;
      if (const StepSpec* st = find_step(run == in.run ? in.spec : in.other_spec, id)) {
        as.push_back(st->a);
        bs.push_back(st->b);
      }
    }
  const std::string split = train_only ? "train" : "test";
  const Axis x = alpha_axis(common(as), common(bs));
  Overlay o{loss_panel(x, split + " loss"), error_panel(x, split + " error"), {}, false};
  for (const auto* run : {in.run, in.other}) {
    const bool b = run == in.other;
    for (const auto& [id, r] : run->interpolations())
      if (const SplitCurve* c = compare_split(r))
        o.add(id, std::string(b ? "B " : "A ") + id, std::string(b ? "B:" : "A:") + "results/" + id + ".json " + split,
              r, *c, b);
  }
  return o.figure({{"A: " + in.label, {{0, 0, 0}, LineStyle::Solid, Marker::None, false}},
                   {"B: " + in.other_label, {{0, 0, 0}, LineStyle::Dashed, Marker::None, false}}});
}

}  // namespace

FigureView path_figure_view() {
  return {"paths:", "interpolate", "one path: loss and error along α, train dashed, test solid",
          "the results of that interpolate step",
          [](const FigureInput& in) {
            std::vector<std::string> out;
            for (const auto& [id, r] : in.run->interpolations()) out.push_back("paths:" + id);
            return out;
          },
          path_figure};
}

FigureView all_paths_figure_view() {
  return {"all-paths", "interpolate", "every path of the run overlaid, one colour per path",
          "two or more paths (interpolate steps)",
          [](const FigureInput& in) {
            return in.run->interpolations().size() >= 2 ? std::vector<std::string>{"all-paths"}
                                                        : std::vector<std::string>{};
          },
          all_paths_figure};
}

FigureView compare_figure_view() {
  return {"compare", "interpolate", "two runs' paths overlaid (--compare RUN_DIR2): A solid, B dashed",
          "a second run folder (--compare RUN_DIR2), both with paths",
          [](const FigureInput& in) {
            const bool ok = in.other && !in.run->interpolations().empty() &&
                            !in.other->interpolations().empty();
            return ok ? std::vector<std::string>{"compare"} : std::vector<std::string>{};
          },
          compare_figure};
}

}  // namespace ridgeline::figures
