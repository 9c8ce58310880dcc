#pragma once
/// @file curve_step.h
/// The "curve" step kind: a Bézier curve or polygonal chain from `a` to `b` whose bend is
/// trained (landscape/curve.h), producing the bend as the model named by the step's id
/// (checkpoints/<id>.safetensors), so a landscape step can draw the plane through a, b and it.
/// Its result payload is a CurveResult (results/<id>.json: the interpolate step's format over
/// t plus a "curve" object; <id>.alpha.npy and <id>.<split>_{loss,error}.npy). It is its own
/// type, so the interpolation views and the run's barrier table (interpolate steps only) do
/// not pick curves up by accident.
#include <cstdint>
#include <string>
#include <vector>

#include "ridgeline/landscape/curve.h"

namespace ridgeline {

struct CurveParams {
  CurveConfig config;
  int points = 25;
  bool train = true, test = true;  ///< "split": both, train or test
};

struct CurveResult {
  std::string kind;                ///< "bezier" or "chain"
  InterpolationResult path;        ///< loss and error along t (alpha = t), barriers
  std::vector<double> epoch_loss;  ///< the bend's training loss per epoch
};

}  // namespace ridgeline
