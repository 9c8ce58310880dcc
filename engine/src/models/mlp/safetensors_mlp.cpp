// MLPs in safetensors files: Ridgeline's own files (architecture in __metadata__) and
// PyTorch state_dicts (Linear and LayerNorm layers found by shape), see safetensors.h.
#include <algorithm>
#include <climits>
#include <deque>
#include <unordered_map>
#include <unordered_set>

#include "ridgeline/core/errors.h"
#include "ridgeline/core/progress.h"
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

/// A tensor name as quoted in messages (cut, control characters escaped).
std::string quoted(const std::string& prefix, const char* leaf) {
  return echo_input(joined(prefix, leaf));
}

/// How often the loops over layers poll the cancel token.
constexpr size_t kCancelPollMask = 0x3fff;

void poll(const CancelToken* cancel, size_t i) {
  if (cancel && (i & kCancelPollMask) == 0) cancel->check();
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
      bad(path, "layer " + quoted(L.prefix, "weight") + " has unusable shape " +
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

Mlp load_with_metadata(const std::string& path, const SafetensorsFile& f,
                        const CancelToken* cancel) {
  const std::string arch_text = echo_input(f.metadata.at("ridgeline.arch"));
  const MlpArch arch = parse_arch(f.metadata.at("ridgeline.arch"), path + ": metadata ridgeline.arch");
  auto act = f.metadata.find("ridgeline.activation");
  if (act != f.metadata.end()) {
    if (act->second != "relu" && act->second != "gelu")
      bad(path, "unsupported activation \"" + echo_input(act->second) + "\" in metadata");
    if (act->second != to_string(arch.activation))
      bad(path, "metadata ridgeline.activation \"" + echo_input(act->second) +
                    "\" disagrees with ridgeline.arch " + arch_text);
  }
  auto lnm = f.metadata.find("ridgeline.layernorm");
  if (lnm != f.metadata.end()) {
    if (lnm->second != "0" && lnm->second != "1")
      bad(path, "metadata ridgeline.layernorm must be \"0\" or \"1\", not \"" + echo_input(lnm->second) + "\"");
    if ((lnm->second == "1") != arch.layernorm)
      bad(path, "metadata ridgeline.layernorm \"" + echo_input(lnm->second) +
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
  // Tensors by name (SafetensorsFile::find is a linear scan: quadratic over many layers).
  std::unordered_map<std::string_view, const Tensor*> by_name;
  for (const auto& entry : f.tensors) by_name.emplace(entry.first, &entry.second);
  auto find = [&](const std::string& name) -> const Tensor* {
    const auto it = by_name.find(name);
    return it == by_name.end() ? nullptr : it->second;
  };
  std::unordered_set<std::string> used;
  // The pair named `prefix`, its weight of shape `ws` and bias of shape `bs`.
  auto pair = [&](const std::string& prefix, const std::vector<int64_t>& ws,
                  const std::vector<int64_t>& bs) {
    Pair p;
    p.prefix = prefix;
    const std::string wn = joined(prefix, "weight"), bn = joined(prefix, "bias");
    p.w = find(wn);
    p.b = find(bn);
    if (!p.w) bad(path, "missing tensor " + echo_input(wn) + " named by metadata");
    if (!p.b) bad(path, "missing tensor " + echo_input(bn) + " named by metadata");
    if (p.w->shape != ws)
      bad(path, "tensor " + echo_input(wn) + " has shape " + shape_string(p.w->shape) + ", expected " +
                    shape_string(ws) + " for " + arch_text);
    if (p.b->shape != bs)
      bad(path, "tensor " + echo_input(bn) + " has shape " + shape_string(p.b->shape) + ", expected " +
                    shape_string(bs) + " for " + arch_text);
    used.insert(wn);
    used.insert(bn);
    return p;
  };
  std::vector<Pair> chain, norms;
  for (int l = 0; l < arch.num_layers(); ++l) {
    poll(cancel, static_cast<size_t>(l));
    const int64_t out = arch.widths[l + 1];
    chain.push_back(pair(names[l], {out, arch.widths[l]}, {out}));
    if (arch.layernorm && l < arch.num_hidden()) norms.push_back(pair(norm_names[l], {out}, {out}));
  }
  for (const auto& entry : f.tensors)
    if (!used.count(entry.first))
      bad(path, "unexpected tensor " + echo_input(entry.first) + " (not a layer of " +
                    arch_text + ")");
  return assemble(path, chain, norms, arch.activation);
}

/// "a.weight [3, 4], b.weight [5, 6], ..." for messages: the first few layers only.
std::string layer_shapes(const std::vector<Pair>& layers) {
  constexpr size_t kShown = 8;
  std::string shapes;
  for (size_t i = 0; i < layers.size() && i < kShown; ++i)
    shapes += (i ? ", " : "") + quoted(layers[i].prefix, "weight") + " " +
              shape_string(layers[i].w->shape);
  if (layers.size() > kShown)
    shapes += ", … and " + std::to_string(layers.size() - kShown) + " more";
  return shapes;
}

/// Whether the layers can form one chain at all, and where it must start. A chain through
/// every Linear is an Eulerian trail of the multigraph whose nodes are widths and whose edges
/// are layers (in → out); one exists iff the edges are weakly connected and every width has as
/// many layers leaving as entering, except at most a start with one more leaving and an end
/// with one more entering (Euler; e.g. Cormen et al., Introduction to Algorithms, problem 22-3).
/// Returns the start width, or nullopt when no chain exists.
std::optional<int64_t> chain_start(const std::vector<Pair>& layers) {
  std::unordered_map<int64_t, size_t> node;  // width → index
  std::vector<int64_t> balance;              // leaving − entering
  std::vector<size_t> parent;                // union-find over widths
  auto id = [&](int64_t w) {
    const auto [it, added] = node.emplace(w, node.size());
    if (added) balance.push_back(0), parent.push_back(it->second);
    return it->second;
  };
  auto root = [&](size_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  };
  for (const Pair& L : layers) {
    const size_t a = id(L.in()), b = id(L.out());
    ++balance[a];
    --balance[b];
    parent[root(a)] = root(b);
  }
  const size_t component = root(0);
  std::optional<int64_t> start;
  int ends = 0;
  for (const auto& [w, i] : node) {
    if (root(i) != component) return std::nullopt;
    if (balance[i] == 1) {
      if (start) return std::nullopt;
      start = w;
    } else if (balance[i] == -1) {
      if (++ends > 1) return std::nullopt;
    } else if (balance[i] != 0) {
      return std::nullopt;
    }
  }
  if (start.has_value() != (ends == 1)) return std::nullopt;
  return start ? start : std::optional<int64_t>(layers.front().in());
}

/// Orders the Linear layers into one chain, each layer's input width the previous one's
/// output width. Of all chains it returns the first in lexicographic order of the layers'
/// natural-sorted names: a depth-first search trying candidates in natural order, which finds
/// that chain first. Candidates are indexed by input width in dancing-links lists (Knuth,
/// "Dancing Links", 2000): taking and giving back a layer is O(1), so a search that does not
/// back off runs in O(n) after the sort (it was O(n²), 74 s for 100,000 layers). The search is
/// iterative (chains can be 100,000 layers deep), capped in steps, and polls `cancel`.
std::vector<Pair> chain_linears(const std::string& path, std::vector<Pair> layers,
                                const CancelToken* cancel) {
  std::sort(layers.begin(), layers.end(),
            [](const Pair& a, const Pair& b) { return natural_less(a.prefix, b.prefix); });
  if (cancel) cancel->check();
  const size_t n = layers.size();
  const std::optional<int64_t> start = chain_start(layers);
  if (!start) bad(path, "layers do not chain into one MLP (" + layer_shapes(layers) + ")");

  // Nodes 0..n-1 are the layers; node n + k heads the circular list of width k's candidates.
  std::unordered_map<int64_t, size_t> head;
  for (const Pair& L : layers) head.emplace(L.in(), n + head.size());
  std::vector<size_t> next(n + head.size()), prev(n + head.size());
  for (const auto& [w, h] : head) next[h] = prev[h] = h;
  for (size_t i = 0; i < n; ++i) {  // append in natural order
    const size_t h = head.at(layers[i].in());
    next[i] = h;
    prev[i] = prev[h];
    next[prev[h]] = i;
    prev[h] = i;
  }
  constexpr size_t kNone = SIZE_MAX;  // a width no layer takes as input: no candidates
  auto first_candidate = [&](int64_t width) {
    const auto it = head.find(width);
    return it == head.end() ? kNone : next[it->second];
  };

  // cursor[k]: the candidate being tried at position k; order[k]: the layer placed there.
  std::vector<size_t> order, cursor{first_candidate(*start)};
  order.reserve(n);
  cursor.reserve(n + 1);
  const size_t max_steps = 1'000'000 + 16 * n;
  size_t steps = 0;
  while (order.size() < n) {
    const size_t c = cursor.back();
    if (c == kNone || c >= n) {  // candidates at this position exhausted: back off
      cursor.pop_back();
      if (order.empty()) break;
      const size_t undo = order.back();
      order.pop_back();
      next[prev[undo]] = undo;  // give the layer back to its list
      prev[next[undo]] = undo;
      cursor.back() = next[undo];
      continue;
    }
    if (++steps > max_steps)
      bad(path, "layers could not be chained within " + std::to_string(max_steps) +
                    " search steps (" + layer_shapes(layers) + ")");
    poll(cancel, steps);
    next[prev[c]] = next[c];  // take the layer out of its list
    prev[next[c]] = prev[c];
    order.push_back(c);
    cursor.push_back(first_candidate(layers[c].out()));
  }
  if (order.size() < n) bad(path, "layers do not chain into one MLP (" + layer_shapes(layers) + ")");
  std::vector<Pair> chain;
  chain.reserve(n);
  for (size_t i : order) chain.push_back(layers[i]);
  return chain;
}

Mlp load_state_dict(const std::string& path, const SafetensorsFile& f, Activation activation,
                    const CancelToken* cancel) {
  std::vector<Pair> pairs;
  std::unordered_map<std::string, size_t> pair_index;  // prefix → index in pairs
  auto pair_for = [&](const std::string& prefix) -> Pair& {
    const auto [it, added] = pair_index.emplace(prefix, pairs.size());
    if (added) pairs.push_back(Pair{prefix});
    return pairs[it->second];
  };
  for (size_t i = 0; i < f.tensors.size(); ++i) {
    poll(cancel, i);
    // Named, not a structured binding: lambdas may not capture those before C++20 (clang 14).
    const std::string& name = f.tensors[i].first;
    const Tensor& t = f.tensors[i].second;
    auto ends = [&](const std::string& sfx) {
      return name == sfx || (name.size() > sfx.size() + 1 &&
                             name.compare(name.size() - sfx.size() - 1, std::string::npos,
                                          "." + sfx) == 0);
    };
    if (ends("weight")) {
      const std::string prefix = name == "weight" ? "" : name.substr(0, name.size() - 7);
      if (t.shape.size() != 2 && t.shape.size() != 1)
        bad(path, "tensor " + echo_input(name) + " has shape " + shape_string(t.shape) +
                      ", expected a 2-D [out, in] Linear weight or a 1-D LayerNorm weight");
      pair_for(prefix).w = &t;
    } else if (ends("bias")) {
      const std::string prefix = name == "bias" ? "" : name.substr(0, name.size() - 5);
      if (t.shape.size() != 1)
        bad(path, "tensor " + echo_input(name) + " has shape " + shape_string(t.shape) +
                      ", expected a 1-D [out] bias");
      pair_for(prefix).b = &t;
    } else {
      bad(path, "unexpected tensor " + echo_input(name) + " (an MLP has only <layer>.weight and "
                "<layer>.bias tensors)");
    }
  }
  if (pairs.empty()) bad(path, "no <layer>.weight / <layer>.bias tensors: not an MLP");
  std::vector<Pair> linears, norms;
  for (const auto& p : pairs) {
    if (!p.b) bad(path, "weight " + quoted(p.prefix, "weight") + " has no bias " +
                            quoted(p.prefix, "bias"));
    if (!p.w) bad(path, "bias " + quoted(p.prefix, "bias") + " has no weight " +
                            quoted(p.prefix, "weight"));
    if (p.w->shape.size() == 1) {  // a LayerNorm: weight and bias of one size
      if (p.b->shape != p.w->shape)
        bad(path, "tensor " + quoted(p.prefix, "weight") + " has shape " +
                      shape_string(p.w->shape) + ", expected a 2-D [out, in] Linear weight or "
                      "a 1-D LayerNorm weight of the shape of " + quoted(p.prefix, "bias") +
                      " " + shape_string(p.b->shape));
      norms.push_back(p);
      continue;
    }
    if (p.b->shape[0] != p.w->shape[0])
      bad(path, "tensor " + quoted(p.prefix, "bias") + " has shape " + shape_string(p.b->shape) +
                    " but " + quoted(p.prefix, "weight") + " has " + shape_string(p.w->shape));
    linears.push_back(p);
  }
  if (linears.empty())
    bad(path, "no 2-D <layer>.weight [out, in] tensors: not an MLP");
  const std::vector<Pair> chain = chain_linears(path, linears, cancel);
  if (norms.empty()) return assemble(path, chain, {}, activation);

  // LayerNorms: each hidden Linear takes the first unused norm, in natural order of names,
  // whose size equals its output size (nn.Sequential numbering Linear "0", LayerNorm "1",
  // Linear "3", ... pairs them up; so do "fc1"/"ln1" schemes). Every hidden layer needs one;
  // the output layer has none.
  std::sort(norms.begin(), norms.end(),
            [](const Pair& a, const Pair& b) { return natural_less(a.prefix, b.prefix); });
  auto norm_list = [&] { return layer_shapes(norms); };
  const size_t hidden = chain.size() - 1;
  if (norms.size() != hidden)
    bad(path, std::to_string(norms.size()) + " LayerNorm weight/bias pairs (" + norm_list() +
                  ") for " + std::to_string(hidden) +
                  " hidden layers: a LayerNorm must follow every hidden Linear, and only those");
  // The unused norms of each size, in natural order: the first one is the one to take.
  std::unordered_map<int64_t, std::deque<size_t>> by_size;
  for (size_t i = 0; i < norms.size(); ++i) by_size[norms[i].w->shape[0]].push_back(i);
  std::vector<Pair> assigned;
  for (size_t h = 0; h < hidden; ++h) {
    poll(cancel, h);
    auto it = by_size.find(chain[h].out());
    if (it == by_size.end() || it->second.empty())
      bad(path, "no LayerNorm of size " + std::to_string(chain[h].out()) + " for Linear " +
                    quoted(chain[h].prefix, "weight") + " (LayerNorms: " + norm_list() + ")");
    assigned.push_back(norms[it->second.front()]);
    it->second.pop_front();
  }
  return assemble(path, chain, assigned, activation);
}

}  // namespace

Mlp load_mlp(const std::string& path, std::optional<Activation> activation,
             const CancelToken* cancel) {
  return load_mlp(path, read_safetensors(path), activation, cancel);
}

Mlp load_mlp(const std::string& path, const SafetensorsFile& f,
             std::optional<Activation> activation, const CancelToken* cancel) {
  if (f.metadata.count("ridgeline.arch") && f.metadata.count("ridgeline.layers"))
    return load_with_metadata(path, f, cancel);
  return load_state_dict(path, f, activation.value_or(Activation::Relu), cancel);
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
