#pragma once
// The MLP's evaluator over parameter points (paths/evaluator.h): the first layer shared by
// all points (K GEMMs), later layers as strided-batched GEMMs over points (device backends) or
// point by point (host backends); see docs/ARCHITECTURE.md. With ParameterPoints::precision
// bf16 (host backends only) the later layers' GEMMs run through oneDNN in bf16 with f32
// accumulation (backends/cpu/bf16_gemm.h); everything else stays f32.
#include <functional>

#include "ridgeline/models/mlp/mlp.h"
#include "ridgeline/paths/evaluator.h"

namespace ridgeline::detail {

/// Rows per chunk: at most `chunk`, and points·rows·widest activations within ~64M floats
/// (`points`: how many run at once, 1 on host backends).
int mlp_chunk_rows(const MlpArch& arch, int points, int chunk, int n);

PointValues mlp_evaluate_points(Backend& be, const MlpArch& arch, const ParameterPoints& points,
                                const Dataset& data, int chunk, const PointHooks& hooks,
                                const std::function<void()>& on_chunk, const CancelToken* cancel);

}  // namespace ridgeline::detail
