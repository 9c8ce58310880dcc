#pragma once
/// @file activations.cuh
/// Smooth activations and their derivatives: GELU in its exact erf form (torch.nn.GELU()).
/// Entry points check sizes and enqueue on `stream`; they are callable from host-compiled code.
#include <cuda_runtime_api.h>

#include <cstddef>

namespace ridgeline::cuda {

/// y = z·Φ(z) = ½z(1 + erf(z/√2)); y may alias z.
void gelu(cudaStream_t stream, const float* z, float* y, size_t n);
/// dy *= Φ(z) + z·φ(z), z being the GELU input.
void gelu_backward(cudaStream_t stream, float* dy, const float* z, size_t n);

}  // namespace ridgeline::cuda
