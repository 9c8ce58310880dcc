#pragma once
/// @file curve.h
/// Curves between two models (Garipov et al. 2018, arXiv 1802.10026): a quadratic Bézier
/// θ(t) = (1−t)²θ_A + 2t(1−t)θ_c + t²θ_B, or a polygonal chain A → θ_c → B (θ_c at t = ½),
/// whose bend θ_c is trained by SGD on E_{t~U(0,1)} L(θ(t)): one t per batch, as in the
/// authors' code, starting from the midpoint ½(θ_A + θ_B). Points are affine rows over
/// {θ_A, θ_B, θ_c} for the evaluator (paths/evaluator.h): t = 0 and t = 1 are the models
/// themselves. The step kind "curve" and `ridgeline curve` use these.
#include <cstdint>
#include <vector>

#include "ridgeline/core/backend.h"
#include "ridgeline/core/progress.h"
#include "ridgeline/data/dataset.h"
#include "ridgeline/models/model.h"
#include "ridgeline/paths/evaluator.h"
#include "ridgeline/paths/interpolation.h"

namespace ridgeline {

enum class CurveKind { Bezier, Chain };

struct CurveConfig {
  CurveKind kind = CurveKind::Bezier;
  int epochs = 10;
  int batch = 128;
  double lr = 0.01;
  double momentum = 0.9;
  uint64_t seed = 0;  ///< batch order and the t of each batch
};

/// The coefficient row of θ(t) over {θ_A, θ_B, θ_c}; its third entry is ∂θ(t)/∂θ_c.
std::vector<double> curve_row(CurveKind kind, double t);

/// The curve's points at the given t, basis {a, b, bend} (not owned).
ParameterPoints curve_points(CurveKind kind, const std::vector<float>& a,
                             const std::vector<float>& b, const std::vector<float>& bend,
                             const std::vector<double>& t);

struct CurveTraining {
  std::vector<float> bend;         ///< θ_c
  std::vector<double> epoch_loss;  ///< mean training loss of each epoch's batches
  double seconds = 0;
};

/// Trains the bend on `train`. Throws InputError when the models differ in architecture or
/// the data does not fit, Cancelled when cancelled. Progress: stage "curve", steps.
CurveTraining train_curve(Backend& backend, const Model& a, const Model& b, const Dataset& train,
                          const CurveConfig& config, const ProgressFn& progress = {},
                          const CancelToken* cancel = nullptr);

/// Loss and error along the curve at `points` evenly spaced t in [0, 1] on the chosen splits,
/// with the barriers of docs/USER_GUIDE.md ("Barriers") over t.
InterpolationResult evaluate_curve(Backend& backend, CurveKind kind, const Model& a, const Model& b,
                                   const std::vector<float>& bend, const DataSplits& data,
                                   int points = 25, bool train = true, bool test = true);

}  // namespace ridgeline
