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
#include "experiment/schema_validator.h"
#include "experiment/steps/step_kind.h"

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
  static const json s = json::parse(detail::experiment_schema_text());
  return s;
}

const json& step_properties() { return schema_json()["properties"]["steps"]["items"]["properties"]; }

// The order of a step's keys in spec_to_json (unchanged since the first spec files).
constexpr const char* kStepKeyOrder[] = {"a", "b", "points", "split", "repair", "method", "seed",
                                         "max_sweeps", "samples", "epochs", "lr", "models"};

// Keeps the values of schema keys with a default that `kind` does not read.
void keep_unused(const detail::StepKind& kind, const json& j, StepSpec& st) {
  const auto own = kind.keys();
  for (const auto& [key, prop] : step_properties().items())
    if (prop.contains("default") && j.contains(key) &&
        std::find(own.begin(), own.end(), key) == own.end())
      st.unused[key] = j[key].dump();
}

// A step object holding only the schema's defaults.
json default_step_object(const std::string& type) {
  json j = {{"type", type}};
  for (const auto& [key, prop] : step_properties().items())
    if (prop.contains("default")) j[key] = prop["default"];
  return j;
}

}  // namespace

std::vector<std::string> step_key_choices(const std::string& key) {
  const json& props = step_properties();
  if (!props.contains(key) || !props[key].contains("enum"))
    throw std::logic_error("the experiment schema lists no choices for steps[]." + key);
  return props[key]["enum"].get<std::vector<std::string>>();
}

StepSpec make_step(const std::string& type) {
  const detail::StepKind* kind = detail::find_step_kind(type);
  if (!kind) throw InputError("unknown step type '" + type + "'");
  StepSpec st;
  st.type = type;
  const json j = default_step_object(type);
  st.params = kind->parse_params(j);
  keep_unused(*kind, j, st);
  return st;
}

std::vector<std::string> step_outputs(const StepSpec& st) {
  return detail::step_kind_of(st).outputs(st);
}

ExperimentSpec parse_spec(const std::string& text, const std::string& source) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {
    std::string what = e.what();
    throw InputError(source + ": invalid JSON: " + what.substr(what.find(']') + 2));
  }
  detail::validate_and_fill(doc, schema_json(), source);

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
    throw InputError(source + ": model.arch: '" + arch_text + "' is not a " + s.model_kind +
                     " architecture (model.kind is " + s.model_kind + ")");
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

  const json& t = doc["train"];
  s.train.optimizer = parse_optimizer(t["optimizer"], source + ": train.optimizer");
  s.train.lr = t["lr"];
  s.train.momentum = t["momentum"];
  s.train.weight_decay = t["weight_decay"];
  s.train.beta1 = t["beta1"];
  s.train.beta2 = t["beta2"];
  s.train.eps = t["eps"];
  s.train.batch = t["batch"];
  s.train.epochs = t["epochs"];
  s.train.schedule = parse_schedule(t["schedule"], source + ": train.schedule");
  s.train.warmup_epochs = t["warmup_epochs"];
  s.train.step_every = t["step_every"];
  s.train.step_gamma = t["step_gamma"];
  s.train.checkpoint_every = t["checkpoint_every"];
  s.train.validate(source + ": train.");

  std::set<std::string> names;
  for (size_t i = 0; i < doc["models"].size(); ++i) {
    const json& m = doc["models"][i];
    ModelSpec ms{m["name"], m["seed"].get<uint64_t>()};
    if (!names.insert(ms.name).second)
      throw InputError(source + ": models[" + std::to_string(i) + "].name: duplicate name '" +
                       ms.name + "'");
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
    for (const auto& [key, name] : kind.inputs(st))
      if (std::find(available.begin(), available.end(), name) == available.end()) {
        std::string list;
        for (const auto& n : available) list += (list.empty() ? "" : ", ") + n;
        throw InputError(where + "." + key + ": unknown model '" + name + "' (models here: " + list + ")");
      }
    st.params = kind.parse_params(j);
    keep_unused(kind, j, st);
    kind.check(st, where);
    st.id = j.value("id", kind.default_id(st));
    kind.add_outputs(st, available, where);
    if (!ids.insert(st.id).second)
      throw InputError(where + ".id: duplicate step id '" + st.id + "'");
    s.steps.push_back(std::move(st));
  }
  return s;
}

ExperimentSpec load_spec(const std::string& path) { return parse_spec(read_file(path), path); }

std::string spec_to_json(const ExperimentSpec& s) {
  // Keys in the schema's order (name, description, data, model, train, models, steps), not
  // sorted: the file and the editor's JSON view read top-down like the form.
  using ojson = nlohmann::ordered_json;
  ojson steps = ojson::array();
  for (const auto& st : s.steps) {
    ojson own = ojson::object();
    detail::step_kind_of(st).write(st, own);
    ojson out = {{"type", st.type}, {"id", st.id}};
    for (const char* key : kStepKeyOrder) {
      if (own.contains(key)) out[key] = own[key];
      else if (auto u = st.unused.find(key); u != st.unused.end()) out[key] = ojson::parse(u->second);
    }
    steps.push_back(std::move(out));
  }
  ojson models = ojson::array();
  for (const auto& m : s.models) models.push_back({{"name", m.name}, {"seed", m.seed}});
  const TrainConfig& t = s.train;
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
      {"train",
       {{"optimizer", to_string(t.optimizer)},
        {"lr", t.lr},
        {"momentum", t.momentum},
        {"weight_decay", t.weight_decay},
        {"beta1", t.beta1},
        {"beta2", t.beta2},
        {"eps", t.eps},
        {"batch", t.batch},
        {"epochs", t.epochs},
        {"schedule", to_string(t.schedule)},
        {"warmup_epochs", t.warmup_epochs},
        {"step_every", t.step_every},
        {"step_gamma", t.step_gamma},
        {"checkpoint_every", t.checkpoint_every}}},
      {"models", models},
      {"steps", steps}};
  return doc.dump(2) + "\n";
}

}  // namespace ridgeline
