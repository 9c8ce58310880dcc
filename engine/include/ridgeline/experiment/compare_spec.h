#pragma once
/// @file compare_spec.h
/// The spec behind the window's File ▸ Compare checkpoints…: two or more existing safetensors
/// files as external models (spec.h, ModelSpec::path), and for the first file against each
/// other one a naive path, weight matching and the weight-matched path.
#include <string>
#include <vector>

#include "ridgeline/experiment/spec.h"

namespace ridgeline {

/// Builds and validates the spec (parse_spec): `files` (≥ 2, absolute or relative to the working
/// folder) must hold MLPs of one architecture whose shape fits `data` (a data set name:
/// "fashion-mnist", "gmm:...", or an IDX folder). PyTorch state_dicts are read with ReLU.
/// Model names are the files' stems (letters, digits, '_' and '-'; made unique). Throws
/// InputError naming the file at fault.
ExperimentSpec compare_checkpoints_spec(const std::vector<std::string>& files, const std::string& data);

}  // namespace ridgeline
