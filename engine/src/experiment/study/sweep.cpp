// Study specs: the "sweep" object, its variables and the expansion into cells (see study.h).
#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "experiment/schema_validator.h"
#include "ridgeline/attention/attention.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/experiment/study.h"
#include "ridgeline/io/fileio.h"

namespace ridgeline {

using nlohmann::json;

namespace {

// The values of every variable in one cell, by key (seeds: the pair, [a, b]).
using Assignment = std::map<std::string, json>;

// One value of an axis as a cell sees it: the name's key and text, and the value applied.
struct Level {
  std::string name_key;  // "width"; "pair" for seeds
  std::string text;      // "64"; the pair's index for seeds
  double number;
  json value;
};

// A sweep variable: its key in $defs/sweep, how its list becomes levels, and how a level
// rewrites a spec (`where` starts error messages). Adding a variable is one
// entry in variables() and one property in the schema's $defs/sweep.
struct SweepVariable {
  const char* key;
  std::vector<Level> (*levels)(const json& list, const std::string& where);
  void (*apply)(ExperimentSpec& spec, const json& value, const Assignment& cell,
                const std::string& where);
};

std::string text_of(const json& v) { return v.dump(); }

// One level per value; duplicates would give two cells one name.
std::vector<Level> plain_levels(const char* key, const json& list, const std::string& where) {
  std::vector<Level> out;
  std::set<std::string> seen;
  for (const json& v : list) {
    const std::string t = text_of(v);
    if (!seen.insert(t).second) throw InputError(where + ": value " + t + " appears twice");
    out.push_back({key, t, v.get<double>(), v});
  }
  return out;
}

void require_mlp(const ExperimentSpec& s, const std::string& where) {
  if (s.model_kind != "mlp")
    throw InputError(where + ": applies to mlp models only (model.kind is " + s.model_kind + ")");
}

void apply_width(ExperimentSpec& s, const json& v, const Assignment& cell,
                 const std::string& where) {
  require_mlp(s, where);
  if (cell.count("depth")) return;  // the depth variable builds the whole arch
  if (s.arch.num_hidden() < 1)
    throw InputError(where + ": model.arch " + s.arch.widths_string() +
                     " has no hidden layer to widen (sweep depth too)");
  for (int l = 1; l <= s.arch.num_hidden(); ++l) s.arch.widths[l] = v.get<int>();
}

void apply_depth(ExperimentSpec& s, const json& v, const Assignment& cell,
                 const std::string& where) {
  require_mlp(s, where);
  int width = 0;
  if (auto w = cell.find("width"); w != cell.end()) {
    width = w->second.get<int>();
  } else {
    const std::vector<int>& ws = s.arch.widths;
    if (s.arch.num_hidden() < 1 || std::set<int>(ws.begin() + 1, ws.end() - 1).size() != 1)
      throw InputError(where + ": model.arch " + s.arch.widths_string() +
                       " has no single hidden width to repeat (sweep width too)");
    width = ws[1];
  }
  std::vector<int> widths{s.arch.in_dim()};
  widths.insert(widths.end(), v.get<size_t>(), width);
  widths.push_back(s.arch.classes());
  s.arch.widths = widths;
}

// Attention variants: one level per name, its text the name itself (attn=linear_elu), with no
// numeric value. The names are the attention registry's (attention::variant_names()).
std::vector<Level> attn_levels(const json& list, const std::string& where) {
  const std::vector<std::string> known = attention::variant_names();
  std::vector<Level> out;
  std::set<std::string> seen;
  for (const json& v : list) {
    const std::string name = v.get<std::string>();
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      std::string list_text;
      for (const auto& n : known) list_text += (list_text.empty() ? "" : ", ") + n;
      throw InputError(where + ": unknown attention variant '" + echo_input(name) +
                       "' (known: " + list_text + ")");
    }
    if (!seen.insert(name).second) throw InputError(where + ": value " + text_of(v) + " appears twice");
    out.push_back({"attn", name, std::nan(""), v});
  }
  return out;
}

// The transformer's attention: the `attn=` item of its architecture text replaced (the other
// items, variant options included, kept; an option the new variant lacks is refused when the
// cell's spec is parsed).
void apply_attn(ExperimentSpec& s, const json& v, const Assignment&, const std::string& where) {
  if (s.model_kind != "transformer")
    throw InputError(where + ": applies to transformer models only (model.kind is " +
                     s.model_kind + ")");
  const std::string prefix = "transformer:";
  if (s.model_text.rfind(prefix, 0) != 0)
    throw InputError(where + ": model.arch '" + echo_input(s.model_text) +
                     "' is not a transformer architecture");
  std::string out = prefix, rest = s.model_text.substr(prefix.size());
  bool replaced = false;
  size_t start = 0;
  while (start <= rest.size()) {
    const size_t comma = std::min(rest.find(',', start), rest.size());
    std::string item = rest.substr(start, comma - start);
    if (item.rfind("attn=", 0) == 0) {
      item = "attn=" + v.get<std::string>();
      replaced = true;
    }
    out += (start == 0 ? "" : ",") + item;
    start = comma + 1;
  }
  if (!replaced)
    throw InputError(where + ": model.arch '" + echo_input(s.model_text) + "' names no attn");
  s.model_text = out;
}

void apply_lr(ExperimentSpec& s, const json& v, const Assignment&, const std::string&) {
  s.train.lr = v.get<double>();
}
void apply_batch(ExperimentSpec& s, const json& v, const Assignment&, const std::string&) {
  s.train.batch = v.get<int>();
}
void apply_epochs(ExperimentSpec& s, const json& v, const Assignment&, const std::string&) {
  s.train.epochs = v.get<int>();
}

// Seeds form pairs (seeds[0], seeds[1]), (seeds[2], seeds[3]), ...; the level is the pair.
std::vector<Level> seed_levels(const json& list, const std::string& where) {
  if (list.size() % 2)
    throw InputError(where + ": " + std::to_string(list.size()) +
                     " seeds; pairs need an even number");
  std::set<uint64_t> seen;
  for (const json& v : list)
    if (!seen.insert(v.get<uint64_t>()).second)
      throw InputError(where + ": seed " + text_of(v) + " appears twice");
  std::vector<Level> out;
  for (size_t i = 0; i + 1 < list.size(); i += 2)
    out.push_back({"pair", std::to_string(i / 2), static_cast<double>(i / 2),
                   json::array({list[i], list[i + 1]})});
  return out;
}

// The two models a seed pair goes to: the spec's two spawned models when it spawns any (the
// instability analysis, Frankle et al. 2020: the pair is two copies trained on from one
// checkpoint; the parent keeps its own seed), else its two models. Nullopt when neither exists.
std::optional<std::pair<size_t, size_t>> pair_models(const ExperimentSpec& s) {
  std::vector<size_t> spawned;
  for (size_t i = 0; i < s.models.size(); ++i)
    if (s.models[i].spawned()) spawned.push_back(i);
  if (!spawned.empty()) {
    if (spawned.size() != 2) return std::nullopt;
    return std::pair{spawned[0], spawned[1]};
  }
  if (s.models.size() != 2) return std::nullopt;
  return std::pair{size_t(0), size_t(1)};
}

void apply_seeds(ExperimentSpec& s, const json& v, const Assignment&, const std::string& where) {
  const auto pair = pair_models(s);
  if (!pair) {
    size_t spawned = 0;
    for (const auto& m : s.models) spawned += m.spawned();
    throw InputError(where +
                     ": seed pairs need a spec with exactly two models, or exactly two "
                     "spawned models (models has " +
                     std::to_string(s.models.size()) + ", " + std::to_string(spawned) +
                     " spawned)");
  }
  s.models[pair->first].seed = v[0].get<uint64_t>();
  s.models[pair->second].seed = v[1].get<uint64_t>();
}

// The spawn point: every spawned model's `from` becomes "<parent>@step<N>" (its parent kept);
// the recipe's train.checkpoint_every_steps must divide N, as for any @stepN (checked when the
// cell's spec is parsed). Step 0 is the initialisation.
void apply_spawn_step(ExperimentSpec& s, const json& v, const Assignment&,
                      const std::string& where) {
  bool any = false;
  for (auto& m : s.models) {
    if (!m.spawned()) continue;
    const auto ref = parse_checkpoint_ref(m.from);
    if (!ref)
      throw InputError(where + ": models '" + m.name + "'.from '" + m.from +
                       "' is not a checkpoint");
    m.from = ref->model + "@step" + std::to_string(v.get<uint64_t>());
    any = true;
  }
  if (!any) throw InputError(where + ": the spec spawns no model (no models[] entry has 'from')");
}

const std::vector<SweepVariable>& variables() {
  static const std::vector<SweepVariable> v = {
      {"width", [](const json& l, const std::string& w) { return plain_levels("width", l, w); },
       apply_width},
      {"depth", [](const json& l, const std::string& w) { return plain_levels("depth", l, w); },
       apply_depth},
      {"attn", attn_levels, apply_attn},
      {"lr", [](const json& l, const std::string& w) { return plain_levels("lr", l, w); },
       apply_lr},
      {"batch", [](const json& l, const std::string& w) { return plain_levels("batch", l, w); },
       apply_batch},
      {"epochs", [](const json& l, const std::string& w) { return plain_levels("epochs", l, w); },
       apply_epochs},
      {"spawn_step",
       [](const json& l, const std::string& w) { return plain_levels("spawn_step", l, w); },
       apply_spawn_step},
      {"seeds", seed_levels, apply_seeds},
  };
  return v;
}

constexpr size_t kMaxCells = 1000;
constexpr int kMaxJsonDepth = 64;  // as experiment specs (spec.cpp)

struct TooDeep {};

json parse_limited(const std::string& text) {
  return json::parse(text, [](int depth, json::parse_event_t, json&) {
    if (depth > kMaxJsonDepth) throw TooDeep{};
    return true;
  });
}

// An integral value written as 64.0 is the integer 64 (the schema accepts it as one).
json normalised(const std::string& key, const json& v) {
  if (key != "lr" && v.is_number_float()) return json(static_cast<uint64_t>(v.get<double>()));
  return v;
}

}  // namespace

