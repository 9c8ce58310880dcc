// The registry of model kinds and the generic model checks (see models/model.h).
#include "ridgeline/models/model.h"

#include "ridgeline/core/errors.h"
#include "ridgeline/models/mlp/mlp_model.h"
#include "ridgeline/models/quadratic/quadratic.h"
#include "ridgeline/models/transformer/transformer.h"

namespace ridgeline {

namespace {

struct ModelKind {
  std::string name;
  std::shared_ptr<const ModelArch> (*parse)(const std::string& text, const std::string& what);
};

// Adding a model kind: its folder under models/, and one row here.
const std::vector<ModelKind>& kinds() {
  static const std::vector<ModelKind> k = {
      {"mlp", [](const std::string& t, const std::string& w) {
         return mlp_model_arch(parse_arch(t, w));
       }},
      {"quadratic", [](const std::string& t, const std::string& w) {
         return quadratic_model_arch(parse_quadratic_arch(t, w));
       }},
      {"transformer", [](const std::string& t, const std::string& w) {
         return transformer_model_arch(parse_transformer_arch(t, w));
       }},
  };
  return k;
}

}  // namespace

long double ModelArch::activation_floats_per_row() const {
  long double units = 0, inputs = 0;
  for (const ParamBlockInfo& b : blocks())
    if (b.shape.size() >= 2) {
      units += static_cast<long double>(b.shape[0]);  // a layer's outputs
      if (inputs == 0) inputs = static_cast<long double>(b.shape[1]);
    }
  return inputs + 4.0L * units;
}

std::vector<std::string> model_kinds() {
  std::vector<std::string> names;
  for (const auto& k : kinds()) names.push_back(k.name);
  return names;
}

std::shared_ptr<const ModelArch> parse_model_arch(const std::string& text,
                                                  const std::string& what) {
  const std::string kind = text.substr(0, text.find(':'));
  for (const auto& k : kinds())
    if (k.name == kind) return k.parse(text, what);
  // Unknown kinds: the MLP parser's message names the expected form, as before.
  return kinds().front().parse(text, what);
}

void check_compatible(const ModelArch& a, const std::string& a_name, const ModelArch& b,
                      const std::string& b_name) {
  if (!a.same_shape(b))
    throw InputError(a_name + " (" + echo_input(a.to_string()) + ") and " + b_name + " (" +
                     echo_input(b.to_string()) + ") have different architectures");
}

void check_same_shape(const ModelArch& a, const ModelArch& b, const std::string& what) {
  if (!a.same_shape(b))
    throw InputError(what + " have different architectures: " + echo_input(a.to_string()) +
                     " and " + echo_input(b.to_string()));
}

Model apply_permutations(const Model& model, const std::vector<Permutation>& perms) {
  if (!model.arch) throw InputError("permutations: the model has no architecture");
  Model out{model.arch, apply_permutations(model.arch->permutation_spec(), model.params, perms)};
  return out;
}

}  // namespace ridgeline
