// Layer-wise barriers (paths/layerwise.h): hybrid endpoints, one straight path each.
#include "ridgeline/paths/layerwise.h"

#include <chrono>
#include <cmath>

#include "ridgeline/core/errors.h"

namespace ridgeline {

std::vector<LayerGroup> layer_groups(const ModelArch& arch) {
  std::vector<LayerGroup> out;
  for (const auto& b : arch.blocks()) {
    const size_t dot = b.name.rfind('.');
    const std::string layer = dot == std::string::npos ? b.name : b.name.substr(0, dot);
    if (out.empty() || out.back().name != layer) {
      bool seen = false;
      for (auto& g : out)
        if (g.name == layer) {
          g.blocks.push_back(b.name);
          seen = true;
        }
      if (seen) continue;
      out.push_back({layer, {}});
    }
    out.back().blocks.push_back(b.name);
  }
  return out;
}

Model hybrid_model(const Model& base, const Model& other, const std::vector<std::string>& blocks) {
  check_same_shape(*base.arch, *other.arch);
  Model m = base;
  const auto all = base.arch->blocks();
  for (const auto& name : blocks) {
    const ParamBlockInfo* info = nullptr;
    for (const auto& b : all)
      if (b.name == name) info = &b;
    if (!info) throw InputError("no parameter block '" + name + "' in " + base.arch->to_string());
    size_t n = 1;
    for (int64_t d : info->shape) n *= static_cast<size_t>(d);
    std::copy(other.params.begin() + static_cast<std::ptrdiff_t>(info->offset),
              other.params.begin() + static_cast<std::ptrdiff_t>(info->offset + n),
              m.params.begin() + static_cast<std::ptrdiff_t>(info->offset));
  }
  return m;
}

LayerwiseResult layerwise(Backend& backend, const Model& a, const std::string& a_name,
                          const Model& b, const std::string& b_name, const DataSplits& data,
                          const LayerwiseConfig& cfg, const ProgressFn& progress,
                          const CancelToken* cancel) {
  check_compatible(*a.arch, a_name, *b.arch, b_name);
  const auto t0 = std::chrono::steady_clock::now();
  LayerwiseResult r;
  r.a = a_name;
  r.b = b_name;
  r.layers = layer_groups(*a.arch);
  const size_t nl = r.layers.size();
  for (const std::string base : {"a", "b"}) {
    if (base == "b" && !cfg.from_b) continue;
    for (int cumulative = 0; cumulative < 2; ++cumulative) {
      if (cumulative && !cfg.cumulative) continue;
      // A cumulative path over every layer is the whole path; with one layer, the cumulative
      // path of layer 1 is its single path.
      const size_t first = cumulative ? 1 : 0, last = cumulative ? nl - 1 : nl;
      for (size_t l = first; l < last; ++l) {
        LayerwisePath p;
        p.layer = r.layers[l].name;
        p.cumulative = cumulative != 0;
        p.base = base;
        for (size_t k = cumulative ? 0 : l; k <= l; ++k) p.layers.push_back(r.layers[k].name);
        r.paths.push_back(std::move(p));
      }
    }
  }
  const long long total = static_cast<long long>(r.paths.size()) + 1;
  long long done = 0;
  auto report = [&](const std::string& what) {
    if (progress) progress({"layer-wise", done, total, what});
  };
  for (auto& p : r.paths) {
    if (cancel) cancel->check();
    report(layerwise_path_label(p));
    std::vector<std::string> blocks;
    for (const auto& name : p.layers)
      for (const auto& g : r.layers)
        if (g.name == name) blocks.insert(blocks.end(), g.blocks.begin(), g.blocks.end());
    // Rest at A: from A to (A with the layers from B). Rest at B: from (B with the layers
    // from A) to B. Either way α = 0 puts the interpolated layers at A, α = 1 at B.
    const Model from = p.base == "a" ? a : hybrid_model(b, a, blocks);
    const Model to = p.base == "a" ? hybrid_model(a, b, blocks) : b;
    p.curve = interpolate(backend, from, to, data, cfg, {}, cancel);
    ++done;
  }
  report("the whole path");
  r.whole = interpolate(backend, a, b, data, cfg, {}, cancel);
  ++done;
  report("done");
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

std::string layerwise_range(const LayerwisePath& p) {
  return p.layers.size() == 1 ? p.layers.front() : p.layers.front() + ".." + p.layers.back();
}

std::string layerwise_path_label(const LayerwisePath& p) {
  return layerwise_range(p) + " (rest at " + (p.base == "a" ? "A" : "B") + ")";
}

double layerwise_loss_barrier(const InterpolationResult& c, bool train_split) {
  const SplitCurve* s = preferred_split(c, train_split);
  return s ? s->barriers.loss_lin : NAN;
}

const LayerwisePath* highest_single_layer(const LayerwiseResult& r, bool train_split) {
  const LayerwisePath* best = nullptr;
  for (const auto& p : r.paths)
    if (!p.cumulative && (!best || layerwise_loss_barrier(p.curve, train_split) >
                                       layerwise_loss_barrier(best->curve, train_split)))
      best = &p;
  return best;
}

}  // namespace ridgeline
