// The MLP's batched evaluation of parameter points (see mlp_points.h, paths/evaluator.h).
#include "mlp_points.h"

#include <algorithm>
#include <optional>

#include "backends/cpu/bf16_gemm.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/models/mlp/mlp_layers.h"

namespace ridgeline::detail {

int mlp_chunk_rows(const MlpArch& arch, int P, int chunk, int n) {
  int widest = 0;
  for (int l = 1; l <= arch.num_layers(); ++l) widest = std::max(widest, arch.widths[l]);
  const long long cap = (64ll << 20) / (static_cast<long long>(std::max(1, P)) * widest);
  return static_cast<int>(std::max(1ll, std::min<long long>({chunk, n, cap})));
}

PointValues mlp_evaluate_points(Backend& be, const MlpArch& arch, const ParameterPoints& points,
                                const Dataset& data, int chunk, const PointHooks& hooks,
                                const std::function<void()>& on_chunk, const CancelToken* cancel) {
  const ParamLayout lay(arch);
  const int P = static_cast<int>(points.coeffs.size());
  const int K = static_cast<int>(points.basis.size());
  const int L = arch.num_layers();
  const size_t T = lay.total;
  PointValues out;
  if (P == 0) return out;
  // Points per group. Host backends run a few points at a time through the later layers:
  // their activations stay in cache and every buffer is a few MB, allocated once per call;
  // one point on one thread, 8 on several (fewer, larger parallel elementwise ops: a thread
  // team pays for every fork and join, most on a shared machine). Device backends run all
  // points at once (strided-batched GEMMs over points). The numbers do not depend on it.
  const bool host = be.name() == "cpu" || be.name() == "reference";
  const int G = host ? std::min(P, host_threads() > 1 ? 8 : 1) : P;
  const int m = mlp_chunk_rows(arch, G, chunk, data.n);
  const int chunks = (data.n + m - 1) / m;
  // Fail by name, before any work, when the backend lacks an op of this evaluation.
  for (Op op : {Op::Axpby, Op::Lerp, Op::Gemm, Op::GemmBatched, Op::Bias, Op::SoftmaxXent})
    require(be, op);
  require(be, arch.activation == Activation::Gelu ? Op::Gelu : Op::Relu);
  if (arch.layernorm) require(be, Op::LayerNorm);
  // bf16 (core/precision.h): the later layers' GEMMs take bf16 activations and weights and
  // accumulate in f32 (oneDNN); everything else, the shared first layer included, stays f32
  // (the first layer's K GEMMs serve all points and are a small share of the work).
  const bool bf16 = points.precision == Precision::Bf16;
  std::optional<Bf16Gemm> gemm16;
  if (bf16) {
    if (!host)
      throw InputError("precision bf16: runs on the CPU backend (--device cpu); the " + be.name() +
                       " backend has no bf16 path");
    gemm16.emplace();  // throws, saying why, where bf16 cannot run
  }

  std::vector<DeviceBuffer> basis;
  std::vector<const float*> basis_ptr;
  for (const std::vector<float>* b : points.basis) {
    basis.emplace_back(be, T);
    be.upload(basis.back().data(), b->data(), T);
    basis_ptr.push_back(basis.back().data());
  }
  // The parameters each point needs (evaluator.h's rule). The first layer's weights are read
  // only through the shared GEMMs (from the basis), so without an on_params hook (which sees
  // and may rewrite the whole vector) they are not formed: a point's stored vector starts at
  // layer 0's bias, and `tl` is the layout shifted to match (tl.weight_offset[0] is unused).
  const size_t skip = hooks.on_params ? 0 : lay.bias_offset[0];
  const size_t Ts = T - skip;
  ParamLayout tl = lay;
  for (auto* v : {&tl.weight_offset, &tl.bias_offset, &tl.ln_weight_offset, &tl.ln_bias_offset})
    for (size_t& o : *v) o = o >= skip ? o - skip : 0;
  tl.total = Ts;
  std::vector<const float*> tail_ptr;
  for (const float* b : basis_ptr) tail_ptr.push_back(b + skip);
  std::vector<DeviceBuffer> pdiffs;
  bool pdiffs_ready = false;
  // With several data chunks every point is formed once per call and kept; with one, each
  // group's points are formed when the group runs (one small buffer, reused).
  const bool keep_all = chunks > 1;
  // bf16: each point's later-layer weights converted once when it is formed, per layer
  // [slot][out][in] (slot k of w16[l] at k·out·in), the layout of one batched matmul.
  std::vector<std::vector<uint16_t>> w16(bf16 ? L : 0);
  for (int l = 1; l < L && bf16; ++l)
    w16[l].resize(static_cast<size_t>(keep_all ? P : G) * arch.widths[l] * arch.widths[l + 1]);
  auto form_params = [&](int k, float* dst, int slot) {
    form_point(be, tail_ptr, points.coeffs[k], Ts, pdiffs, pdiffs_ready, dst);
    if (hooks.on_params) hooks.on_params(be, k, dst);
    for (int l = 1; l < L && bf16; ++l) {
      const size_t n = static_cast<size_t>(arch.widths[l]) * arch.widths[l + 1];
      f32_to_bf16(dst + tl.weight_offset[l], w16[l].data() + slot * n, n);
    }
  };
  DeviceBuffer pk(be, Ts * (keep_all ? P : G));
  if (keep_all)
    for (int k = 0; k < P; ++k) form_params(k, pk.data() + k * Ts, k);

  const int d = arch.in_dim();
  const int h = arch.widths[1];
  int widest = 0;
  for (int l = 1; l <= L; ++l) widest = std::max(widest, arch.widths[l]);
  const size_t act = static_cast<size_t>(G) * m * widest;
  DeviceBuffer x(be, static_cast<size_t>(m) * d), y(be, m);
  std::vector<DeviceBuffer> z0;  // X·W_jᵀ of every basis vector j
  std::vector<const float*> z0_ptr;
  for (int j = 0; j < K; ++j) {
    z0.emplace_back(be, static_cast<size_t>(m) * h);
    z0_ptr.push_back(z0.back().data());
  }
  std::vector<uint16_t> a16(bf16 ? act : 0);  // bf16 activations of the group
  // bf16 with ReLU and no LayerNorm (the common MLP): a hidden layer's bias, ReLU and
  // conversion to bf16 are one pass (bf16_gemm.h); other MLPs convert after mlp_hidden_post.
  const bool fused = bf16 && !arch.layernorm && arch.activation == Activation::Relu;
  std::vector<DeviceBuffer> zdiffs;  // first-layer differences, reused across chunks
  DeviceBuffer h0(be, act), h1(be, act), row_loss(be, static_cast<size_t>(G) * m),
      row_correct(be, static_cast<size_t>(G) * m);
  std::vector<float> labels(m), hl(static_cast<size_t>(G) * m), hc(hl.size());
  std::vector<double> sum_loss(P, 0.0), sum_correct(P, 0.0);

  for (int start = 0; start < data.n; start += m) {
    if (cancel) cancel->check();
    const int rows = std::min(m, data.n - start);
    be.upload(x.data(), data.x.data() + static_cast<size_t>(start) * d, static_cast<size_t>(rows) * d);
    for (int r = 0; r < rows; ++r) labels[r] = static_cast<float>(data.y[start + r]);
    be.upload(y.data(), labels.data(), rows);

    // Layer 0, linear in the coefficients: Z(c) = Σ_j c_j X·W_jᵀ — K GEMMs serve every point.
    const size_t zs = static_cast<size_t>(rows) * h;
    for (int j = 0; j < K; ++j)
      be.gemm(Trans::No, Trans::Yes, rows, h, d, 1.0f, x.data(), d,
              basis_ptr[j] + lay.weight_offset[0], d, 0.0f, z0[j].data(), h);
    bool zdiffs_ready = false;
    for (int g0 = 0; g0 < P; g0 += G) {
      if (cancel && g0 > 0) cancel->check();
      const int gn = std::min(G, P - g0);
      const float* params = pk.data() + (keep_all ? static_cast<size_t>(g0) * Ts : 0);
      if (!keep_all)
        for (int k = 0; k < gn; ++k) form_params(g0 + k, pk.data() + k * Ts, k);
      float* cur = h0.data();
      float* nxt = h1.data();
      for (int k = 0; k < gn; ++k) {
        float* hk = cur + k * zs;
        form_point(be, z0_ptr, points.coeffs[g0 + k], zs, zdiffs, zdiffs_ready, hk);
        if (hooks.on_first_layer) hooks.on_first_layer(be, g0 + k, hk, rows, h);
        if (!fused) be.add_bias(hk, params + k * Ts + tl.bias_offset[0], rows, h);
      }
      // After hidden layer l's Linear, on the group's points ([gn][rows][width], in place):
      // the LayerNorm with each point's own γ, β, then the activation (mlp_layers.h). Fused
      // bf16: bias, ReLU and the conversion in one pass into the next GEMM's input.
      if (L > 1 && fused)
        bias_relu_to_bf16(cur, params + tl.bias_offset[0], Ts, gn, rows, h, a16.data());
      else if (L > 1)
        mlp_hidden_post(be, arch, tl, 0, params, Ts, gn, rows, cur, cur, nullptr, nullptr, cur);
      // Later layers: one (strided-batched) GEMM over the group's points.
      for (int l = 1; l < L; ++l) {
        if (bf16) {
          const int in = arch.widths[l], ow = arch.widths[l + 1];
          const size_t zo = static_cast<size_t>(rows) * ow;
          if (!fused) f32_to_bf16(cur, a16.data(), static_cast<size_t>(gn) * rows * in);
          gemm16->gemm_nt(gn, rows, ow, in, a16.data(),
                          w16[l].data() + (keep_all ? static_cast<size_t>(g0) * in * ow : 0), nxt);
          if (fused && l + 1 < L) {  // the f32 activations are not needed: straight to bf16
            bias_relu_to_bf16(nxt, params + tl.bias_offset[l], Ts, gn, rows, ow, a16.data());
            std::swap(cur, nxt);
            continue;
          }
          for (int k = 0; k < gn; ++k)
            be.add_bias(nxt + k * zo, params + k * Ts + tl.bias_offset[l], rows, ow);
        } else {
          mlp_linear(be, arch, tl, l, params, Ts, gn, cur,
                     static_cast<long long>(rows) * arch.widths[l], rows, nxt);
        }
        if (l + 1 < L)
          mlp_hidden_post(be, arch, tl, l, params, Ts, gn, rows, nxt, nxt, nullptr, nullptr, nxt);
        std::swap(cur, nxt);
      }
      be.softmax_xent(cur, y.data(), gn * rows, arch.classes(), rows, row_loss.data(),
                      row_correct.data(), nullptr, 0.0f);
      be.download(hl.data(), row_loss.data(), static_cast<size_t>(gn) * rows);
      be.download(hc.data(), row_correct.data(), static_cast<size_t>(gn) * rows);
      for (int k = 0; k < gn; ++k)
        for (int r = 0; r < rows; ++r) {
          sum_loss[g0 + k] += hl[static_cast<size_t>(k) * rows + r];
          sum_correct[g0 + k] += hc[static_cast<size_t>(k) * rows + r];
        }
    }
    if (on_chunk) on_chunk();
  }
  out.loss.assign(P, 0.0);
  out.error.assign(P, 0.0);
  for (int k = 0; k < P; ++k) {
    out.loss[k] = sum_loss[k] / data.n;
    out.error[k] = 1.0 - sum_correct[k] / data.n;
  }
  return out;
}

}  // namespace ridgeline::detail
