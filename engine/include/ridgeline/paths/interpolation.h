#pragma once
/// @file interpolation.h
/// Linear interpolation θ(α) = (1−α)θ_A + αθ_B between two models and the barriers of
/// Frankle et al. 2020 (arXiv 1912.05671) and Entezari et al. 2022 (arXiv 2110.06296),
/// defined in docs/USER_GUIDE.md ("Barriers"). All α of a chunk of data are evaluated together: the first layer's
/// pre-activation is affine in α (X·W(α)ᵀ = X·W_Aᵀ + α·X·ΔWᵀ), later layers run as batched
/// GEMMs over α. LayerNorm (with each α's own γ(α), β(α)) and the activation follow every
/// hidden Linear, for each α.
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "ridgeline/core/backend.h"
#include "ridgeline/data/dataset.h"
#include "ridgeline/models/model.h"
#include "ridgeline/paths/evaluator.h"
#include "ridgeline/core/progress.h"

namespace ridgeline {

struct Barriers {
  double loss_lin = 0;   ///< max_k [L(α_k) − ((1−α_k)L(0) + α_k L(1))]
  double loss_mid = 0;   ///< max_k L(α_k) − ½(L(0)+L(1))
  double error_lin = 0;
  double error_mid = 0;
  /// Where the barrier occurs: the α of the linear form's maximum (the first one on ties);
  /// NaN when the curve is undefined. An endpoint (0 or 1) means the curve never rises above
  /// the chord between the endpoints: there is no interior barrier (see has_interior_barrier).
  double loss_alpha = NAN;
  double error_alpha = NAN;
};

/// The index of the linear form's maximum over the grid (first on ties), or -1 when v is
/// undefined (holds a NaN) or empty.
int barrier_linear_argmax(const std::vector<double>& alpha, const std::vector<double>& v);
/// True when the linear-form barrier `value` at `alpha` lies strictly inside the path
/// (0 < α < 1) and is positive: only then is there a barrier to mark on a curve.
bool has_interior_barrier(double value, double alpha);

/// Linear-baseline barrier of values v on grid alpha (alpha[0]=0, alpha.back()=1).
double barrier_linear(const std::vector<double>& alpha, const std::vector<double>& v);
/// Mean-endpoint barrier.
double barrier_midpoint(const std::vector<double>& v);

struct SplitCurve {
  std::vector<double> loss, error;
  Barriers barriers;
};

/// "loss barrier +X (linear, at α = a) +Y (mean-endpoint), error barrier +Z% (linear) +W%
/// (mean-endpoint)" in the display rules of core/format.h; "no interior barrier" replaces the
/// α when the linear form's maximum sits at an endpoint; "error barrier n/a (no accuracy)" when
/// the error is undefined (NaN).
std::string barrier_summary(const Barriers& b);

/// The four barriers of a curve's loss and error on grid alpha.
Barriers curve_barriers(const std::vector<double>& alpha, const std::vector<double>& loss,
                        const std::vector<double>& error);

struct InterpolationResult {
  std::vector<double> alpha;
  std::optional<SplitCurve> train, test;
  double seconds = 0;
};

/// The split a one-curve-per-path view shows: train (`train_split`) or test, else the other
/// one when the path lacks it; null when it has neither.
const SplitCurve* preferred_split(const InterpolationResult& r, bool train_split);

struct InterpolationConfig {
  int points = 25;
  bool train = true;
  bool test = true;
  int chunk = 1000;  ///< samples per batched evaluation chunk
};

/// α_k = k/(n−1).
std::vector<double> alpha_grid(int points);

/// Evaluates loss and error along the straight path between two models of any kind on the
/// requested splits, through the evaluator over parameter points (paths/evaluator.h: basis
/// {θ_A, θ_B}, rows (1 − α, α), so θ(α) = θ_A + α(θ_B − θ_A) and exact endpoints). A model
/// kind that uses no data (the quadratic oracle) gives the same curve on every split; one
/// without accuracy has NaN errors (null in JSON). Progress units are evaluation chunks.
/// Throws InputError if the models do not share a shape or do not fit the data.
InterpolationResult interpolate(Backend& backend, const Model& a, const Model& b,
                                const DataSplits& data, const InterpolationConfig& cfg,
                                const ProgressFn& progress = {},
                                const CancelToken* cancel = nullptr);

/// The splits a path is evaluated on, checked (each non-empty, fitting the model), in the
/// order train, test. Shared by the plain and the REPAIR path.
std::vector<const Dataset*> path_splits(const ModelArch& arch, const DataSplits& data,
                                        const InterpolationConfig& cfg);

/// Evaluates `points` (on r.alpha) on each split of `sets` into r.train / r.test, curves and
/// barriers; `on_chunk` is called per evaluated data chunk with its split. Shared by
/// interpolate() and interpolate_repaired().
void evaluate_splits(Backend& backend, const ModelArch& arch, const ParameterPoints& points,
                     const std::vector<const Dataset*>& sets, const DataSplits& data, int chunk,
                     const PointHooks& hooks, const std::function<void(const Dataset*)>& on_chunk,
                     const CancelToken* cancel, InterpolationResult& r);

/// The JSON object of the `interpolate --json` contract:
/// {"alpha":[..], "test":{"loss":[..],"error":[..]}, "train":{..},
///  "barrier":{"test":{"loss_lin":x,"loss_mid":x,"error_lin":x,"error_mid":x},"train":{..}}}
std::string interpolation_to_json(const InterpolationResult& r, int indent = -1);
/// Parses the same JSON back (for the GUI reading a run folder). Throws InputError.
InterpolationResult interpolation_from_json(const std::string& text, const std::string& source);

}  // namespace ridgeline
