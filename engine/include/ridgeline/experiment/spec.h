#pragma once
/// @file spec.h
/// Experiment specs: one JSON document (schema: resources/schema/experiment.schema.json,
/// compiled into the engine) naming the data, the architecture, the training recipe, the
/// models (by seed) and the analysis steps. Validation errors name the offending key path.
#include <any>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "ridgeline/data/dataset.h"
#include "ridgeline/models/mlp/mlp.h"
#include "ridgeline/models/model.h"
#include "ridgeline/train/train.h"

namespace ridgeline {

struct ModelSpec {
  std::string name;   ///< "seed0"
  uint64_t seed = 0;
};

/// One analysis step: a common part (type, id, the models it reads) and the parameters its kind
/// owns (InterpolateParams, AlignParams, MergeParams, in ridgeline/experiment/steps/). The
/// kinds are registered in engine/src/experiment/steps (docs/ARCHITECTURE.md, "Step kinds").
struct StepSpec {
  std::string type;   ///< a registered kind: "interpolate", "align", "merge"
  std::string id;     ///< unique; default chosen by the kind ("<type>-<a>-<b>", "align-<b>@<method>")
  std::string a, b;   ///< model names (trained, or produced by an earlier step); interpolate, align
  std::vector<std::string> models;  ///< merge: the models to merge
  std::any params;    ///< the kind's typed parameters

  /// The kind's parameters; throws std::logic_error when the step holds another kind's.
  template <class P> const P& as() const {
    if (const P* p = std::any_cast<P>(&params)) return *p;
    throw std::logic_error("step '" + id + "' (" + type + ") holds other parameters");
  }
  template <class P> P& as() {
    if (P* p = std::any_cast<P>(&params)) return *p;
    throw std::logic_error("step '" + id + "' (" + type + ") holds other parameters");
  }
};

struct ExperimentSpec {
  std::string name;
  std::string description;
  std::string data = "fashion-mnist";
  DataOptions data_options;
  /// The spec's `model`, a tagged description: `kind` "mlp" (the default) with `arch` (widths)
  /// and its activation/layernorm keys, or another registered kind with its architecture text
  /// in `model_text` ("quadratic:dim=8,seed=1"; models/model.h).
  std::string model_kind = "mlp";
  MlpArch arch;            ///< kind "mlp"
  std::string model_text;  ///< other kinds
  TrainConfig train;
  std::vector<ModelSpec> models;
  std::vector<StepSpec> steps;

  const ModelSpec* find_model(const std::string& name) const;
  /// The architecture object of the spec's model (models/model.h).
  std::shared_ptr<const ModelArch> model() const;
};

/// The schema text compiled into the engine.
std::string experiment_schema();
/// The allowed values of a step key, read from the schema ("type": the step kinds,
/// "method": the align methods, "split"): the one list the engine, CLI and GUI share.
std::vector<std::string> step_key_choices(const std::string& key);
/// The keys a step of a registered `type` may hold: "type", "id" and those of its kind's
/// schema fragment ($defs/step.<type>). Throws InputError for an unknown type.
std::vector<std::string> step_keys(const std::string& type);
/// A step of a registered `type` with the schema's defaults (inputs empty, id empty).
/// Throws InputError for an unknown type.
StepSpec make_step(const std::string& type);
/// Names of the models a step produces (an align step's "<b>@<method>", a merge step's id).
std::vector<std::string> step_outputs(const StepSpec& step);

/// Parses and validates; `source` (a file name) starts every error message:
/// "spec.json: train.lr: must be a finite number > 0". Throws InputError.
ExperimentSpec parse_spec(const std::string& json_text, const std::string& source);
/// Reads and parses a spec file.
ExperimentSpec load_spec(const std::string& path);
/// The resolved spec (every default filled in) as JSON; parse_spec(spec_to_json(s)) == s.
std::string spec_to_json(const ExperimentSpec& spec);

}  // namespace ridgeline
