// Per-unit statistics of hidden layers and cross statistics of two MLPs (activation_matching.h).
#include <algorithm>
#include <cmath>

#include "ridgeline/align/activation_matching.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/models/mlp/mlp_compute.h"

namespace ridgeline {

void ColumnMoments::add(const float* block, int rows, int ld) {
  const int cols = static_cast<int>(mean_.size());
  if (ld <= 0) ld = cols;
  if (rows <= 0 || cols == 0) return;
  // The block's own mean and M2 (two passes in double), then Chan's merge into the totals.
  std::vector<double> bm(cols, 0.0), b2(cols, 0.0);
  for (int r = 0; r < rows; ++r) {
    const float* row = block + static_cast<size_t>(r) * ld;
    for (int c = 0; c < cols; ++c) bm[c] += row[c];
  }
  for (int c = 0; c < cols; ++c) bm[c] /= rows;
  for (int r = 0; r < rows; ++r) {
    const float* row = block + static_cast<size_t>(r) * ld;
    for (int c = 0; c < cols; ++c) {
      const double d = row[c] - bm[c];
      b2[c] += d * d;
    }
  }
  const double n = static_cast<double>(count_), nb = rows, tot = n + nb;
  for (int c = 0; c < cols; ++c) {
    const double delta = bm[c] - mean_[c];
    mean_[c] += delta * nb / tot;
    m2_[c] += b2[c] + delta * delta * n * nb / tot;
  }
  count_ += rows;
}

std::vector<double> ColumnMoments::std_dev() const {
  std::vector<double> s(m2_.size(), 0.0);
  if (count_ == 0) return s;
  for (size_t c = 0; c < s.size(); ++c) s[c] = std::sqrt(std::max(0.0, m2_[c] / count_));
  return s;
}

namespace {

void check_usable(const Mlp& m, const Dataset& data) {
  check_fits(m.arch, data, "model");
  if (data.n == 0) throw InputError(data.name + ": no samples");
}

int rows_used(const Dataset& data, int samples) {
  return samples <= 0 ? data.n : std::min(samples, data.n);
}

// Moments of one model's hidden layers, fed from device views of a forward pass.
struct ModelMoments {
  std::vector<ColumnMoments> linear, act;
  std::vector<float> host;

