#pragma once
/// @file spec.h
/// Experiment specs: one JSON document (schema: resources/schema/experiment.schema.json,
/// compiled into the engine) naming the data, the architecture, the training recipe, the
/// models (by seed) and the analysis steps. Validation errors name the offending key path.
#include <any>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "ridgeline/data/dataset.h"
#include "ridgeline/models/mlp/mlp.h"
#include "ridgeline/models/model.h"
#include "ridgeline/train/train.h"

namespace ridgeline {

/// One entry of the spec's `models`: trained here from `seed`; an existing safetensors file
/// (`path`, not trained); or spawned (`from` a checkpoint of an earlier model, trained on with
/// `seed` as its data order). docs/USER_GUIDE.md, "Models".
struct ModelSpec {
  std::string name;   ///< "seed0"
  uint64_t seed = 0;  ///< seed and spawned models: the initialisation (seed only) and data order
  std::string path;   ///< an external file (absolute path); empty for trained models
  std::string from;   ///< a spawned model's start, "seed0@epoch2" or "seed0@step40"

  bool external() const { return !path.empty(); }
  bool spawned() const { return !from.empty(); }
};

/// A checkpoint of a trained model, named "<model>@epoch<N>" or "<model>@step<N>" in steps and
/// in a spawn's `from`. @epoch0 and @step0 are the initialisation.
struct CheckpointRef {
  std::string model;
  bool by_step = false;  ///< @stepN (global optimizer steps), else @epochN
  long long n = 0;
  std::string name() const { return model + (by_step ? "@step" : "@epoch") + std::to_string(n); }
};
/// The checkpoint a name refers to, when it ends in "@epoch<N>" or "@step<N>" (digits only);
/// nullopt for any other name ("seed1@wm").
std::optional<CheckpointRef> parse_checkpoint_ref(const std::string& name);

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
  std::string source;  ///< the file the spec was read from (error messages); not in the JSON

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
/// "spec.json: train.lr: must be a finite number > 0". Throws InputError. A relative model
/// `path` resolves against the folder of `source`. With `check_files`, each external model
/// file is read and checked against model.arch (a run folder's resolved spec is read without:
/// its results stay readable after the file moved).
ExperimentSpec parse_spec(const std::string& json_text, const std::string& source,
                          bool check_files = true);
/// Reads and parses a spec file.
ExperimentSpec load_spec(const std::string& path, bool check_files = true);
/// The checks that need the step count of an epoch (known once the data is loaded): every
/// @stepN named in the spec is at most epochs·steps_per_epoch, and a checkpoint of a spawned
/// model is not before its spawn point. Throws InputError naming the spec file.
void check_checkpoint_steps(const ExperimentSpec& spec, int steps_per_epoch);
/// The global step of a checkpoint, given the step count of an epoch.
long long checkpoint_step(const CheckpointRef& ref, int steps_per_epoch);
/// The file of a checkpoint in a run folder's checkpoints/: "<model>.safetensors" for the
/// final epoch, else "<model>-epoch<N>.safetensors" / "<model>-step<N>.safetensors".
std::string checkpoint_file_name(const ExperimentSpec& spec, const CheckpointRef& ref);
/// The resolved spec (every default filled in) as JSON; parse_spec(spec_to_json(s)) == s.
std::string spec_to_json(const ExperimentSpec& spec);

}  // namespace ridgeline
