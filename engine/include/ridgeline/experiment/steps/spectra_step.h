#pragma once
/// @file spectra_step.h
/// The "spectra" step kind's parameters. Its inputs are StepSpec::models (the models analysed)
/// and, optionally, `aligned_to` (the reference A of the singular-vector alignment). Its result
/// payload is a SpectraResult (ridgeline/spectra/spectra.h): results/<id>.json and one
/// results/<id>.<model>.<layer>.sv.npy per model and weight matrix (checkpoints included).
#include <string>
#include <vector>

#include "ridgeline/spectra/spectra.h"

namespace ridgeline {

struct SpectraParams {
  std::string aligned_to;  ///< empty: spectra only
  int top_k = 32;
  std::vector<double> gammas = default_gammas();
  /// Also the spectra at every saved epoch (train.checkpoint_every) of the trained models
  /// among `models`, and at each epoch their alignment to aligned_to's checkpoint of the same
  /// epoch: as trained and, with over_training_align "wm", after weight matching there.
  bool over_training = false;
  std::string over_training_align = "wm";  ///< "wm" | "none"
};

}  // namespace ridgeline
