// Linear interpolation between two models and its barriers (see interpolation.h).
#include "ridgeline/paths/interpolation.h"

#include "ridgeline/core/format.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "ridgeline/core/errors.h"
#include "ridgeline/paths/evaluator.h"

namespace ridgeline {

std::vector<double> alpha_grid(int points) {
  if (points < 2) throw InputError("--points: need at least 2 points, got " + std::to_string(points));
  std::vector<double> a(points);
  for (int k = 0; k < points; ++k) a[k] = static_cast<double>(k) / (points - 1);
  a.back() = 1.0;
  return a;
}

namespace {
// A curve with an undefined value (NaN: a model without accuracy) has no barrier.
bool undefined(const std::vector<double>& v) {
  return std::any_of(v.begin(), v.end(), [](double x) { return std::isnan(x); });
}
}  // namespace

double barrier_linear(const std::vector<double>& alpha, const std::vector<double>& v) {
  if (undefined(v)) return NAN;
  const double v0 = v.front(), v1 = v.back();
  double best = -INFINITY;
  for (size_t k = 0; k < v.size(); ++k)
    best = std::max(best, v[k] - ((1.0 - alpha[k]) * v0 + alpha[k] * v1));
  return best;
}

int barrier_linear_argmax(const std::vector<double>& alpha, const std::vector<double>& v) {
  if (v.empty() || undefined(v)) return -1;
  const double v0 = v.front(), v1 = v.back();
  int arg = 0;
  double best = -INFINITY;
  for (size_t k = 0; k < v.size(); ++k) {
    const double d = v[k] - ((1.0 - alpha[k]) * v0 + alpha[k] * v1);
    if (d > best) {
      best = d;
      arg = static_cast<int>(k);
    }
  }
  return arg;
}

bool has_interior_barrier(double value, double alpha) {
  return std::isfinite(value) && value > 0 && alpha > 0 && alpha < 1;
}

double barrier_midpoint(const std::vector<double>& v) {
  if (undefined(v)) return NAN;
  return *std::max_element(v.begin(), v.end()) - 0.5 * (v.front() + v.back());
}

std::string barrier_summary(const Barriers& b) {
  std::string where = has_interior_barrier(b.loss_lin, b.loss_alpha)
                          ? ", at α = " + format_alpha(b.loss_alpha)
                          : ", no interior barrier";
  std::string line = "loss barrier " + format_loss_barrier(b.loss_lin) + " (linear" + where + ") " +
                     format_loss_barrier(b.loss_mid) + " (mean-endpoint), error barrier ";
  if (std::isnan(b.error_lin) && std::isnan(b.error_mid)) return line + "n/a (no accuracy)";
  return line + format_error_barrier(b.error_lin) + " (linear) " +
         format_error_barrier(b.error_mid) + " (mean-endpoint)";
}

Barriers curve_barriers(const std::vector<double>& alpha, const std::vector<double>& loss,
                        const std::vector<double>& error) {
  Barriers b{barrier_linear(alpha, loss), barrier_midpoint(loss), barrier_linear(alpha, error),
             barrier_midpoint(error)};
  const int kl = barrier_linear_argmax(alpha, loss), ke = barrier_linear_argmax(alpha, error);
  if (kl >= 0) b.loss_alpha = alpha[kl];
  if (ke >= 0) b.error_alpha = alpha[ke];
  return b;
}

const SplitCurve* preferred_split(const InterpolationResult& r, bool train_split) {
  const std::optional<SplitCurve>& first = train_split ? r.train : r.test;
  const std::optional<SplitCurve>& second = train_split ? r.test : r.train;
  if (first) return &*first;
  if (second) return &*second;
  return nullptr;
}

std::vector<const Dataset*> path_splits(const ModelArch& arch, const DataSplits& data,
                                        const InterpolationConfig& cfg) {
  if (!cfg.train && !cfg.test) throw InputError("interpolate: no split requested");
  std::vector<const Dataset*> sets;
  if (cfg.train) sets.push_back(&data.train);
  if (cfg.test) sets.push_back(&data.test);
  if (arch.uses_data())
    for (const Dataset* d : sets) {
      if (d->n == 0) throw InputError(d->name + ": no samples");
      arch.check_fits(*d, "model");
    }
  return sets;
}

void evaluate_splits(Backend& be, const ModelArch& arch, const ParameterPoints& points,
                     const std::vector<const Dataset*>& sets, const DataSplits& data, int chunk,
                     const PointHooks& hooks, const std::function<void(const Dataset*)>& on_chunk,
                     const CancelToken* cancel, InterpolationResult& r) {
  for (const Dataset* d : sets) {
    SplitCurve c;
    PointValues v = evaluate_points(be, arch, points, d, chunk, hooks,
                                    [&] {
                                      if (on_chunk) on_chunk(d);
                                    },
                                    cancel);
    c.loss = std::move(v.loss);
    c.error = std::move(v.error);
    c.barriers = curve_barriers(r.alpha, c.loss, c.error);
    (d == &data.train ? r.train : r.test) = std::move(c);
  }
}

InterpolationResult interpolate(Backend& be, const Model& a, const Model& b, const DataSplits& data,
                                const InterpolationConfig& cfg, const ProgressFn& progress,
                                const CancelToken* cancel) {
  check_same_shape(*a.arch, *b.arch);
  InterpolationResult r;
  r.alpha = alpha_grid(cfg.points);
  const std::vector<const Dataset*> sets = path_splits(*a.arch, data, cfg);
  const auto t0 = std::chrono::steady_clock::now();
  long long total = 0, done = 0;
  const int chunk = std::max(1, cfg.chunk);
  for (const Dataset* d : sets) total += a.arch->evaluation_chunks(cfg.points, chunk, d->n);
  const ParameterPoints line = line_points(a.params, b.params, r.alpha);
  evaluate_splits(be, *a.arch, line, sets, data, chunk, {},
                  [&](const Dataset* d) {
                    ++done;
                    if (progress)
                      progress({d == &data.train ? "interpolate train" : "interpolate test", done,
                                total, ""});
                  },
                  cancel, r);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace ridgeline
