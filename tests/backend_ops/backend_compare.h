#pragma once
// Shared by the backend-ops table (tests/backend_ops) and the CUDA op tests (tests/gpu):
// tolerances with their reasons, sentinel pads around every buffer (out-of-bounds writes), and
// the normalised error nmse = mse(ref, got) / mse(ref, 0).
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace ridgeline::test {

// Tolerances (nmse), each with its reason:
// Selections and copies (fill, relu, relu_backward, copy, softmax `correct`): no arithmetic,
// so the results must be bit-identical.
constexpr double kExact = 0.0;
// One or two roundings per element (lerp, axpby, add_bias, optimizer steps; GELU, whose erff
// and expf are within 2 ulp on both sides): the only difference allowed is FMA contraction,
// operation order or last-ulp library differences, ≈ 1e-14 nmse. A wrong index or formula
// gives nmse ~ 1e-3 or more.
constexpr double kElementwise = 1e-10;
// A sum of two rounded terms that can cancel (lerp a + αd, axpby, the momentum buffers of SGD
// and Adam): one element's relative error is ε·(|x| + |y|)/|x + y|, unbounded in principle, so
// on rows with few elements the nmse can reach ~1e-11 (measured 5e-11 for a single Adam m
// against the float64 reference). Still far below a wrong formula (≥ 1e-3).
constexpr double kCancelling = 1e-8;
// Float32 reductions of up to ~4000 terms in a different order (column sums, GEMMs with
// k ≤ 1000, Σexp in softmax, LayerNorm statistics and gradients, which the CPU sums in
// double): the relative error grows like √k·ε ≈ 1e-6 in the typical case, so nmse ≈ 1e-12;
// 1e-8 leaves room for unlucky cancellation.
constexpr double kReduction = 1e-8;
// Float64 sums of exact float products (dot, nrm2) in a different order: float·float is exact
// in double, so only the summation order differs, √n·2⁻⁵³ relative ≈ 3e-14 for n = 1e5
// (nmse ≈ 1e-27); 1e-20 leaves room for cancellation, and still fails a float32 accumulator
// (relative ≈ 1e-5 at that n, nmse ≈ 1e-10).
constexpr double kDoubleReduction = 1e-20;

constexpr size_t kPad = 37;               // sentinel floats on each side of every buffer
constexpr float kSentinel = -12345.678f;  // a value no op here produces
constexpr int kIntSentinel = -777777;     // likewise for int32 buffers

inline std::vector<float> random_vector(std::mt19937& rng, size_t n, float lo = -1.0f,
                                        float hi = 1.0f) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

/// mse(ref, got) / mse(ref, 0); 0 when both are all zero, ∞ when only ref is.
template <class T>
double nmse(const std::vector<T>& ref, const std::vector<T>& got) {
  double num = 0.0, den = 0.0;
  for (size_t i = 0; i < ref.size(); ++i) {
    const double d = double(ref[i]) - double(got[i]);
    num += d * d;
    den += double(ref[i]) * double(ref[i]);
  }
  if (den == 0.0) return num == 0.0 ? 0.0 : INFINITY;
  return num / den;
}

inline std::string sci(double x) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g", x);
  return text;
}

inline bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

}  // namespace ridgeline::test
