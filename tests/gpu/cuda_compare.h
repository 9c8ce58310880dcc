#pragma once
// Shared by the CUDA op tests: the CPU backend is the reference, agreement is measured by the
// normalised error nmse = mse(cpu, cuda) / mse(cpu, 0), and every output lives inside
// sentinel pads that must come back unchanged (out-of-bounds writes). The tolerances and
// helpers are shared with the backend-ops table (tests/backend_ops/backend_compare.h).
#include <QTest>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <random>
#include <string>
#include <vector>

#include "backend_ops/backend_compare.h"  // tolerances, pads, nmse
#include "ridgeline/core/backend.h"

namespace ridgeline::test {

using ridgeline::Backend;
using ridgeline::DeviceBuffer;

/// The same n floats on the CPU and on the CUDA backend, each inside kPad sentinels.
class Mirror {
 public:
  Mirror(Backend& cpu, Backend& gpu, const std::vector<float>& values)
      : cpu_(cpu),
        gpu_(gpu),
        n_(values.size()),
        initial_(values),
        cpu_buf_(cpu, n_ + 2 * kPad),
        gpu_buf_(gpu, n_ + 2 * kPad) {
    set(values);
  }

  /// Replaces the contents (same size), pads included.
  void set(const std::vector<float>& values) {
    std::vector<float> host(n_ + 2 * kPad, kSentinel);
    std::copy(values.begin(), values.end(), host.begin() + kPad);
    cpu_.upload(cpu_buf_.data(), host.data(), host.size());
    gpu_.upload(gpu_buf_.data(), host.data(), host.size());
    initial_ = values;
  }

  float* cpu() { return cpu_buf_.data() + kPad; }
  float* gpu() { return gpu_buf_.data() + kPad; }
  size_t size() const { return n_; }
  const std::vector<float>& initial() const { return initial_; }

  /// Whole buffer, pads included, from one backend.
  std::vector<float> full(bool from_gpu) {
    std::vector<float> host(n_ + 2 * kPad);
    Backend& b = from_gpu ? gpu_ : cpu_;
    b.download(host.data(), (from_gpu ? gpu_buf_ : cpu_buf_).data(), host.size());
    return host;
  }
  std::vector<float> inner(bool from_gpu) {
    const std::vector<float> all = full(from_gpu);
    return {all.begin() + kPad, all.end() - kPad};
  }

  /// Compares the CUDA contents with the CPU reference. `written` (optional) marks the elements
  /// an op may write; the others must keep their initial bits on the GPU. Returns an error
  /// message, empty when everything agrees.
  std::string compare(double tolerance, const std::string& what,
                      const std::vector<char>* written = nullptr) {
    const std::vector<float> c = full(false), g = full(true);
    for (size_t i = 0; i < kPad; ++i) {
      const size_t j = kPad + n_ + i;
      if (!same_bits(g[i], kSentinel) || !same_bits(g[j], kSentinel))
        return what + ": CUDA wrote outside the buffer";
      if (!same_bits(c[i], kSentinel) || !same_bits(c[j], kSentinel))
        return what + ": the CPU reference wrote outside the buffer";
    }
    const std::vector<float> ref(c.begin() + kPad, c.end() - kPad),
        got(g.begin() + kPad, g.end() - kPad);
    for (size_t i = 0; i < n_; ++i) {
      if (std::isfinite(ref[i]) && !std::isfinite(got[i]))
        return what + ": CUDA gives " + sci(got[i]) + " at " + std::to_string(i);
      if (written && !(*written)[i] && !same_bits(got[i], initial_[i]))
        return what + ": CUDA wrote element " + std::to_string(i) + ", outside the op's output";
    }
    const double e = nmse(ref, got);
    if (!(e <= tolerance)) return what + ": nmse " + sci(e) + " > tolerance " + sci(tolerance);
    return {};
  }

 private:
  Backend& cpu_;
  Backend& gpu_;
  size_t n_;
  std::vector<float> initial_;
  DeviceBuffer cpu_buf_, gpu_buf_;
};

#define COMPARE_MIRROR(mirror, tolerance, ...)                             \
  do {                                                                     \
    const std::string problem_ = (mirror).compare(tolerance, __VA_ARGS__); \
    QVERIFY2(problem_.empty(), problem_.c_str());                          \
  } while (0)

/// Empty when the CUDA backend is compiled in and a device answers, else why not (for a
/// ctest skip, exit 77).
inline std::string cuda_skip_reason() {
  try {
    const std::vector<std::string> names = ridgeline::registered_backends();
    if (std::find(names.begin(), names.end(), "cuda") == names.end())
      return "the CUDA backend is not compiled into this build";
    return ridgeline::backend_unavailable_reason("cuda");
  } catch (const std::exception& e) {
    return e.what();
  }
}

}  // namespace ridgeline::test
