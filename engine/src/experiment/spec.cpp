// Experiment specs: parsing, validation against the compiled-in schema, resolution.
#include "ridgeline/experiment/spec.h"

#include <nlohmann/json.hpp>
#include <algorithm>
#include <set>

#include "ridgeline/data/dataset.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/io/fileio.h"
#include "experiment/schema_validator.h"

namespace ridgeline {

namespace detail {
std::string_view experiment_schema_text();  // generated from resources/schema
}

using nlohmann::json;

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

}  // namespace

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
  s.arch = parse_arch(doc["model"]["arch"], source + ": model.arch");
  s.arch.activation = parse_activation(doc["model"]["activation"], source + ": model.activation");
  s.arch.layernorm = doc["model"]["layernorm"];
  if (s.arch.num_hidden() == 0 && s.arch.layernorm)
    throw InputError(source + ": model.layernorm: " + s.arch.widths_string() +
                     " has no hidden layer for a LayerNorm");
  if (s.arch.num_hidden() == 0 && s.arch.activation != Activation::Relu)
    throw InputError(source + ": model.activation: " + s.arch.widths_string() +
                     " has no hidden layer for an activation");
  // The data's shape, where its name tells it (a folder of IDX files is read at run time).
  std::optional<DataShape> shape;
  try {
    shape = data_shape(s.data);
  } catch (const InputError& e) {
    throw InputError(source + ": data.name: " + e.what());
  }
  if (shape && s.arch.in_dim() != shape->features)
    throw InputError(source + ": model.arch: " + s.arch.widths_string() + " takes " +
                     std::to_string(s.arch.in_dim()) + " inputs but " + s.data + " has " +
                     std::to_string(shape->features) + " features");
  if (shape && s.arch.classes() < shape->classes)
    throw InputError(source + ": model.arch: " + s.arch.widths_string() + " has " +
                     std::to_string(s.arch.classes()) + " outputs but " + s.data + " has " +
                     std::to_string(shape->classes) + " classes");

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
  std::vector<std::string> available;  // trained models, then outputs of align steps
  for (const auto& m : s.models) available.push_back(m.name);
  for (size_t i = 0; i < doc["steps"].size(); ++i) {
    const json& j = doc["steps"][i];
    const std::string where = source + ": steps[" + std::to_string(i) + "]";
    StepSpec st;
    st.type = j["type"];
    auto check_model = [&](const std::string& name, const std::string& key) {
      if (std::find(available.begin(), available.end(), name) == available.end()) {
        std::string list;
        for (const auto& n : available) list += (list.empty() ? "" : ", ") + n;
        throw InputError(where + "." + key + ": unknown model '" + name + "' (models here: " + list + ")");
      }
    };
    if (st.type == "merge") {
      if (!j.contains("models")) throw InputError(where + ".models: required for a merge step");
      for (size_t k = 0; k < j["models"].size(); ++k) {
        st.merge_models.push_back(j["models"][k]);
        check_model(st.merge_models.back(), "models[" + std::to_string(k) + "]");
      }
    } else {
      for (const char* key : {"a", "b"}) {
        if (!j.contains(key)) throw InputError(where + "." + key + ": required key is missing");
        check_model(j[key], key);
      }
      st.a = j["a"];
      st.b = j["b"];
    }
    st.points = j["points"];
    const std::string split = j["split"];
    st.train = split != "test";
    st.test = split != "train";
    st.repair = j["repair"];
    st.method = j["method"];
    st.seed = j["seed"].get<uint64_t>();
    st.max_sweeps = j["max_sweeps"];
    st.samples = j["samples"];
    st.epochs = j["epochs"];
    st.lr = j["lr"];
    if (st.type == "align") {
      if (st.a == st.b) throw InputError(where + ": align needs two different models");
      if (std::find(available.begin(), available.end(), st.output()) != available.end())
        throw InputError(where + ": model '" + st.output() + "' is produced twice");
      available.push_back(st.output());
    }
    st.id = j.value("id", st.type == "align"   ? "align-" + st.output()
                          : st.type == "merge" ? std::string("merged")
                                               : st.type + "-" + st.a + "-" + st.b);
    if (st.type == "merge") {
      if (std::find(available.begin(), available.end(), st.id) != available.end())
        throw InputError(where + ".id: model '" + st.id + "' already exists");
      available.push_back(st.id);
    }
    if (!ids.insert(st.id).second)
      throw InputError(where + ".id: duplicate step id '" + st.id + "'");
    s.steps.push_back(st);
  }
  return s;
}

ExperimentSpec load_spec(const std::string& path) { return parse_spec(read_file(path), path); }

std::string spec_to_json(const ExperimentSpec& s) {
  // Keys in the schema's order (name, description, data, model, train, models, steps), not
  // sorted: the file and the editor's JSON view read top-down like the form.
  using ojson = nlohmann::ordered_json;
  ojson steps = ojson::array();
  for (const auto& st : s.steps)
    steps.push_back({{"type", st.type},
                     {"id", st.id},
                     {"a", st.a},
                     {"b", st.b},
                     {"points", st.points},
                     {"split", st.train && st.test ? "both" : st.train ? "train" : "test"},
                     {"repair", st.repair},
                     {"method", st.method},
                     {"seed", st.seed},
                     {"max_sweeps", st.max_sweeps},
                     {"samples", st.samples},
                     {"epochs", st.epochs},
                     {"lr", st.lr}});
  for (size_t i = 0; i < s.steps.size(); ++i)
    if (s.steps[i].type == "merge") {
      steps[i].erase("a");
      steps[i].erase("b");
      steps[i]["models"] = s.steps[i].merge_models;
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
       {{"arch", s.arch.widths_string()},
        {"activation", to_string(s.arch.activation)},
        {"layernorm", s.arch.layernorm}}},
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
