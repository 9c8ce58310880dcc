// Opens libcublas.so.<major of the headers we compiled against> with dlopen: first beside the
// CUDA runtime this process loaded (found with dladdr on a cudart function), then by the
// dynamic linker's usual search. See cublas_loader.h for why it is not linked.
#include "kernels/blas/cublas_loader.h"

#include <cuda_runtime_api.h>
#include <dlfcn.h>

#include <string>

#include "ridgeline/core/errors.h"

namespace ridgeline::cuda {
namespace {

struct Loaded {
  CublasApi api;
  std::string problem;
};

std::string runtime_directory() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&cudaGetDeviceCount), &info) == 0 || !info.dli_fname)
    return "";
  const std::string path = info.dli_fname;
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash + 1);
}

template <class Fn>
bool find(void* lib, const char* name, Fn& fn, std::string& problem) {
  fn = reinterpret_cast<Fn>(dlsym(lib, name));
  if (!fn && problem.empty()) problem = std::string("cuBLAS has no entry point ") + name;
  return fn != nullptr;
}

Loaded load() {
  Loaded out;
  const std::string name = "libcublas.so." + std::to_string(CUBLAS_VER_MAJOR);
  void* lib = nullptr;
  const std::string dir = runtime_directory();
  if (!dir.empty()) lib = dlopen((dir + name).c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!lib) lib = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    const char* err = dlerror();
    out.problem = "cuBLAS cannot be loaded: " + std::string(err ? err : name + " not found");
    return out;
  }
  // Kept open for the life of the process (handles made from it may outlive any one backend).
  CublasApi& a = out.api;
  find(lib, "cublasCreate_v2", a.create, out.problem);
  find(lib, "cublasDestroy_v2", a.destroy, out.problem);
  find(lib, "cublasSetStream_v2", a.set_stream, out.problem);
  find(lib, "cublasGetStream_v2", a.get_stream, out.problem);
  find(lib, "cublasSetMathMode", a.set_math_mode, out.problem);
  find(lib, "cublasGetStatusString", a.status_string, out.problem);
  find(lib, "cublasGemmEx", a.gemm_ex, out.problem);
  find(lib, "cublasGemmStridedBatchedEx", a.gemm_strided_batched_ex, out.problem);
  return out;
}

const Loaded& loaded() {
  static const Loaded l = load();
  return l;
}

}  // namespace

const std::string& cublas_load_problem() { return loaded().problem; }

const CublasApi& cublas() {
  const Loaded& l = loaded();
  if (!l.problem.empty()) throw RunError(l.problem);
  return l.api;
}

}  // namespace ridgeline::cuda
