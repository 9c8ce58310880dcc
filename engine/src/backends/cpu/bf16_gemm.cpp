// bfloat16 GEMMs through oneDNN's matmul primitive (see bf16_gemm.h), and the precision
// helpers of ridgeline/core/precision.h. Without oneDNN (RIDGELINE_HAVE_ONEDNN unset) the
// wrapper only reports why it cannot run.
#include "bf16_gemm.h"

#include <cstring>
#include <map>
#include <string>
#include <tuple>

#include "ridgeline/core/errors.h"
#include "ridgeline/core/precision.h"

#if RIDGELINE_HAVE_ONEDNN
#include <oneapi/dnnl/dnnl.hpp>
#endif

namespace ridgeline {

std::string to_string(Precision p) { return p == Precision::Bf16 ? "bf16" : "fp32"; }

Precision parse_precision(const std::string& text, const std::string& what) {
  if (text == "fp32") return Precision::Fp32;
  if (text == "bf16") return Precision::Bf16;
  std::string shown = text.substr(0, 40);
  for (char& ch : shown)
    if (static_cast<unsigned char>(ch) < 0x20 || static_cast<unsigned char>(ch) >= 0x7f) ch = '?';
  throw InputError(what + ": '" + shown + "' is not fp32 or bf16");
}

std::string bf16_unavailable_reason() {
#if !RIDGELINE_HAVE_ONEDNN
  return "bf16 needs oneDNN, and this build has none (install libdnnl-dev and rebuild)";
#else
  // The CPU's own flag, then oneDNN's view of it (DNNL_MAX_CPU_ISA may lower it).
  if (!__builtin_cpu_supports("avx512bf16"))
    return "bf16 needs a CPU with AVX512-BF16 (flag avx512_bf16), and this one has none";
  // ISA values are bit masks: avx512_core_bf16's bits are set in every ISA above it (AMX).
  const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
  const auto need = static_cast<unsigned>(dnnl::cpu_isa::avx512_core_bf16);
  if ((isa & need) != need)
    return "bf16 needs oneDNN's avx512_core_bf16 code, and oneDNN is limited below it here "
           "(DNNL_MAX_CPU_ISA)";
  return {};
#endif
}

}  // namespace ridgeline

namespace ridgeline::detail {

void f32_to_bf16(const float* src, uint16_t* dst, size_t n) {
  // Elementwise, so the same bits for any thread count; threads only for large arrays.
  const long long N = static_cast<long long>(n);
#pragma omp parallel for simd schedule(static) if (N >= (1 << 18))
  for (long long i = 0; i < N; ++i) {
    uint32_t u;
    std::memcpy(&u, src + i, 4);
    // Round to nearest even on the 16 dropped bits; a NaN stays a (quiet) NaN.
    const uint32_t rounded = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
    const bool nan = (u & 0x7fffffffu) > 0x7f800000u;
    dst[i] = static_cast<uint16_t>(nan ? ((u >> 16) | 0x40u) : rounded);
  }
}

namespace {
inline uint16_t round_bf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  const uint32_t rounded = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
  const bool nan = (u & 0x7fffffffu) > 0x7f800000u;
  return static_cast<uint16_t>(nan ? ((u >> 16) | 0x40u) : rounded);
}
}  // namespace

void bias_relu_to_bf16(const float* z, const float* bias, size_t bias_stride, int points, int rows,
                       int width, uint16_t* out) {
  const long long R = static_cast<long long>(points) * rows;
#pragma omp parallel for schedule(static) if (R * width >= (1 << 18))
  for (long long r = 0; r < R; ++r) {
    const float* b = bias + static_cast<size_t>(r / rows) * bias_stride;
    const float* zr = z + static_cast<size_t>(r) * width;
    uint16_t* o = out + static_cast<size_t>(r) * width;
#pragma omp simd
    for (int j = 0; j < width; ++j) {
      const float v = zr[j] + b[j];
      o[j] = round_bf16(v > 0.0f ? v : 0.0f);  // the backends' ReLU (NaN → 0)
    }
  }
}

