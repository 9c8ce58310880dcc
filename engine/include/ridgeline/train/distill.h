#pragma once
/// @file distill.h
/// Hedgehog attention distillation while a transformer trains (TrainConfig::distill; Zhang et
/// al. 2024, arXiv 2402.04347, §4.2; the per-head loss is attention/distillation.h). Every
/// layer and head of a transformer whose attention is `hedgehog` adds, per example, the
/// cross-entropy of its map to the softmax map of the same queries and keys; the distillation
/// loss is the mean over examples, layers and heads, and training minimises
///   task loss + distill · distillation loss.
/// Its gradient reaches the Hedgehog maps' W only: the queries and keys (and everything before
/// them) learn from the task loss alone. As in the paper, where the distillation stage freezes
/// everything but the feature maps; it also keeps Q and K from shrinking towards flat maps,
/// where a softmax teacher computed from them is trivially easy to mimic.
#include <string>

#include "ridgeline/models/model.h"

namespace ridgeline {

/// Why `arch` cannot be trained with attention distillation, or empty when it can: a
/// transformer whose attention variant is hedgehog.
std::string distill_unsupported(const ModelArch& arch);

/// After compute.forward(params, x, rows) of such a transformer (`compute` made by
/// arch.compute()): the distillation loss of those rows (mean over examples, layers and heads).
/// With `grad` non-null, adds weight · ∂(that loss)/∂W into the Hedgehog blocks of grad (a
/// host-memory parameter-sized buffer, as backward() leaves it) and touches nothing else.
/// Deterministic: the per-example gradients are summed in example order. Throws InputError
/// when distill_unsupported(arch) is not empty.
double add_distillation(ModelCompute& compute, const ModelArch& arch, float* grad, int rows,
                        double weight);

}  // namespace ridgeline
