#pragma once
/// @file interpolate_step.h
/// The "interpolate" step kind's parameters; its result is an InterpolationResult
/// (results/<id>.json, <id>.alpha.npy, <id>.<split>_{loss,error}.npy, results/barriers.*).
namespace ridgeline {

struct InterpolateParams {
  int points = 25;                  ///< α values from 0 to 1
  bool train = true, test = true;   ///< "split": both, train or test
  bool repair = false;              ///< REPAIR every interpolated network
  int samples = 10000;              ///< REPAIR statistics rows; 0 = all
};

}  // namespace ridgeline
