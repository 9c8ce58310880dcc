// REPAIR of interpolated networks (repair.h).
#include "ridgeline/paths/repair.h"

#include <algorithm>
#include <chrono>

#include "ridgeline/core/errors.h"
#include "ridgeline/models/mlp/mlp_layers.h"
#include "ridgeline/models/transformer/transformer.h"
#include "ridgeline/paths/evaluator.h"
#include "repair_transformer.h"

namespace ridgeline {

namespace {

void check_pair(const Mlp& a, const Mlp& b) {
  if (!a.arch.same_shape(b.arch))
    throw InputError("models have different architectures: " + a.arch.to_string() + " and " +
                     b.arch.to_string());
  const size_t total = a.layout().total;
  if (a.params.size() != total || b.params.size() != total)
    throw InputError("model parameters do not match the architecture " + a.arch.to_string());
}

void check_data(const Mlp& m, const Dataset& data) {
  check_fits(m.arch, data, "model");
  if (data.n == 0) throw InputError(data.name + ": no samples");
}

bool stats_fit(const UnitStatistics& s, const MlpArch& arch) {
  if (static_cast<int>(s.linear_mean.size()) != arch.num_hidden() ||
      s.linear_std.size() != s.linear_mean.size())
    return false;
  for (int l = 0; l < arch.num_hidden(); ++l)
    if (static_cast<int>(s.linear_mean[l].size()) != arch.widths[l + 1] ||
        static_cast<int>(s.linear_std[l].size()) != arch.widths[l + 1])
      return false;
  return true;
}

RepairStatistics mlp_repair_statistics(Backend& be, const Mlp& a, const Mlp& b, const Dataset& data,
                                       const RepairConfig& cfg, const CancelToken* cancel) {
  check_pair(a, b);
  return {unit_statistics(be, a, data, cfg.samples, cfg.batch, cancel),
          unit_statistics(be, b, data, cfg.samples, cfg.batch, cancel)};
}

}  // namespace

std::string repair_unsupported(const ModelArch& arch) {
  if (as_mlp_arch(arch) || as_transformer_arch(arch)) return {};
  return "REPAIR needs an MLP or a transformer (hidden units to rescale), not a " + arch.kind() +
         " model";
}

namespace {

bool is_transformer(const Model& m) { return as_transformer_arch(m.architecture()) != nullptr; }

void check_transformer_pair(const Model& a, const Model& b) {
  if (!a.architecture().same_shape(b.architecture()))
    throw InputError("models have different architectures: " + a.architecture().to_string() +
                     " and " + b.architecture().to_string());
  if (a.params.size() != a.architecture().num_params() || b.params.size() != a.params.size())
    throw InputError("model parameters do not match the architecture " +
                     a.architecture().to_string());
}

}  // namespace

RepairStatistics repair_statistics(Backend& be, const Model& a, const Model& b, const Dataset& data,
                                   const RepairConfig& cfg, const CancelToken* cancel) {
  if (is_transformer(a)) {
    check_transformer_pair(a, b);
    return {detail::transformer_unit_statistics(be, a, data, cfg, cancel),
            detail::transformer_unit_statistics(be, b, data, cfg, cancel)};
  }
  // Statistics of hidden units: MLPs and transformers.
  return mlp_repair_statistics(be, to_mlp(a, "REPAIR statistics: model A"),
                               to_mlp(b, "REPAIR statistics: model B"), data, cfg, cancel);
}

std::vector<float> repair_interpolated_params(Backend& be, const Model& a, const Model& b,
                                              double alpha, const Dataset& data,
                                              const RepairConfig& cfg,
                                              const CancelToken* cancel) {
  const RepairStatistics ends = repair_statistics(be, a, b, data, cfg, cancel);
  if (is_transformer(a))
    return detail::transformer_repair_point(be, a, b, alpha, data, cfg, ends, cancel);
  return repair_interpolated(be, to_mlp(a, "REPAIR"), to_mlp(b, "REPAIR"), alpha, data, cfg, ends,
                             cancel)
      .params;
}

Mlp interpolate_params(const Mlp& a, const Mlp& b, double alpha) {
  check_pair(a, b);
  if (alpha == 1.0) return b;
  Mlp m = a;
  const float al = static_cast<float>(alpha);
  for (size_t i = 0; i < m.params.size(); ++i) m.params[i] = a.params[i] + al * (b.params[i] - a.params[i]);
  return m;
}

void repair_targets(const RepairStatistics& e, double alpha, std::vector<std::vector<double>>& mean,
                    std::vector<std::vector<double>>& std) {
  const size_t H = e.a.linear_mean.size();
  mean.assign(H, {});
  std.assign(H, {});
  for (size_t l = 0; l < H; ++l) {
    const size_t w = e.a.linear_mean[l].size();
    mean[l].resize(w);
    std[l].resize(w);
    for (size_t j = 0; j < w; ++j) {
      mean[l][j] = (1.0 - alpha) * e.a.linear_mean[l][j] + alpha * e.b.linear_mean[l][j];
      std[l][j] = (1.0 - alpha) * e.a.linear_std[l][j] + alpha * e.b.linear_std[l][j];
    }
  }
}

Mlp repair_interpolated(Backend& be, const Mlp& a, const Mlp& b, double alpha, const Dataset& data,
                        const RepairConfig& cfg, const CancelToken* cancel) {
  check_pair(a, b);
  if (alpha == 0.0) return a;
  if (alpha == 1.0) return b;
  return repair_interpolated(be, a, b, alpha, data, cfg, mlp_repair_statistics(be, a, b, data, cfg, cancel),
                             cancel);
}

namespace {

// repair_interpolated with the endpoint statistics; when scale0 is not null it receives the
// factor each layer-0 unit's row of W(α) was multiplied by (1 at the endpoints), for
// the evaluator's first-layer hook.
Mlp repair_point(Backend& be, const Mlp& a, const Mlp& b, double alpha, const Dataset& data,
                 const RepairConfig& cfg, const RepairStatistics& endpoints,
                 const CancelToken* cancel, std::vector<float>* scale0) {
  check_pair(a, b);
  if (scale0) scale0->assign(a.arch.widths[1], 1.0f);
  // REPAIR is the identity at the endpoints up to float rounding: return them exactly.
  if (alpha == 0.0) return a;
  if (alpha == 1.0) return b;
  check_data(a, data);
  const MlpArch& arch = a.arch;
  if (!stats_fit(endpoints.a, arch) || !stats_fit(endpoints.b, arch))
    throw InputError("REPAIR: endpoint statistics do not match " + arch.to_string());
  std::vector<std::vector<double>> mu_t, sd_t;
  repair_targets(endpoints, alpha, mu_t, sd_t);

  Mlp m = interpolate_params(a, b, alpha);
  const ParamLayout lay(arch);
  const int H = arch.num_hidden();
  const int n = cfg.samples <= 0 ? data.n : std::min(cfg.samples, data.n);
  const int batch = std::max(1, std::min(cfg.batch, n));
  int widest = arch.in_dim();
  for (int l = 0; l < H; ++l) widest = std::max(widest, arch.widths[l + 1]);

  // Layer by layer over all n rows, kept on the device: the input of hidden layer l, its
  // Linear output (measured, corrected, then recomputed with the corrected weights), then
  // LayerNorm and the activation in place, which becomes the next layer's input. The
  // Linear runs in the same row batches as MlpCompute::forward, so the statistics are those
  // a forward pass of the repaired net gives.
  DeviceBuffer p(be, m.params.size()), hin(be, static_cast<size_t>(n) * widest),
      z(be, static_cast<size_t>(n) * widest);
  be.upload(p.data(), m.params.data(), m.params.size());
  be.upload(hin.data(), data.x.data(), static_cast<size_t>(n) * arch.in_dim());
  std::vector<float> host(static_cast<size_t>(batch) * widest);
  float* in = hin.data();
  float* out = z.data();
  for (int l = 0; l < H; ++l) {
    if (cancel) cancel->check();
    const int fin = arch.widths[l], fout = arch.widths[l + 1];
    auto linear = [&] {
      for (int s = 0; s < n; s += batch)
        mlp_linear(be, arch, lay, l, p.data(), 0, 1, in + static_cast<size_t>(s) * fin, 0,
                   std::min(batch, n - s), out + static_cast<size_t>(s) * fout);
    };
    linear();
    ColumnMoments mom(fout);
    for (int s = 0; s < n; s += batch) {
      const int rows = std::min(batch, n - s);
      be.download(host.data(), out + static_cast<size_t>(s) * fout, static_cast<size_t>(rows) * fout);
      mom.add(host.data(), rows);
    }
    const std::vector<double>& mu = mom.mean();
    const std::vector<double> sd = mom.std_dev();
    // Fold x ↦ (x − μ)·σ_t/σ + μ_t into the Linear layer.
    float* W = m.params.data() + lay.weight_offset[l];
    float* bias = m.params.data() + lay.bias_offset[l];
    for (int j = 0; j < fout; ++j) {
      const double scale = sd_t[l][j] / std::max(sd[j], 1e-8);
      if (l == 0 && scale0) (*scale0)[j] = static_cast<float>(scale);
      float* row = W + static_cast<size_t>(j) * fin;
      for (int i = 0; i < fin; ++i) row[i] = static_cast<float>(row[i] * scale);
      bias[j] = static_cast<float>((bias[j] - mu[j]) * scale + mu_t[l][j]);
    }
    be.upload(p.data() + lay.weight_offset[l], W, static_cast<size_t>(fout) * fin);
    be.upload(p.data() + lay.bias_offset[l], bias, fout);
    if (l + 1 == H) break;  // nothing downstream is measured
    linear();
    mlp_hidden_post(be, arch, lay, l, p.data(), 0, 1, n, out, out, nullptr, nullptr, out);
    std::swap(in, out);
  }
  be.synchronize();
  return m;
}

}  // namespace

Mlp repair_interpolated(Backend& be, const Mlp& a, const Mlp& b, double alpha, const Dataset& data,
                        const RepairConfig& cfg, const RepairStatistics& endpoints,
                        const CancelToken* cancel) {
  return repair_point(be, a, b, alpha, data, cfg, endpoints, cancel, nullptr);
}

InterpolationResult interpolate_repaired(Backend& be, const Model& ma, const Model& mb,
                                         const DataSplits& data, const InterpolationConfig& cfg,
                                         const RepairConfig& rcfg, const ProgressFn& progress,
                                         const CancelToken* cancel) {
  // REPAIR acts on hidden units: an MLP's, or each block's MLP of a transformer.
  const bool transformer = is_transformer(ma);
  Mlp a, b;
  if (transformer) {
    check_transformer_pair(ma, mb);
    ma.architecture().check_fits(data.train, "REPAIR: model");
  } else {
    a = to_mlp(ma, "REPAIR");
    b = to_mlp(mb, "REPAIR");
    check_pair(a, b);
    check_data(a, data.train);
  }
  const std::vector<const Dataset*> sets = path_splits(*ma.arch, data, cfg);
  const auto t0 = std::chrono::steady_clock::now();
  InterpolationResult r;
  r.alpha = alpha_grid(cfg.points);
  const RepairStatistics ends = repair_statistics(be, ma, mb, data.train, rcfg, cancel);
  const int P = static_cast<int>(r.alpha.size());
  const int chunk = std::max(1, cfg.chunk);
  // Progress: one unit per repaired α, then one per evaluated data chunk.
  long long total = P, done = 0;
  for (const Dataset* d : sets) total += ma.arch->evaluation_chunks(P, chunk, d->n);
  auto step = [&] {
    ++done;
    if (progress) progress({"interpolate repaired", done, total, ""});
  };
  // The per-α REPAIR (statistics on the training subset), then every α of a split evaluated
  // together by the evaluator over the line's points, with per-point hooks: each point's
  // parameters replaced by its REPAIRed ones, and for an MLP layer 0's shared linear output
  // scaled by the factor REPAIR gave each unit's row of W_0(α) (the REPAIRed W_0 itself is
  // not read; the transformer's evaluator shares no first layer).
  std::vector<std::vector<float>> params(P), scale0(P);
  for (int k = 0; k < P; ++k) {
    params[k] = transformer
                    ? detail::transformer_repair_point(be, ma, mb, r.alpha[k], data.train, rcfg,
                                                       ends, cancel)
                    : repair_point(be, a, b, r.alpha[k], data.train, rcfg, ends, cancel, &scale0[k])
                          .params;
    step();
  }
  PointHooks hooks;
  hooks.on_params = [&](Backend& b2, int k, float* p) {
    b2.upload(p, params[k].data(), params[k].size());
  };
  DeviceBuffer scales;
  if (!transformer) {
    require(be, Op::ScaleColumns);
    scales = DeviceBuffer(be, static_cast<size_t>(P) * a.arch.widths[1]);
    for (int k = 0; k < P; ++k)
      be.upload(scales.data() + static_cast<size_t>(k) * a.arch.widths[1], scale0[k].data(),
                scale0[k].size());
    hooks.on_first_layer = [&](Backend& b2, int k, float* z, int rows, int width) {
      b2.scale_columns(z, scales.data() + static_cast<size_t>(k) * width, rows, width);
    };
  }
  const ParameterPoints line = line_points(ma.params, mb.params, r.alpha);
  evaluate_splits(be, *ma.arch, line, sets, data, chunk, hooks, [&](const Dataset*) { step(); },
                  cancel, r);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace ridgeline
