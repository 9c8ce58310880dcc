// Curvature along a linear path and the second-order barrier predictions (path_curvature.h).
#include "ridgeline/curvature/path_curvature.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "ridgeline/core/errors.h"
#include "ridgeline/curvature/spectral.h"

namespace ridgeline {

PathCurvature path_curvature(HessianOperator& H, const std::vector<float>& theta_a,
                             const std::vector<float>& theta_b, const ParamSelection& sel,
                             const PathCurvatureOptions& opt, const CancelToken* cancel,
                             const ProgressFn& progress) {
  const size_t T = H.num_params();
  if (theta_a.size() != T || theta_b.size() != T)
    throw InputError("hessian path: the models' parameters do not fit " + H.arch().to_string());
  std::vector<double> alphas = opt.alphas;
  alphas.push_back(0.0);
  alphas.push_back(1.0);
  for (double a : alphas)
    if (!std::isfinite(a)) throw InputError("hessian path: α must be finite");
  std::sort(alphas.begin(), alphas.end());
  alphas.erase(std::unique(alphas.begin(), alphas.end()), alphas.end());

  PathCurvature out;
  out.selection = sel.name;
  out.size = sel.size;
  // Δ over the selection (float64 differences of the float32 endpoints: exact).
  std::vector<double> delta;
  delta.reserve(sel.size);
  std::vector<float> dfloat(T, 0.0f);  // Δ in float32, zero outside the selection
  for (const auto& [off, n] : sel.ranges)
    for (size_t i = off; i < off + n; ++i) {
      delta.push_back(static_cast<double>(theta_b[i]) - static_cast<double>(theta_a[i]));
      dfloat[i] = theta_b[i] - theta_a[i];
    }
  double nd = 0;
  for (double d : delta) nd += d * d;
  out.delta_norm = std::sqrt(nd);

  const long long per_point = 1 + (opt.eigen ? opt.lanczos_iter : 0) +
                              (opt.trace ? opt.trace_samples : 0);
  const long long total = per_point * static_cast<long long>(alphas.size());
  const long long start = H.hvps();
  H.set_cancel(cancel);
  H.set_on_hvp([&] {
    if (progress)
      progress({"hessian path " + (sel.name.empty() ? std::string("model") : sel.name),
                std::min(H.hvps() - start, total), total, {}});
  });
  const SymmetricOp op = [&](const std::vector<double>& v, std::vector<double>& hv) {
    H.apply(sel, v, hv);
  };
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> hd;
  for (double a : alphas) {
    if (cancel) cancel->check();
    // θ(α) = θ_A + αΔ in float32 (the evaluator's rule for a line, paths/evaluator.h).
    std::vector<float> theta = theta_a;
    for (size_t i = 0; i < T; ++i)
      if (dfloat[i] != 0.0f) theta[i] = theta_a[i] + static_cast<float>(a) * dfloat[i];
    H.set_params(theta);
    PathCurvaturePoint p;
    p.alpha = a;
    p.loss = H.loss();
    H.apply(sel, delta, hd);
    p.dHd = 0;
    for (size_t i = 0; i < delta.size(); ++i) p.dHd += delta[i] * hd[i];
    p.predicted = -0.5 * a * (1.0 - a) * p.dHd;
    p.lambda_max = nan;
    if (opt.eigen) {
      LanczosOptions lo;
      lo.k = 1;
      lo.max_iter = opt.lanczos_iter;
      lo.tol = opt.tol;
      lo.seed = opt.seed;
      lo.vectors = false;
      p.lambda_max = lanczos_top(sel.size, op, lo, cancel).values.front();
    }
    p.trace = p.trace_se = nan;
    if (opt.trace) {
      const TraceEstimate t = hutchinson_trace(sel.size, op, opt.trace_samples, opt.seed, cancel);
      p.trace = t.mean;
      p.trace_se = t.se;
    }
    if (a == 0.0 || a == 1.0) {
      const std::vector<double> g = H.gradient(sel);
      double gd = 0;
      for (size_t i = 0; i < delta.size(); ++i) gd += g[i] * delta[i];
      (a == 0.0 ? out.grad_a_dot : out.grad_b_dot) = gd;
    }
    out.points.push_back(p);
  }
  H.set_on_hvp({});
  H.set_cancel(nullptr);
  if (progress)  // Lanczos may stop before its cap
    progress({"hessian path " + (sel.name.empty() ? std::string("model") : sel.name), total, total, {}});
  const PathCurvaturePoint& A = out.points.front();
  const PathCurvaturePoint& B = out.points.back();
  out.endpoint_prediction =
      0.25 * (out.grad_a_dot - out.grad_b_dot) + (A.dHd + B.dHd) / 16.0;
  out.measured_max = -std::numeric_limits<double>::infinity();
  out.predicted_max = -std::numeric_limits<double>::infinity();
  for (PathCurvaturePoint& p : out.points) {
    p.barrier = p.loss - ((1.0 - p.alpha) * A.loss + p.alpha * B.loss);
    if (p.barrier > out.measured_max) {
      out.measured_max = p.barrier;
      out.measured_alpha = p.alpha;
    }
    if (p.predicted > out.predicted_max) {
      out.predicted_max = p.predicted;
      out.predicted_alpha = p.alpha;
    }
  }
  return out;
}

}  // namespace ridgeline
