// Bézier and polygonal-chain curves between two models and the training of their bend
// (landscape/curve.h; Garipov et al. 2018, arXiv 1802.10026).
#include "ridgeline/landscape/curve.h"

#include <chrono>
#include <random>

#include "ridgeline/core/errors.h"
#include "ridgeline/train/batch_sampler.h"

namespace ridgeline {

std::vector<double> curve_row(CurveKind kind, double t) {
  if (kind == CurveKind::Bezier) return {(1 - t) * (1 - t), t * t, 2 * t * (1 - t)};
  if (t < 0.5) return {1 - 2 * t, 0.0, 2 * t};
  return {0.0, 2 * t - 1, 2 - 2 * t};
}

ParameterPoints curve_points(CurveKind kind, const std::vector<float>& a,
                             const std::vector<float>& b, const std::vector<float>& bend,
                             const std::vector<double>& t) {
  ParameterPoints p;
  p.basis = {&a, &b, &bend};
  for (double v : t) p.coeffs.push_back(curve_row(kind, v));
  return p;
}

CurveTraining train_curve(Backend& backend, const Model& a, const Model& b, const Dataset& train,
                          const CurveConfig& cfg, const ProgressFn& progress,
                          const CancelToken* cancel) {
  check_compatible(*a.arch, "curve start", *b.arch, "curve end");
  const ModelArch& arch = *a.arch;
  if (arch.uses_data()) arch.check_fits(train, "curve");
  if (cfg.epochs < 1 || cfg.batch < 1 || !(cfg.lr > 0))
    throw InputError("curve: epochs, batch and lr must be positive");
  const auto t0 = std::chrono::steady_clock::now();
  const size_t n = a.params.size();
  CurveTraining out;
  out.bend.resize(n);
  for (size_t i = 0; i < n; ++i) out.bend[i] = 0.5f * (a.params[i] + b.params[i]);
  std::vector<double> velocity(n, 0.0);
  std::vector<float> point(n), grad(n);
  std::mt19937_64 rng(cfg.seed * 0x9E3779B97F4A7C15ull + 7);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  DeviceBuffer dp(backend, n), dg(backend, n);
  const int rows_max = arch.uses_data() ? std::min(cfg.batch, train.n) : 1;
  auto compute = arch.compute(backend, rows_max);
  std::unique_ptr<BatchSampler> sampler;
  if (arch.uses_data())
    sampler = std::make_unique<BatchSampler>(backend, train, cfg.batch, cfg.seed);
  const int steps = sampler ? sampler->steps_per_epoch() : 1;
  const long long total = static_cast<long long>(steps) * cfg.epochs;
  for (int e = 1; e <= cfg.epochs; ++e) {
    if (sampler) sampler->shuffle();
    double loss_sum = 0;
    for (int s = 0; s < steps; ++s) {
      if (cancel) cancel->check();
      const double t = uniform(rng);
      const std::vector<double> c = curve_row(cfg.kind, t);
      for (size_t i = 0; i < n; ++i)
        point[i] = static_cast<float>(c[0] * a.params[i] + c[1] * b.params[i] + c[2] * out.bend[i]);
      backend.upload(dp.data(), point.data(), n);
      const int rows = sampler ? sampler->gather(s) : 1;
      compute->forward(dp.data(), sampler ? sampler->x() : nullptr, rows);
      compute->loss(sampler ? sampler->y() : nullptr, rows, true);
      double ls = 0, correct = 0;
      compute->sums(rows, ls, correct);
      loss_sum += ls / rows;
      compute->backward(dp.data(), dg.data(), rows);
      backend.download(grad.data(), dg.data(), n);
      // ∂L(θ(t))/∂θ_c = c₂(t)·∇L(θ(t)); SGD with momentum (PyTorch's form).
      for (size_t i = 0; i < n; ++i) {
        velocity[i] = cfg.momentum * velocity[i] + c[2] * grad[i];
        out.bend[i] = static_cast<float>(out.bend[i] - cfg.lr * velocity[i]);
      }
      if (progress)
        progress({"curve", static_cast<long long>(e - 1) * steps + s + 1, total,
                  "epoch " + std::to_string(e) + "/" + std::to_string(cfg.epochs)});
    }
    out.epoch_loss.push_back(loss_sum / steps);
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return out;
}

InterpolationResult evaluate_curve(Backend& backend, CurveKind kind, const Model& a, const Model& b,
                                   const std::vector<float>& bend, const DataSplits& data,
                                   int points, bool train, bool test) {
  if (points < 2) throw InputError("curve: at least 2 points");
  const auto t0 = std::chrono::steady_clock::now();
  InterpolationResult r;
  r.alpha = alpha_grid(points);
  const ParameterPoints pts = curve_points(kind, a.params, b.params, bend, r.alpha);
  auto split = [&](const Dataset* d) {
    const PointValues v = evaluate_points(backend, *a.arch, pts, a.arch->uses_data() ? d : nullptr);
    SplitCurve c;
    c.loss = v.loss;
    c.error = v.error;
    c.barriers = curve_barriers(r.alpha, c.loss, c.error);
    return c;
  };
  if (train) r.train = split(&data.train);
  if (test) r.test = split(&data.test);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace ridgeline
