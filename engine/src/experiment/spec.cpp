// Experiment specs: parsing, validation against the compiled-in schema, resolution.
#include "ridgeline/experiment/spec.h"

#include "ridgeline/models/mlp/mlp_model.h"

#include <nlohmann/json.hpp>
#include <algorithm>
#include <set>
#include <stdexcept>

#include "ridgeline/data/dataset.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/io/fileio.h"
#include "experiment/spec_models.h"
#include "experiment/schema_validator.h"
#include "experiment/steps/step_kind.h"
#include "ridgeline/experiment/steps/train_step.h"
#include "ridgeline/train/distill.h"

namespace ridgeline {

namespace detail {
std::string_view experiment_schema_text();  // generated from resources/schema
}

using nlohmann::json;

std::shared_ptr<const ModelArch> ExperimentSpec::model() const {
  if (model_kind == "mlp") return mlp_model_arch(arch);
  return parse_model_arch(model_text, "model.arch");
}

const ModelSpec* ExperimentSpec::find_model(const std::string& n) const {
  for (const auto& m : models)
    if (m.name == n) return &m;
  return nullptr;
}

std::string experiment_schema() { return std::string(detail::experiment_schema_text()); }

namespace {

const json& schema_json() {
  static const json s = [] {
    json j = json::parse(detail::experiment_schema_text());
    detail::check_schema_keywords(j);
    return j;
  }();
  return s;
}

struct TooDeep {};

// The kind of a `steps` entry's type (the training stage is not one), or nullptr.
const detail::StepKind* analysis_kind(const std::string& type) {
  for (const detail::StepKind* k : detail::step_kinds())
    if (k->type() == type) return k;
  return nullptr;
}

const json& step_schema() { return detail::resolve_ref(schema_json(), schema_json()["$defs"]["step"]); }

// The schema fragment of a step kind: $defs/step.<type> (docs/ARCHITECTURE.md, "Step kinds").
const json& step_fragment(const std::string& type) {
  const json& defs = schema_json()["$defs"];
  if (!defs.contains("step." + type))
    throw std::logic_error("the experiment schema has no fragment $defs/step." + type);
  return defs["step." + type];
}

// A step object holding only its kind's defaults.
json default_step_object(const std::string& type) {
  json j = {{"type", type}};
  for (const auto& [key, prop] : step_fragment(type)["properties"].items())
    if (prop.contains("default")) j[key] = prop["default"];
  return j;
}

// Resolved specs written before each kind had its own schema fragment (run folders of earlier
// versions) hold every kind's defaulted keys in every step. Only such a step (one holding all
// of them) is read the old way: a key of another kind whose value is that kind's default is
// dropped. In any other step a foreign key stays, for the validator to reject: "method" on an
// interpolate step written by hand is a misunderstanding to report, not to ignore.
void drop_legacy_step_keys(json& doc) {
  if (!doc.is_object() || !doc.contains("steps") || !doc["steps"].is_array()) return;
  std::set<std::string> every_default;
  // Only the kinds of those versions: a later kind's keys were never written into every step,
  // nor were keys those kinds gained later (align's "orthogonal", "within_heads", "learn").
  for (const char* type : {"interpolate", "align", "merge"})
    for (const auto& [key, prop] : step_fragment(type)["properties"].items())
      if (prop.contains("default") && key != "orthogonal" && key != "within_heads" && key != "learn")
        every_default.insert(key);
  for (json& step : doc["steps"]) {
    if (!step.is_object() || !step.contains("type") || !step["type"].is_string() ||
        !analysis_kind(step["type"]))
      continue;
    if (!std::all_of(every_default.begin(), every_default.end(),
                     [&](const std::string& key) { return step.contains(key); }))
      continue;
    const json& own = step_fragment(step["type"])["properties"];
    std::vector<std::string> drop;
    for (const auto& [key, value] : step.items()) {
      if (own.contains(key) || step_schema()["properties"].contains(key)) continue;
      for (const detail::StepKind* k : detail::step_kinds()) {
        const json& other = step_fragment(k->type())["properties"];
        if (other.contains(key) && other[key].contains("default") && other[key]["default"] == value) {
          drop.push_back(key);
          break;
        }
      }
    }
    for (const auto& key : drop) step.erase(key);
  }
}

// JSON nested deeper than this is refused while parsing (a spec needs 5 levels; the limit
// keeps every later recursive walk of the document, and its error messages, off the stack's
// edge).
constexpr int kMaxJsonDepth = 64;

}  // namespace

std::vector<std::string> step_key_choices(const std::string& key) {
  std::vector<const json*> where{&step_schema()["properties"]};
  for (const auto& [name, def] : schema_json()["$defs"].items())
    if (name.rfind("step.", 0) == 0) where.push_back(&def["properties"]);
  for (const json* props : where)
    if (props->contains(key) && (*props)[key].contains("enum"))
      return (*props)[key]["enum"].get<std::vector<std::string>>();
  throw std::logic_error("the experiment schema lists no choices for steps[]." + key);
}

std::vector<std::string> step_keys(const std::string& type) {
  if (!analysis_kind(type)) throw InputError("unknown step type '" + type + "'");
  std::vector<std::string> keys{"type", "id"};
  for (const auto& [key, prop] : step_fragment(type)["properties"].items()) keys.push_back(key);
  return keys;
}

StepSpec make_step(const std::string& type) {
  const detail::StepKind* kind = analysis_kind(type);
  if (!kind) throw InputError("unknown step type '" + type + "'");
  StepSpec st;
  st.type = type;
  const json j = default_step_object(type);
  st.params = kind->parse_params(j);
  return st;
}

std::vector<std::string> step_outputs(const StepSpec& st) {
  return detail::step_kind_of(st).outputs(st);
}

ExperimentSpec parse_spec(const std::string& text, const std::string& source, bool check_files) {
  json doc;
  try {
    doc = json::parse(text, [](int depth, json::parse_event_t, json&) {
      if (depth > kMaxJsonDepth) throw TooDeep{};
      return true;
    });
  } catch (const TooDeep&) {
    throw InputError(source + ": invalid JSON: nested deeper than " +
                     std::to_string(kMaxJsonDepth) + " levels");
  } catch (const json::exception& e) {
    std::string what = e.what();
    throw InputError(source + ": invalid JSON: " + what.substr(what.find(']') + 2));
  }
  drop_legacy_step_keys(doc);
  detail::validate_and_fill(doc, schema_json(), source);
  if (doc.contains("sweep"))  // a study: experiment/study.h expands it into ordinary specs
    throw InputError(source + ": sweep: a study spec, run by `ridgeline run` (docs/USER_GUIDE.md, \"Studies\")");

  ExperimentSpec s;
  s.name = doc["name"];
  s.description = doc["description"];
  const json& d = doc["data"];
  s.data = d["name"];
  s.data_options.train_subset = d["train_subset"];
  s.data_options.test_subset = d["test_subset"];
  s.data_options.subset_seed = d["subset_seed"];
  s.data_options.standardize = d["standardize"];
  s.model_kind = doc["model"]["kind"];
  const std::string arch_text = doc["model"]["arch"];
  if (arch_text.substr(0, arch_text.find(':')) != s.model_kind)
    throw InputError(source + ": model.arch: " + detail::echo_value(arch_text) + " is not a " +
                     s.model_kind + " architecture (model.kind is " + s.model_kind + ")");
  // The data's shape, where its name tells it (a folder of IDX files is read at run time).
  std::optional<DataShape> shape;
  try {
    shape = data_shape(s.data);
  } catch (const InputError& e) {
    throw InputError(source + ": data.name: " + e.what());
  }
  if (s.model_kind != "mlp") {
    // Kinds other than the MLP are described by their architecture text alone.
    if (doc["model"]["activation"] != "relu" || doc["model"]["layernorm"] != false)
      throw InputError(source + ": model: activation and layernorm apply to mlp models only");
    s.model_text = parse_model_arch(arch_text, source + ": model.arch")->to_string();
  } else {
    if (arch_text.find('+') != std::string::npos)
      throw InputError(source + ": model.arch: " + detail::echo_value(arch_text) +
                       ": widths only in a spec (the activation and LayerNorm are the keys "
                       "model.activation and model.layernorm)");
    s.arch = parse_arch(arch_text, source + ": model.arch");
    s.arch.activation =
        parse_activation(doc["model"]["activation"], source + ": model.activation");
    s.arch.layernorm = doc["model"]["layernorm"];
    if (s.arch.num_hidden() == 0 && s.arch.layernorm)
      throw InputError(source + ": model.layernorm: " + s.arch.widths_string() +
                       " has no hidden layer for a LayerNorm");
    if (s.arch.num_hidden() == 0 && s.arch.activation != Activation::Relu)
      throw InputError(source + ": model.activation: " + s.arch.widths_string() +
                       " has no hidden layer for an activation");
    if (shape && s.arch.in_dim() != shape->features)
      throw InputError(source + ": model.arch: " + s.arch.widths_string() + " takes " +
                       std::to_string(s.arch.in_dim()) + " inputs but " + s.data + " has " +
                       std::to_string(shape->features) + " features");
    if (shape && s.arch.classes() < shape->classes)
      throw InputError(source + ": model.arch: " + s.arch.widths_string() + " has " +
                       std::to_string(s.arch.classes()) + " outputs but " + s.data + " has " +
                       std::to_string(shape->classes) + " classes");
  }

  try {
    s.train = std::any_cast<TrainStepParams>(detail::train_step_kind().parse_params(doc["train"])).config;
  } catch (const InputError& e) {
    throw InputError(source + ": " + e.what());
  }
  s.train.validate(source + ": train.");
  if (s.train.distill > 0) {
    const std::string why = distill_unsupported(*s.model());
    if (!why.empty()) throw InputError(source + ": train.distill: " + why);
  }

  s.source = source;
  std::set<std::string> names;
  for (size_t i = 0; i < doc["models"].size(); ++i) {
    const json& m = doc["models"][i];
    const std::string where = source + ": models[" + std::to_string(i) + "]";
    ModelSpec ms = parse_model_entry(s, m, where, source, check_files);
    if (!names.insert(ms.name).second)
      throw InputError(where + ".name: duplicate name '" + ms.name + "'");
    s.models.push_back(ms);
  }
  std::set<std::string> ids;
  std::vector<std::string> available;  // trained models, then outputs of earlier steps
  for (const auto& m : s.models) available.push_back(m.name);
  for (size_t i = 0; i < doc["steps"].size(); ++i) {
    const json& j = doc["steps"][i];
    const std::string where = source + ": steps[" + std::to_string(i) + "]";
    StepSpec st;
    st.type = j["type"];
    const detail::StepKind& kind = detail::step_kind_of(st);
    kind.parse_inputs(j, st, where);
    for (const auto& [key, name] : kind.inputs(st)) {
      if (std::find(available.begin(), available.end(), name) != available.end()) continue;
      if (const auto ref = parse_checkpoint_ref(name); ref && s.find_model(ref->model)) {
        check_checkpoint_ref(s, *ref, where + "." + key, false);
        available.push_back(name);
        continue;
      }
      {
        std::string list;
        for (const auto& n : available) list += (list.empty() ? "" : ", ") + n;
        throw InputError(where + "." + key + ": unknown model '" + name + "' (models here: " + list +
                         "; a trained model's checkpoints are '<model>@epoch<N>', '<model>@step<N>')");
      }
    }
    st.params = kind.parse_params(j);
    kind.check(st, where);
    kind.check_in_spec(st, s, where);
    st.id = j.value("id", kind.default_id(st));
    kind.add_outputs(st, available, where);
    if (!ids.insert(st.id).second)
      throw InputError(where + ".id: duplicate step id '" + st.id + "'");
    s.steps.push_back(std::move(st));
  }
  return s;
}

ExperimentSpec load_spec(const std::string& path, bool check_files) {
  return parse_spec(read_file(path), path, check_files);
}

std::string spec_to_json(const ExperimentSpec& s) {
  // Keys in the schema's order (name, description, data, model, train, models, steps), not
  // sorted: the file and the editor's JSON view read top-down like the form.
  using ojson = nlohmann::ordered_json;
  ojson steps = ojson::array();
  for (const auto& st : s.steps) {
    ojson own = ojson::object();
    detail::step_kind_of(st).write(st, own);
    ojson out = {{"type", st.type}, {"id", st.id}};
    for (const auto& [key, value] : own.items()) out[key] = value;
    steps.push_back(std::move(out));
  }
  ojson models = ojson::array();
  for (const auto& m : s.models) {
    if (m.external()) models.push_back({{"name", m.name}, {"path", m.path}});
    else if (m.spawned()) models.push_back({{"name", m.name}, {"from", m.from}, {"seed", m.seed}});
    else models.push_back({{"name", m.name}, {"seed", m.seed}});
  }
  ojson train = ojson::object();  // the train kind's fragment: the recipe every model shares
  StepSpec recipe;
  recipe.type = "train";
  recipe.params = TrainStepParams{s.train, 0};
  detail::train_step_kind().write(recipe, train);
  ojson doc = {
      {"name", s.name},
      {"description", s.description},
      {"data",
       {{"name", s.data},
        {"train_subset", s.data_options.train_subset},
        {"test_subset", s.data_options.test_subset},
        {"subset_seed", s.data_options.subset_seed},
        {"standardize", s.data_options.standardize}}},
      {"model",
       s.model_kind == "mlp"
           ? ojson{{"arch", s.arch.widths_string()},
                   {"activation", to_string(s.arch.activation)},
                   {"layernorm", s.arch.layernorm}}
           : ojson{{"kind", s.model_kind}, {"arch", s.model_text}}},
      {"train", train},
      {"models", models},
      {"steps", steps}};
  return doc.dump(2) + "\n";
}

}  // namespace ridgeline
