#pragma once
/// @file spectra_step.h
/// The "spectra" step kind's parameters. Its inputs are StepSpec::models (the models analysed)
/// and, optionally, `aligned_to` (the reference A of the singular-vector alignment). Its result
/// payload is a SpectraResult (ridgeline/spectra/spectra.h): results/<id>.json and one
/// results/<id>.<model>.<layer>.sv.npy per model and weight matrix.
#include <string>
#include <vector>

#include "ridgeline/spectra/spectra.h"

namespace ridgeline {

struct SpectraParams {
  std::string aligned_to;  ///< empty: spectra only
  int top_k = 32;
  std::vector<double> gammas = default_gammas();
};

}  // namespace ridgeline
