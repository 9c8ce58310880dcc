// Registers the "cuda" backend with the engine's registry from a static initialiser (the
// executables link ridgeline_kernels whole, so this object is kept). The probe treats every
// error, e.g. error 35 (no driver) on a machine without a GPU, as "no device" and never throws.
#include <cuda_runtime_api.h>

#include <memory>
#include <string>

#include "kernels/blas/cublas_loader.h"
#include "kernels/core/cuda_backend.h"
#include "kernels/core/cuda_check.h"
#include "kernels/ops/elementwise.cuh"
#include "ridgeline/core/backend.h"

namespace {

std::string probe_cuda() {
  try {
    int count = 0;
    const cudaError_t err = cudaGetDeviceCount(&count);
    if (err != cudaSuccess) {
      (void)cudaGetLastError();
      return "no CUDA device: " + ridgeline::cuda::cuda_error_text(err);
    }
    if (count < 1) return "no CUDA device: cudaGetDeviceCount found none";
    if (cudaSetDevice(0) != cudaSuccess) {
      (void)cudaGetLastError();
      return "no CUDA device: device 0 cannot be selected";
    }
    const std::string& blas = ridgeline::cuda::cublas_load_problem();
    if (!blas.empty()) return blas;
    const std::string image = ridgeline::cuda::kernel_image_problem();
    if (!image.empty()) {
      cudaDeviceProp prop{};
      std::string device = "device 0";
      if (cudaGetDeviceProperties(&prop, 0) == cudaSuccess)
        device = std::string(prop.name) + " (compute " + std::to_string(prop.major) + "." +
                 std::to_string(prop.minor) + ")";
      (void)cudaGetLastError();
      return "CUDA " + device + " cannot run the kernels of this build: " + image;
    }
    return "";
  } catch (...) {
    return "no CUDA device: the probe failed";
  }
}

// A device does not come or go while the process runs: probe once.
std::string cuda_unavailable_reason() {
  static const std::string reason = probe_cuda();
  return reason;
}

struct CudaRegistrar {
  CudaRegistrar() {
    ridgeline::register_backend(
        {"cuda", &cuda_unavailable_reason,
         [](int) -> std::unique_ptr<ridgeline::Backend> {
           return std::make_unique<ridgeline::cuda::CudaBackend>();
         },
         ridgeline::BackendRole::Accelerator});
  }
};

const CudaRegistrar registrar;

}  // namespace
