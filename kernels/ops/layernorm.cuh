#pragma once
/// @file layernorm.cuh
/// Row-wise LayerNorm with elementwise affine γ, β (torch.nn.LayerNorm) and its adjoint.
/// Deterministic: fixed warp-butterfly and shared-memory reduction orders, no atomics.
#include <cuda_runtime_api.h>

namespace ridgeline::cuda {

/// Y = (X − mean)·rstd·γ + β per row of X[rows×cols], biased variance, rstd = 1/√(var + eps).
/// mean and rstd (rows each) are written when not null. Y may alias X.
void layernorm(cudaStream_t stream, const float* X, const float* gamma, const float* beta,
               int rows, int cols, float eps, float* Y, float* mean, float* rstd);
/// dX = rstd·(g − mean(g) − x̂·mean(g·x̂)), g = dY·γ, x̂ = (X − mean)·rstd; when not null,
/// dgamma[c] = Σ_r dY·x̂ and dbeta[c] = Σ_r dY (overwritten). dX may alias dY.
void layernorm_backward(cudaStream_t stream, const float* dY, const float* X, const float* gamma,
                        const float* mean, const float* rstd, int rows, int cols, float* dX,
                        float* dgamma, float* dbeta);

}  // namespace ridgeline::cuda
