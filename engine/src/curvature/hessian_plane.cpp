// Landscape slices along Hessian eigenvectors (curvature/hessian_plane.h).
#include "ridgeline/curvature/hessian_plane.h"

#include <cmath>

#include "ridgeline/core/errors.h"
#include "ridgeline/curvature/spectral.h"

namespace ridgeline {
namespace {

// Unit length, largest-magnitude entry positive; float for the evaluator.
std::vector<float> signed_unit(const std::vector<double>& v) {
  double norm = 0, big = 0;
  for (double x : v) {
    norm += x * x;
    if (std::abs(x) > std::abs(big)) big = x;
  }
  norm = std::sqrt(norm);
  const double s = (big < 0 ? -1.0 : 1.0) / norm;
  std::vector<float> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = static_cast<float>(v[i] * s);
  return out;
}

}  // namespace

LandscapeBasis hessian_basis(const std::string& name, HessianOperator& H, const Model& centre,
                             const HessianPlaneOptions& opt, const std::string& batch,
                             const CancelToken* cancel, const ProgressFn& progress) {
  if (opt.pair != "top2" && opt.pair != "top_bottom")
    throw InputError("Hessian directions '" + opt.pair + "': not one of " + hessian_pair_names());
  H.set_params(centre.params);
  const ParamSelection all = select_all(H.arch());
  const size_t n = all.size;
  const bool top2 = opt.pair == "top2";
  // Both eigenproblems count against one budget in the progress reports.
  const long long total = top2 ? opt.max_iter : 2LL * opt.max_iter;
  long long done = 0;
  auto step = [&](int) {
    ++done;
    if (progress) progress({"hessian directions", done, total, "Hessian eigenvectors (Lanczos)"});
  };
  LanczosOptions lo;
  lo.k = top2 ? 2 : 1;
  lo.max_iter = opt.max_iter;
  lo.tol = opt.tol;
  lo.seed = opt.seed;
  lo.vectors = true;
  const SymmetricOp h = [&](const std::vector<double>& x, std::vector<double>& y) {
    H.apply(all, x, y);
  };
  const EigenResult top = lanczos_top(n, h, lo, cancel, step);
  std::vector<double> values = top.values, residuals = top.residuals;
  std::vector<std::vector<double>> vecs = top.vectors;
  bool converged = top.converged;
  if (!top2) {
    const SymmetricOp neg = [&](const std::vector<double>& x, std::vector<double>& y) {
      H.apply(all, x, y);
      for (double& v : y) v = -v;
    };
    lo.seed = opt.seed + 1;
    const EigenResult bottom = lanczos_top(n, neg, lo, cancel, step);
    if (!bottom.values.empty()) {
      values.push_back(-bottom.values[0]);
      residuals.push_back(bottom.residuals[0]);
      vecs.push_back(bottom.vectors[0]);
    }
    converged = converged && bottom.converged;
  }
  if (vecs.size() < 2 || values.size() < 2)
    throw InputError("Hessian directions around " + name +
                     ": Lanczos found fewer than two eigenvectors (the Hessian has rank below "
                     "two on this batch)");
  for (size_t k = 0; k < 2; ++k) {
    double norm = 0;
    for (double x : vecs[k]) norm += x * x;
    if (!(norm > 0) || !std::isfinite(norm))
      throw InputError("Hessian directions around " + name + ": eigenvector " +
                       std::to_string(k + 1) + " is zero or not finite");
  }
  LandscapeBasis basis;
  basis.info.kind = "hessian";
  basis.info.models = {name};
  basis.info.hessian_pair = opt.pair;
  basis.info.eigenvalues = {values[0], values[1]};
  basis.info.eigen_residuals = {residuals[0], residuals[1]};
  basis.info.eigen_converged = converged;
  basis.info.hessian_batch = batch;
  basis.info.seed = opt.seed;
  basis.info.norm_x = basis.info.norm_y = 1;
  basis.vectors = {centre.params, signed_unit(vecs[0]), signed_unit(vecs[1])};
  basis.info.coordinates.push_back({name, 0, 0, 0});
  return basis;
}

}  // namespace ridgeline
