#pragma once
/// @file mlp_model.h
/// The MLP as a model kind (models/model.h): the architecture object over MlpArch, and
/// conversions between the MLP's own type (Mlp, used inside models/mlp and by the MLP-only
/// analyses) and the interface type Model.
#include <memory>

#include "ridgeline/models/mlp/mlp.h"
#include "ridgeline/models/model.h"

namespace ridgeline {

/// The architecture object of an MLP.
std::shared_ptr<const ModelArch> mlp_model_arch(const MlpArch& arch);
/// The MlpArch behind an architecture object, or null when it is not an MLP.
const MlpArch* as_mlp_arch(const ModelArch& arch);
/// The same parameters behind the interface.
Model to_model(const Mlp& m);
/// The MLP behind a model; throws InputError naming `what` when it is another kind.
Mlp to_mlp(const Model& m, const std::string& what = "model");

}  // namespace ridgeline
