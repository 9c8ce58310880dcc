// REPAIR for transformers (repair_transformer.h).
#include "repair_transformer.h"

#include <algorithm>
#include <string>

#include "ridgeline/core/errors.h"

namespace ridgeline::detail {
namespace {

struct Fc1 {
  size_t weight = 0, bias = 0;
  int units = 0, in = 0;
};

// Every block's fc1 ("blocks.<l>.mlp.fc1.weight" [ff, d] and ".bias" [ff]), in block order.
std::vector<Fc1> fc1_blocks(const ModelArch& arch) {
  std::vector<Fc1> out;
  const std::string w = ".mlp.fc1.weight", b = ".mlp.fc1.bias";
  auto ends_with = [](const std::string& s, const std::string& t) {
    return s.size() >= t.size() && s.compare(s.size() - t.size(), t.size(), t) == 0;
  };
  for (const ParamBlockInfo& p : arch.blocks()) {
    if (ends_with(p.name, w) && p.shape.size() == 2) {
      out.push_back({p.offset, 0, static_cast<int>(p.shape[0]), static_cast<int>(p.shape[1])});
    } else if (ends_with(p.name, b) && !out.empty()) {
      out.back().bias = p.offset;
    }
  }
  return out;
}

// Runs the model over the first n rows in batches; `on_layer` sees every block's fc1 output.
void over_rows(Backend& be, const ModelArch& arch, const std::vector<float>& params,
               const Dataset& data, const RepairConfig& cfg, const CancelToken* cancel,
               const LayerHook& on_layer) {
  arch.check_fits(data, "REPAIR: model");
  if (data.n == 0) throw InputError("REPAIR: " + data.name + ": no samples");
  const int n = cfg.samples <= 0 ? data.n : std::min(cfg.samples, data.n);
  const int batch = std::max(1, std::min(cfg.batch, n));
  auto net = arch.compute(be, batch);
  DeviceBuffer p(be, params.size());
  be.upload(p.data(), params.data(), params.size());
  for (int s = 0; s < n; s += batch) {
    if (cancel) cancel->check();
    const int rows = std::min(batch, n - s);
    net->forward(p.data(), data.x.data() + static_cast<size_t>(s) * data.dim, rows, on_layer);
  }
}

}  // namespace

UnitStatistics transformer_unit_statistics(Backend& be, const Model& m, const Dataset& data,
                                           const RepairConfig& cfg, const CancelToken* cancel) {
  const std::vector<Fc1> fc1 = fc1_blocks(m.architecture());
  std::vector<ColumnMoments> lin, act;
  for (const Fc1& f : fc1) {
    lin.emplace_back(f.units);
    act.emplace_back(f.units);
  }
  std::vector<float> host;
  over_rows(be, m.architecture(), m.params, data, cfg, cancel, [&](const HiddenLayerView& v) {
    const size_t k = static_cast<size_t>(v.rows) * v.width;
    host.resize(k);
    be.download(host.data(), v.linear, k);
    lin[v.layer].add(host.data(), v.rows);
    be.download(host.data(), v.activation, k);
    act[v.layer].add(host.data(), v.rows);
  });
  UnitStatistics s;
  s.samples = cfg.samples <= 0 ? data.n : std::min(cfg.samples, data.n);
  for (size_t l = 0; l < fc1.size(); ++l) {
    s.linear_mean.push_back(lin[l].mean());
    s.linear_std.push_back(lin[l].std_dev());
    s.act_mean.push_back(act[l].mean());
    s.act_std.push_back(act[l].std_dev());
  }
  return s;
}

std::vector<float> transformer_repair_point(Backend& be, const Model& a, const Model& b,
                                            double alpha, const Dataset& data,
                                            const RepairConfig& cfg,
                                            const RepairStatistics& endpoints,
                                            const CancelToken* cancel) {
  if (alpha == 0.0) return a.params;
  if (alpha == 1.0) return b.params;
  const ModelArch& arch = a.architecture();
  const std::vector<Fc1> fc1 = fc1_blocks(arch);
  auto fits = [&](const UnitStatistics& s) {
    if (s.linear_mean.size() != fc1.size() || s.linear_std.size() != fc1.size()) return false;
    for (size_t l = 0; l < fc1.size(); ++l)
      if (static_cast<int>(s.linear_mean[l].size()) != fc1[l].units ||
          static_cast<int>(s.linear_std[l].size()) != fc1[l].units)
        return false;
    return true;
  };
  if (!fits(endpoints.a) || !fits(endpoints.b))
    throw InputError("REPAIR: endpoint statistics do not match " + arch.to_string());
  std::vector<std::vector<double>> mu_t, sd_t;
  repair_targets(endpoints, alpha, mu_t, sd_t);
  std::vector<float> p(a.params.size());
  const float al = static_cast<float>(alpha);
  for (size_t i = 0; i < p.size(); ++i) p[i] = a.params[i] + al * (b.params[i] - a.params[i]);
  std::vector<float> host;
  for (size_t l = 0; l < fc1.size(); ++l) {
    // Block l's fc1 output, measured with blocks 0..l−1 already corrected.
    ColumnMoments mom(fc1[l].units);
    over_rows(be, arch, p, data, cfg, cancel, [&](const HiddenLayerView& v) {
      if (v.layer != static_cast<int>(l)) return;
      const size_t k = static_cast<size_t>(v.rows) * v.width;
      host.resize(k);
      be.download(host.data(), v.linear, k);
      mom.add(host.data(), v.rows);
    });
    const std::vector<double>& mu = mom.mean();
    const std::vector<double> sd = mom.std_dev();
    float* W = p.data() + fc1[l].weight;
    float* bias = p.data() + fc1[l].bias;
    for (int j = 0; j < fc1[l].units; ++j) {
      const double scale = sd_t[l][j] / std::max(sd[j], 1e-8);
      float* row = W + static_cast<size_t>(j) * fc1[l].in;
      for (int i = 0; i < fc1[l].in; ++i) row[i] = static_cast<float>(row[i] * scale);
      bias[j] = static_cast<float>((bias[j] - mu[j]) * scale + mu_t[l][j]);
    }
  }
  return p;
}

}  // namespace ridgeline::detail
