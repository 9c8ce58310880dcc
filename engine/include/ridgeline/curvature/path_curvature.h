#pragma once
/// @file path_curvature.h
/// Curvature along the linear path θ(α) = θ_A + αΔ (Δ = θ_B − θ_A, restricted to a parameter
/// selection: the other blocks stay at θ_A, as in layer-wise interpolation) and the
/// second-order barrier predictions of a plain Taylor expansion (docs/USER_GUIDE.md,
/// "Curvature"; Singh et al. 2024, arXiv 2406.16300, explain barriers by this curvature):
///   measured   b(α) = L(θ(α)) − [(1−α)L(θ_A) + αL(θ(1))]
///   midpoint   b(α) ≈ −½·α(1−α)·ΔᵀH(θ(α))Δ
///   endpoint   b(½) ≈ ¼(g_A − g_B)·Δ + (1/16)·Δᵀ(H_A + H_B)Δ
/// all on the Hessian operator's batch. Both are exact for a quadratic loss.
#include <vector>

#include "ridgeline/core/progress.h"
#include "ridgeline/curvature/hessian.h"

namespace ridgeline {

struct PathCurvatureOptions {
  std::vector<double> alphas;  ///< the α of the path; 0 and 1 are added when missing
  bool eigen = true;           ///< λ_max(α) by Lanczos
  int lanczos_iter = 20;       ///< at most this many HVPs per λ_max
  double tol = 1e-3;           ///< Lanczos tolerance (spectral.h)
  bool trace = true;           ///< tr H(α) by Hutchinson
  int trace_samples = 10;
  uint64_t seed = 0;
};

struct PathCurvaturePoint {
  double alpha = 0;
  double loss = 0;        ///< mean loss on the batch at θ(α)
  double lambda_max = 0;  ///< NaN unless asked
  double trace = 0, trace_se = 0;  ///< NaN unless asked
  double dHd = 0;         ///< ΔᵀH(θ(α))Δ
  double barrier = 0;     ///< measured b(α) against the straight line between the endpoints
  double predicted = 0;   ///< midpoint form −½α(1−α)ΔᵀH(θ(α))Δ
};

struct PathCurvature {
  std::string selection;  ///< "" = the whole model, else the block or layer name
  size_t size = 0;        ///< parameters in the selection
  std::vector<PathCurvaturePoint> points;  ///< ascending α
  double delta_norm = 0;                   ///< ‖Δ‖ over the selection
  double grad_a_dot = 0, grad_b_dot = 0;   ///< g_A·Δ and g_B·Δ
  double endpoint_prediction = 0;          ///< the endpoint form of b(½)
  /// The largest measured b(α) and its α (the linear-baseline barrier on this batch).
  double measured_max = 0, measured_alpha = 0;
  /// The midpoint form's largest b(α) and its α.
  double predicted_max = 0, predicted_alpha = 0;
};

/// Curvature along the path from θ_A to θ_B over `sel`, on `H`'s batch (H's parameters are
/// moved). Progress reports count HVPs ("hessian path <name>"); `cancel` is polled between
/// them.
PathCurvature path_curvature(HessianOperator& H, const std::vector<float>& theta_a,
                             const std::vector<float>& theta_b, const ParamSelection& sel,
                             const PathCurvatureOptions& opt, const CancelToken* cancel = nullptr,
                             const ProgressFn& progress = {});

}  // namespace ridgeline
