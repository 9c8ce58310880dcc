#pragma once
/// @file spec.h
/// Experiment specs: one JSON document (schema: resources/schema/experiment.schema.json,
/// compiled into the engine) naming the data, the architecture, the training recipe, the
/// models (by seed) and the analysis steps. Validation errors name the offending key path.
#include <cstdint>
#include <string>
#include <vector>

#include "ridgeline/data/dataset.h"
#include "ridgeline/models/mlp/mlp.h"
#include "ridgeline/train/train.h"

namespace ridgeline {

struct ModelSpec {
  std::string name;   ///< "seed0"
  uint64_t seed = 0;
};

struct StepSpec {
  std::string type;   ///< "interpolate", "align" or "merge"
  std::string id;     ///< unique; default "<type>-<a>-<b>" (align: "align-<b>@<method>")
  std::string a, b;   ///< model names (trained, or produced by an earlier align step)
  // interpolate
  int points = 25;
  bool train = true, test = true;
  bool repair = false;
  // align
  std::string method = "wm";  ///< wm | am | am-pearson
  uint64_t seed = 0;
  int max_sweeps = 100;
  int samples = 10000;        ///< activation statistics (align am*, repair); 0 = all
  int epochs = 10;            ///< align ste
  double lr = 0.01;           ///< align ste
  // merge
  std::vector<std::string> merge_models;  ///< produces the model named `id`

  /// Name of the model an align step produces: "<b>@<method>".
  std::string output() const { return b + "@" + method; }
};

struct ExperimentSpec {
  std::string name;
  std::string description;
  std::string data = "fashion-mnist";
  DataOptions data_options;
  MlpArch arch;
  TrainConfig train;
  std::vector<ModelSpec> models;
  std::vector<StepSpec> steps;

  const ModelSpec* find_model(const std::string& name) const;
};

/// The schema text compiled into the engine.
std::string experiment_schema();

/// Parses and validates; `source` (a file name) starts every error message:
/// "spec.json: train.lr: must be a finite number > 0". Throws InputError.
ExperimentSpec parse_spec(const std::string& json_text, const std::string& source);
/// Reads and parses a spec file.
ExperimentSpec load_spec(const std::string& path);
/// The resolved spec (every default filled in) as JSON; parse_spec(spec_to_json(s)) == s.
std::string spec_to_json(const ExperimentSpec& spec);

}  // namespace ridgeline
