#pragma once
/// @file cublas_loader.h
/// cuBLAS, opened with dlopen when the first CUDA backend is made rather than linked. Linking
/// libcublas made every `ridgeline` start run cuBLASLt's static initialisers (about 0.4 s on
/// a machine without a GPU, for `--help` too; docs/PERFORMANCE.md, "Start-up"). Only the
/// eight entry points the backend uses are looked up. The types still come from the toolkit's
/// headers, so a call through this table is checked by the compiler like a direct one.
#include <cublas_v2.h>

#include <string>

namespace ridgeline::cuda {

struct CublasApi {
  cublasStatus_t (*create)(cublasHandle_t*) = nullptr;
  cublasStatus_t (*destroy)(cublasHandle_t) = nullptr;
  cublasStatus_t (*set_stream)(cublasHandle_t, cudaStream_t) = nullptr;
  cublasStatus_t (*get_stream)(cublasHandle_t, cudaStream_t*) = nullptr;
  cublasStatus_t (*set_math_mode)(cublasHandle_t, cublasMath_t) = nullptr;
  const char* (*status_string)(cublasStatus_t) = nullptr;
  cublasStatus_t (*gemm_ex)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int, int,
                            const void*, const void*, cudaDataType, int, const void*,
                            cudaDataType, int, const void*, void*, cudaDataType, int,
                            cublasComputeType_t, cublasGemmAlgo_t) = nullptr;
  cublasStatus_t (*gemm_strided_batched_ex)(cublasHandle_t, cublasOperation_t, cublasOperation_t,
                                            int, int, int, const void*, const void*, cudaDataType,
                                            int, long long, const void*, cudaDataType, int,
                                            long long, const void*, void*, cudaDataType, int,
                                            long long, int, cublasComputeType_t,
                                            cublasGemmAlgo_t) = nullptr;
};

/// Why cuBLAS cannot be used ("" when it can): the library was not found (dlerror's text), or
/// it lacks one of the entry points. Loads it on the first call; thread-safe.
const std::string& cublas_load_problem();

/// The loaded entry points; throws RunError with cublas_load_problem() when there are none.
const CublasApi& cublas();

}  // namespace ridgeline::cuda
