// Exact Hessian-vector products of the MLP's mean cross-entropy (see mlp_compute.h), by
// Pearlmutter's R-operator (Pearlmutter 1994, "Fast exact multiplication by the Hessian"):
// R{f} = d/dε f(θ + εv) at ε = 0, applied to the forward pass and then to the backward pass.
//
// Forward (hidden layers l < L−1, ReLU σ):  Z_l = A_{l−1}W_lᵀ + b_l,  A_l = σ(Z_l).
//   R{Z_l} = R{A_{l−1}}W_lᵀ + A_{l−1}V_lᵀ + v_b,l   (R{A_{−1}} = 0: the input is data)
//   R{A_l} = σ'(Z_l) ⊙ R{Z_l}                       (σ'' = 0 almost everywhere for ReLU)
// Backward (δ_l = ∂L/∂Z_l, p = softmax(Z_{L−1}), N rows):
//   δ_{L−1} = (p − y)/N,      R{δ_{L−1}} = (p ⊙ R{Z} − p·(pᵀR{Z}))/N   (softmax Jacobian)
//   ∂L/∂W_l = δ_lᵀA_{l−1}  →  HV_W,l = R{δ_l}ᵀA_{l−1} + δ_lᵀR{A_{l−1}},  HV_b,l = Σ_rows R{δ_l}
//   δ_{l−1} = σ'(Z_{l−1}) ⊙ (δ_l W_l)  →  R{δ_{l−1}} = σ'(Z_{l−1}) ⊙ (R{δ_l}W_l + δ_l V_l)
// δ does not depend on v: it is computed once per forward()+loss() and kept for every HVP.
// Every step is a backend GEMM, bias, column sum or ReLU mask; only the softmax Jacobian of
// the logits [rows × classes] (small) is applied on the host, in float64.
//
// GELU and LayerNorm (any MLP but plain ReLU): the hidden layers' nonlinearity z → LN → u →
// σ → a and its R-operator run on the host in float64 (mlp_hvp_nonlinear.h), with GELU's σ''
// term R{∂L/∂u} = σ'(u)⊙R{∂L/∂a} + σ''(u)⊙R{u}⊙∂L/∂a and LayerNorm's γ, β entries; the
// GEMMs stay on the backend. Each HVP then moves every hidden activation to the host and back
// twice (a copy on host backends).
#include <algorithm>
#include <cmath>

#include "ridgeline/core/errors.h"
#include "ridgeline/models/mlp/mlp_compute.h"
#include "mlp_hvp_nonlinear.h"

