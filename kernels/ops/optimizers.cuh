#pragma once
/// @file optimizers.cuh
/// Fused optimizer steps with PyTorch semantics (torch.optim.SGD / torch.optim.Adam,
/// coupled L2 weight decay, no dampening, no Nesterov, no AMSGrad).
#include <cuda_runtime_api.h>

#include <cstddef>

#include "ridgeline/core/backend.h"

namespace ridgeline::cuda {

/// g' = g + wd·p; with momentum μ ≠ 0: v = first_step ? g' : μ·v + g', p −= lr·v;
/// else p −= lr·g' (v untouched, may be null).
void sgd_step(cudaStream_t stream, float* p, const float* g, float* v, size_t n,
              const SgdParams& hp);
/// g' = g + wd·p; m = β1·m + (1−β1)·g'; v = β2·v + (1−β2)·g'²;
/// p −= lr·m̂ / (√v̂ + eps) with m̂ = m/(1−β1^t), v̂ = v/(1−β2^t), t = hp.step ≥ 1.
void adam_step(cudaStream_t stream, float* p, const float* g, float* m, float* v, size_t n,
               const AdamParams& hp);

}  // namespace ridgeline::cuda
