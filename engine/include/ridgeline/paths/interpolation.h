#pragma once
/// @file interpolation.h
/// Linear interpolation θ(α) = (1−α)θ_A + αθ_B between two MLPs and the barriers of
/// RESEARCH.md §1. All α of a chunk of data are evaluated together: the first layer's
/// pre-activation is affine in α (X·W(α)ᵀ = X·W_Aᵀ + α·X·ΔWᵀ), later layers run as batched
/// GEMMs over α. LayerNorm (with each α's own γ(α), β(α)) and the activation follow every
/// hidden Linear, for each α.
#include <optional>
#include <string>
#include <vector>

#include "ridgeline/core/backend.h"
#include "ridgeline/data/dataset.h"
#include "ridgeline/models/mlp/mlp.h"
#include "ridgeline/core/progress.h"

namespace ridgeline {

struct Barriers {
  double loss_lin = 0;   ///< max_k [L(α_k) − ((1−α_k)L(0) + α_k L(1))]
  double loss_mid = 0;   ///< max_k L(α_k) − ½(L(0)+L(1))
  double error_lin = 0;
  double error_mid = 0;
};

/// Linear-baseline barrier of values v on grid alpha (alpha[0]=0, alpha.back()=1).
double barrier_linear(const std::vector<double>& alpha, const std::vector<double>& v);
/// Mean-endpoint barrier.
double barrier_midpoint(const std::vector<double>& v);

struct SplitCurve {
  std::vector<double> loss, error;
  Barriers barriers;
};

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

/// Evaluates loss and error along the path on the requested splits.
/// Progress units are data chunks. Throws InputError if the models do not share a shape or
/// do not fit the data.
InterpolationResult interpolate(Backend& backend, const Mlp& a, const Mlp& b,
                                const DataSplits& data, const InterpolationConfig& cfg,
                                const ProgressFn& progress = {},
                                const CancelToken* cancel = nullptr);

/// Loss and error of every parameter point theta_k = a + alpha_k·(b − a) on one data set.
/// Exposed for tests and benchmarks; interpolate() is built on it.
void evaluate_path(Backend& backend, const Mlp& a, const Mlp& b,
                   const std::vector<double>& alpha, const Dataset& data, int chunk,
                   std::vector<double>& loss, std::vector<double>& error,
                   const std::function<void()>& on_chunk = {}, const CancelToken* cancel = nullptr);

/// Per-α parameter points for paths that correct θ(α) unit by unit (REPAIR, repair.h):
/// params[k] is the full parameter vector of point k. Its layer-0 weights must be
/// diag(layer0_scale[k])·W_0(α_k), with W_0(α) = W_A + α(W_B − W_A) the straight line's;
/// they are not read: layer 0's Linear output stays affine in α, computed for every point as
///   (X·W_Aᵀ + α_k·X·ΔWᵀ)·diag(layer0_scale[k]) + b_0[k],
/// with the bias b_0[k] and every later layer taken from params[k].
struct PathPoints {
  std::vector<std::vector<float>> params;        ///< one full parameter vector per α
  std::vector<std::vector<float>> layer0_scale;  ///< per α: one factor per layer-0 unit
};

/// Same with the points of `points` in place of θ_A + α_k(θ_B − θ_A). Throws InputError when
/// `points` does not hold one vector of the right size per α.
void evaluate_path(Backend& backend, const Mlp& a, const Mlp& b,
                   const std::vector<double>& alpha, const PathPoints& points,
                   const Dataset& data, int chunk, std::vector<double>& loss,
                   std::vector<double>& error, const std::function<void()>& on_chunk = {},
                   const CancelToken* cancel = nullptr);

/// The number of data chunks (progress units) evaluate_path uses for `points` α on n rows.
int path_chunk_count(const MlpArch& arch, int points, int chunk, int n);

/// The JSON object of the `interpolate --json` contract:
/// {"alpha":[..], "test":{"loss":[..],"error":[..]}, "train":{..},
///  "barrier":{"test":{"loss_lin":x,"loss_mid":x,"error_lin":x,"error_mid":x},"train":{..}}}
std::string interpolation_to_json(const InterpolationResult& r, int indent = -1);
/// Parses the same JSON back (for the GUI reading a run folder). Throws InputError.
InterpolationResult interpolation_from_json(const std::string& text, const std::string& source);

}  // namespace ridgeline