const std::vector<std::string>& sweep_keys() {
  static const std::vector<std::string> k = [] {
    std::vector<std::string> out;
    for (const auto& v : variables()) out.push_back(v.key);
    return out;
  }();
  return k;
}

bool has_sweep(const std::string& text) {
  try {
    const json doc = parse_limited(text);
    return doc.is_object() && doc.contains("sweep");
  } catch (...) {
    return false;
  }
}

StudySpec parse_study(const std::string& text, const std::string& source) {
  if (!has_sweep(text)) {
    parse_spec(text, source);  // reports a malformed document as specs do
    throw InputError(source + ": sweep: missing (not a study spec)");
  }
  json doc = parse_limited(text);
  {
    // The whole document against the schema first: errors name "sweep.width[2]".
    static const json schema = json::parse(experiment_schema());
    json filled = doc;
    detail::validate_and_fill(filled, schema, source);
  }
  const json sweep = doc["sweep"];
  doc.erase("sweep");
  StudySpec study;
  study.base = parse_spec(doc.dump(), source);
  for (const auto& var : variables()) {
    if (!sweep.contains(var.key)) continue;
    SweepAxis axis{var.key, {}};
    for (const json& v : sweep[var.key]) axis.values.push_back(text_of(normalised(var.key, v)));
    study.axes.push_back(std::move(axis));
  }
  if (study.axes.empty()) {
    std::string keys;
    for (const auto& k : sweep_keys()) keys += (keys.empty() ? "" : ", ") + k;
    throw InputError(source + ": sweep: lists no variable (" + keys + ")");
  }
  expand_study(study, source);  // every cell must be an ordinary valid spec
  return study;
}

