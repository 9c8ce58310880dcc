// See transformer_hvp.h. The same forward as transformer_compute.cpp, in float64 (M = rows·T
// token rows of width d):
//   h⁰ = embed(x) + pos;  per block  a₁ = LN₁(h), qkv = a₁W_qkvᵀ + b, att = Attn(qkv),
//   hmid = h + att W_oᵀ + b_o, a₂ = LN₂(hmid), f = a₂W₁ᵀ + b₁, g = GELU(f), h' = hmid + gW₂ᵀ + b₂;
//   y = LN_f(h^L), logits = (pooled y or the labelled rows of y)·W_outᵀ (+ b), softmax CE.
// R-forward: every line differentiated along θ + εv (a linear Y = XWᵀ + b gives R{Y} =
// R{X}Wᵀ + X V_Wᵀ + v_b). Backward with its R-derivative, for each linear: ∂W += ∂Yᵀ X,
// Hv_W += R{∂Y}ᵀX + ∂YᵀR{X}, Hv_b += Σ R{∂Y}, R{∂X} = R{∂Y}W + ∂Y V_W; softmax CE with
// row weight w: ∂z = w(p − onehot), R{∂z} = w(p⊙R{z} − p(pᵀR{z})).
#include "transformer_hvp.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>

#include "ridgeline/core/errors.h"

