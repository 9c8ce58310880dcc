// See transformer_attention_rop.h for the formulas.
#include "transformer_attention_rop.h"

#include <cmath>

namespace ridgeline::detail {
namespace {

// The linear variants' row-sum eps: the registry's default (attention/registry.cpp); a
// transformer architecture passes no eps option. test_transformer_hvp checks this head's
// forward against the variant's own.
constexpr double kLinearEps = 1e-6;

struct KernelName {
  const char* name;
  HeadKernel kernel;
};

constexpr KernelName kKernels[] = {
    {"softmax", HeadKernel::Softmax},         {"linear_elu", HeadKernel::LinearElu},
    {"linear_relu", HeadKernel::LinearRelu},  {"transnormer", HeadKernel::TransNormer},
    {"inline", HeadKernel::InLine},           {"cosformer", HeadKernel::Cosformer},
    {"performer", HeadKernel::Performer},     {"hedgehog", HeadKernel::Hedgehog},
    {"flatten", HeadKernel::Flatten},
};

}  // namespace

bool head_kernel_of(const std::string& name, HeadKernel* out) {
  for (const KernelName& k : kKernels)
    if (name == k.name) {
      if (out) *out = k.kernel;
      return true;
    }
  return false;
}

const char* head_kernels_with_rop() {
  return "softmax, linear_elu, linear_relu, transnormer, inline, cosformer, performer, hedgehog "
         "and flatten";
}

double HeadRop::phi(double x) const {
  if (kernel_ == HeadKernel::LinearElu) return x > 0 ? x + 1.0 : std::exp(x);
  return x > 0 ? x : 0.0;
}
double HeadRop::phi_d1(double x) const {
  if (kernel_ == HeadKernel::LinearElu) return x > 0 ? 1.0 : std::exp(x);
  return x > 0 ? 1.0 : 0.0;
}
double HeadRop::phi_d2(double x) const {
  if (kernel_ == HeadKernel::LinearElu) return x > 0 ? 0.0 : std::exp(x);
  return 0.0;
}

void HeadRop::mask(MatD& m) const {
  if (!causal_) return;
  for (int i = 0; i < N_; ++i)
    for (int j = i + 1; j < N_; ++j) m(i, j) = 0;
}

HeadRop::HeadRop(HeadKernel kernel, bool causal, const MatD& Q, const MatD& K, const MatD& V)
    : kernel_(kernel), causal_(causal), N_(static_cast<int>(Q.rows())), Q_(Q), K_(K), V_(V) {
  if (kernel_ == HeadKernel::Softmax) {
    scale_ = 1.0 / std::sqrt(static_cast<double>(Q.cols()));
    A_ = scale_ * (Q * K.transpose());
    for (int i = 0; i < N_; ++i) {
      const int visible = causal_ ? i + 1 : N_;
      auto row = A_.row(i).head(visible).array();
      const double hi = row.maxCoeff();
      row = (row - hi).exp();
      row /= row.sum();
      A_.row(i).tail(N_ - visible).setZero();
    }
    return;
  }
  F_ = Q.unaryExpr([this](double x) { return phi(x); });
  G_ = K.unaryExpr([this](double x) { return phi(x); });
  S_ = F_ * G_.transpose();
  mask(S_);
  g_ = (S_.rowwise().sum().array() + kLinearEps).inverse().matrix();
  A_ = g_.asDiagonal() * S_;
}

void HeadRop::tangent(const MatD& RQ, const MatD& RK, const MatD& RV) {
  RQ_ = RQ;
  RK_ = RK;
  RV_ = RV;
  has_tangent_ = true;
  if (kernel_ == HeadKernel::Softmax) {
    // R{A} = A⊙(R{S} − rowsum(A⊙R{S})); masked entries have A = 0.
    const MatD RS = scale_ * (RQ * K_.transpose() + Q_ * RK.transpose());
    RA_ = A_.cwiseProduct(RS);
    const Eigen::VectorXd c = RA_.rowwise().sum();
    RA_ -= c.asDiagonal() * A_;
    return;
  }
  RF_ = Q_.binaryExpr(RQ, [this](double x, double r) { return phi_d1(x) * r; });
  RG_ = K_.binaryExpr(RK, [this](double x, double r) { return phi_d1(x) * r; });
  RS_ = RF_ * G_.transpose() + F_ * RG_.transpose();
  mask(RS_);
  Rg_ = -(g_.array().square() * RS_.rowwise().sum().array()).matrix();
  RA_ = Rg_.asDiagonal() * S_ + g_.asDiagonal() * RS_;
}

void HeadRop::backward(const MatD& dO, const MatD* RdO, HeadGrads& out) const {
  const bool r = RdO != nullptr && has_tangent_;
  MatD dA = dO * V_.transpose();
  out.dV = A_.transpose() * dO;
  MatD RdA;
  if (r) {
    RdA = *RdO * V_.transpose() + dO * RV_.transpose();
    out.RdV = RA_.transpose() * dO + A_.transpose() * *RdO;
  }
  if (kernel_ == HeadKernel::Softmax) {
    const Eigen::VectorXd c = A_.cwiseProduct(dA).rowwise().sum();
    MatD dS = A_.cwiseProduct(dA.colwise() - c);
    out.dQ = scale_ * (dS * K_);
    out.dK = scale_ * (dS.transpose() * Q_);
    if (!r) return;
    const Eigen::VectorXd Rc = (RA_.cwiseProduct(dA) + A_.cwiseProduct(RdA)).rowwise().sum();
    const MatD RdS = RA_.cwiseProduct(dA.colwise() - c) + A_.cwiseProduct(RdA.colwise() - Rc);
    out.RdQ = scale_ * (RdS * K_ + dS * RK_);
    out.RdK = scale_ * (RdS.transpose() * Q_ + dS.transpose() * RQ_);
    return;
  }
  // Linear: dS = (diag(g) dA + e·1ᵀ)⊙mask, e_i = −g_i² Σ_j dA_ij S_ij.
  mask(dA);
  const Eigen::VectorXd t = dA.cwiseProduct(S_).rowwise().sum();
  const Eigen::VectorXd e = -(g_.array().square() * t.array()).matrix();
  MatD dS = g_.asDiagonal() * dA;
  dS.colwise() += e;
  mask(dS);
  const MatD dF = dS * G_, dG = dS.transpose() * F_;
  out.dQ = Q_.binaryExpr(dF, [this](double x, double g) { return phi_d1(x) * g; });
  out.dK = K_.binaryExpr(dG, [this](double x, double g) { return phi_d1(x) * g; });
  if (!r) return;
  mask(RdA);
  const Eigen::VectorXd Rt = (RdA.cwiseProduct(S_) + dA.cwiseProduct(RS_)).rowwise().sum();
  const Eigen::VectorXd Re =
      -(2.0 * g_.array() * Rg_.array() * t.array() + g_.array().square() * Rt.array()).matrix();
  MatD RdS = Rg_.asDiagonal() * dA + g_.asDiagonal() * RdA;
  RdS.colwise() += Re;
  mask(RdS);
  const MatD RdF = RdS * G_ + dS * RG_, RdG = RdS.transpose() * F_ + dS.transpose() * RF_;
  out.RdQ.resize(N_, Q_.cols());
  out.RdK.resize(N_, K_.cols());
  for (int i = 0; i < N_; ++i)
    for (int c = 0; c < Q_.cols(); ++c) {
      out.RdQ(i, c) = phi_d1(Q_(i, c)) * RdF(i, c) + phi_d2(Q_(i, c)) * RQ_(i, c) * dF(i, c);
      out.RdK(i, c) = phi_d1(K_(i, c)) * RdG(i, c) + phi_d2(K_(i, c)) * RK_(i, c) * dG(i, c);
    }
}

}  // namespace ridgeline::detail
