// Models of any kind in safetensors files (see model_io.h).
#include "ridgeline/models/model_io.h"

#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "ridgeline/core/errors.h"
#include "ridgeline/io/safetensors.h"
#include "ridgeline/models/mlp/mlp_model.h"
#include "ridgeline/models/transformer/gpt2_import.h"

namespace ridgeline {

Model load_model(const std::string& path, std::optional<Activation> activation,
                 const CancelToken* cancel) {
  if (is_checkpoint_folder(path)) return load_gpt2_folder(path);  // a GPT-2-family folder
  return load_model(path, read_safetensors(path), activation, cancel);
}

Model load_model(const std::string& path, const SafetensorsFile& f,
                 std::optional<Activation> activation, const CancelToken* cancel) {
  const auto kind = f.metadata.find("ridgeline.kind");
  if (kind == f.metadata.end() || kind->second == "mlp")
    return to_model(load_mlp(path, f, activation, cancel));
  const std::string kind_text = echo_input(kind->second);
  const auto text = f.metadata.find("ridgeline.arch");
  if (text == f.metadata.end())
    throw InputError(path + ": metadata ridgeline.arch is missing for a " + kind_text + " model");
  Model m;
  m.arch = parse_model_arch(text->second, path + ": metadata ridgeline.arch");
  if (m.arch->kind() != kind->second)
    throw InputError(path + ": metadata ridgeline.kind \"" + kind_text +
                     "\" disagrees with ridgeline.arch " + echo_input(text->second));
  m.params.assign(m.arch->num_params(), 0.0f);
  std::unordered_map<std::string_view, const Tensor*> by_name;
  for (const auto& entry : f.tensors) by_name.emplace(entry.first, &entry.second);
  const std::vector<ParamBlockInfo> blocks = m.arch->blocks();
  std::unordered_set<std::string_view> block_names;
  for (const ParamBlockInfo& b : blocks) block_names.insert(b.name);
  for (const auto& entry : f.tensors)  // as load_mlp does: a file holds its model, nothing else
    if (!block_names.count(entry.first))
      throw InputError(path + ": unexpected tensor " + echo_input(entry.first) +
                       " (not a block of " + m.arch->to_string() + ")");
  for (const ParamBlockInfo& b : blocks) {
    const auto found = by_name.find(b.name);
    const Tensor* t = found == by_name.end() ? nullptr : found->second;
    if (!t) throw InputError(path + ": tensor " + b.name + " is missing");
    if (t->shape != b.shape)
      throw InputError(path + ": tensor " + b.name + " has shape " + shape_string(t->shape) +
                       ", expected " + shape_string(b.shape));
    std::copy(t->data.begin(), t->data.end(), m.params.begin() + b.offset);
  }
  return m;
}

void save_model(const std::string& path, const Model& model,
                const std::map<std::string, std::string>& extra) {
  if (const MlpArch* a = as_mlp_arch(*model.arch)) {
    save_mlp(path, Mlp{*a, model.params}, extra);
    return;
  }
  if (model.params.size() != model.arch->num_params())
    throw InputError(path + ": " + std::to_string(model.params.size()) +
                     " parameters do not fit " + model.arch->to_string());
  SafetensorsFile f;
  f.metadata = model.arch->metadata();
  for (const auto& [k, v] : extra) f.metadata[k] = v;
  for (const ParamBlockInfo& b : model.arch->blocks()) {
    size_t n = 1;
    for (int64_t d : b.shape) n *= static_cast<size_t>(d);
    Tensor t;
    t.shape = b.shape;
    t.data.assign(model.params.begin() + b.offset, model.params.begin() + b.offset + n);
    f.tensors.emplace_back(b.name, std::move(t));
  }
  write_safetensors(path, f);
}

}  // namespace ridgeline
