#pragma once
/// @file landscape_step.h
/// The "landscape" step kind's parameters. Its inputs are StepSpec::models: the plane's three
/// models A, B, C ("plane") or the one model at the centre of random or Hessian directions
/// ("center").
/// Its result payload is a LandscapeResult (ridgeline/landscape/landscape.h): results/<id>.json,
/// <id>.{loss,error,xs,ys}.npy and surfaces/<id>.vts in the run folder.
#include <cstdint>
#include <string>
#include <vector>

#include "ridgeline/landscape/landscape.h"

namespace ridgeline {

struct LandscapeParams {
  bool plane = true;                 ///< plane through models[0..2]; else around models[0]
  uint64_t seed = 0;                 ///< random directions' seed
  bool keep_1d = false;              ///< random directions: keep 1-D blocks (biases, norms)
  /// Around a centre: "random" (filter-normalised Gaussian), "hessian_top2" or
  /// "hessian_top_bottom" (Hessian eigenvectors: curvature/hessian_plane.h)
  std::string directions = "random";
  std::string hessian_split = "train";  ///< the Hessian's batch: this split ...
  int hessian_samples = 1000;           ///< ... a seeded subset of this many (0: all)
  int hessian_max_iter = 100;           ///< Lanczos steps per eigenproblem
  std::vector<std::string> project;  ///< other models placed in the slice
  GridSpec grid;                     ///< n×m and the ranges (defaults depend on the slice)
  std::string split = "test";
  int subset = 0;    ///< seeded subset of the split (seed 0); 0: all
  bool pass = true;  ///< planes: the lowest pass A → B
  int connectivity = 4;
  Precision precision = Precision::Fp32;  ///< the GEMMs' precision (core/precision.h)
};

}  // namespace ridgeline
