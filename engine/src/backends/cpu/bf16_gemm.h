#pragma once
// bfloat16 GEMMs on the CPU through oneDNN's matmul primitive (bf16 source and weights, f32
// accumulation and destination), for `--precision bf16` grids (core/precision.h). Private to
// the engine: no oneDNN type appears here, so callers compile without oneDNN's headers.
#include <cstddef>
#include <cstdint>
#include <memory>

namespace ridgeline::detail {

/// f32 → bf16, rounding to nearest even (NaN stays NaN). n values.
void f32_to_bf16(const float* src, uint16_t* dst, size_t n);
/// One pass after a hidden layer's f32 GEMM, for `points` points of [rows×width] each at
/// z + k·rows·width: out (same layout, bf16) = max(z + b_k, 0) with point k's bias
/// b_k = bias + k·bias_stride, rounded as f32_to_bf16 does (the same bits as adding the bias,
/// ReLU and f32_to_bf16 one after another).
void bias_relu_to_bf16(const float* z, const float* bias, size_t bias_stride, int points, int rows,
                       int width, uint16_t* out);
/// bf16 → f32 (exact).
float bf16_to_f32(uint16_t v);

/// C_b = A_b · W_bᵀ for b < batch, in one oneDNN matmul: A_b [m×k] bf16 row-major at
/// a + b·m·k, W_b [n×k] bf16 row-major (PyTorch's weight layout [out, in]) at w + b·n·k,
/// C_b [m×n] float32 at c + b·m·n, accumulated in float32. Primitives are created once per
/// shape (batch, m, n, k) and kept. Not thread-safe: one object per thread.
class Bf16Gemm {
 public:
  /// Throws InputError with bf16_unavailable_reason() when bf16 GEMMs cannot run here.
  Bf16Gemm();
  ~Bf16Gemm();
  Bf16Gemm(const Bf16Gemm&) = delete;
  Bf16Gemm& operator=(const Bf16Gemm&) = delete;

  void gemm_nt(int batch, int m, int n, int k, const uint16_t* a, const uint16_t* w, float* c);
  /// How many primitives the cache holds (one per shape used).
  size_t cached_shapes() const;
  /// oneDNN's name of the implementation of the last primitive created ("brg:avx512_core_bf16").
  const char* implementation() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ridgeline::detail