float bf16_to_f32(uint16_t v) {
  const uint32_t u = static_cast<uint32_t>(v) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

#if RIDGELINE_HAVE_ONEDNN

namespace {
using dt = dnnl::memory::data_type;
using dims = dnnl::memory::dims;

struct Entry {
  dnnl::matmul prim;
  dnnl::memory a, w, c;
};
}  // namespace

struct Bf16Gemm::Impl {
  dnnl::engine eng{dnnl::engine::kind::cpu, 0};
  dnnl::stream strm{eng};
  std::map<std::tuple<int, int, int, int>, Entry> cache;
  std::string impl_name;

  Entry& entry(int batch, int m, int n, int k) {
    const auto key = std::make_tuple(batch, m, n, k);
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
    const dnnl::memory::dim B = batch, M = m, N = n, K = k;
    // A [B, M, K] row-major; the weights as Wᵀ [B, K, N] read from W [B, N, K] (strides
    // N·K, 1, K): PyTorch's layout is used as is, no transpose is formed.
    const dnnl::memory::desc a_md(dims{B, M, K}, dt::bf16, dims{M * K, K, 1});
    const dnnl::memory::desc w_md(dims{B, K, N}, dt::bf16, dims{N * K, 1, K});
    const dnnl::memory::desc c_md(dims{B, M, N}, dt::f32, dims{M * N, N, 1});
    const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a_md, w_md, c_md), eng);
    impl_name = pd.impl_info_str();
    Entry e{dnnl::matmul(pd), dnnl::memory(a_md, eng, nullptr), dnnl::memory(w_md, eng, nullptr),
            dnnl::memory(c_md, eng, nullptr)};
    return cache.emplace(key, std::move(e)).first->second;
  }
};

Bf16Gemm::Bf16Gemm() {
  const std::string why = bf16_unavailable_reason();
  if (!why.empty()) throw InputError("precision bf16: " + why);
  impl_ = std::make_unique<Impl>();
}

Bf16Gemm::~Bf16Gemm() = default;

void Bf16Gemm::gemm_nt(int batch, int m, int n, int k, const uint16_t* a, const uint16_t* w,
                       float* c) {
  if (batch <= 0 || m <= 0 || n <= 0) return;
  if (k <= 0) {
    std::memset(c, 0, sizeof(float) * static_cast<size_t>(batch) * m * n);
    return;
  }
  try {
    Entry& e = impl_->entry(batch, m, n, k);
    e.a.set_data_handle(const_cast<uint16_t*>(a));
    e.w.set_data_handle(const_cast<uint16_t*>(w));
    e.c.set_data_handle(c);
    e.prim.execute(impl_->strm,
                   {{DNNL_ARG_SRC, e.a}, {DNNL_ARG_WEIGHTS, e.w}, {DNNL_ARG_DST, e.c}});
    impl_->strm.wait();
  } catch (const dnnl::error& err) {
    throw RunError("oneDNN bf16 matmul " + std::to_string(batch) + "×" + std::to_string(m) + "×" +
                   std::to_string(n) + "×" + std::to_string(k) + " failed: " + err.what());
  }
}

size_t Bf16Gemm::cached_shapes() const { return impl_->cache.size(); }
const char* Bf16Gemm::implementation() const { return impl_->impl_name.c_str(); }

#else  // no oneDNN: construction reports why

struct Bf16Gemm::Impl {};
Bf16Gemm::Bf16Gemm() { throw InputError("precision bf16: " + bf16_unavailable_reason()); }
Bf16Gemm::~Bf16Gemm() = default;
void Bf16Gemm::gemm_nt(int, int, int, int, const uint16_t*, const uint16_t*, float*) {}
size_t Bf16Gemm::cached_shapes() const { return 0; }
const char* Bf16Gemm::implementation() const { return ""; }

#endif

}  // namespace ridgeline::detail
