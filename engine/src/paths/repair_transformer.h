#pragma once
// REPAIR for transformers (used by repair.cpp): each block's MLP is a hidden layer whose units
// are fc1's outputs, measured over every token position of the rows (one row per token). The
// correction is folded into fc1's weight rows and bias exactly as for an MLP's Linear layer
// (paths/repair.h); attention, LayerNorm and the residual stream are left as interpolated.
// Blocks are corrected in order, each measured after the corrections before it.
#include <vector>

#include "ridgeline/paths/repair.h"

namespace ridgeline::detail {

/// fc1 output statistics of a transformer over the first cfg.samples rows of `data`.
UnitStatistics transformer_unit_statistics(Backend& be, const Model& m, const Dataset& data,
                                           const RepairConfig& cfg, const CancelToken* cancel);

/// The REPAIRed θ(α) of two transformers (the endpoints exactly at α = 0 and 1).
std::vector<float> transformer_repair_point(Backend& be, const Model& a, const Model& b,
                                            double alpha, const Dataset& data,
                                            const RepairConfig& cfg,
                                            const RepairStatistics& endpoints,
                                            const CancelToken* cancel);

}  // namespace ridgeline::detail
