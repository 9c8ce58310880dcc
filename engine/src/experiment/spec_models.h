#pragma once
// The entries of a spec's `models` (trained, external file, spawned) and the checkpoint names
// "<model>@epoch<N>" / "<model>@step<N>" (spec.h; docs/USER_GUIDE.md, "Models").
#include <nlohmann/json.hpp>
#include <string>

#include "ridgeline/experiment/spec.h"

namespace ridgeline {

/// Parses models[i] (`where` is "<source>: models[i]") against the models before it in `s`.
ModelSpec parse_model_entry(const ExperimentSpec& s, const nlohmann::json& m, const std::string& where,
                            const std::string& source, bool check_files);
/// Checks that `ref` names a checkpoint the spec's recipe keeps (`where` starts the message);
/// `spawn_point`: the ref is a spawn's `from` (the end of training leaves nothing to train).
void check_checkpoint_ref(const ExperimentSpec& s, const CheckpointRef& ref, const std::string& where,
                          bool spawn_point);

}  // namespace ridgeline
