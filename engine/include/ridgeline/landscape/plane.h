#pragma once
/// @file plane.h
/// The two-dimensional slices of parameter space a loss landscape is drawn on
/// (docs/USER_GUIDE.md, "Landscapes"; Li et al. 2018, arXiv 1712.09913; Garipov et al. 2018,
/// arXiv 1802.10026):
///  - a plane through three models A, B, C: origin A, first axis B − A, second axis the part of
///    C − A orthogonal to it (Gram–Schmidt in float64), both in units of ‖B − A‖, so that
///    A = (0, 0), B = (1, 0) and C = (c_x, c_y) with c_y > 0. Its points are affine rows over
///    {θ_A, θ_B, θ_C} for the evaluator (paths/evaluator.h), so (0, 0) and (1, 0) evaluate the
///    models A and B themselves, bit for bit;
///  - two seeded Gaussian directions around one model θ with filter normalisation: each
///    output unit's row of each weight matrix is scaled to the norm of the same row of θ;
///    one-dimensional blocks (biases, normalisation parameters) are zeroed, or with keep_1d
///    copied from θ, as in the authors' code. Points are θ + x·d₁ + y·d₂ (rows (1, x, y) over
///    {θ, d₁, d₂}); (0, 0) is θ itself;
///  - two Hessian eigenvectors around one model (curvature/hessian_plane.h): the top two, or
///    the top and the most negative, as unit vectors, so both axes are Euclidean distances in
///    parameter space (random projections misrepresent saddles: Böttcher & Wheeler 2022,
///    arXiv 2208.13219). Points are θ + x·v₁ + y·v₂, as for random directions.
#include <cstdint>
#include <string>
#include <vector>

#include "ridgeline/models/model.h"

namespace ridgeline {

/// Where a model lies in the slice: coordinates (x, y) (least squares onto the two axes) and
/// its distance from the plane in parameter space (‖·‖₂; 0 for the models that span it).
struct ModelCoordinate {
  std::string name;
  double x = 0, y = 0;
  double off_plane = 0;
};

/// What a slice is, without its vectors: what results files record.
struct LandscapeInfo {
  /// "plane" (through three models), "random" or "hessian" (directions around one model)
  std::string kind;
  std::vector<std::string> models;  ///< plane: A, B, C; random: the centre
  /// plane: ‖B − A‖ (the unit of both axes) for both; random: ‖d₁‖ and ‖d₂‖ (float64);
  /// hessian: 1 and 1 (unit eigenvectors).
  double norm_x = 0, norm_y = 0;
  /// plane: ‖C − A − c_x(B − A)‖, the length of C's orthogonal part before scaling; random: 0.
  double norm_perp = 0;
  uint64_t seed = 0;                         ///< random: the directions' seed
  bool keep_1d = false;                      ///< random: one-dimensional blocks kept (else zeroed)
  /// hessian: "top2" (λ₁, λ₂) or "top_bottom" (λ_max, λ_min); the eigenvalues of the two axes
  /// with their Lanczos residual bounds, whether both converged, and the batch of the Hessian.
  std::string hessian_pair;
  std::vector<double> eigenvalues, eigen_residuals;
  bool eigen_converged = false;
  std::string hessian_batch;
  std::vector<ModelCoordinate> coordinates;  ///< every model placed in the slice
};

/// A slice with its vectors: the evaluator's basis and how a coordinate becomes a row.
struct LandscapeBasis {
  LandscapeInfo info;
  /// plane: {θ_A, θ_B, θ_C}; random and hessian: {θ, d₁, d₂}.
  std::vector<std::vector<float>> vectors;
  double cx = 0, cy = 0;  ///< plane: C's coordinates

  /// The evaluator's coefficient row of point (x, y): plane (1 − a − b, a, b) with
  /// b = y / c_y and a = x − b·c_x (so (0,0) and (1,0) are unit rows); random (1, x, y).
  std::vector<double> row(double x, double y) const;
  /// Places another model in the slice (least squares onto the two axes) and appends it to
  /// info.coordinates. Throws InputError when its size differs.
  void project(const std::string& name, const std::vector<float>& theta);
};

/// The plane through A, B and C. Throws InputError (naming the models) when A == B or when C
/// lies on the line through A and B (its orthogonal part is below 1e-5 of ‖B − A‖ or ‖C − A‖,
/// the larger: float32 models on one line differ from it by rounding), or when the
/// models differ in architecture or size.
LandscapeBasis plane_basis(const std::vector<std::string>& names, const Model& a, const Model& b,
                           const Model& c);

/// Two seeded, filter-normalised Gaussian directions around `centre`, whose layout comes from
/// its architecture's blocks(). Throws InputError when a direction is zero (every block
/// one-dimensional and keep_1d false, or θ itself zero).
LandscapeBasis random_basis(const std::string& name, const Model& centre, uint64_t seed,
                            bool keep_1d = false);

/// One filter-normalised direction: standard normals (portable Box–Muller on mt19937_64
/// seeded with `seed`), each row of each block of rank ≥ 2 (its first axis: output units)
/// scaled to the norm of the same row of θ; rank-1 blocks zeroed, or copied from θ with
/// keep_1d (Li et al. 2018).
std::vector<float> filter_normalized_direction(const ModelArch& arch,
                                               const std::vector<float>& theta, uint64_t seed,
                                               bool keep_1d);

}  // namespace ridgeline
