// The MLP's batched evaluation of parameter points (see mlp_points.h, paths/evaluator.h).
#include "mlp_points.h"

#include <algorithm>

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
  int widest = 0;
  for (int l = 1; l <= L; ++l) widest = std::max(widest, arch.widths[l]);
  const int m = mlp_chunk_rows(arch, P, chunk, data.n);
  // Fail by name, before any work, when the backend lacks an op of this evaluation.
  for (Op op : {Op::Axpby, Op::Lerp, Op::Gemm, Op::GemmBatched, Op::Bias, Op::SoftmaxXent})
    require(be, op);
  require(be, arch.activation == Activation::Gelu ? Op::Gelu : Op::Relu);
  if (arch.layernorm) require(be, Op::LayerNorm);

  // Every point's parameters θ_k (evaluator.h's rule), then the per-point hook.
  const DevicePoints dp = device_points(be, points, T, hooks);
  const std::vector<const float*>& basis_ptr = dp.basis_ptr;
  const DeviceBuffer& pk = dp.params;
  std::vector<DeviceBuffer> diffs;  // first-layer differences, reused across chunks

  const int d = arch.in_dim();
  const int h = arch.widths[1];
  const size_t act = static_cast<size_t>(P) * m * widest;
  DeviceBuffer x(be, static_cast<size_t>(m) * d), y(be, m);
  std::vector<DeviceBuffer> z0;  // X·W_jᵀ of every basis vector j
  std::vector<const float*> z0_ptr;
  for (int j = 0; j < K; ++j) {
    z0.emplace_back(be, static_cast<size_t>(m) * h);
    z0_ptr.push_back(z0.back().data());
  }
  DeviceBuffer h0(be, act), h1(be, act), row_loss(be, static_cast<size_t>(P) * m),
      row_correct(be, static_cast<size_t>(P) * m);
  std::vector<float> labels(m), hl(static_cast<size_t>(P) * m), hc(hl.size());
  std::vector<double> sum_loss(P, 0.0), sum_correct(P, 0.0);
  // After hidden layer l's Linear, on all points at once ([P][rows][width] in z, in place):
  // the LayerNorm with each point's own γ, β, then the activation (mlp_layers.h).
  auto hidden = [&](int l, float* z, int rows) {
    mlp_hidden_post(be, arch, lay, l, pk.data(), T, P, rows, z, z, nullptr, nullptr, z);
  };

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
    float* cur = h0.data();
    float* nxt = h1.data();
    form_points(be, z0_ptr, points.coeffs, zs, diffs, cur, zs);
    for (int k = 0; k < P; ++k) {
      float* hk = cur + k * zs;
      if (hooks.on_first_layer) hooks.on_first_layer(be, k, hk, rows, h);
      be.add_bias(hk, pk.data() + k * T + lay.bias_offset[0], rows, h);
    }
    if (L > 1) hidden(0, cur, rows);
    // Later layers: one strided-batched GEMM over all points.
    for (int l = 1; l < L; ++l) {
      mlp_linear(be, arch, lay, l, pk.data(), T, P, cur,
                 static_cast<long long>(rows) * arch.widths[l], rows, nxt);
      if (l + 1 < L) hidden(l, nxt, rows);
      std::swap(cur, nxt);
    }
    be.softmax_xent(cur, y.data(), P * rows, arch.classes(), rows, row_loss.data(),
                    row_correct.data(), nullptr, 0.0f);
    be.download(hl.data(), row_loss.data(), static_cast<size_t>(P) * rows);
    be.download(hc.data(), row_correct.data(), static_cast<size_t>(P) * rows);
    for (int k = 0; k < P; ++k)
      for (int r = 0; r < rows; ++r) {
        sum_loss[k] += hl[static_cast<size_t>(k) * rows + r];
        sum_correct[k] += hc[static_cast<size_t>(k) * rows + r];
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
