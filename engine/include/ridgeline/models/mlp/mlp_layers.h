#pragma once
/// @file mlp_layers.h
/// The MLP's layer steps: the one forward pass of the engine. MlpCompute::forward (training,
/// layer hooks), the evaluator over parameter points (mlp_points.cpp) and REPAIR's
/// layer-by-layer pass (paths/repair.cpp) all run a layer as mlp_linear then, for a hidden
/// layer, mlp_hidden_post — for one parameter point or for P points at once.
#include <cstddef>

#include "ridgeline/core/backend.h"
#include "ridgeline/models/mlp/mlp.h"

namespace ridgeline {

/// Z_k = X_k·W_lᵀ + b_l for P points: point k's parameters at params + k·param_stride, its
/// input [rows×in] at x + k·x_stride (x_stride 0: one input shared by all points), its output
/// [rows×out] at z + k·rows·out. One GEMM for a single point, one strided-batched GEMM for
/// several.
void mlp_linear(Backend& be, const MlpArch& arch, const ParamLayout& lay, int layer,
                const float* params, size_t param_stride, int points, const float* x,
                long long x_stride, int rows, float* z);

/// After hidden layer `layer`'s linear output z ([P][rows][width]): the LayerNorm with each
/// point's own γ, β into ln_out (its row statistics into mean and rstd, [P][rows], when those
/// are not null), then the activation of the result into act. ln_out and act may alias z.
/// Without LayerNorm ln_out is not used.
void mlp_hidden_post(Backend& be, const MlpArch& arch, const ParamLayout& lay, int layer,
                     const float* params, size_t param_stride, int points, int rows,
                     const float* z, float* ln_out, float* mean, float* rstd, float* act);

}  // namespace ridgeline
