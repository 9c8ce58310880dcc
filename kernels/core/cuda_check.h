#pragma once
/// @file cuda_check.h
/// Checks for CUDA runtime and cuBLAS calls. A failure throws ridgeline::RunError naming the
/// file, line, expression and the error string: a GUI must report the error and fall back,
/// never abort. Usable from .cu files and from host-compiled .cpp files.
#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <string>

#include "kernels/blas/cublas_loader.h"
#include "ridgeline/core/errors.h"

namespace ridgeline::cuda {

[[noreturn]] inline void throw_cuda_error(const char* what, const std::string& error,
                                          const char* file, int line) {
  throw RunError(std::string("CUDA error: ") + what + " failed at " + file + ":" +
                 std::to_string(line) + ": " + error);
}

/// "cudaErrorName (code): description".
inline std::string cuda_error_text(cudaError_t err) {
  return std::string(cudaGetErrorName(err)) + " (" + std::to_string(int(err)) +
         "): " + cudaGetErrorString(err);
}

}  // namespace ridgeline::cuda

/// Checks a cudaError_t-returning expression.
#define CUDA_CHECK(expr)                                                                       \
  do {                                                                                         \
    const cudaError_t ridgeline_cuda_err_ = (expr);                                            \
    if (ridgeline_cuda_err_ != cudaSuccess)                                                    \
      ::ridgeline::cuda::throw_cuda_error(                                                     \
          #expr, ::ridgeline::cuda::cuda_error_text(ridgeline_cuda_err_), __FILE__, __LINE__); \
  } while (0)

/// Checks the launch of the kernel just issued (bad configuration, missing kernel image).
#define CUDA_CHECK_LAUNCH() CUDA_CHECK(cudaGetLastError())

/// Checks a cublasStatus_t-returning expression.
#define CUBLAS_CHECK(expr)                                                                    \
  do {                                                                                        \
    const cublasStatus_t ridgeline_cublas_st_ = (expr);                                       \
    if (ridgeline_cublas_st_ != CUBLAS_STATUS_SUCCESS)                                        \
      ::ridgeline::cuda::throw_cuda_error(                                                   \
          #expr, ::ridgeline::cuda::cublas().status_string(ridgeline_cublas_st_), __FILE__,   \
          __LINE__);                                                                          \
  } while (0)

/// Throws RunError with `message` when `cond` is false (argument checks in entry points).
#define CUDA_REQUIRE(cond, message)                                                      \
  do {                                                                                   \
    if (!(cond)) throw ::ridgeline::RunError(std::string("cuda backend: ") + (message)); \
  } while (0)