StudySpec load_study(const std::string& path) { return parse_study(read_file(path), path); }

std::string study_to_json(const StudySpec& study) {
  nlohmann::ordered_json doc = nlohmann::ordered_json::parse(spec_to_json(study.base));
  nlohmann::ordered_json sweep = nlohmann::ordered_json::object();
  for (const auto& axis : study.axes) {
    nlohmann::ordered_json values = nlohmann::ordered_json::array();
    for (const auto& t : axis.values) values.push_back(nlohmann::ordered_json::parse(t));
    sweep[axis.key] = values;
  }
  doc["sweep"] = sweep;
  return doc.dump(2) + "\n";
}

std::vector<StudyCell> expand_study(const StudySpec& study, const std::string& source) {
  struct AxisLevels {
    const SweepVariable* var;
    std::vector<Level> levels;
  };
  std::vector<AxisLevels> axes;
  size_t total = 1;
  for (const auto& axis : study.axes) {
    const SweepVariable* var = nullptr;
    for (const auto& v : variables())
      if (axis.key == v.key) var = &v;
    const std::string where = source + ": sweep." + axis.key;
    if (!var) throw InputError(where + ": not a sweep variable");
    if (axis.values.empty()) throw InputError(where + ": empty list");
    json list = json::array();
    for (const auto& t : axis.values) list.push_back(json::parse(t));
    axes.push_back({var, var->levels(list, where)});
    total *= axes.back().levels.size();
    if (total > kMaxCells)
      throw InputError(source + ": sweep: more than " + std::to_string(kMaxCells) +
                       " cells; split the study");
  }
  if (axes.empty()) throw InputError(source + ": sweep: lists no variable");

  std::vector<StudyCell> cells;
  std::vector<size_t> at(axes.size(), 0);  // odometer, the last axis fastest
  for (size_t n = 0; n < total; ++n) {
    StudyCell cell;
    cell.spec = study.base;
    Assignment assignment;
    for (size_t i = 0; i < axes.size(); ++i)
      assignment[axes[i].var->key] = axes[i].levels[at[i]].value;
    std::string group;
    for (size_t i = 0; i < axes.size(); ++i) {
      const Level& l = axes[i].levels[at[i]];
      axes[i].var->apply(cell.spec, l.value, assignment, source + ": sweep." + axes[i].var->key);
      cell.values.push_back({l.name_key, l.text, l.number});
      const std::string part = l.name_key + "=" + l.text;
      cell.name += (cell.name.empty() ? "" : ",") + part;
      if (l.name_key != "pair") group += (group.empty() ? "" : ",") + part;
    }
    cell.group = group.empty() ? "all" : group;
    // Through the spec's own parser: the cell is checked like any spec, and its resolved form
    // is the one its run folder's experiment.json holds.
    cell.spec = parse_spec(spec_to_json(cell.spec), source + ": sweep cell " + cell.name);
    if (const auto pair = pair_models(cell.spec))
      cell.seeds = {cell.spec.models[pair->first].seed, cell.spec.models[pair->second].seed};
    else if (cell.spec.models.size() >= 2)
      cell.seeds = {cell.spec.models[0].seed, cell.spec.models[1].seed};
    else if (!cell.spec.models.empty())
      cell.seeds = {cell.spec.models[0].seed, cell.spec.models[0].seed};
    cells.push_back(std::move(cell));
    for (size_t i = axes.size(); i-- > 0;) {
      if (++at[i] < axes[i].levels.size()) break;
      at[i] = 0;
    }
  }
  return cells;
}

}  // namespace ridgeline