namespace ridgeline {

namespace {

std::vector<float> download_vector(Backend& be, const float* p, size_t n) {
  std::vector<float> h(n);
  be.download(h.data(), p, n);
  return h;
}

}  // namespace

MlpCompute::~MlpCompute() = default;  // here, where HvpNonlinearLayer is complete

void MlpCompute::hvp(const float* params, const float* v, float* hv, int rows) {
  if (!labels_ || !x_) throw RunError("hvp: needs forward() and loss() first");
  if (rows < 1 || rows > max_rows_) throw RunError("hvp: rows outside 1..max_rows");
  const int L = arch_.num_layers(), C = arch_.classes();
  const size_t R = static_cast<size_t>(max_rows_);
  const bool host_nonlinear = ln_ || gelu_;
  if (hv_ract_.empty()) {
    int widest = 0;
    for (int l = 0; l < L; ++l) widest = std::max(widest, arch_.widths[l + 1]);
    for (int l = 0; l + 1 < L; ++l) hv_ract_.emplace_back(be_, R * arch_.widths[l + 1]);
    for (int l = 0; l < L; ++l) hv_delta_.emplace_back(be_, R * arch_.widths[l + 1]);
    hv_rlogits_ = DeviceBuffer(be_, R * C);
    for (int i = 0; i < 2; ++i) hv_rd_[i] = DeviceBuffer(be_, R * widest);
    hv_loss_ = DeviceBuffer(be_, R);
    hv_correct_ = DeviceBuffer(be_, R);
    if (host_nonlinear)
      for (int l = 0; l + 1 < L; ++l)
        hv_nonlinear_.emplace_back(
            std::make_unique<detail::HvpNonlinearLayer>(ln_, gelu_, kLayerNormEps));
  }
  // LayerNorm's γ, β of hidden layer h, and v's entries for them, on the host.
  auto ln_slice = [&](const float* base, int h, bool bias) {
    if (!ln_) return std::vector<float>{};
    return download_vector(be_, base + (bias ? lay_.ln_bias_offset[h] : lay_.ln_weight_offset[h]),
                           static_cast<size_t>(arch_.widths[h + 1]));
  };
  std::vector<std::vector<float>> gamma(L), vgamma(L), vbeta(L);
  if (host_nonlinear && ln_)
    for (int h = 0; h + 1 < L; ++h) {
      gamma[h] = ln_slice(params, h, false);
      vgamma[h] = ln_slice(v, h, false);
      vbeta[h] = ln_slice(v, h, true);
    }
  std::vector<float> host_a, host_b;
  // δ_l of every layer (the plain backward pass; independent of v): once per forward+loss.
  if (!hv_delta_valid_) {
    be_.softmax_xent(logits(), labels_, rows, C, rows, hv_loss_.data(), hv_correct_.data(),
                     hv_delta_[L - 1].data(), 1.0f / rows);
    for (int l = L - 1; l > 0; --l) {
      const int fin = arch_.widths[l], fout = arch_.widths[l + 1];
      be_.gemm(Trans::No, Trans::No, rows, fin, fout, 1.0f, hv_delta_[l].data(), fout,
               params + lay_.weight_offset[l], fin, 0.0f, hv_delta_[l - 1].data(), fin);
      const size_t m = static_cast<size_t>(rows) * fin;
      if (!host_nonlinear) {
        be_.relu_backward(hv_delta_[l - 1].data(), acts_[l - 1].data(), m);
        continue;
      }
      // The Linear output of hidden layer l − 1 survives in lnin_ (LayerNorm) or pre_ (GELU).
      const int h = l - 1;
      auto& nl = *hv_nonlinear_[h];
      const auto z = download_vector(be_, ln_ ? lnin_[h].data() : pre_[h].data(), m);
      const auto beta = ln_slice(params, h, true);
      nl.set_forward(z.data(), rows, fin, gamma[h].data(), beta.data());
      host_a = download_vector(be_, hv_delta_[h].data(), m);
      host_b.resize(m);
      nl.backward(host_a.data(), gamma[h].data(), host_b.data());
      be_.upload(hv_delta_[h].data(), host_b.data(), m);
    }
    hv_delta_valid_ = true;
  }
  // R-forward.
  for (int l = 0; l < L; ++l) {
    const int fin = arch_.widths[l], fout = arch_.widths[l + 1];
    const bool hidden = l + 1 < L;
    const float* in = l == 0 ? x_ : acts_[l - 1].data();
    float* out = hidden ? hv_ract_[l].data() : hv_rlogits_.data();
    be_.gemm(Trans::No, Trans::Yes, rows, fout, fin, 1.0f, in, fin, v + lay_.weight_offset[l],
             fin, 0.0f, out, fout);
    if (l > 0)
      be_.gemm(Trans::No, Trans::Yes, rows, fout, fin, 1.0f, hv_ract_[l - 1].data(), fin,
               params + lay_.weight_offset[l], fin, 1.0f, out, fout);
    be_.add_bias(out, v + lay_.bias_offset[l], rows, fout);
    if (!hidden) continue;
    const size_t m = static_cast<size_t>(rows) * fout;
    if (!host_nonlinear) {
      be_.relu_backward(out, acts_[l].data(), m);
      continue;
    }
    host_a = download_vector(be_, out, m);
    host_b.resize(m);
    hv_nonlinear_[l]->r_forward(host_a.data(), gamma[l].data(), vgamma[l].data(),
                                vbeta[l].data(), host_b.data());
    be_.upload(out, host_b.data(), m);
  }
  // R{δ} of the logits.
  float* rd = hv_rd_[0].data();
  float* nrd = hv_rd_[1].data();
  const size_t n = static_cast<size_t>(rows) * C;
  hv_host_.resize(2 * n);
  float* z = hv_host_.data();
  float* rz = z + n;
  be_.download(z, logits(), n);
  be_.download(rz, hv_rlogits_.data(), n);
  std::vector<double> p(C);
  for (int r = 0; r < rows; ++r) {
    float* zr = z + static_cast<size_t>(r) * C;
    float* rzr = rz + static_cast<size_t>(r) * C;
    double mx = zr[0];
    for (int c = 1; c < C; ++c) mx = std::max(mx, static_cast<double>(zr[c]));
    double s = 0;
    for (int c = 0; c < C; ++c) s += p[c] = std::exp(zr[c] - mx);
    double prz = 0;
    for (int c = 0; c < C; ++c) prz += (p[c] /= s) * rzr[c];
    for (int c = 0; c < C; ++c) rzr[c] = static_cast<float>(p[c] * (rzr[c] - prz) / rows);
  }
  be_.upload(rd, rz, n);
  // Backward and its R-derivative, layer by layer.
  for (int l = L - 1; l >= 0; --l) {
    const int fin = arch_.widths[l], fout = arch_.widths[l + 1];
    const float* in = l == 0 ? x_ : acts_[l - 1].data();
    const float* W = params + lay_.weight_offset[l];
    const float* V = v + lay_.weight_offset[l];
    const float* d = hv_delta_[l].data();
    float* hw = hv + lay_.weight_offset[l];
    be_.gemm(Trans::Yes, Trans::No, fout, fin, rows, 1.0f, rd, fout, in, fin, 0.0f, hw, fin);
    if (l > 0)
      be_.gemm(Trans::Yes, Trans::No, fout, fin, rows, 1.0f, d, fout, hv_ract_[l - 1].data(), fin,
               1.0f, hw, fin);
    be_.column_sums(rd, rows, fout, 0.0f, hv + lay_.bias_offset[l]);
    if (l == 0) break;
    const size_t m = static_cast<size_t>(rows) * fin;
    be_.gemm(Trans::No, Trans::No, rows, fin, fout, 1.0f, rd, fout, W, fin, 0.0f, nrd, fin);
    be_.gemm(Trans::No, Trans::No, rows, fin, fout, 1.0f, d, fout, V, fin, 1.0f, nrd, fin);
    if (!host_nonlinear) {
      be_.relu_backward(nrd, acts_[l - 1].data(), m);
    } else {
      const int h = l - 1;
      host_a = download_vector(be_, nrd, m);
      host_b.resize(m);
      std::vector<float> hg(ln_ ? fin : 0), hb(ln_ ? fin : 0);
      hv_nonlinear_[h]->r_backward(host_a.data(), gamma[h].data(), vgamma[h].data(),
                                   host_b.data(), hg.data(), hb.data());
      be_.upload(nrd, host_b.data(), m);
      if (ln_) {
        be_.upload(hv + lay_.ln_weight_offset[h], hg.data(), fin);
        be_.upload(hv + lay_.ln_bias_offset[h], hb.data(), fin);
      }
    }
    std::swap(rd, nrd);
  }
}

}  // namespace ridgeline
