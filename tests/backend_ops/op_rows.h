#pragma once
// Row builders for the backend-ops table, one per op family: each knows its op's buffers,
// which of them it writes and with what tolerance. The table itself (test_backend_ops.cpp)
// is a list of calls to these, one per edge case.
#include <algorithm>
#include <string>

#include "op_case.h"

namespace ridgeline::test::rows {

inline std::string dims(std::initializer_list<long long> v) {
  std::string s;
  for (long long x : v) s += (s.empty() ? "" : "x") + std::to_string(x);
  return s;
}

inline const char* tn(Trans t) { return t == Trans::Yes ? "T" : "N"; }

/// C[m×n] (row stride n + pad) = alpha·op(A)·op(B) + beta·C; A, B rows padded by `pad` too.
inline OpCase gemm(Trans ta, Trans tb, int m, int n, int k, int pad, float alpha, float beta,
                   std::string edge) {
  const int a_rows = ta == Trans::No ? m : k, a_cols = ta == Trans::No ? k : m;
  const int b_rows = tb == Trans::No ? k : n, b_cols = tb == Trans::No ? n : k;
  const int lda = std::max(1, a_cols) + pad, ldb = std::max(1, b_cols) + pad, ldc = n + pad;
  OpCase c{Op::Gemm, std::string(tn(ta)) + tn(tb) + " " + dims({m, n, k}) + " " + edge};
  c.floats = {{size_t(a_rows) * lda}, {size_t(b_rows) * ldb}, {size_t(m) * ldc}};
  c.outputs = {{2, kReduction, "float32 dot products of k terms in another order",
                [=](size_t i) { return int(i % ldc) < n; }}};
  c.run = [=](Backend& b, Args& a) {
    b.gemm(ta, tb, m, n, k, alpha, a.f[0], lda, a.f[1], ldb, beta, a.f[2], ldc);
  };
  return c;
}

/// `batch` GEMMs; a shared operand has stride 0, the others sit `gap` floats apart.
inline OpCase gemm_batched(Trans ta, Trans tb, int m, int n, int k, int batch, bool share_a,
                           bool share_b, std::string edge) {
  const int a_rows = ta == Trans::No ? m : k, a_cols = ta == Trans::No ? k : m;
  const int b_rows = tb == Trans::No ? k : n, b_cols = tb == Trans::No ? n : k;
  const int lda = a_cols + 1, ldb = b_cols + 2, ldc = n + 3;
  const long long gap = 11;
  const long long sA = share_a ? 0 : (long long)a_rows * lda + gap;
  const long long sB = share_b ? 0 : (long long)b_rows * ldb + gap;
  const long long sC = (long long)m * ldc + gap;
  OpCase c{Op::GemmBatched,
           std::string(tn(ta)) + tn(tb) + " " + dims({m, n, k}) + " batch " +
               std::to_string(batch) + " " + edge};
  c.floats = {{size_t(share_a ? 1 : batch) * size_t(a_rows * lda + gap)},
              {size_t(share_b ? 1 : batch) * size_t(b_rows * ldb + gap)},
              {size_t(batch) * size_t(sC)}};
  c.outputs = {{2, kReduction, "float32 dot products of k terms in another order",
                [=](size_t i) { return (long long)(i % sC) < (long long)m * ldc && int(i % sC % ldc) < n; }}};
  c.run = [=](Backend& b, Args& a) {
    b.gemm_batched(ta, tb, m, n, k, 0.75f, a.f[0], lda, sA, a.f[1], ldb, sB, -0.5f, a.f[2], ldc,
                   sC, batch);
  };
  return c;
}

/// add_bias (scale = false) or scale_columns (scale = true) on a rows×cols matrix.
inline OpCase columns(bool scale, int rows, int cols, std::string edge) {
  OpCase c{scale ? Op::ScaleColumns : Op::Bias, dims({rows, cols}) + " " + edge};
  c.floats = {{size_t(rows) * cols}, {size_t(cols), -2.0f, 2.0f}};
  c.outputs = {{0, kElementwise, "one rounding per element"}};
  c.run = [=](Backend& b, Args& a) {
    if (scale) b.scale_columns(a.f[0], a.f[1], rows, cols);
    else b.add_bias(a.f[0], a.f[1], rows, cols);
  };
  return c;
}

/// relu then relu_backward (dY *= Y > 0) on n values.
inline OpCase relu(size_t n, std::string edge) {
  OpCase c{Op::Relu, dims({(long long)n}) + " " + edge};
  c.floats = {{n}, {n}};
  c.outputs = {{0, kExact, "a selection: bit-identical"}, {1, kExact, "a selection: bit-identical"}};
  c.run = [=](Backend& b, Args& a) {
    b.relu(a.f[0], n);
    b.relu_backward(a.f[1], a.f[0], n);
  };
  return c;
}

/// gelu (Y aliasing Z when `alias`) and gelu_backward on n values in [-6, 6].
inline OpCase gelu(size_t n, bool alias, std::string edge) {
  OpCase c{Op::Gelu, dims({(long long)n}) + (alias ? " Y aliases Z " : " ") + edge};
  c.floats = {{n, -6.0f, 6.0f}, {n}, {n}};  // Z, Y, dY
  const char* why = "erf/exp within a few ulp of the float64 reference";
  c.outputs = {{alias ? 0 : 1, kElementwise, why}, {2, kElementwise, why}};
  c.run = [=](Backend& b, Args& a) {
    b.gelu_backward(a.f[2], a.f[0], n);  // dY = buffer 2, against Z = buffer 0, before gelu
    b.gelu(a.f[0], alias ? a.f[0] : a.f[1], n);
  };
  return c;
}

/// layernorm of rows×cols; Y aliases X when `alias`; statistics written when `stats`.
inline OpCase layernorm(int rows, int cols, bool alias, bool stats, std::string edge) {
  OpCase c{Op::LayerNorm, dims({rows, cols}) + (alias ? " Y aliases X" : "") +
                              (stats ? "" : " no mean/rstd") + " " + edge};
  const size_t n = size_t(rows) * cols;
  // 0 X, 1 gamma, 2 beta, 3 Y, 4 mean, 5 rstd
  c.floats = {{n, -3.0f, 3.0f}, {size_t(cols)}, {size_t(cols)}, {n}, {size_t(rows)}, {size_t(rows)}};
  const char* why = "row statistics over cols terms";
  c.outputs = {{alias ? 0 : 3, kReduction, why}};
  if (stats) c.outputs.push_back({4, kReduction, why}), c.outputs.push_back({5, kReduction, why});
  c.run = [=](Backend& b, Args& a) {
    b.layernorm(a.f[0], a.f[1], a.f[2], rows, cols, 1e-5f, alias ? a.f[0] : a.f[3],
                stats ? a.f[4] : nullptr, stats ? a.f[5] : nullptr);
  };
  return c;
}

/// layernorm_backward of rows×cols; dX aliases dY when `alias`; dgamma/dbeta when `params`.
inline OpCase layernorm_backward(int rows, int cols, bool alias, bool params, std::string edge) {
  OpCase c{Op::LayerNorm, "backward " + dims({rows, cols}) + (alias ? " dX aliases dY" : "") +
                              (params ? "" : " no dgamma/dbeta") + " " + edge};
  const size_t n = size_t(rows) * cols;
  // 0 dY, 1 X, 2 gamma, 3 mean, 4 rstd, 5 dX, 6 dgamma, 7 dbeta
  c.floats = {{n}, {n, -2.0f, 2.0f}, {size_t(cols)}, {size_t(rows), -0.5f, 0.5f},
              {size_t(rows), 0.5f, 2.0f}, {n}, {size_t(cols)}, {size_t(cols)}};
  const char* why = "sums over rows or cols in another order";
  c.outputs = {{alias ? 0 : 5, kReduction, why}};
  if (params) c.outputs.push_back({6, kReduction, why}), c.outputs.push_back({7, kReduction, why});
  c.run = [=](Backend& b, Args& a) {
    b.layernorm_backward(a.f[0], a.f[1], a.f[2], a.f[3], a.f[4], rows, cols,
                         alias ? a.f[0] : a.f[5], params ? a.f[6] : nullptr,
                         params ? a.f[7] : nullptr);
  };
  return c;
}

inline OpCase column_sums(int rows, int cols, float beta, std::string edge) {
  OpCase c{Op::ColumnSums, dims({rows, cols}) + " beta " + sci(beta) + " " + edge};
  c.floats = {{size_t(rows) * cols}, {size_t(cols)}};
  c.outputs = {{1, kReduction, "float32 sums of rows terms in another order"}};
  c.run = [=](Backend& b, Args& a) { b.column_sums(a.f[0], rows, cols, beta, a.f[1]); };
  return c;
}

/// softmax_xent (float labels) or softmax_xent_i32; logits in [-spread, spread] + offset.
inline OpCase softmax(bool i32, int rows, int cols, int period, bool grad, float offset,
                      std::string edge) {
  OpCase c{i32 ? Op::SoftmaxXentI32 : Op::SoftmaxXent,
           dims({rows, cols}) + " period " + std::to_string(period) + (grad ? " grad " : " ") + edge};
  const size_t n = size_t(rows) * cols;
  // 0 logits, 1 loss, 2 correct, 3 grad, [4 float labels] | int 0 labels
  c.floats = {{n, offset - 5.0f, offset + 5.0f}, {size_t(rows)}, {size_t(rows)}, {n}};
  if (i32) c.ints = {{size_t(period), 0, cols}};
  else c.floats.push_back({size_t(period), 0.0f, float(cols), true});
  const char* why = "Σexp over cols terms";
  c.outputs = {{1, kReduction, why}, {2, kExact, "argmax: a selection"}};
  if (grad) c.outputs.push_back({3, kReduction, why});
  c.run = [=](Backend& b, Args& a) {
    float* g = grad ? a.f[3] : nullptr;
    if (i32) b.softmax_xent_i32(a.f[0], a.i[0], rows, cols, period, a.f[1], a.f[2], g, 0.25f);
    else b.softmax_xent(a.f[0], a.f[4], rows, cols, period, a.f[1], a.f[2], g, 0.25f);
  };
  return c;
}

/// lerp (out aliasing a when `alias`) on n values.
inline OpCase lerp(size_t n, bool alias, std::string edge) {
  OpCase c{Op::Lerp, dims({(long long)n}) + (alias ? " out aliases a " : " ") + edge};
  c.floats = {{n}, {n}, {n}};
  c.outputs = {{alias ? 0 : 2, kCancelling, "a + alpha d can cancel"}};
  c.run = [=](Backend& b, Args& a) { b.lerp(alias ? a.f[0] : a.f[2], a.f[0], a.f[1], -0.3f, n); };
  return c;
}

inline OpCase axpby(size_t n, float alpha, float beta, std::string edge) {
  OpCase c{Op::Axpby, dims({(long long)n}) + " " + sci(alpha) + "," + sci(beta) + " " + edge};
  c.floats = {{n}, {n}};
  c.outputs = {{1, kCancelling, "alpha x + beta y can cancel"}};
  c.run = [=](Backend& b, Args& a) { b.axpby(alpha, a.f[0], beta, a.f[1], n); };
  return c;
}

inline OpCase sgd(size_t n, SgdParams hp, std::string edge) {
  OpCase c{Op::Sgd, dims({(long long)n}) + " " + edge};
  c.floats = {{n}, {n}, {n}};
  c.outputs = {{0, kElementwise, "p - lr v: the update is small against p"}};
  if (hp.momentum != 0.0f) c.outputs.push_back({2, kCancelling, "mu v + g can cancel"});
  c.run = [=](Backend& b, Args& a) { b.sgd_step(a.f[0], a.f[1], a.f[2], n, hp); };
  return c;
}

inline OpCase adam(size_t n, AdamParams hp, std::string edge) {
  OpCase c{Op::Adam, dims({(long long)n}) + " step " + std::to_string(hp.step) + " " + edge};
  c.floats = {{n}, {n}, {n, -0.1f, 0.1f}, {n, 0.0f, 0.01f}};  // p, g, m, v ≥ 0
  c.outputs = {{0, kElementwise, "p - step: the update is small against p"},
               {2, kCancelling, "beta1 m + (1 - beta1) g can cancel"},
               {3, kElementwise, "a sum of non-negative terms"}};
  c.run = [=](Backend& b, Args& a) { b.adam_step(a.f[0], a.f[1], a.f[2], a.f[3], n, hp); };
  return c;
}

/// dot (x·y and x·x through the same pointer) or nrm2 on n values.
inline OpCase reduction(bool norm, size_t n, std::string edge) {
  OpCase c{norm ? Op::Nrm2 : Op::Dot, dims({(long long)n}) + " " + edge};
  c.floats = {{n}, {n}};
  c.scalar_tolerance = kDoubleReduction;
  c.scalar_reason = "float64 sums of exact products in another order";
  c.run = [=](Backend& b, Args& a) {
    if (norm) a.scalars = {b.nrm2(a.f[0], n), b.nrm2(a.f[1], n)};
    else a.scalars = {b.dot(a.f[0], a.f[1], n), b.dot(a.f[0], a.f[0], n)};
  };
  return c;
}

}  // namespace ridgeline::test::rows
