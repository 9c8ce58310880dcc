#pragma once
/// @file hessian_plane.h
/// A landscape slice around one model spanned by two eigenvectors of its loss Hessian
/// (docs/USER_GUIDE.md, "Landscapes" ▸ "Hessian directions"): the top two (λ₁ ≥ λ₂: the
/// sharpest directions), or the top and the most negative (λ_max, λ_min: a saddle shows as a
/// saddle, which random projections hide; Böttcher & Wheeler 2022, arXiv 2208.13219). The
/// eigenvectors come from Lanczos with full reorthogonalisation (spectral.h) on the operator's
/// batch; λ_min is the top eigenvalue of −H. Both directions are unit vectors in float64 before
/// rounding to float, signed so that their largest-magnitude entry is positive (Lanczos' sign
/// is arbitrary), so the axes are Euclidean distances in parameter space and, for a loss that
/// is quadratic about θ with gradient g there, L(θ + x·v₁ + y·v₂) =
/// L(θ) + x·g·v₁ + y·g·v₂ + ½(λ₁x² + λ₂y²) exactly.
#include <cstdint>
#include <string>

#include "ridgeline/core/progress.h"
#include "ridgeline/curvature/hessian.h"
#include "ridgeline/landscape/plane.h"

namespace ridgeline {

struct HessianPlaneOptions {
  std::string pair = "top2";  ///< "top2" or "top_bottom"
  int max_iter = 100;         ///< Lanczos steps (HVPs) at most per eigenproblem
  double tol = 1e-3;          ///< Lanczos tolerance (spectral.h)
  uint64_t seed = 0;          ///< the Lanczos start vectors' seed
};

/// The pairs hessian_basis knows, for messages and the CLI.
inline const char* hessian_pair_names() { return "top2, top_bottom"; }

/// The slice around `centre` (named `name`) spanned by two Hessian eigenvectors of `H`'s loss at
/// the centre's parameters (H is moved there). `batch` is recorded in the result ("train, 1000
/// samples"). Progress counts HVPs; `cancel` is polled between them. Throws InputError for an
/// unknown pair, a model without HVPs (from H), or when the Hessian is zero along the Krylov
/// space (no direction to draw).
LandscapeBasis hessian_basis(const std::string& name, HessianOperator& H, const Model& centre,
                             const HessianPlaneOptions& opt, const std::string& batch,
                             const CancelToken* cancel = nullptr,
                             const ProgressFn& progress = {});

}  // namespace ridgeline
