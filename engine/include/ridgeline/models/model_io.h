#pragma once
/// @file model_io.h
/// Models of any kind in safetensors files. A file's "ridgeline.kind" metadata names its kind;
/// files without it are MLPs (Ridgeline's own MLP files, or PyTorch state_dicts: see
/// io/safetensors.h, load_mlp). Every block of the architecture is one tensor, named as
/// ModelArch::blocks() names it.
#include <map>
#include <optional>
#include <string>

#include "ridgeline/core/progress.h"
#include "ridgeline/models/mlp/mlp.h"
#include "ridgeline/models/model.h"

namespace ridgeline {

struct SafetensorsFile;

/// Loads a model of any kind; a folder holding config.json is a GPT-2-family checkpoint
/// (transformer/gpt2_import.h). `activation` is given to load_mlp for PyTorch state_dicts;
/// `cancel` is polled while loading (throws Cancelled). Throws InputError naming the file.
Model load_model(const std::string& path, std::optional<Activation> activation = std::nullopt,
                 const CancelToken* cancel = nullptr);
/// Same from a file already read (`path` names it in errors).
Model load_model(const std::string& path, const SafetensorsFile& file,
                 std::optional<Activation> activation = std::nullopt,
                 const CancelToken* cancel = nullptr);
/// Saves atomically with the architecture's metadata; `extra` is merged into __metadata__.
/// MLPs are written exactly as save_mlp writes them.
void save_model(const std::string& path, const Model& model,
                const std::map<std::string, std::string>& extra = {});

}  // namespace ridgeline
