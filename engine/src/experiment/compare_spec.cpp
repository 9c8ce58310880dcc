// The spec of File ▸ Compare checkpoints… (compare_spec.h).
#include "ridgeline/experiment/compare_spec.h"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "ridgeline/core/errors.h"
#include "ridgeline/models/mlp/mlp_model.h"
#include "ridgeline/models/model_io.h"

namespace ridgeline {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// A model name from a file's stem: the characters a name may hold, at most 60 of them.
std::string name_of(const std::string& file, std::set<std::string>& used) {
  std::string stem = fs::path(file).stem().string(), name;
  for (char c : stem)
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-') name += c;
    else name += '_';
  if (name.size() > 60) name.resize(60);
  if (name.empty()) name = "model";
  std::string unique = name;
  for (int k = 2; used.count(unique); ++k) unique = name + "-" + std::to_string(k);
  used.insert(unique);
  return unique;
}

}  // namespace

ExperimentSpec compare_checkpoints_spec(const std::vector<std::string>& files, const std::string& data) {
  if (files.size() < 2) throw InputError("compare checkpoints: choose two or more safetensors files");
  const std::string first = fs::absolute(files[0]).lexically_normal().string();
  const Model m0 = load_model(first);
  const MlpArch* arch = as_mlp_arch(*m0.arch);
  if (!arch)
    throw InputError(first + ": holds a " + m0.arch->kind() +
                     " model; comparing checkpoints aligns hidden units, which needs an MLP");
  std::set<std::string> used;
  json models = json::array(), steps = json::array();
  std::vector<std::string> names;
  for (const auto& f : files) {
    const std::string abs = fs::absolute(f).lexically_normal().string();
    names.push_back(name_of(abs, used));
    models.push_back({{"name", names.back()}, {"path", abs}});
  }
  for (size_t i = 1; i < names.size(); ++i) {
    const std::string& a = names[0];
    const std::string& b = names[i];
    steps.push_back({{"type", "interpolate"}, {"id", "naive-" + a + "-" + b}, {"a", a}, {"b", b}, {"points", 25}});
    steps.push_back({{"type", "align"}, {"a", a}, {"b", b}, {"method", "wm"}});
    steps.push_back({{"type", "interpolate"}, {"id", "wm-" + a + "-" + b}, {"a", a}, {"b", b + "@wm"}, {"points", 25}});
  }
  const json doc = {{"name", "compare-checkpoints"},
                    {"description", "Naive and weight-matched paths between checkpoints picked in File > Compare checkpoints."},
                    {"data", {{"name", data}}},
                    {"model", {{"arch", arch->widths_string()},
                               {"activation", to_string(arch->activation)},
                               {"layernorm", arch->layernorm}}},
                    {"models", models},
                    {"steps", steps}};
  return parse_spec(doc.dump(), "compare checkpoints");
}

}  // namespace ridgeline
