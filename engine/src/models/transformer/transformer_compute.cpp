// Forward, loss and backward of the transformer (transformer_compute.h). Shapes: M = rows·T
// token rows of width d; per layer the block input h, LN₁(h), qkv [M, 3d] (Q | K | V, head
// h's columns h·dh … (h+1)·dh − 1 in each third), the heads' outputs att [M, d], the residual
// after attention hmid, LN₂(hmid), the MLP's pre-activation f1 [M, ff] and GELU output g.
#include "transformer_compute.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>

#include "ridgeline/core/errors.h"
#include "transformer_hvp.h"

namespace ridgeline {

using attention::MatrixF;

namespace {

// GELU in its tanh form, GPT-2's "gelu_new" (Hendrycks & Gimpel 2016, arXiv 1606.08415, §2):
// y = ½z(1 + tanh(u)), u = √(2/π)(z + 0.044715 z³). Host memory: the transformer runs on
// host-memory backends only.
constexpr double kGeluC = 0.7978845608028654, kGeluA = 0.044715;

void gelu_tanh(const float* z, float* y, size_t n) {
#pragma omp parallel for schedule(static) if (n > 65536)
  for (size_t i = 0; i < n; ++i) {
    const double x = z[i];
    y[i] = static_cast<float>(0.5 * x * (1.0 + std::tanh(kGeluC * (x + kGeluA * x * x * x))));
  }
}

// dy *= y'(z) = ½(1 + t) + ½z(1 − t²)·√(2/π)(1 + 3·0.044715 z²), t = tanh(u).
void gelu_tanh_backward(float* dy, const float* z, size_t n) {
#pragma omp parallel for schedule(static) if (n > 65536)
  for (size_t i = 0; i < n; ++i) {
    const double x = z[i], t = std::tanh(kGeluC * (x + kGeluA * x * x * x));
    const double d = 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * kGeluC * (1.0 + 3.0 * kGeluA * x * x);
    dy[i] = static_cast<float>(dy[i] * d);
  }
}

// Rows [row·T, row·T + T) and columns [col, col + w) of a row-major matrix of width ld.
MatrixF slice(const std::vector<float>& m, int ld, int row, int T, int col, int w) {
  MatrixF out(T, w);
  for (int t = 0; t < T; ++t)
    std::copy_n(m.data() + (static_cast<size_t>(row) * T + t) * ld + col, w, out.row(t));
  return out;
}

void unslice(const MatrixF& s, std::vector<float>& m, int ld, int row, int col) {
  for (int t = 0; t < s.rows; ++t)
    std::copy_n(s.row(t), s.cols, m.data() + (static_cast<size_t>(row) * s.rows + t) * ld + col);
}

}  // namespace

TransformerCompute::TransformerCompute(Backend& be, const TransformerArch& arch, int max_rows)
    : be_(be), arch_(arch), lay_(arch), T_(arch.tokens()), max_rows_(std::max(1, max_rows)) {
  if (be.name() != "cpu" && be.name() != "reference")
    throw InputError("transformer models run on the CPU backends (cpu, reference) only; the " +
                     be.name() + " backend has no attention kernels yet");
  for (int i = 0; i < arch.layers * arch.heads; ++i)
    variants_.push_back(make_transformer_variant(arch));
  layers_.resize(arch.layers);
}

TransformerCompute::~TransformerCompute() = default;  // here, where TransformerF64 is complete

std::string TransformerCompute::hvp_unsupported() const {
  return transformer_hvp_unsupported(arch_);
}

void TransformerCompute::hvp(const float* params, const float* v, float* hv, int rows) {
  const std::string why = hvp_unsupported();
  if (!why.empty()) throw RunError(why);
  if (!x_ || !labels_) throw RunError("hvp: needs forward() and loss() first");
  if (rows != rows_) throw RunError("hvp: rows differ from forward()");
  const size_t n = lay_.total;
  const int parts = (rows + kHvpPartRows - 1) / kHvpPartRows;
  const size_t label_width = arch_.is_image() ? 1 : static_cast<size_t>(arch_.seq);
  if (!hvp_valid_) {
    const std::vector<double> theta(params, params + n);
    while (static_cast<int>(f64_.size()) < parts)
      f64_.push_back(std::make_unique<detail::TransformerF64>(arch_));
    hv_part_.resize(parts);
    // forward() and loss() checked the tokens and labels; an error here (out of memory) must
    // still not leave the parallel region.
    std::vector<std::exception_ptr> failed(parts);
#pragma omp parallel for schedule(dynamic) if (parts > 1)
    for (int k = 0; k < parts; ++k) {
      const int r0 = k * kHvpPartRows, len = std::min(kHvpPartRows, rows - r0);
      try {
        f64_[k]->set(theta.data(), x_ + static_cast<size_t>(r0) * arch_.inputs(), len,
                     labels_ + static_cast<size_t>(r0) * label_width, rows);
      } catch (...) {
        failed[k] = std::current_exception();
      }
    }
    for (const auto& e : failed)
      if (e) std::rethrow_exception(e);
    hvp_valid_ = true;
  }
  hv_v_.assign(v, v + n);
  // Each part's HVP (its share of the batch's mean loss) on its own thread.
#pragma omp parallel for schedule(dynamic) if (parts > 1)
  for (int k = 0; k < parts; ++k) {
    hv_part_[k].resize(n);
    f64_[k]->hvp(hv_v_.data(), hv_part_[k].data());
  }
  for (size_t i = 0; i < n; ++i) {
    double s = 0;
    for (int k = 0; k < parts; ++k) s += hv_part_[k][i];
    hv[i] = static_cast<float>(s);
  }
}

void TransformerCompute::set_variant_params(const float* params) {
  if (lay_.variant_params == 0) return;
  for (int l = 0; l < arch_.layers; ++l)
    for (int h = 0; h < arch_.heads; ++h) {
      const float* p = params + lay_.blocks[l].variant[h];
      variants_[static_cast<size_t>(l) * arch_.heads + h]->set_params(
          std::vector<double>(p, p + lay_.variant_params));
    }
}

void TransformerCompute::attention_forward(Layer& L, int l, int rows) {
  const int d = arch_.d, dh = arch_.head_dim(), H = arch_.heads, T = T_;
  L.att.assign(static_cast<size_t>(rows) * T * d, 0.0f);
  L.kept.clear();
  L.kept.resize(keep_attention_ ? static_cast<size_t>(rows) * H : 0);
#pragma omp parallel for schedule(dynamic)
  for (int job = 0; job < rows * H; ++job) {
    const int b = job / H, h = job % H;
    const MatrixF Q = slice(L.qkv, 3 * d, b, T, h * dh, dh);
    const MatrixF K = slice(L.qkv, 3 * d, b, T, d + h * dh, dh);
    const MatrixF V = slice(L.qkv, 3 * d, b, T, 2 * d + h * dh, dh);
    const auto& var = *variants_[static_cast<size_t>(l) * H + h];
    const MatrixF O = keep_attention_ ? var.forward_keeping(Q, K, V, arch_.causal, L.kept[job])
                                      : var.forward(Q, K, V, arch_.causal);
    unslice(O, L.att, d, b, h * dh);
  }
}

void TransformerCompute::forward(const float* params, const float* x, int rows,
                                 const LayerHook& hook) {
  if (rows < 1 || rows > max_rows_)
    throw InputError("transformer: " + std::to_string(rows) + " rows for a compute object of " +
                     std::to_string(max_rows_));
  rows_ = rows;
  params_ = params;
  x_ = x;
  labels_ = nullptr;
  hvp_valid_ = false;
  const int d = arch_.d, T = T_, ff = arch_.ff;
  const size_t M = static_cast<size_t>(rows) * T;
  set_variant_params(params);
  std::vector<float> h(M * d);
  const float* pos = params + lay_.pos;
  if (arch_.is_image()) {
    const int p = arch_.patch, W = arch_.image_w, gw = W / p, gh = arch_.image_h / p,
              np = gw * gh, pp = p * p, first = arch_.cls_token ? 1 : 0;
    patches_.assign(static_cast<size_t>(rows) * np * pp, 0.0f);
    for (int b = 0; b < rows; ++b)
      for (int pi = 0; pi < gh; ++pi)
        for (int pj = 0; pj < gw; ++pj) {
          float* out = patches_.data() + (static_cast<size_t>(b) * np + pi * gw + pj) * pp;
          for (int r = 0; r < p; ++r)
            std::copy_n(x + static_cast<size_t>(b) * arch_.inputs() + (pi * p + r) * W + pj * p,
                        p, out + r * p);
        }
    std::vector<float> z(static_cast<size_t>(rows) * np * d);
    be_.gemm(Trans::No, Trans::Yes, rows * np, d, pp, 1.0f, patches_.data(), pp,
             params + lay_.patch_w, pp, 0.0f, z.data(), d);
    be_.add_bias(z.data(), params + lay_.patch_b, rows * np, d);
    for (int b = 0; b < rows; ++b) {
      if (first) std::copy_n(params + lay_.cls, d, h.data() + static_cast<size_t>(b) * T * d);
      std::copy_n(z.data() + static_cast<size_t>(b) * np * d, static_cast<size_t>(np) * d,
                  h.data() + (static_cast<size_t>(b) * T + first) * d);
    }
  } else {
    tokens_.resize(M);
    for (size_t m = 0; m < M; ++m) {
      const float v = x[m];
      if (!(v >= 0 && v < arch_.vocab) || v != std::floor(v))
        throw InputError("transformer: input token " + std::to_string(v) + " (example " +
                         std::to_string(m / T) + ", position " + std::to_string(m % T) +
                         ") is not a token id in 0.." + std::to_string(arch_.vocab - 1));
      tokens_[m] = static_cast<int32_t>(v);
      std::copy_n(params + lay_.embed + static_cast<size_t>(tokens_[m]) * d, d, h.data() + m * d);
    }
  }
  for (size_t m = 0; m < M; ++m)
    for (int c = 0; c < d; ++c) h[m * d + c] += pos[(m % T) * d + c];

  for (int l = 0; l < arch_.layers; ++l) {
    const TransformerBlockOffsets& o = lay_.blocks[l];
    Layer& L = layers_[l];
    L.h = std::move(h);
    L.ln1.resize(M * d);
    L.mean1.resize(M);
    L.rstd1.resize(M);
    be_.layernorm(L.h.data(), params + o.ln1_w, params + o.ln1_b, int(M), d, kTransformerLnEps,
                  L.ln1.data(), L.mean1.data(), L.rstd1.data());
    L.qkv.resize(M * 3 * d);
    be_.gemm(Trans::No, Trans::Yes, int(M), 3 * d, d, 1.0f, L.ln1.data(), d, params + o.qkv_w, d,
             0.0f, L.qkv.data(), 3 * d);
    be_.add_bias(L.qkv.data(), params + o.qkv_b, int(M), 3 * d);
    attention_forward(L, l, rows);
    L.hmid = L.h;
    be_.gemm(Trans::No, Trans::Yes, int(M), d, d, 1.0f, L.att.data(), d, params + o.proj_w, d,
             1.0f, L.hmid.data(), d);
    be_.add_bias(L.hmid.data(), params + o.proj_b, int(M), d);
    L.ln2.resize(M * d);
    L.mean2.resize(M);
    L.rstd2.resize(M);
    be_.layernorm(L.hmid.data(), params + o.ln2_w, params + o.ln2_b, int(M), d,
                  kTransformerLnEps, L.ln2.data(), L.mean2.data(), L.rstd2.data());
    L.f1.resize(M * ff);
    be_.gemm(Trans::No, Trans::Yes, int(M), ff, d, 1.0f, L.ln2.data(), d, params + o.fc1_w, d,
             0.0f, L.f1.data(), ff);
    be_.add_bias(L.f1.data(), params + o.fc1_b, int(M), ff);
    L.g.resize(M * ff);
    if (arch_.gelu_tanh)
      gelu_tanh(L.f1.data(), L.g.data(), M * ff);
    else
      be_.gelu(L.f1.data(), L.g.data(), M * ff);
    // The hook sees block l's MLP as hidden layer l: fc1's output and GELU's, one row per
    // token (REPAIR's statistics, paths/repair.h).
    if (hook) hook({l, L.f1.data(), L.g.data(), int(M), ff});
    h = L.hmid;
    be_.gemm(Trans::No, Trans::Yes, int(M), d, ff, 1.0f, L.g.data(), ff, params + o.fc2_w, ff,
             1.0f, h.data(), d);
    be_.add_bias(h.data(), params + o.fc2_b, int(M), d);
  }
  hL_ = std::move(h);
  y_.resize(M * d);
  meanf_.resize(M);
  rstdf_.resize(M);
  be_.layernorm(hL_.data(), params + lay_.lnf_w, params + lay_.lnf_b, int(M), d,
                kTransformerLnEps, y_.data(), meanf_.data(), rstdf_.data());
  if (arch_.is_image()) {
    pooled_.assign(static_cast<size_t>(rows) * d, 0.0f);
    for (int b = 0; b < rows; ++b) {
      float* out = pooled_.data() + static_cast<size_t>(b) * d;
      if (arch_.cls_token) {
        std::copy_n(y_.data() + static_cast<size_t>(b) * T * d, d, out);
      } else {
        for (int t = 0; t < T; ++t)
          for (int c = 0; c < d; ++c) out[c] += y_[(static_cast<size_t>(b) * T + t) * d + c] / T;
      }
    }
    logits_.resize(static_cast<size_t>(rows) * arch_.classes);
    output_rows(params, rows, pooled_.data(), logits_.data());
  }
}

// logits [n, outputs] = in [n, d] · Wᵀ (+ b), W the head or, tied, the token embedding.
void TransformerCompute::output_rows(const float* params, int n, const float* in, float* logits) {
  const int d = arch_.d, V = arch_.outputs();
  if (arch_.tied) {
    be_.gemm(Trans::No, Trans::Yes, n, V, d, 1.0f, in, d, params + lay_.embed, d, 0.0f, logits, V);
  } else {
    be_.gemm(Trans::No, Trans::Yes, n, V, d, 1.0f, in, d, params + lay_.head_w, d, 0.0f, logits,
             V);
    be_.add_bias(logits, params + lay_.head_b, n, V);
  }
}

void TransformerCompute::loss(const float* labels, int rows, bool want_grad) {
  if (rows != rows_) throw InputError("transformer: loss() rows differ from forward()");
  labels_ = labels;
  hvp_valid_ = false;
  row_loss_.assign(rows, 0.0f);
  row_correct_.assign(rows, 0.0f);
  if (arch_.is_image()) {
    dlogits_.resize(logits_.size());
    be_.softmax_xent(logits_.data(), labels, rows, arch_.classes, rows, row_loss_.data(),
                     row_correct_.data(), want_grad ? dlogits_.data() : nullptr, 1.0f / rows);
    return;
  }
  // Token models: the labelled positions only; each example's loss is the mean over its own.
  const int T = T_, V = arch_.vocab;
  sel_.clear();
  sel_weight_.clear();
  std::vector<float> sel_labels;
  std::vector<int> owner;
  for (int b = 0; b < rows; ++b) {
    int count = 0;
    for (int t = 0; t < T; ++t) {
      const float v = labels[static_cast<size_t>(b) * T + t];
      if (v < 0) continue;
      if (v >= V || v != std::floor(v))
        throw InputError("transformer: label " + std::to_string(v) + " (example " +
                         std::to_string(b) + ", position " + std::to_string(t) +
                         ") is not a token id in 0.." + std::to_string(V - 1) + " or -100");
      sel_.push_back(b * T + t);
      sel_labels.push_back(v);
      owner.push_back(b);
      ++count;
    }
    for (int i = 0; i < count; ++i) sel_weight_.push_back(1.0f / (static_cast<float>(rows) * count));
  }
  const int n = static_cast<int>(sel_.size());
  if (n == 0) return;  // no targets: loss 0, nothing correct, zero gradient
  std::vector<float> ysel(static_cast<size_t>(n) * arch_.d);
  for (int i = 0; i < n; ++i)
    std::copy_n(y_.data() + static_cast<size_t>(sel_[i]) * arch_.d, arch_.d,
                ysel.data() + static_cast<size_t>(i) * arch_.d);
  logits_.resize(static_cast<size_t>(n) * V);
  output_rows(params_, n, ysel.data(), logits_.data());
  std::vector<float> pl(n), pc(n);
  dlogits_.resize(logits_.size());
  be_.softmax_xent(logits_.data(), sel_labels.data(), n, V, n, pl.data(), pc.data(),
                   want_grad ? dlogits_.data() : nullptr, 1.0f);
  for (int i = 0; i < n; ++i) {
    const float share = sel_weight_[i] * rows;  // 1 / (labelled positions of the example)
    row_loss_[owner[i]] += pl[i] * share;
    row_correct_[owner[i]] += pc[i] * share;
    if (want_grad)
      for (int c = 0; c < V; ++c) dlogits_[static_cast<size_t>(i) * V + c] *= sel_weight_[i];
  }
  ysel_ = std::move(ysel);
}

void TransformerCompute::sums(int rows, double& loss_sum, double& correct_sum) {
  loss_sum = correct_sum = 0;
  for (int b = 0; b < rows; ++b) {
    loss_sum += row_loss_[b];
    correct_sum += row_correct_[b];
  }
}

void TransformerCompute::attention_backward(const Layer& L, int l, int rows,
                                            const std::vector<float>& datt,
                                            std::vector<float>& dqkv, float* grad) {
  const int d = arch_.d, dh = arch_.head_dim(), H = arch_.heads, T = T_;
  const int P = lay_.variant_params;
  dqkv.assign(static_cast<size_t>(rows) * T * 3 * d, 0.0f);
  std::vector<std::vector<double>> dparams(static_cast<size_t>(rows) * H);
#pragma omp parallel for schedule(dynamic)
  for (int job = 0; job < rows * H; ++job) {
    const int b = job / H, h = job % H;
    const MatrixF Q = slice(L.qkv, 3 * d, b, T, h * dh, dh);
    const MatrixF K = slice(L.qkv, 3 * d, b, T, d + h * dh, dh);
    const MatrixF V = slice(L.qkv, 3 * d, b, T, 2 * d + h * dh, dh);
    const MatrixF dO = slice(datt, d, b, T, h * dh, dh);
    const attention::ForwardState* kept =
        static_cast<size_t>(job) < L.kept.size() ? L.kept[static_cast<size_t>(job)].get() : nullptr;
    auto g = variants_[static_cast<size_t>(l) * H + h]->backward_kept(Q, K, V, arch_.causal, dO, kept);
    unslice(g.dQ, dqkv, 3 * d, b, h * dh);
    unslice(g.dK, dqkv, 3 * d, b, d + h * dh);
    unslice(g.dV, dqkv, 3 * d, b, 2 * d + h * dh);
    dparams[job] = std::move(g.dparams);
  }
  if (P == 0) return;
  for (int h = 0; h < H; ++h) {  // summed over examples in order: the same on every run
    std::vector<double> s(P, 0.0);
    for (int b = 0; b < rows; ++b)
      for (int i = 0; i < P; ++i) s[i] += dparams[static_cast<size_t>(b) * H + h][i];
    float* out = grad + lay_.blocks[l].variant[h];
    for (int i = 0; i < P; ++i) out[i] = static_cast<float>(s[i]);
  }
}

void TransformerCompute::backward(const float* params, float* grad, int rows) {
  if (rows != rows_) throw InputError("transformer: backward() rows differ from forward()");
  keep_attention_ = true;  // a training loop: later forwards keep what this recomputes
  const int d = arch_.d, T = T_, ff = arch_.ff;
  const size_t M = static_cast<size_t>(rows) * T;
  std::fill_n(grad, lay_.total, 0.0f);
  std::vector<float> dy(M * d, 0.0f);
  if (arch_.is_image()) {
    const int C = arch_.classes;
    be_.gemm(Trans::Yes, Trans::No, C, d, rows, 1.0f, dlogits_.data(), C, pooled_.data(), d, 0.0f,
             grad + lay_.head_w, d);
    be_.column_sums(dlogits_.data(), rows, C, 0.0f, grad + lay_.head_b);
    std::vector<float> dpooled(static_cast<size_t>(rows) * d);
    be_.gemm(Trans::No, Trans::No, rows, d, C, 1.0f, dlogits_.data(), C, params + lay_.head_w, d,
             0.0f, dpooled.data(), d);
    for (int b = 0; b < rows; ++b)
      for (int t = 0; t < (arch_.cls_token ? 1 : T); ++t)
        for (int c = 0; c < d; ++c)
          dy[(static_cast<size_t>(b) * T + t) * d + c] =
              dpooled[static_cast<size_t>(b) * d + c] / (arch_.cls_token ? 1.0f : float(T));
  } else if (!sel_.empty()) {
    const int n = static_cast<int>(sel_.size()), V = arch_.vocab;
    const size_t W = arch_.tied ? lay_.embed : lay_.head_w;
    be_.gemm(Trans::Yes, Trans::No, V, d, n, 1.0f, dlogits_.data(), V, ysel_.data(), d, 0.0f,
             grad + W, d);
    if (!arch_.tied) be_.column_sums(dlogits_.data(), n, V, 0.0f, grad + lay_.head_b);
    std::vector<float> dsel(static_cast<size_t>(n) * d);
    be_.gemm(Trans::No, Trans::No, n, d, V, 1.0f, dlogits_.data(), V, params + W, d, 0.0f,
             dsel.data(), d);
    for (int i = 0; i < n; ++i)
      for (int c = 0; c < d; ++c)
        dy[static_cast<size_t>(sel_[i]) * d + c] += dsel[static_cast<size_t>(i) * d + c];
  }
  std::vector<float> dh(M * d);
  be_.layernorm_backward(dy.data(), hL_.data(), params + lay_.lnf_w, meanf_.data(), rstdf_.data(),
                         int(M), d, dh.data(), grad + lay_.lnf_w, grad + lay_.lnf_b);

  std::vector<float> dg(M * ff), dc(M * d), datt(M * d), dqkv, da(M * d);
  for (int l = arch_.layers - 1; l >= 0; --l) {
    const TransformerBlockOffsets& o = lay_.blocks[l];
    const Layer& L = layers_[l];
    // MLP: h = hmid + fc2(gelu(fc1(LN₂(hmid)))).
    be_.gemm(Trans::Yes, Trans::No, d, ff, int(M), 1.0f, dh.data(), d, L.g.data(), ff, 0.0f,
             grad + o.fc2_w, ff);
    be_.column_sums(dh.data(), int(M), d, 0.0f, grad + o.fc2_b);
    be_.gemm(Trans::No, Trans::No, int(M), ff, d, 1.0f, dh.data(), d, params + o.fc2_w, ff, 0.0f,
             dg.data(), ff);
    if (arch_.gelu_tanh)
      gelu_tanh_backward(dg.data(), L.f1.data(), M * ff);
    else
      be_.gelu_backward(dg.data(), L.f1.data(), M * ff);
    be_.gemm(Trans::Yes, Trans::No, ff, d, int(M), 1.0f, dg.data(), ff, L.ln2.data(), d, 0.0f,
             grad + o.fc1_w, d);
    be_.column_sums(dg.data(), int(M), ff, 0.0f, grad + o.fc1_b);
    be_.gemm(Trans::No, Trans::No, int(M), d, ff, 1.0f, dg.data(), ff, params + o.fc1_w, d, 0.0f,
             dc.data(), d);
    be_.layernorm_backward(dc.data(), L.hmid.data(), params + o.ln2_w, L.mean2.data(),
                           L.rstd2.data(), int(M), d, dc.data(), grad + o.ln2_w, grad + o.ln2_b);
    for (size_t i = 0; i < M * d; ++i) dh[i] += dc[i];  // now d(hmid)
    // Attention: hmid = h + proj(attn(qkv(LN₁(h)))).
    be_.gemm(Trans::Yes, Trans::No, d, d, int(M), 1.0f, dh.data(), d, L.att.data(), d, 0.0f,
             grad + o.proj_w, d);
    be_.column_sums(dh.data(), int(M), d, 0.0f, grad + o.proj_b);
    be_.gemm(Trans::No, Trans::No, int(M), d, d, 1.0f, dh.data(), d, params + o.proj_w, d, 0.0f,
             datt.data(), d);
    attention_backward(L, l, rows, datt, dqkv, grad);
    be_.gemm(Trans::Yes, Trans::No, 3 * d, d, int(M), 1.0f, dqkv.data(), 3 * d, L.ln1.data(), d,
             0.0f, grad + o.qkv_w, d);
    be_.column_sums(dqkv.data(), int(M), 3 * d, 0.0f, grad + o.qkv_b);
    be_.gemm(Trans::No, Trans::No, int(M), d, 3 * d, 1.0f, dqkv.data(), 3 * d, params + o.qkv_w, d,
             0.0f, da.data(), d);
    be_.layernorm_backward(da.data(), L.h.data(), params + o.ln1_w, L.mean1.data(),
                           L.rstd1.data(), int(M), d, da.data(), grad + o.ln1_w, grad + o.ln1_b);
    for (size_t i = 0; i < M * d; ++i) dh[i] += da[i];  // now d(h) of this block's input
  }
  // Embeddings.
  float* dpos = grad + lay_.pos;
  for (size_t m = 0; m < M; ++m)
    for (int c = 0; c < d; ++c) dpos[(m % T) * d + c] += dh[m * d + c];
  if (arch_.is_image()) {
    const int p = arch_.patch, np = (arch_.image_h / p) * (arch_.image_w / p), pp = p * p,
              first = arch_.cls_token ? 1 : 0;
    std::vector<float> dz(static_cast<size_t>(rows) * np * d);
    for (int b = 0; b < rows; ++b) {
      std::copy_n(dh.data() + (static_cast<size_t>(b) * T + first) * d,
                  static_cast<size_t>(np) * d, dz.data() + static_cast<size_t>(b) * np * d);
      if (first)
        for (int c = 0; c < d; ++c) grad[lay_.cls + c] += dh[static_cast<size_t>(b) * T * d + c];
    }
    be_.gemm(Trans::Yes, Trans::No, d, pp, rows * np, 1.0f, dz.data(), d, patches_.data(), pp,
             0.0f, grad + lay_.patch_w, pp);
    be_.column_sums(dz.data(), rows * np, d, 0.0f, grad + lay_.patch_b);
  } else {
    for (size_t m = 0; m < M; ++m) {
      float* row = grad + lay_.embed + static_cast<size_t>(tokens_[m]) * d;
      for (int c = 0; c < d; ++c) row[c] += dh[m * d + c];
    }
  }
}

AttentionCapture TransformerCompute::capture(int row) const {
  AttentionCapture c;
  c.layers = arch_.layers;
  c.heads = arch_.heads;
  c.tokens = T_;
  const int d = arch_.d, dh = arch_.head_dim();
  for (int l = 0; l < arch_.layers; ++l)
    for (int h = 0; h < arch_.heads; ++h) {
      c.q.push_back(slice(layers_[l].qkv, 3 * d, row, T_, h * dh, dh));
      c.k.push_back(slice(layers_[l].qkv, 3 * d, row, T_, d + h * dh, dh));
      c.v.push_back(slice(layers_[l].qkv, 3 * d, row, T_, 2 * d + h * dh, dh));
    }
  return c;
}

std::vector<float> TransformerCompute::logits(const float* params, int rows) {
  if (rows != rows_) throw InputError("transformer: logits() rows differ from forward()");
  if (arch_.is_image()) return logits_;
  const int n = rows * T_;
  std::vector<float> out(static_cast<size_t>(n) * arch_.outputs());
  output_rows(params, n, y_.data(), out.data());
  return out;
}

std::vector<int32_t> TransformerCompute::predict(const float* params, int rows) {
  const int V = arch_.outputs();
  const std::vector<float> logits = this->logits(params, rows);
  const int n = static_cast<int>(logits.size() / V);
  std::vector<int32_t> out(n);
  for (int i = 0; i < n; ++i) {
    const float* r = logits.data() + static_cast<size_t>(i) * V;
    out[i] = static_cast<int32_t>(std::max_element(r, r + V) - r);
  }
  return out;
}

}  // namespace ridgeline
