// Backend registry, device buffers, host thread settings and the cancel token.
#include "ridgeline/core/backend.h"

#include <omp.h>

#include <mutex>
#include <thread>

#include "backends/cpu/cpu_backend.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/core/progress.h"

namespace ridgeline {

void CancelToken::check() const {
  if (cancelled()) throw Cancelled();
}

DeviceBuffer::DeviceBuffer(Backend& backend, size_t n)
    : backend_(&backend), ptr_(n ? backend.allocate(n) : nullptr), n_(n) {}

DeviceBuffer::~DeviceBuffer() {
  if (backend_ && ptr_) backend_->release(ptr_);
}

DeviceBuffer::DeviceBuffer(DeviceBuffer&& o) noexcept : backend_(o.backend_), ptr_(o.ptr_), n_(o.n_) {
  o.backend_ = nullptr;
  o.ptr_ = nullptr;
  o.n_ = 0;
}

DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& o) noexcept {
  if (this != &o) {
    if (backend_ && ptr_) backend_->release(ptr_);
    backend_ = o.backend_;
    ptr_ = o.ptr_;
    n_ = o.n_;
    o.backend_ = nullptr;
    o.ptr_ = nullptr;
    o.n_ = 0;
  }
  return *this;
}

namespace {

std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}

std::vector<BackendFactory>& registry() {
  static std::vector<BackendFactory> r = [] {
    std::vector<BackendFactory> v;
    v.push_back({"cpu", [] { return std::string(); },
                 [](int threads) -> std::unique_ptr<Backend> { return make_cpu_backend(threads); }});
    return v;
  }();
  return r;
}

const BackendFactory* find_factory(const std::string& name) {
  for (const auto& f : registry())
    if (f.name == name) return &f;
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
  if (!f) return name == "cuda" ? "this build has no CUDA backend (nvcc was not found)"
                                : "unknown backend '" + name + "'";
  return f->available();
}

std::unique_ptr<Backend> make_backend(const std::string& device, int threads) {
  set_host_threads(threads);
  if (device != "auto" && device != "cpu" && device != "cuda")
    throw InputError("--device: unknown device '" + device + "' (expected auto, cpu or cuda)");
  std::string chosen = device;
  if (device == "auto") chosen = backend_unavailable_reason("cuda").empty() ? "cuda" : "cpu";
  std::string why = backend_unavailable_reason(chosen);
  if (!why.empty()) throw RunError("device " + chosen + " unavailable: " + why);
  std::lock_guard<std::mutex> lock(registry_mutex());
  return find_factory(chosen)->create(host_threads());
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
