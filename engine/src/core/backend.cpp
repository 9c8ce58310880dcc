// Backend registry, device buffers, host thread settings and the cancel token.
#include "ridgeline/core/backend.h"

#include <omp.h>

#include <mutex>
#include <thread>

#include "backends/cpu/cpu_backend.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/core/progress.h"
#include "backends/cpu/naive_backend.h"

namespace ridgeline {

void CancelToken::check() const {
  if (cancelled()) throw Cancelled();
}

const std::vector<Op>& all_ops() {
  static const std::vector<Op> ops = {
      Op::Gemm,       Op::GemmBatched,    Op::Bias, Op::ScaleColumns, Op::Relu, Op::Gelu,
      Op::LayerNorm,  Op::ColumnSums,     Op::SoftmaxXent, Op::SoftmaxXentI32, Op::Lerp,
      Op::Axpby,      Op::Sgd,            Op::Adam, Op::Dot,          Op::Nrm2};
  return ops;
}

const char* to_string(Op op) {
  switch (op) {
    case Op::Gemm: return "gemm";
    case Op::GemmBatched: return "gemm_batched";
    case Op::Bias: return "add_bias";
    case Op::ScaleColumns: return "scale_columns";
    case Op::Relu: return "relu";
    case Op::Gelu: return "gelu";
    case Op::LayerNorm: return "layernorm";
    case Op::ColumnSums: return "column_sums";
    case Op::SoftmaxXent: return "softmax_xent";
    case Op::SoftmaxXentI32: return "softmax_xent_i32";
    case Op::Lerp: return "lerp";
    case Op::Axpby: return "axpby";
    case Op::Sgd: return "sgd_step";
    case Op::Adam: return "adam_step";
    case Op::Dot: return "dot";
    case Op::Nrm2: return "nrm2";
  }
  return "unknown op";
}

void require(const Backend& backend, Op op) {
  if (backend.supports(op)) return;
  throw RunError(std::string("op ") + to_string(op) + " is not supported by backend " +
                 backend.name() + " (device " + std::to_string(backend.device_index()) + ")");
}

namespace {

std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}

std::vector<BackendFactory>& registry() {
  // The built-in backends register through the same factories as CUDA's static registrar;
  // they are pulled in here rather than by static initialisers of their own because the
  // engine is a static library, whose unreferenced objects the linker drops.
  static std::vector<BackendFactory> r = [] {
    std::vector<BackendFactory> v;
    v.push_back(cpu_backend_factory());
    v.push_back(reference_backend_factory());
    return v;
  }();
  return r;
}

const BackendFactory* find_factory(const std::string& name) {
  for (const auto& f : registry())
    if (f.name == name) return &f;
  return nullptr;
}

// Optional backends a build may leave out, with the reason: asking for one is a RunError
// (the device exists, this build cannot use it), not an unknown name.
const char* missing_backend_reason(const std::string& name) {
  if (name == "cuda") return "this build has no CUDA backend (nvcc was not found)";
  return nullptr;
}

int g_threads = 0;

}  // namespace

void register_backend(BackendFactory factory) {
  std::lock_guard<std::mutex> lock(registry_mutex());
  for (auto& f : registry())
    if (f.name == factory.name) {
      f = std::move(factory);
      return;
    }
  registry().push_back(std::move(factory));
}

std::vector<std::string> registered_backends() {
  std::lock_guard<std::mutex> lock(registry_mutex());
  std::vector<std::string> names;
  for (const auto& f : registry()) names.push_back(f.name);
  return names;
}

std::string backend_unavailable_reason(const std::string& name) {
  std::lock_guard<std::mutex> lock(registry_mutex());
  const BackendFactory* f = find_factory(name);
  if (!f) {
    const char* missing = missing_backend_reason(name);
    return missing ? std::string(missing) : "unknown backend '" + name + "'";
  }
  return f->available();
}

std::unique_ptr<Backend> make_backend(const std::string& device, int threads) {
  set_host_threads(threads);
  std::function<std::unique_ptr<Backend>(int)> create;
  {
    std::lock_guard<std::mutex> lock(registry_mutex());
    const BackendFactory* chosen = nullptr;
    if (device == "auto") {
      // First available accelerator in registration order, else the first available host.
      for (BackendRole role : {BackendRole::Accelerator, BackendRole::Host}) {
        for (const auto& f : registry())
          if (f.role == role && f.available().empty()) {
            chosen = &f;
            break;
          }
        if (chosen) break;
      }
      if (!chosen) throw RunError("device auto: no registered backend is available");
    } else {
      chosen = find_factory(device);
      if (!chosen && missing_backend_reason(device))
        throw RunError("device " + device + " unavailable: " + missing_backend_reason(device));
      if (!chosen) {
        std::string names = "auto";
        for (const auto& f : registry()) names += ", " + f.name;
        throw InputError("--device: unknown device '" + device + "' (expected " + names + ")");
      }
      const std::string why = chosen->available();
      if (!why.empty()) throw RunError("device " + device + " unavailable: " + why);
    }
    create = chosen->create;
  }
  return create(host_threads());
}

void set_host_threads(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  g_threads = threads;
  omp_set_num_threads(threads);
}

int host_threads() {
  if (g_threads <= 0) set_host_threads(0);
  return g_threads;
}

}  // namespace ridgeline
