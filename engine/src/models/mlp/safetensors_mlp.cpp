// MLPs in safetensors files: Ridgeline's own files (architecture in __metadata__) and
// PyTorch state_dicts (Linear and LayerNorm layers found by shape), see safetensors.h.
#include <algorithm>
#include <climits>
#include <functional>

#include "ridgeline/core/errors.h"
#include "ridgeline/io/safetensors.h"
#include "ridgeline/models/mlp/mlp_model.h"

namespace ridgeline {

namespace {

[[noreturn]] void bad(const std::string& path, const std::string& problem) {
  throw InputError(path + ": " + problem);
}

std::string joined(const std::string& prefix, const char* leaf) {
  return prefix.empty() ? std::string(leaf) : prefix + "." + leaf;
}

/// Natural order: digit runs compare by numeric value ("2" < "10").
bool natural_less(const std::string& a, const std::string& b) {
  size_t i = 0, j = 0;
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  while (i < a.size() && j < b.size()) {
    if (digit(a[i]) && digit(b[j])) {
      size_t ie = i, je = j;
      while (ie < a.size() && digit(a[ie])) ++ie;
      while (je < b.size() && digit(b[je])) ++je;
      size_t iz = i, jz = j;
      while (iz + 1 < ie && a[iz] == '0') ++iz;
      while (jz + 1 < je && b[jz] == '0') ++jz;
      const std::string_view na(a.data() + iz, ie - iz), nb(b.data() + jz, je - jz);
      if (na.size() != nb.size()) return na.size() < nb.size();
      if (na != nb) return na < nb;
      if (ie - i != je - j) return ie - i < je - j;  // fewer leading zeros first
      i = ie;
      j = je;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i;
      ++j;
    }
  }
  return a.size() - i < b.size() - j;
}

/// A `<prefix>.weight` / `<prefix>.bias` pair: a Linear (2-D weight) or a LayerNorm (1-D).
struct Pair {
  std::string prefix;
  const Tensor* w = nullptr;
  const Tensor* b = nullptr;
  int64_t in() const { return w->shape[1]; }
  int64_t out() const { return w->shape[0]; }
};

std::vector<std::string> split_names(const std::string& text) {
  std::vector<std::string> names;
  std::string cur;
  for (char c : text) {
    if (c == ',') names.push_back(cur), cur.clear();
    else cur += c;
  }
  names.push_back(cur);
  return names;
}

/// Builds the model from its Linear chain and, for a LayerNorm net, one norm per hidden layer.
Mlp assemble(const std::string& path, const std::vector<Pair>& chain,
             const std::vector<Pair>& norms, Activation activation) {
  Mlp m;
  for (size_t l = 0; l < chain.size(); ++l) {
    const Pair& L = chain[l];
    if (L.in() <= 0 || L.out() <= 0 || L.in() > INT_MAX || L.out() > INT_MAX)
      bad(path, "layer " + joined(L.prefix, "weight") + " has unusable shape " +
                    shape_string(L.w->shape));
    if (l == 0) m.arch.widths.push_back(static_cast<int>(L.in()));
    m.arch.widths.push_back(static_cast<int>(L.out()));
    m.arch.layer_names.push_back(L.prefix);
  }
  m.arch.activation = activation;
  m.arch.layernorm = !norms.empty();
  for (const Pair& n : norms) m.arch.norm_names.push_back(n.prefix);
  ParamLayout lay(m.arch);
  m.params.assign(lay.total, 0.0f);
  auto put = [&](const Tensor* t, size_t offset) {
    std::copy(t->data.begin(), t->data.end(),
              m.params.begin() + static_cast<std::ptrdiff_t>(offset));
  };
  for (size_t l = 0; l < chain.size(); ++l) {
    put(chain[l].w, lay.weight_offset[l]);
    put(chain[l].b, lay.bias_offset[l]);
  }
  for (size_t h = 0; h < norms.size(); ++h) {
    put(norms[h].w, lay.ln_weight_offset[h]);
    put(norms[h].b, lay.ln_bias_offset[h]);
  }
  return m;
}

Mlp load_with_metadata(const std::string& path, const SafetensorsFile& f) {
  const std::string& arch_text = f.metadata.at("ridgeline.arch");
  const MlpArch arch = parse_arch(arch_text, path + ": metadata ridgeline.arch");
  auto act = f.metadata.find("ridgeline.activation");
  if (act != f.metadata.end()) {
    if (act->second != "relu" && act->second != "gelu")
      bad(path, "unsupported activation \"" + act->second + "\" in metadata");
    if (act->second != to_string(arch.activation))
      bad(path, "metadata ridgeline.activation \"" + act->second +
                    "\" disagrees with ridgeline.arch " + arch_text);
  }
  auto lnm = f.metadata.find("ridgeline.layernorm");
  if (lnm != f.metadata.end()) {
    if (lnm->second != "0" && lnm->second != "1")
      bad(path, "metadata ridgeline.layernorm must be \"0\" or \"1\", not \"" + lnm->second + "\"");
    if ((lnm->second == "1") != arch.layernorm)
      bad(path, "metadata ridgeline.layernorm \"" + lnm->second +
                    "\" disagrees with ridgeline.arch " + arch_text);
  }
  const std::vector<std::string> names = split_names(f.metadata.at("ridgeline.layers"));
  if (static_cast<int>(names.size()) != arch.num_layers())
    bad(path, "metadata ridgeline.layers names " + std::to_string(names.size()) +
                  " layers but ridgeline.arch " + arch_text + " has " +
                  std::to_string(arch.num_layers()));
  std::vector<std::string> norm_names;
  if (arch.layernorm) {
    auto it = f.metadata.find("ridgeline.norms");
    if (it == f.metadata.end())
      bad(path, "metadata ridgeline.norms is missing for the LayerNorm net " + arch_text);
    norm_names = split_names(it->second);
    if (static_cast<int>(norm_names.size()) != arch.num_hidden())
      bad(path, "metadata ridgeline.norms names " + std::to_string(norm_names.size()) +
                    " LayerNorms but ridgeline.arch " + arch_text + " has " +
                    std::to_string(arch.num_hidden()) + " hidden layers");
  }
  std::vector<std::string> used;
  // The pair named `prefix`, its weight of shape `ws` and bias of shape `bs`.
  auto pair = [&](const std::string& prefix, const std::vector<int64_t>& ws,
                  const std::vector<int64_t>& bs) {
    Pair p;
    p.prefix = prefix;
    const std::string wn = joined(prefix, "weight"), bn = joined(prefix, "bias");
    p.w = f.find(wn);
    p.b = f.find(bn);
    if (!p.w) bad(path, "missing tensor " + wn + " named by metadata");
    if (!p.b) bad(path, "missing tensor " + bn + " named by metadata");
    if (p.w->shape != ws)
      bad(path, "tensor " + wn + " has shape " + shape_string(p.w->shape) + ", expected " +
                    shape_string(ws) + " for " + arch_text);
    if (p.b->shape != bs)
      bad(path, "tensor " + bn + " has shape " + shape_string(p.b->shape) + ", expected " +
                    shape_string(bs) + " for " + arch_text);
    used.push_back(wn);
    used.push_back(bn);
    return p;
  };
  std::vector<Pair> chain, norms;
  for (int l = 0; l < arch.num_layers(); ++l) {
    const int64_t out = arch.widths[l + 1];
    chain.push_back(pair(names[l], {out, arch.widths[l]}, {out}));
    if (arch.layernorm && l < arch.num_hidden()) norms.push_back(pair(norm_names[l], {out}, {out}));
  }
  for (const auto& [name, t] : f.tensors)
    if (std::find(used.begin(), used.end(), name) == used.end())
      bad(path, "unexpected tensor " + name + " (not a layer of " + arch_text + ")");
  return assemble(path, chain, norms, arch.activation);
}

/// Depth-first search for a chain through every Linear; candidates in natural order, so the
/// first complete chain found is the natural-order tie-break. Steps are capped.
std::vector<Pair> chain_linears(const std::string& path, std::vector<Pair> layers) {
  std::sort(layers.begin(), layers.end(),
            [](const Pair& a, const Pair& b) { return natural_less(a.prefix, b.prefix); });
  const size_t n = layers.size();
  std::vector<size_t> order;
  std::vector<char> used(n, 0);
  long steps = 0;
  std::function<bool()> extend = [&]() -> bool {
    if (order.size() == n) return true;
    if (++steps > 1000000) return false;
    for (size_t i = 0; i < n; ++i) {
      if (used[i]) continue;
      if (!order.empty() && layers[i].in() != layers[order.back()].out()) continue;
      used[i] = 1;
      order.push_back(i);
      if (extend()) return true;
      order.pop_back();
      used[i] = 0;
    }
    return false;
  };
  if (!extend()) {
    std::string shapes;
    for (const auto& L : layers) {
      if (!shapes.empty()) shapes += ", ";
      shapes += joined(L.prefix, "weight") + " " + shape_string(L.w->shape);
    }
    bad(path, "layers do not chain into one MLP (" + shapes + ")");
  }
  std::vector<Pair> chain;
  for (size_t i : order) chain.push_back(layers[i]);
  return chain;
}

Mlp load_state_dict(const std::string& path, const SafetensorsFile& f, Activation activation) {
  std::vector<Pair> pairs;
  auto pair_for = [&](const std::string& prefix) -> Pair& {
    for (auto& p : pairs)
      if (p.prefix == prefix) return p;
    pairs.push_back(Pair{prefix});
    return pairs.back();
  };
  for (const auto& [name, t] : f.tensors) {
    auto ends = [&](const std::string& sfx) {
      return name == sfx || (name.size() > sfx.size() + 1 &&
                             name.compare(name.size() - sfx.size() - 1, std::string::npos,
                                          "." + sfx) == 0);
    };
    if (ends("weight")) {
      const std::string prefix = name == "weight" ? "" : name.substr(0, name.size() - 7);
      if (t.shape.size() != 2 && t.shape.size() != 1)
        bad(path, "tensor " + name + " has shape " + shape_string(t.shape) +
                      ", expected a 2-D [out, in] Linear weight or a 1-D LayerNorm weight");
      pair_for(prefix).w = &t;
    } else if (ends("bias")) {
      const std::string prefix = name == "bias" ? "" : name.substr(0, name.size() - 5);
      if (t.shape.size() != 1)
        bad(path, "tensor " + name + " has shape " + shape_string(t.shape) +
                      ", expected a 1-D [out] bias");
      pair_for(prefix).b = &t;
    } else {
      bad(path, "unexpected tensor " + name + " (an MLP has only <layer>.weight and "
                "<layer>.bias tensors)");
    }
  }
  if (pairs.empty()) bad(path, "no <layer>.weight / <layer>.bias tensors: not an MLP");
  std::vector<Pair> linears, norms;
  for (const auto& p : pairs) {
    if (!p.b) bad(path, "weight " + joined(p.prefix, "weight") + " has no bias " +
                            joined(p.prefix, "bias"));
    if (!p.w) bad(path, "bias " + joined(p.prefix, "bias") + " has no weight " +
                            joined(p.prefix, "weight"));
    if (p.w->shape.size() == 1) {  // a LayerNorm: weight and bias of one size
      if (p.b->shape != p.w->shape)
        bad(path, "tensor " + joined(p.prefix, "weight") + " has shape " +
                      shape_string(p.w->shape) + ", expected a 2-D [out, in] Linear weight or "
                      "a 1-D LayerNorm weight of the shape of " + joined(p.prefix, "bias") +
                      " " + shape_string(p.b->shape));
      norms.push_back(p);
      continue;
    }
    if (p.b->shape[0] != p.w->shape[0])
      bad(path, "tensor " + joined(p.prefix, "bias") + " has shape " + shape_string(p.b->shape) +
                    " but " + joined(p.prefix, "weight") + " has " + shape_string(p.w->shape));
    linears.push_back(p);
  }
  if (linears.empty())
    bad(path, "no 2-D <layer>.weight [out, in] tensors: not an MLP");
  const std::vector<Pair> chain = chain_linears(path, linears);
  if (norms.empty()) return assemble(path, chain, {}, activation);

  // LayerNorms: each hidden Linear takes the first unused norm, in natural order of names,
  // whose size equals its output size (nn.Sequential numbering Linear "0", LayerNorm "1",
  // Linear "3", ... pairs them up; so do "fc1"/"ln1" schemes). Every hidden layer needs one;
  // the output layer has none.
  std::sort(norms.begin(), norms.end(),
            [](const Pair& a, const Pair& b) { return natural_less(a.prefix, b.prefix); });
  auto norm_list = [&] {
    std::string s;
    for (const auto& n : norms)
      s += (s.empty() ? "" : ", ") + joined(n.prefix, "weight") + " " + shape_string(n.w->shape);
    return s;
  };
  const size_t hidden = chain.size() - 1;
  if (norms.size() != hidden)
    bad(path, std::to_string(norms.size()) + " LayerNorm weight/bias pairs (" + norm_list() +
                  ") for " + std::to_string(hidden) +
                  " hidden layers: a LayerNorm must follow every hidden Linear, and only those");
  std::vector<char> taken(norms.size(), 0);
  std::vector<Pair> assigned;
  for (size_t h = 0; h < hidden; ++h) {
    size_t pick = norms.size();
    for (size_t i = 0; i < norms.size() && pick == norms.size(); ++i)
      if (!taken[i] && norms[i].w->shape[0] == chain[h].out()) pick = i;
    if (pick == norms.size())
      bad(path, "no LayerNorm of size " + std::to_string(chain[h].out()) + " for Linear " +
                    joined(chain[h].prefix, "weight") + " (LayerNorms: " + norm_list() + ")");
    taken[pick] = 1;
    assigned.push_back(norms[pick]);
  }
  return assemble(path, chain, assigned, activation);
}

}  // namespace

Mlp load_mlp(const std::string& path, std::optional<Activation> activation) {
  return load_mlp(path, read_safetensors(path), activation);
}

Mlp load_mlp(const std::string& path, const SafetensorsFile& f,
             std::optional<Activation> activation) {
  if (f.metadata.count("ridgeline.arch") && f.metadata.count("ridgeline.layers"))
    return load_with_metadata(path, f);
  return load_state_dict(path, f, activation.value_or(Activation::Relu));
}

void save_mlp(const std::string& path, const Mlp& mlp,
              const std::map<std::string, std::string>& extra) {
  const MlpArch& arch = mlp.arch;
  const ParamLayout lay(arch);
  if (mlp.params.size() != lay.total)
    throw RunError(path + ": model has " + std::to_string(mlp.params.size()) +
                   " parameters but " + arch.to_string() + " needs " + std::to_string(lay.total));
  std::vector<std::string> names = arch.layer_names, norms = arch.norm_names;
  if (names.empty())
    for (int l = 0; l < arch.num_layers(); ++l) names.push_back("fc" + std::to_string(l));
  if (!arch.layernorm) norms.clear();
  else if (norms.empty())
    for (int h = 0; h < arch.num_hidden(); ++h) norms.push_back("ln" + std::to_string(h));
  if (static_cast<int>(names.size()) != arch.num_layers())
    throw RunError(path + ": " + std::to_string(names.size()) + " layer names for " +
                   std::to_string(arch.num_layers()) + " layers");
  if (arch.layernorm && static_cast<int>(norms.size()) != arch.num_hidden())
    throw RunError(path + ": " + std::to_string(norms.size()) + " LayerNorm names for " +
                   std::to_string(arch.num_hidden()) + " hidden layers");
  SafetensorsFile f;
  auto add = [&](const std::string& prefix, std::vector<int64_t> shape, size_t offset) {
    if (prefix.find(',') != std::string::npos)
      throw RunError(path + ": layer name \"" + prefix + "\" contains a comma");
    Tensor t;
    t.shape = std::move(shape);
    auto begin = mlp.params.begin() + static_cast<std::ptrdiff_t>(offset);
    t.data.assign(begin, begin + t.numel());
    return t;
  };
  std::string layers, norm_list;
  for (int l = 0; l < arch.num_layers(); ++l) {
    const int64_t out = arch.widths[l + 1], in = arch.widths[l];
    layers += (l ? "," : "") + names[l];
    f.tensors.emplace_back(joined(names[l], "weight"), add(names[l], {out, in}, lay.weight_offset[l]));
    f.tensors.emplace_back(joined(names[l], "bias"), add(names[l], {out}, lay.bias_offset[l]));
    if (arch.layernorm && l < arch.num_hidden()) {
      norm_list += (l ? "," : "") + norms[l];
      f.tensors.emplace_back(joined(norms[l], "weight"), add(norms[l], {out}, lay.ln_weight_offset[l]));
      f.tensors.emplace_back(joined(norms[l], "bias"), add(norms[l], {out}, lay.ln_bias_offset[l]));
    }
  }
  f.metadata = extra;
  f.metadata["ridgeline.arch"] = arch.to_string();
  f.metadata["ridgeline.layers"] = layers;
  f.metadata["ridgeline.activation"] = to_string(arch.activation);
  f.metadata["ridgeline.layernorm"] = arch.layernorm ? "1" : "0";
  if (arch.layernorm) f.metadata["ridgeline.norms"] = norm_list;
  else f.metadata.erase("ridgeline.norms");
  f.metadata["format"] = "pt";
  write_safetensors(path, f);
}

void check_compatible(const Mlp& a, const std::string& a_name, const Mlp& b,
                      const std::string& b_name) {
  check_compatible(*mlp_model_arch(a.arch), a_name, *mlp_model_arch(b.arch), b_name);
}

}  // namespace ridgeline
