// Linear interpolation between two MLPs and its barriers (see interpolation.h).
#include "ridgeline/interpolation.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "ridgeline/errors.h"

namespace ridgeline {

namespace {
// Rows per chunk: at most `chunk`, and P·rows·widest activations within ~64M floats.
int chunk_rows(const MlpArch& arch, int P, int chunk, int n) {
  int widest = 0;
  for (int l = 1; l <= arch.num_layers(); ++l) widest = std::max(widest, arch.widths[l]);
  const long long cap = (64ll << 20) / (static_cast<long long>(P) * widest);
  return static_cast<int>(std::max(1ll, std::min<long long>({chunk, n, cap})));
}
}  // namespace

std::vector<double> alpha_grid(int points) {
  if (points < 2) throw InputError("--points: need at least 2 points, got " + std::to_string(points));
  std::vector<double> a(points);
  for (int k = 0; k < points; ++k) a[k] = static_cast<double>(k) / (points - 1);
  a.back() = 1.0;
  return a;
}

double barrier_linear(const std::vector<double>& alpha, const std::vector<double>& v) {
  const double v0 = v.front(), v1 = v.back();
  double best = -INFINITY;
  for (size_t k = 0; k < v.size(); ++k)
    best = std::max(best, v[k] - ((1.0 - alpha[k]) * v0 + alpha[k] * v1));
  return best;
}

double barrier_midpoint(const std::vector<double>& v) {
  return *std::max_element(v.begin(), v.end()) - 0.5 * (v.front() + v.back());
}

Barriers curve_barriers(const std::vector<double>& alpha, const std::vector<double>& loss,
                        const std::vector<double>& error) {
  return {barrier_linear(alpha, loss), barrier_midpoint(loss), barrier_linear(alpha, error),
          barrier_midpoint(error)};
}

const SplitCurve* preferred_split(const InterpolationResult& r, bool train_split) {
  const std::optional<SplitCurve>& first = train_split ? r.train : r.test;
  const std::optional<SplitCurve>& second = train_split ? r.test : r.train;
  if (first) return &*first;
  if (second) return &*second;
  return nullptr;
}

namespace {
// The batched evaluation behind both evaluate_path overloads: the straight line's points
// θ_A + α_k Δ, or `points` (PathPoints) when not null.
void evaluate_points(Backend& be, const Mlp& a, const Mlp& b, const std::vector<double>& alpha,
                     const PathPoints* points, const Dataset& data, int chunk,
                     std::vector<double>& loss, std::vector<double>& error,
                     const std::function<void()>& on_chunk, const CancelToken* cancel) {
  const MlpArch& arch = a.arch;
  const ParamLayout lay(arch);
  const int P = static_cast<int>(alpha.size());
  const int L = arch.num_layers();
  const size_t T = lay.total;
  int widest = 0;
  for (int l = 1; l <= L; ++l) widest = std::max(widest, arch.widths[l]);
  const int m = chunk_rows(arch, P, chunk, data.n);
  // Fail by name, before any work, when the backend lacks an op of this path.
  for (Op op : {Op::Axpby, Op::Lerp, Op::Gemm, Op::GemmBatched, Op::Bias, Op::SoftmaxXent})
    require(be, op);
  require(be, arch.activation == Activation::Gelu ? Op::Gelu : Op::Relu);
  if (arch.layernorm) require(be, Op::LayerNorm);
  if (points) require(be, Op::ScaleColumns);

  // θ_k = θ_A + α_k(θ_B − θ_A), and θ_B itself at α = 1: exact at both endpoints, and
  // constant along the path when the endpoints are identical (Δ = 0 exactly).
  // With `points`, θ_k is points->params[k] and layer 0's output gets its per-unit scale.
  const int h0w = arch.widths[1];
  DeviceBuffer pa(be, T), pb(be, T), delta(be, T), pk(be, T * P), scale0;
  be.upload(pa.data(), a.params.data(), T);
  be.upload(pb.data(), b.params.data(), T);
  be.copy(delta.data(), pb.data(), T);
  be.axpby(-1.0f, pa.data(), 1.0f, delta.data(), T);
  if (points) scale0 = DeviceBuffer(be, static_cast<size_t>(P) * h0w);
  for (int k = 0; k < P; ++k) {
    float* dst = pk.data() + k * T;
    if (points) {
      be.upload(dst, points->params[k].data(), T);
      be.upload(scale0.data() + static_cast<size_t>(k) * h0w, points->layer0_scale[k].data(), h0w);
    } else if (alpha[k] == 1.0) {
      be.copy(dst, pb.data(), T);
    } else {
      be.lerp(dst, pa.data(), delta.data(), static_cast<float>(alpha[k]), T);
    }
  }
  const size_t act = static_cast<size_t>(P) * m * widest;
  DeviceBuffer x(be, static_cast<size_t>(m) * arch.in_dim()), y(be, m);
  DeviceBuffer za(be, static_cast<size_t>(m) * arch.widths[1]), zb(be, za.size()), zd(be, za.size());
  DeviceBuffer h0(be, act), h1(be, act), row_loss(be, static_cast<size_t>(P) * m),
      row_correct(be, static_cast<size_t>(P) * m);
  std::vector<float> labels(m), hl(static_cast<size_t>(P) * m), hc(hl.size());
  std::vector<double> sum_loss(P, 0.0), sum_correct(P, 0.0);
  // After hidden layer l's Linear, on all α at once ([P][rows][width] in z, in place): the
  // LayerNorm with each α's own γ(α), β(α), then the activation.
  auto hidden = [&](int l, float* z, int rows) {
    const int w = arch.widths[l + 1];
    const size_t per = static_cast<size_t>(rows) * w;
    if (arch.layernorm)
      for (int k = 0; k < P; ++k) {
        const float* pkk = pk.data() + k * T;
        be.layernorm(z + k * per, pkk + lay.ln_weight_offset[l], pkk + lay.ln_bias_offset[l], rows,
                     w, kLayerNormEps, z + k * per, nullptr, nullptr);
      }
    if (arch.activation == Activation::Gelu) be.gelu(z, z, per * P);
    else be.relu(z, per * P);
  };

  for (int start = 0; start < data.n; start += m) {
    if (cancel) cancel->check();
    const int rows = std::min(m, data.n - start);
    const int d = arch.in_dim();
    be.upload(x.data(), data.x.data() + static_cast<size_t>(start) * d, static_cast<size_t>(rows) * d);
    for (int r = 0; r < rows; ++r) labels[r] = static_cast<float>(data.y[start + r]);
    be.upload(y.data(), labels.data(), rows);

    // Layer 0, affine in α: Z(α) = X·W_Aᵀ + α·(X·W_Bᵀ − X·W_Aᵀ) — two GEMMs serve every α.
    const int h = arch.widths[1];
    const size_t zs = static_cast<size_t>(rows) * h;
    be.gemm(Trans::No, Trans::Yes, rows, h, d, 1.0f, x.data(), d, pa.data() + lay.weight_offset[0],
            d, 0.0f, za.data(), h);
    be.gemm(Trans::No, Trans::Yes, rows, h, d, 1.0f, x.data(), d, pb.data() + lay.weight_offset[0],
            d, 0.0f, zb.data(), h);
    be.copy(zd.data(), zb.data(), zs);
    float* cur = h0.data();
    float* nxt = h1.data();
    be.axpby(-1.0f, za.data(), 1.0f, zd.data(), zs);  // zd = X·ΔWᵀ (zb kept for α = 1)
    for (int k = 0; k < P; ++k) {
      float* hk = cur + k * zs;
      if (alpha[k] == 1.0) be.copy(hk, zb.data(), zs);
      else be.lerp(hk, za.data(), zd.data(), static_cast<float>(alpha[k]), zs);
      if (points) be.scale_columns(hk, scale0.data() + static_cast<size_t>(k) * h, rows, h);
      be.add_bias(hk, pk.data() + k * T + lay.bias_offset[0], rows, h);
    }
    if (L > 1) hidden(0, cur, rows);
    // Later layers: one strided-batched GEMM over all α.
    for (int l = 1; l < L; ++l) {
      const int in = arch.widths[l], out = arch.widths[l + 1];
      be.gemm_batched(Trans::No, Trans::Yes, rows, out, in, 1.0f, cur, in,
                      static_cast<long long>(rows) * in, pk.data() + lay.weight_offset[l], in,
                      static_cast<long long>(T), 0.0f, nxt, out, static_cast<long long>(rows) * out,
                      P);
      for (int k = 0; k < P; ++k)
        be.add_bias(nxt + static_cast<size_t>(k) * rows * out, pk.data() + k * T + lay.bias_offset[l],
                    rows, out);
      if (l + 1 < L) hidden(l, nxt, rows);
      std::swap(cur, nxt);
    }
    be.softmax_xent(cur, y.data(), P * rows, arch.classes(), rows, row_loss.data(),
                    row_correct.data(), nullptr, 0.0f);
    be.download(hl.data(), row_loss.data(), static_cast<size_t>(P) * rows);
    be.download(hc.data(), row_correct.data(), static_cast<size_t>(P) * rows);
    for (int k = 0; k < P; ++k)
      for (int r = 0; r < rows; ++r) {
        sum_loss[k] += hl[static_cast<size_t>(k) * rows + r];
        sum_correct[k] += hc[static_cast<size_t>(k) * rows + r];
      }
    if (on_chunk) on_chunk();
  }
  loss.assign(P, 0.0);
  error.assign(P, 0.0);
  for (int k = 0; k < P; ++k) {
    loss[k] = sum_loss[k] / data.n;
    error[k] = 1.0 - sum_correct[k] / data.n;
  }
}

}  // namespace

void evaluate_path(Backend& be, const Mlp& a, const Mlp& b, const std::vector<double>& alpha,
                   const Dataset& data, int chunk, std::vector<double>& loss,
                   std::vector<double>& error, const std::function<void()>& on_chunk,
                   const CancelToken* cancel) {
  evaluate_points(be, a, b, alpha, nullptr, data, chunk, loss, error, on_chunk, cancel);
}

void evaluate_path(Backend& be, const Mlp& a, const Mlp& b, const std::vector<double>& alpha,
                   const PathPoints& points, const Dataset& data, int chunk,
                   std::vector<double>& loss, std::vector<double>& error,
                   const std::function<void()>& on_chunk, const CancelToken* cancel) {
  const size_t P = alpha.size(), T = ParamLayout(a.arch).total;
  bool fits = points.params.size() == P && points.layer0_scale.size() == P;
  for (size_t k = 0; fits && k < P; ++k)
    fits = points.params[k].size() == T &&
           static_cast<int>(points.layer0_scale[k].size()) == a.arch.widths[1];
  if (!fits)
    throw InputError("evaluate_path: the path points do not fit " + a.arch.to_string() + " and " +
                     std::to_string(P) + " points");
  evaluate_points(be, a, b, alpha, &points, data, chunk, loss, error, on_chunk, cancel);
}

int path_chunk_count(const MlpArch& arch, int points, int chunk, int n) {
  const int m = chunk_rows(arch, points, std::max(1, chunk), n);
  return (n + m - 1) / m;
}

InterpolationResult interpolate(Backend& be, const Mlp& a, const Mlp& b, const DataSplits& data,
                                const InterpolationConfig& cfg, const ProgressFn& progress,
                                const CancelToken* cancel) {
  if (!a.arch.same_shape(b.arch))
    throw InputError("models have different architectures: " + a.arch.to_string() + " and " +
                     b.arch.to_string());
  if (!cfg.train && !cfg.test) throw InputError("interpolate: no split requested");
  InterpolationResult r;
  r.alpha = alpha_grid(cfg.points);
  std::vector<const Dataset*> sets;
  if (cfg.train) sets.push_back(&data.train);
  if (cfg.test) sets.push_back(&data.test);
  for (const Dataset* d : sets) {
    if (d->n == 0) throw InputError(d->name + ": no samples");
    if (d->dim != a.arch.in_dim())
      throw InputError("models expect " + std::to_string(a.arch.in_dim()) + " inputs but " +
                       d->name + " has " + std::to_string(d->dim));
    if (d->classes > a.arch.classes())
      throw InputError("models have " + std::to_string(a.arch.classes()) + " outputs but " +
                       d->name + " has " + std::to_string(d->classes) + " classes");
  }
  const auto t0 = std::chrono::steady_clock::now();
  long long total = 0, done = 0;
  const int chunk = std::max(1, cfg.chunk);
  for (const Dataset* d : sets) total += path_chunk_count(a.arch, cfg.points, chunk, d->n);
  for (const Dataset* d : sets) {
    SplitCurve c;
    const std::string stage = d == &data.train ? "interpolate train" : "interpolate test";
    evaluate_path(be, a, b, r.alpha, *d, chunk, c.loss, c.error,
                  [&] {
                    ++done;
                    if (progress) progress({stage, done, total, ""});
                  },
                  cancel);
    c.barriers = curve_barriers(r.alpha, c.loss, c.error);
    (d == &data.train ? r.train : r.test) = std::move(c);
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace ridgeline