namespace ridgeline {
namespace detail {
namespace {

using ConstMap = Eigen::Map<const MatD>;
using MutMap = Eigen::Map<MatD>;
using RowVec = Eigen::Map<const Eigen::RowVectorXd>;

// The token-row GEMMs by fixed chunks of rows on OpenMP threads, Eigen serial inside each
// (inside a parallel region Eigen does not start its own threads, whose busy-waiting GEMM
// slowed an HVP 4× on a loaded 2-core machine). Sums over rows add the chunks' partial
// products in chunk order: the same result for any thread count.
constexpr Eigen::Index kRowChunk = 512;

Eigen::Index chunks_of(Eigen::Index rows) { return (rows + kRowChunk - 1) / kRowChunk; }

// Y (+)= X·B for X [M × k], B [k × n] (B any Eigen expression, evaluated once).
void rows_times(const MatD& X, const MatD& B, MatD& Y, bool accumulate) {
  if (!accumulate) Y.resize(X.rows(), B.cols());
  const Eigen::Index n = chunks_of(X.rows());
#pragma omp parallel for schedule(static) if (n > 1)
  for (Eigen::Index c = 0; c < n; ++c) {
    const Eigen::Index r0 = c * kRowChunk, len = std::min(kRowChunk, X.rows() - r0);
    if (accumulate)
      Y.middleRows(r0, len).noalias() += X.middleRows(r0, len) * B;
    else
      Y.middleRows(r0, len).noalias() = X.middleRows(r0, len) * B;
  }
}

// Σ_rows Aᵀ·B (+ Σ_rows Cᵀ·D when C is given) for A, C [M × m], B, D [M × n].
MatD rows_inner(const MatD& A, const MatD& B, const MatD* C = nullptr, const MatD* D = nullptr) {
  const Eigen::Index n = chunks_of(A.rows());
  std::vector<MatD> part(static_cast<size_t>(n));
#pragma omp parallel for schedule(static) if (n > 1)
  for (Eigen::Index c = 0; c < n; ++c) {
    const Eigen::Index r0 = c * kRowChunk, len = std::min(kRowChunk, A.rows() - r0);
    MatD& P = part[static_cast<size_t>(c)];
    P.noalias() = A.middleRows(r0, len).transpose() * B.middleRows(r0, len);
    if (C) P.noalias() += C->middleRows(r0, len).transpose() * D->middleRows(r0, len);
  }
  MatD sum = MatD::Zero(A.cols(), B.cols());
  for (const MatD& P : part) sum += P;
  return sum;
}

// Y = X Wᵀ + b for W [out × in] at `w`, b at `b` (null: none).
MatD linear(const MatD& X, const double* w, const double* b, int out) {
  MatD Y;
  rows_times(X, ConstMap(w, out, X.cols()).transpose(), Y, false);
  if (b) Y.rowwise() += RowVec(b, out);
  return Y;
}

// R{Y} = R{X}Wᵀ + X V_Wᵀ + v_b.
MatD r_linear(const MatD& X, const MatD& RX, const double* w, const double* vw, const double* vb,
              int out) {
  MatD RY;
  rows_times(RX, ConstMap(w, out, X.cols()).transpose(), RY, false);
  rows_times(X, ConstMap(vw, out, X.cols()).transpose(), RY, true);
  if (vb) RY.rowwise() += RowVec(vb, out);
  return RY;
}

// Backward of Y = X Wᵀ + b: grad_W += ∂Yᵀ X, grad_b += Σ ∂Y, ∂X = ∂Y W; with the R-terms
// (RX and RgY non-null): Hv_W += R{∂Y}ᵀX + ∂YᵀR{X}, Hv_b += Σ R{∂Y}, R{∂X} = R{∂Y}W + ∂Y V_W.
// Offsets: W at ow, b at ob (SIZE_MAX: none). grad, gX, RgX may be null (not wanted).
void linear_backward(const MatD& X, const MatD* RX, const MatD& gY, const MatD* RgY,
                     const double* params, const double* v, size_t ow, size_t ob, double* grad,
                     double* hv, MatD* gX, MatD* RgX) {
  const int out = static_cast<int>(gY.cols()), in = static_cast<int>(X.cols());
  if (grad) {  // null: the HVP, which needs only ∂X
    MutMap(grad + ow, out, in) += rows_inner(gY, X);
    if (ob != SIZE_MAX) Eigen::Map<Eigen::RowVectorXd>(grad + ob, out) += gY.colwise().sum();
  }
  if (gX) rows_times(gY, ConstMap(params + ow, out, in), *gX, false);
  if (!RgY) return;
  MutMap(hv + ow, out, in) += rows_inner(*RgY, X, &gY, RX);
  if (ob != SIZE_MAX) Eigen::Map<Eigen::RowVectorXd>(hv + ob, out) += RgY->colwise().sum();
  if (RgX) {
    rows_times(*RgY, ConstMap(params + ow, out, in), *RgX, false);
    rows_times(gY, ConstMap(v + ow, out, in), *RgX, true);
  }
}

double* at(double* base, size_t offset) { return base ? base + offset : nullptr; }

// One head through the class that has its R-operator: HeadRop (softmax, elu+1, relu) or
// LinearHeadRop (the other linear variants; with the head's parameters θ and v_θ).
class AnyHead {
 public:
  AnyHead(HeadKernel kernel, const LinearHeadSpec* linear, bool causal, const MatD& Q,
          const MatD& K, const MatD& V, const double* theta) {
    if (linear)
      lin_.emplace(*linear, causal, Q, K, V, theta);
    else
      rop_.emplace(kernel, causal, Q, K, V);
  }
  MatD out() const { return lin_ ? lin_->out() : rop_->out(); }
  void tangent(const MatD& RQ, const MatD& RK, const MatD& RV, const double* vtheta) {
    if (lin_)
      lin_->tangent(RQ, RK, RV, vtheta);
    else
      rop_->tangent(RQ, RK, RV);
  }
  MatD r_out() const { return lin_ ? lin_->r_out() : rop_->r_out(); }
  void backward(const MatD& dO, const MatD* RdO, HeadGrads& g) const {
    if (lin_)
      lin_->backward(dO, RdO, g);
    else
      rop_->backward(dO, RdO, g);
  }