  explicit ModelMoments(const MlpArch& arch) {
    for (int l = 0; l < arch.num_hidden(); ++l) {
      linear.emplace_back(arch.widths[l + 1]);
      act.emplace_back(arch.widths[l + 1]);
    }
  }
  void add(Backend& be, const HiddenLayerView& v) {
    const size_t n = static_cast<size_t>(v.rows) * v.width;
    host.resize(n);
    be.download(host.data(), v.linear, n);
    linear[v.layer].add(host.data(), v.rows);
    be.download(host.data(), v.activation, n);
    act[v.layer].add(host.data(), v.rows);
  }
  UnitStatistics result() const {
    UnitStatistics s;
    for (size_t l = 0; l < linear.size(); ++l) {
      s.samples = static_cast<int>(linear[l].count());
      s.linear_mean.push_back(linear[l].mean());
      s.linear_std.push_back(linear[l].std_dev());
      s.act_mean.push_back(act[l].mean());
      s.act_std.push_back(act[l].std_dev());
    }
    return s;
  }
};

// Uploads the first `n` rows of data batch by batch and calls body(x_device, start, rows).
template <class Body>
void for_batches(Backend& be, const Dataset& data, int n, int batch, const CancelToken* cancel,
                 Body&& body) {
  DeviceBuffer x(be, static_cast<size_t>(batch) * data.dim);
  for (int start = 0; start < n; start += batch) {
    if (cancel) cancel->check();
    const int rows = std::min(batch, n - start);
    be.upload(x.data(), data.x.data() + static_cast<size_t>(start) * data.dim,
              static_cast<size_t>(rows) * data.dim);
    body(x.data(), rows);
  }
}

}  // namespace

UnitStatistics unit_statistics(Backend& be, const Mlp& model, const Dataset& data, int samples,
                               int batch, const CancelToken* cancel) {
  check_usable(model, data);
  const int n = rows_used(data, samples);
  batch = std::max(1, std::min(batch, n));
  MlpCompute net(be, model.arch, batch);
  DeviceBuffer p(be, model.params.size());
  be.upload(p.data(), model.params.data(), model.params.size());
  ModelMoments mom(model.arch);
  const LayerHook hook = [&](const HiddenLayerView& v) { mom.add(be, v); };
  for_batches(be, data, n, batch, cancel,
              [&](const float* x, int rows) { net.forward(p.data(), x, rows, hook); });
  return mom.result();
}

CrossStatistics cross_statistics(Backend& be, const Mlp& a, const Mlp& b, const Dataset& data,
                                 int samples, int batch, const CancelToken* cancel) {
  if (!a.arch.same_shape(b.arch))
    throw InputError("models have different architectures: " + a.arch.to_string() + " and " +
                     b.arch.to_string());
  check_usable(a, data);
  const int n = rows_used(data, samples);
  batch = std::max(1, std::min(batch, n));
  const MlpArch& arch = a.arch;
  const int H = arch.num_hidden();
  MlpCompute na(be, arch, batch), nb(be, arch, batch);
  DeviceBuffer pa(be, a.params.size()), pb(be, b.params.size());
  be.upload(pa.data(), a.params.data(), a.params.size());
  be.upload(pb.data(), b.params.data(), b.params.size());
  int widest = 0;
  for (int l = 0; l < H; ++l) widest = std::max(widest, arch.widths[l + 1]);
  DeviceBuffer gram(be, static_cast<size_t>(widest) * widest);
  std::vector<float> host_gram(gram.size());
  ModelMoments ma(arch), mb(arch);
  CrossStatistics s;
  for (int l = 0; l < H; ++l)
    s.cross.emplace_back(static_cast<size_t>(arch.widths[l + 1]) * arch.widths[l + 1], 0.0);
  // The views of both forward passes stay valid until each net's next forward().
  std::vector<HiddenLayerView> va(H), vb(H);
  const LayerHook hook_a = [&](const HiddenLayerView& v) { va[v.layer] = v; };
  const LayerHook hook_b = [&](const HiddenLayerView& v) { vb[v.layer] = v; };
  for_batches(be, data, n, batch, cancel, [&](const float* x, int rows) {
    na.forward(pa.data(), x, rows, hook_a);
    nb.forward(pb.data(), x, rows, hook_b);
    for (int l = 0; l < H; ++l) {
      ma.add(be, va[l]);
      mb.add(be, vb[l]);
      const int w = arch.widths[l + 1];
      // Gram block Aᵀ·B [w×w] of this batch's post-activations.
      be.gemm(Trans::Yes, Trans::No, w, w, rows, 1.0f, va[l].activation, w, vb[l].activation, w,
              0.0f, gram.data(), w);
      const size_t ww = static_cast<size_t>(w) * w;
      be.download(host_gram.data(), gram.data(), ww);
      std::vector<double>& c = s.cross[l];
      for (size_t i = 0; i < ww; ++i) c[i] += host_gram[i];
    }
  });
  for (auto& c : s.cross)
    for (double& v : c) v /= n;
  s.samples = n;
  s.a = ma.result();
  s.b = mb.result();
  return s;
}

std::vector<double> correlation_matrix(const CrossStatistics& s, int layer) {
  const std::vector<double>& ma = s.a.act_mean[layer];
  const std::vector<double>& sa = s.a.act_std[layer];
  const std::vector<double>& mb = s.b.act_mean[layer];
  const std::vector<double>& sb = s.b.act_std[layer];
  const size_t wa = ma.size(), wb = mb.size();
  std::vector<double> corr(wa * wb);
  for (size_t i = 0; i < wa; ++i)
    for (size_t j = 0; j < wb; ++j)
      corr[i * wb + j] = (s.cross[layer][i * wb + j] - ma[i] * mb[j]) / (sa[i] * sb[j] + 1e-4);
  return corr;
}

}  // namespace ridgeline