 private:
  std::optional<HeadRop> rop_;
  std::optional<LinearHeadRop> lin_;
};

// Rows [b·T, b·T + T) and columns [c, c + w) of m.
MatD head_slice(const MatD& m, int b, int T, int c, int w) {
  return m.block(static_cast<Eigen::Index>(b) * T, c, T, w);
}

}  // namespace

TransformerF64::TransformerF64(const TransformerArch& arch)
    : arch_(arch), lay_(arch), T_(arch.tokens()) {
  const std::string why = transformer_hvp_unsupported(arch);
  if (!why.empty()) throw InputError(why);
  head_kernel_of(arch.attention, &kernel_);
  if (is_generic_linear(kernel_)) linear_ = std::make_unique<LinearHeadSpec>(kernel_, arch);
  act_ = arch.gelu_tanh ? Activation::GeluTanh : Activation::Gelu;
  blocks_.resize(arch.layers);
  rblocks_.resize(arch.layers);
}

const double* TransformerF64::head_params(const double* base, int l, int h) const {
  if (lay_.variant_params == 0) return nullptr;
  return base + lay_.blocks[static_cast<size_t>(l)].variant[static_cast<size_t>(h)];
}

MatD TransformerF64::attention(int l, const MatD& qkv) const {
  const int d = arch_.d, dh = arch_.head_dim(), H = arch_.heads, T = T_;
  MatD att(qkv.rows(), d);
#pragma omp parallel for schedule(dynamic)
  for (int job = 0; job < rows_ * H; ++job) {
    const int b = job / H, h = job % H;
    const MatD Q = head_slice(qkv, b, T, h * dh, dh), K = head_slice(qkv, b, T, d + h * dh, dh),
               V = head_slice(qkv, b, T, 2 * d + h * dh, dh);
    att.block(static_cast<Eigen::Index>(b) * T, h * dh, T, dh) =
        AnyHead(kernel_, linear_.get(), arch_.causal, Q, K, V, head_params(p_, l, h)).out();
  }
  return att;
}

MatD TransformerF64::r_attention(int l, const MatD& qkv, const MatD& Rqkv, const double* v) const {
  const int d = arch_.d, dh = arch_.head_dim(), H = arch_.heads, T = T_;
  MatD Ratt(qkv.rows(), d);
#pragma omp parallel for schedule(dynamic)
  for (int job = 0; job < rows_ * H; ++job) {
    const int b = job / H, h = job % H;
    const MatD Q = head_slice(qkv, b, T, h * dh, dh), K = head_slice(qkv, b, T, d + h * dh, dh),
               V = head_slice(qkv, b, T, 2 * d + h * dh, dh);
    AnyHead head(kernel_, linear_.get(), arch_.causal, Q, K, V, head_params(p_, l, h));
    head.tangent(head_slice(Rqkv, b, T, h * dh, dh), head_slice(Rqkv, b, T, d + h * dh, dh),
                 head_slice(Rqkv, b, T, 2 * d + h * dh, dh), head_params(v, l, h));
    Ratt.block(static_cast<Eigen::Index>(b) * T, h * dh, T, dh) = head.r_out();
  }
  return Ratt;
}

void TransformerF64::attention_backward(int l, const MatD& qkv, const MatD* Rqkv,
                                        const MatD& datt, const MatD* Rdatt, MatD& dqkv,
                                        MatD* Rdqkv, const double* v, double* grad,
                                        double* hv) const {
  const int d = arch_.d, dh = arch_.head_dim(), H = arch_.heads, T = T_;
  dqkv.resize(qkv.rows(), 3 * d);
  if (Rdqkv) Rdqkv->resize(qkv.rows(), 3 * d);
  std::vector<HeadGrads> per_job(static_cast<size_t>(rows_) * H);
#pragma omp parallel for schedule(dynamic)
  for (int job = 0; job < rows_ * H; ++job) {
    const int b = job / H, h = job % H;
    const Eigen::Index r0 = static_cast<Eigen::Index>(b) * T;
    const MatD Q = head_slice(qkv, b, T, h * dh, dh), K = head_slice(qkv, b, T, d + h * dh, dh),
               V = head_slice(qkv, b, T, 2 * d + h * dh, dh);
    AnyHead head(kernel_, linear_.get(), arch_.causal, Q, K, V, head_params(p_, l, h));
    HeadGrads& g = per_job[static_cast<size_t>(job)];
    MatD RdO;
    if (Rdqkv) {
      head.tangent(head_slice(*Rqkv, b, T, h * dh, dh), head_slice(*Rqkv, b, T, d + h * dh, dh),
                   head_slice(*Rqkv, b, T, 2 * d + h * dh, dh), head_params(v, l, h));
      RdO = head_slice(*Rdatt, b, T, h * dh, dh);
    }
    head.backward(head_slice(datt, b, T, h * dh, dh), Rdqkv ? &RdO : nullptr, g);
    dqkv.block(r0, h * dh, T, dh) = g.dQ;
    dqkv.block(r0, d + h * dh, T, dh) = g.dK;
    dqkv.block(r0, 2 * d + h * dh, T, dh) = g.dV;
    if (Rdqkv) {
      Rdqkv->block(r0, h * dh, T, dh) = g.RdQ;
      Rdqkv->block(r0, d + h * dh, T, dh) = g.RdK;
      Rdqkv->block(r0, 2 * d + h * dh, T, dh) = g.RdV;
    }
  }
  // The heads' own parameters (shared by the examples): summed over examples in order.
  const int P = lay_.variant_params;
  for (int h = 0; h < H && P > 0; ++h) {
    const size_t off = lay_.blocks[static_cast<size_t>(l)].variant[static_cast<size_t>(h)];
    for (int b = 0; b < rows_; ++b) {
      const HeadGrads& g = per_job[static_cast<size_t>(b) * H + h];
      for (int i = 0; i < P; ++i) {
        if (grad) grad[off + i] += g.dtheta[static_cast<size_t>(i)];
        if (Rdqkv) hv[off + i] += g.Rdtheta[static_cast<size_t>(i)];
      }
    }
  }
}

double TransformerF64::set(const double* params, const float* x, int rows, const float* labels,
                           int batch_rows) {
  rows_ = rows;
  if (batch_rows <= 0) batch_rows = rows;
  params_.assign(params, params + lay_.total);
  const double* p = p_ = params_.data();
  const int d = arch_.d, T = T_, ff = arch_.ff;
  const Eigen::Index M = static_cast<Eigen::Index>(rows) * T;
  MatD h(M, d);
  if (arch_.is_image()) {
    const int ps = arch_.patch, W = arch_.image_w, gw = W / ps, gh = arch_.image_h / ps,
              np = gw * gh, pp = ps * ps, first = arch_.cls_token ? 1 : 0;
    patches_.resize(static_cast<Eigen::Index>(rows) * np, pp);
    for (int b = 0; b < rows; ++b)
      for (int pi = 0; pi < gh; ++pi)
        for (int pj = 0; pj < gw; ++pj)
          for (int r = 0; r < ps; ++r)
            for (int c = 0; c < ps; ++c)
              patches_(static_cast<Eigen::Index>(b) * np + pi * gw + pj, r * ps + c) =
                  x[static_cast<size_t>(b) * arch_.inputs() + (pi * ps + r) * W + pj * ps + c];
    const MatD z = linear(patches_, p + lay_.patch_w, p + lay_.patch_b, d);
    for (int b = 0; b < rows; ++b) {
      if (first) h.row(static_cast<Eigen::Index>(b) * T) = RowVec(p + lay_.cls, d);
      h.block(static_cast<Eigen::Index>(b) * T + first, 0, np, d) =
          z.block(static_cast<Eigen::Index>(b) * np, 0, np, d);
    }
  } else {
    tokens_.resize(M);
    for (Eigen::Index m = 0; m < M; ++m) {
      const float t = x[m];
      if (!(t >= 0 && t < arch_.vocab) || t != std::floor(t))
        throw InputError("transformer: input token " + std::to_string(t) + " is not a token id");
      tokens_[m] = static_cast<int32_t>(t);
      h.row(m) = RowVec(p + lay_.embed + static_cast<size_t>(tokens_[m]) * d, d);
    }
  }
  for (Eigen::Index m = 0; m < M; ++m) h.row(m) += RowVec(p + lay_.pos + (m % T) * d, d);

  for (int l = 0; l < arch_.layers; ++l) {
    const TransformerBlockOffsets& o = lay_.blocks[l];
    Block& B = blocks_[l];
    B.h = std::move(h);
    B.xh1.resize(M, d);
    B.a1.resize(M, d);
    B.r1.resize(M);
    layernorm_forward_f64(B.h.data(), int(M), d, kTransformerLnEps, p + o.ln1_w, p + o.ln1_b,
                          B.xh1.data(), B.r1.data(), B.a1.data());
    B.qkv = linear(B.a1, p + o.qkv_w, p + o.qkv_b, 3 * d);
    B.att = attention(l, B.qkv);
    B.hmid = B.h + linear(B.att, p + o.proj_w, p + o.proj_b, d);
    B.xh2.resize(M, d);
    B.a2.resize(M, d);
    B.r2.resize(M);
    layernorm_forward_f64(B.hmid.data(), int(M), d, kTransformerLnEps, p + o.ln2_w, p + o.ln2_b,
                          B.xh2.data(), B.r2.data(), B.a2.data());
    B.f1 = linear(B.a2, p + o.fc1_w, p + o.fc1_b, ff);
    B.g = B.f1.unaryExpr([this](double u) { return activation_f64(act_, u); });
    h = B.hmid + linear(B.g, p + o.fc2_w, p + o.fc2_b, d);
  }
  hL_ = std::move(h);
  xhf_.resize(M, d);
  y_.resize(M, d);
  rf_.resize(M);
  layernorm_forward_f64(hL_.data(), int(M), d, kTransformerLnEps, p + lay_.lnf_w, p + lay_.lnf_b,
                        xhf_.data(), rf_.data(), y_.data());
  // The output rows, their classes and weights in the mean loss.
  sel_.clear();
  target_.clear();
  weight_.clear();
  const int C = arch_.outputs();
  if (arch_.is_image()) {
    hin_.resize(rows, d);
    for (int b = 0; b < rows; ++b) {
      const Eigen::Index r0 = static_cast<Eigen::Index>(b) * T;
      hin_.row(b) = arch_.cls_token ? MatD(y_.row(r0)) : MatD(y_.middleRows(r0, T).colwise().mean());
      const float c = labels[b];
      if (!(c >= 0 && c < C) || c != std::floor(c))
        throw InputError("transformer: label " + std::to_string(c) + " is not a class");
      target_.push_back(static_cast<int>(c));
      weight_.push_back(1.0 / batch_rows);
    }
  } else {
    for (int b = 0; b < rows; ++b) {
      int count = 0;
      for (int t = 0; t < T; ++t) {
        const float c = labels[static_cast<size_t>(b) * T + t];
        if (c < 0) continue;
        if (c >= C || c != std::floor(c))
          throw InputError("transformer: label " + std::to_string(c) + " is not a token id");
        sel_.push_back(b * T + t);
        target_.push_back(static_cast<int>(c));
        ++count;
      }
      for (int i = 0; i < count; ++i)
        weight_.push_back(1.0 / (static_cast<double>(batch_rows) * count));
    }
    hin_.resize(static_cast<Eigen::Index>(sel_.size()), d);
    for (size_t i = 0; i < sel_.size(); ++i) hin_.row(i) = y_.row(sel_[i]);
  }
  const size_t out_w = arch_.tied ? lay_.embed : lay_.head_w;
  logits_ = linear(hin_, p + out_w, arch_.tied ? nullptr : p + lay_.head_b, C);
  probs_.resize(logits_.rows(), C);
  double loss = 0;
  for (Eigen::Index i = 0; i < logits_.rows(); ++i) {
    const double hi = logits_.row(i).maxCoeff();
    probs_.row(i) = (logits_.row(i).array() - hi).exp().matrix();
    const double s = probs_.row(i).sum();
    probs_.row(i) /= s;
    loss += weight_[i] * (std::log(s) + hi - logits_(i, target_[i]));
  }
  return loss;
}

void TransformerF64::r_forward(const double* v) {
  const double* p = p_;
  const int d = arch_.d, T = T_, ff = arch_.ff;
  const Eigen::Index M = static_cast<Eigen::Index>(rows_) * T;
  MatD Rh = MatD::Zero(M, d);
  if (arch_.is_image()) {
    const int np = static_cast<int>(patches_.rows()) / rows_, first = arch_.cls_token ? 1 : 0;
    const MatD Rz = linear(patches_, v + lay_.patch_w, v + lay_.patch_b, d);  // x is data
    for (int b = 0; b < rows_; ++b) {
      if (first) Rh.row(static_cast<Eigen::Index>(b) * T) = RowVec(v + lay_.cls, d);
      Rh.block(static_cast<Eigen::Index>(b) * T + first, 0, np, d) =
          Rz.block(static_cast<Eigen::Index>(b) * np, 0, np, d);
    }
  } else {
    for (Eigen::Index m = 0; m < M; ++m)
      Rh.row(m) = RowVec(v + lay_.embed + static_cast<size_t>(tokens_[m]) * d, d);
  }
  for (Eigen::Index m = 0; m < M; ++m) Rh.row(m) += RowVec(v + lay_.pos + (m % T) * d, d);

  for (int l = 0; l < arch_.layers; ++l) {
    const TransformerBlockOffsets& o = lay_.blocks[l];
    const Block& B = blocks_[l];
    RBlock& R = rblocks_[l];
    R.Rh = std::move(Rh);
    R.Rxh1.resize(M, d);
    R.Ra1.resize(M, d);
    layernorm_r_forward_f64(R.Rh.data(), int(M), d, p + o.ln1_w, v + o.ln1_w, v + o.ln1_b,
                            B.xh1.data(), B.r1.data(), R.Rxh1.data(), R.Ra1.data());
    R.Rqkv = r_linear(B.a1, R.Ra1, p + o.qkv_w, v + o.qkv_w, v + o.qkv_b, 3 * d);
    R.Ratt = r_attention(l, B.qkv, R.Rqkv, v);
    R.Rhmid = R.Rh + r_linear(B.att, R.Ratt, p + o.proj_w, v + o.proj_w, v + o.proj_b, d);
    R.Rxh2.resize(M, d);
    R.Ra2.resize(M, d);
    layernorm_r_forward_f64(R.Rhmid.data(), int(M), d, p + o.ln2_w, v + o.ln2_w, v + o.ln2_b,
                            B.xh2.data(), B.r2.data(), R.Rxh2.data(), R.Ra2.data());
    R.Rf1 = r_linear(B.a2, R.Ra2, p + o.fc1_w, v + o.fc1_w, v + o.fc1_b, ff);
    R.Rg = B.f1.binaryExpr(R.Rf1,
                           [this](double u, double r) { return activation_d1(act_, u) * r; });
    Rh = R.Rhmid + r_linear(B.g, R.Rg, p + o.fc2_w, v + o.fc2_w, v + o.fc2_b, d);
  }
  RhL_ = std::move(Rh);
  Rxhf_.resize(M, d);
  Ry_.resize(M, d);
  layernorm_r_forward_f64(RhL_.data(), int(M), d, p + lay_.lnf_w, v + lay_.lnf_w, v + lay_.lnf_b,
                          xhf_.data(), rf_.data(), Rxhf_.data(), Ry_.data());
  Rhin_.resize(hin_.rows(), d);
  if (arch_.is_image()) {
    for (int b = 0; b < rows_; ++b) {
      const Eigen::Index r0 = static_cast<Eigen::Index>(b) * T;
      Rhin_.row(b) =
          arch_.cls_token ? MatD(Ry_.row(r0)) : MatD(Ry_.middleRows(r0, T).colwise().mean());
    }
  } else {
    for (size_t i = 0; i < sel_.size(); ++i) Rhin_.row(i) = Ry_.row(sel_[i]);
  }
  const size_t out_w = arch_.tied ? lay_.embed : lay_.head_w;
  Rlogits_ = r_linear(hin_, Rhin_, p + out_w, v + out_w, arch_.tied ? nullptr : v + lay_.head_b,
                      arch_.outputs());
}

void TransformerF64::backward(const double* v, bool with_r, double* grad, double* hv) {
  const double* p = p_;
  const int d = arch_.d, T = T_, C = arch_.outputs();
  const Eigen::Index M = static_cast<Eigen::Index>(rows_) * T;
  if (grad) std::fill_n(grad, lay_.total, 0.0);
  if (with_r) std::fill_n(hv, lay_.total, 0.0);
  // Softmax cross-entropy: ∂z = w(p − onehot), R{∂z} = w(p⊙R{z} − p(pᵀR{z})).
  MatD gz = probs_, Rgz;
  for (Eigen::Index i = 0; i < gz.rows(); ++i) {
    gz(i, target_[i]) -= 1.0;
    gz.row(i) *= weight_[i];
  }
  if (with_r) {
    Rgz = probs_.cwiseProduct(Rlogits_);
    const Eigen::VectorXd s = Rgz.rowwise().sum();
    Rgz -= s.asDiagonal() * probs_;
    for (Eigen::Index i = 0; i < Rgz.rows(); ++i) Rgz.row(i) *= weight_[i];
  }
  const size_t out_w = arch_.tied ? lay_.embed : lay_.head_w;
  MatD ghin, Rghin;
  linear_backward(hin_, with_r ? &Rhin_ : nullptr, gz, with_r ? &Rgz : nullptr, p, v, out_w,
                  arch_.tied ? SIZE_MAX : lay_.head_b, grad, hv, &ghin, &Rghin);
  MatD gy = MatD::Zero(M, d), Rgy;
  if (with_r) Rgy = MatD::Zero(M, d);
  auto scatter = [&](const MatD& from, MatD& to) {
    if (arch_.is_image()) {
      for (int b = 0; b < rows_; ++b) {
        const Eigen::Index r0 = static_cast<Eigen::Index>(b) * T;
        if (arch_.cls_token)
          to.row(r0) = from.row(b);
        else
          for (int t = 0; t < T; ++t) to.row(r0 + t) = from.row(b) / T;
      }
    } else {
      for (size_t i = 0; i < sel_.size(); ++i) to.row(sel_[i]) += from.row(i);
    }
  };
  scatter(ghin, gy);
  if (with_r) scatter(Rghin, Rgy);
  // Final LayerNorm.
  MatD gh(M, d), Rgh;
  layernorm_backward_f64(gy.data(), int(M), d, p + lay_.lnf_w, xhf_.data(), rf_.data(), gh.data(),
                         at(grad, lay_.lnf_w), at(grad, lay_.lnf_b));
  if (with_r) {
    Rgh.resize(M, d);
    layernorm_r_backward_f64(gy.data(), Rgy.data(), RhL_.data(), int(M), d, p + lay_.lnf_w,
                             v + lay_.lnf_w, xhf_.data(), Rxhf_.data(), rf_.data(), Rgh.data(),
                             hv + lay_.lnf_w, hv + lay_.lnf_b);
  }
  MatD gg, Rgg, ga, Rga, gpart(M, d), Rgpart(M, d), gatt, Rgatt, gqkv, Rgqkv;
  for (int l = arch_.layers - 1; l >= 0; --l) {
    const TransformerBlockOffsets& o = lay_.blocks[l];
    const Block& B = blocks_[l];
    const RBlock* R = with_r ? &rblocks_[l] : nullptr;
    // MLP: h' = hmid + fc2(GELU(fc1(LN₂(hmid)))).
    linear_backward(B.g, R ? &R->Rg : nullptr, gh, R ? &Rgh : nullptr, p, v, o.fc2_w, o.fc2_b,
                    grad, hv, &gg, &Rgg);
    // GELU: ∂f = σ'(f)⊙∂g, R{∂f} = σ'(f)⊙R{∂g} + σ''(f)⊙R{f}⊙∂g.
    MatD gf = B.f1.binaryExpr(gg, [this](double u, double g) { return activation_d1(act_, u) * g; });
    MatD Rgf;
    if (R) {
      Rgf.resize(gf.rows(), gf.cols());
      for (Eigen::Index i = 0; i < gf.size(); ++i) {
        const double u = B.f1.data()[i];
        Rgf.data()[i] = activation_d1(act_, u) * Rgg.data()[i] +
                        activation_d2(act_, u) * R->Rf1.data()[i] * gg.data()[i];
      }
    }
    linear_backward(B.a2, R ? &R->Ra2 : nullptr, gf, R ? &Rgf : nullptr, p, v, o.fc1_w, o.fc1_b,
                    grad, hv, &ga, &Rga);
    layernorm_backward_f64(ga.data(), int(M), d, p + o.ln2_w, B.xh2.data(), B.r2.data(),
                           gpart.data(), at(grad, o.ln2_w), at(grad, o.ln2_b));
    gh += gpart;  // now ∂hmid
    if (R) {
      layernorm_r_backward_f64(ga.data(), Rga.data(), R->Rhmid.data(), int(M), d, p + o.ln2_w,
                               v + o.ln2_w, B.xh2.data(), R->Rxh2.data(), B.r2.data(),
                               Rgpart.data(), hv + o.ln2_w, hv + o.ln2_b);
      Rgh += Rgpart;
    }
    // Attention: hmid = h + proj(Attn(qkv(LN₁(h)))).
    linear_backward(B.att, R ? &R->Ratt : nullptr, gh, R ? &Rgh : nullptr, p, v, o.proj_w,
                    o.proj_b, grad, hv, &gatt, &Rgatt);
    attention_backward(l, B.qkv, R ? &R->Rqkv : nullptr, gatt, R ? &Rgatt : nullptr, gqkv,
                       R ? &Rgqkv : nullptr, v, grad, hv);
    linear_backward(B.a1, R ? &R->Ra1 : nullptr, gqkv, R ? &Rgqkv : nullptr, p, v, o.qkv_w,
                    o.qkv_b, grad, hv, &ga, &Rga);
    layernorm_backward_f64(ga.data(), int(M), d, p + o.ln1_w, B.xh1.data(), B.r1.data(),
                           gpart.data(), at(grad, o.ln1_w), at(grad, o.ln1_b));
    gh += gpart;  // now ∂h of this block's input
    if (R) {
      layernorm_r_backward_f64(ga.data(), Rga.data(), R->Rh.data(), int(M), d, p + o.ln1_w,
                               v + o.ln1_w, B.xh1.data(), R->Rxh1.data(), B.r1.data(),
                               Rgpart.data(), hv + o.ln1_w, hv + o.ln1_b);
      Rgh += Rgpart;
    }
  }
  // Embeddings: positions, then the class token and patch embedding, or the token embedding.
  for (Eigen::Index m = 0; m < M; ++m) {
    if (grad) Eigen::Map<Eigen::RowVectorXd>(grad + lay_.pos + (m % T) * d, d) += gh.row(m);
    if (with_r) Eigen::Map<Eigen::RowVectorXd>(hv + lay_.pos + (m % T) * d, d) += Rgh.row(m);
  }
  if (arch_.is_image()) {
    const int np = static_cast<int>(patches_.rows()) / rows_, first = arch_.cls_token ? 1 : 0;
    MatD gzp(patches_.rows(), d), Rgzp;
    if (with_r) Rgzp.resize(patches_.rows(), d);
    for (int b = 0; b < rows_; ++b) {
      const Eigen::Index r0 = static_cast<Eigen::Index>(b) * T;
      gzp.middleRows(static_cast<Eigen::Index>(b) * np, np) = gh.middleRows(r0 + first, np);
      if (with_r) Rgzp.middleRows(static_cast<Eigen::Index>(b) * np, np) = Rgh.middleRows(r0 + first, np);
      if (first) {
        if (grad) Eigen::Map<Eigen::RowVectorXd>(grad + lay_.cls, d) += gh.row(r0);
        if (with_r) Eigen::Map<Eigen::RowVectorXd>(hv + lay_.cls, d) += Rgh.row(r0);
      }
    }
    // The patches are data: R{patches} = 0.
    const MatD Rp0 = MatD::Zero(patches_.rows(), patches_.cols());
    linear_backward(patches_, with_r ? &Rp0 : nullptr, gzp, with_r ? &Rgzp : nullptr, p, v,
                    lay_.patch_w, lay_.patch_b, grad, hv, nullptr, nullptr);
  } else {
    for (Eigen::Index m = 0; m < M; ++m) {
      const size_t row = lay_.embed + static_cast<size_t>(tokens_[m]) * d;
      if (grad) Eigen::Map<Eigen::RowVectorXd>(grad + row, d) += gh.row(m);
      if (with_r) Eigen::Map<Eigen::RowVectorXd>(hv + row, d) += Rgh.row(m);
    }
  }
}

std::vector<double> TransformerF64::gradient() {
  std::vector<double> g(lay_.total);
  backward(nullptr, false, g.data(), nullptr);
  return g;
}

void TransformerF64::hvp(const double* v, double* hv) {
  r_forward(v);
  backward(v, true, nullptr, hv);
}

}  // namespace detail

std::string transformer_hvp_unsupported(const TransformerArch& arch) {
  if (!detail::head_kernel_of(arch.attention, nullptr))
    return "Hessian-vector products are not implemented for attention variant '" +
           arch.attention + "' (" + detail::head_kernels_with_rop() + " have them)";
  return {};
}

double transformer_loss_grad_f64(const TransformerArch& arch, const std::vector<double>& params,
                                 const std::vector<float>& x, const std::vector<float>& labels,
                                 int rows, std::vector<double>* grad) {
  const TransformerLayout lay(arch);
  if (params.size() != lay.total || rows < 1 ||
      x.size() != static_cast<size_t>(rows) * arch.inputs() ||
      labels.size() != static_cast<size_t>(rows) * (arch.is_image() ? 1 : arch.seq))
    throw InputError("transformer_loss_grad_f64: sizes do not fit " + arch.to_string());
  detail::TransformerF64 net(arch);
  const double loss = net.set(params.data(), x.data(), rows, labels.data());
  if (grad) *grad = net.gradient();
  return loss;
}

}  // namespace ridgeline
