// See transformer_linear_rop.h. Each feature map below reproduces the variant's own
// (engine/src/attention/feature_maps.cpp, learned_maps.cpp; the papers are cited there), its
// vector-Jacobian product included; constants are the registry's defaults
// (engine/src/attention/registry.cpp), which a transformer architecture cannot change.
#include "transformer_linear_rop.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "ridgeline/attention/attention.h"
#include "ridgeline/core/errors.h"
#include "transformer_layout.h"

namespace ridgeline::detail {
namespace {

// A dual number a + ε·b, ε² = 0: the ε-part of any expression of duals is the directional
// derivative of its value along the inputs' ε-parts.
struct Dual {
  double a = 0, b = 0;
  Dual(double value = 0, double tangent = 0) : a(value), b(tangent) {}  // NOLINT: implicit
  Dual& operator+=(const Dual& y) {
    a += y.a;
    b += y.b;
    return *this;
  }
  Dual& operator-=(const Dual& y) {
    a -= y.a;
    b -= y.b;
    return *this;
  }
};
Dual operator+(Dual x, const Dual& y) { return x += y; }
Dual operator-(Dual x, const Dual& y) { return x -= y; }
Dual operator-(const Dual& x) { return {-x.a, -x.b}; }
Dual operator*(const Dual& x, const Dual& y) { return {x.a * y.a, x.a * y.b + x.b * y.a}; }
Dual operator/(const Dual& x, const Dual& y) {
  return {x.a / y.a, (x.b * y.a - x.a * y.b) / (y.a * y.a)};
}
Dual exp(const Dual& x) {
  const double e = std::exp(x.a);
  return {e, e * x.b};
}
Dual expm1(const Dual& x) { return {std::expm1(x.a), std::exp(x.a) * x.b}; }
Dual log1p(const Dual& x) { return {std::log1p(x.a), x.b / (1.0 + x.a)}; }
Dual sqrt(const Dual& x) {
  const double s = std::sqrt(x.a);
  return {s, x.b / (2.0 * s)};
}

double val(double x) { return x; }
double val(const Dual& x) { return x.a; }

// Registry defaults (attention/registry.cpp) for a transformer, which passes no eps option.
constexpr double kCosformerEps = 1e-6;   // row-sum clamp
constexpr double kPerformerEps = 1e-4;   // inside φ; the row sum has none
constexpr double kTransNormerEps = 1e-6; // output RMSNorm
constexpr double kFlattenEps = 1e-6;     // Z = 1/(φ(q)·mean φ(k) + eps)
constexpr double kFocusedShift = 1e-6;   // x⁺ = relu(x) + 1e-6 (FLatten's code)
constexpr double kHedgehogEps = 1e-12;   // row sum

template <class S>
S relu(const S& x) {
  return val(x) > 0 ? x : S(0.0);
}

// φ of one row x (d values) at position i of N; theta: the head's parameters.
template <class S>
void map_row(const LinearHeadSpec& s, const S* x, int i, int N, bool query, const S* theta,
             S* phi) {
  using std::exp;
  using std::expm1;
  using std::log1p;
  using std::sqrt;
  const int d = s.d;
  switch (s.kernel) {
    case HeadKernel::TransNormer:  // elu
      for (int c = 0; c < d; ++c) phi[c] = val(x[c]) > 0 ? x[c] : expm1(x[c]);
      return;
    case HeadKernel::InLine:  // identity
      for (int c = 0; c < d; ++c) phi[c] = x[c];
      return;
    case HeadKernel::Cosformer: {  // [relu(x)·sin(π(i+1)/2N), relu(x)·cos(π(i+1)/2N)]
      const double angle = std::numbers::pi * (i + 1) / (2.0 * N);
      const double sn = std::sin(angle), cs = std::cos(angle);
      for (int c = 0; c < d; ++c) {
        const S r = relu(x[c]);
        phi[c] = r * sn;
        phi[d + c] = r * cs;
      }
      return;
    }
    case HeadKernel::Performer: {  // m^-1/2 (exp(ω·x̃ − |x̃|²/2 − c) + eps), x̃ = d^-1/4 x
      const int m = s.f;
      const double norm = std::pow(static_cast<double>(d), -0.25), ratio = 1.0 / std::sqrt(double(m));
      std::vector<S> xt(d), u(m);
      S half = 0.0;
      for (int c = 0; c < d; ++c) {
        xt[c] = x[c] * norm;
        half += xt[c] * xt[c];
      }
      half = half * 0.5;
      int arg = 0;
      for (int r = 0; r < m; ++r) {
        S t = 0.0;
        for (int c = 0; c < d; ++c) t += s.omega[static_cast<size_t>(r) * d + c] * xt[c];
        u[r] = t;
        if (val(t) > val(u[arg])) arg = r;
      }
      const S shift = query ? half + u[arg] : half;
      for (int r = 0; r < m; ++r) phi[r] = (exp(u[r] - shift) + kPerformerEps) * ratio;
      return;
    }
    case HeadKernel::Hedgehog: {  // [softmax(xW), softmax(−xW)], W [d, f]
      const int f = s.f;
      std::vector<S> u(f, S(0.0));
      for (int c = 0; c < d; ++c)
        for (int e = 0; e < f; ++e) u[e] += x[c] * theta[static_cast<size_t>(c) * f + e];
      // Shifts by constants (they cancel in each softmax): the largest and smallest u.
      double hi = val(u[0]), lo = val(u[0]);
      for (const S& t : u) {
        hi = std::max(hi, val(t));
        lo = std::min(lo, val(t));
      }
      S s1 = 0.0, s2 = 0.0;
      for (int e = 0; e < f; ++e) {
        phi[e] = exp(u[e] - hi);
        phi[f + e] = exp(lo - u[e]);
        s1 += phi[e];
        s2 += phi[f + e];
      }
      for (int e = 0; e < f; ++e) {
        phi[e] = phi[e] / s1;
        phi[f + e] = phi[f + e] / s2;
      }
      return;
    }
    case HeadKernel::Flatten: {  // |y|·y³/|y³|, y = (relu(x) + 1e-6)/softplus(θ)
      std::vector<S> w(d);
      S a = 0.0, b = 0.0;
      for (int c = 0; c < d; ++c) {
        const S sp = val(theta[c]) > 30 ? theta[c] : log1p(exp(theta[c]));
        const S y = (relu(x[c]) + kFocusedShift) / sp;
        w[c] = y * y * y;
        a += y * y;
        b += w[c] * w[c];
      }
      a = sqrt(a);
      b = sqrt(b);
      for (int c = 0; c < d; ++c) phi[c] = a * w[c] / b;
      return;
    }
    default:
      throw RunError("linear head R-operator: not a generic linear kernel");
  }
}

// dx = (∂φ/∂x)ᵀ dphi (overwritten), dtheta += (∂φ/∂θ)ᵀ dphi: the variants' own backward.
template <class S>
void map_row_vjp(const LinearHeadSpec& s, const S* x, int i, int N, bool query, const S* theta,
                 const S* dphi, S* dx, S* dtheta) {
  using std::exp;
  using std::log1p;
  using std::sqrt;
  const int d = s.d;
  switch (s.kernel) {
    case HeadKernel::TransNormer:
      for (int c = 0; c < d; ++c) dx[c] = val(x[c]) > 0 ? dphi[c] : dphi[c] * exp(x[c]);
      return;
    case HeadKernel::InLine:
      for (int c = 0; c < d; ++c) dx[c] = dphi[c];
      return;
    case HeadKernel::Cosformer: {
      const double angle = std::numbers::pi * (i + 1) / (2.0 * N);
      const double sn = std::sin(angle), cs = std::cos(angle);
      for (int c = 0; c < d; ++c) dx[c] = val(x[c]) > 0 ? dphi[c] * sn + dphi[d + c] * cs : S(0.0);
      return;
    }
    case HeadKernel::Performer: {
      // E = U − |x̃|²/2 − c (c = U_arg for queries); ∂L/∂E_r = ratio·exp(E_r)·dφ_r.
      const int m = s.f;
      const double norm = std::pow(static_cast<double>(d), -0.25), ratio = 1.0 / std::sqrt(double(m));
      std::vector<S> xt(d), u(m), du(m);
      S half = 0.0;
      for (int c = 0; c < d; ++c) {
        xt[c] = x[c] * norm;
        half += xt[c] * xt[c];
      }
      half = half * 0.5;
      int arg = 0;
      for (int r = 0; r < m; ++r) {
        S t = 0.0;
        for (int c = 0; c < d; ++c) t += s.omega[static_cast<size_t>(r) * d + c] * xt[c];
        u[r] = t;
        if (val(t) > val(u[arg])) arg = r;
      }
      const S shift = query ? half + u[arg] : half;
      S total = 0.0;
      for (int r = 0; r < m; ++r) {
        du[r] = exp(u[r] - shift) * dphi[r] * ratio;
        total += du[r];
      }
      if (query) du[arg] -= total;
      for (int c = 0; c < d; ++c) {
        S t = -(total * xt[c]);
        for (int r = 0; r < m; ++r) t += du[r] * s.omega[static_cast<size_t>(r) * d + c];
        dx[c] = t * norm;
      }
      return;
    }
    case HeadKernel::Hedgehog: {
      const int f = s.f;
      std::vector<S> phi(2 * f), u(f, S(0.0)), du(f);
      map_row(s, x, i, N, query, theta, phi.data());
      for (int c = 0; c < d; ++c)
        for (int e = 0; e < f; ++e) u[e] += x[c] * theta[static_cast<size_t>(c) * f + e];
      S g1 = 0.0, g2 = 0.0;
      for (int e = 0; e < f; ++e) {
        g1 += phi[e] * dphi[e];
        g2 += phi[f + e] * dphi[f + e];
      }
      for (int e = 0; e < f; ++e)
        du[e] = phi[e] * (dphi[e] - g1) - phi[f + e] * (dphi[f + e] - g2);
      for (int c = 0; c < d; ++c) {
        S t = 0.0;
        for (int e = 0; e < f; ++e) {
          t += theta[static_cast<size_t>(c) * f + e] * du[e];
          dtheta[static_cast<size_t>(c) * f + e] += x[c] * du[e];
        }
        dx[c] = t;
      }
      return;
    }
    case HeadKernel::Flatten: {  // φ = a·w/b, a = |y|, w = y³, b = |w|
      std::vector<S> xp(d), sp(d), y(d), w(d);
      S a = 0.0, b = 0.0, gw = 0.0;
      for (int c = 0; c < d; ++c) {
        xp[c] = relu(x[c]) + kFocusedShift;
        sp[c] = val(theta[c]) > 30 ? theta[c] : log1p(exp(theta[c]));
        y[c] = xp[c] / sp[c];
        w[c] = y[c] * y[c] * y[c];
        a += y[c] * y[c];
        b += w[c] * w[c];
      }
      a = sqrt(a);
      b = sqrt(b);
      for (int c = 0; c < d; ++c) gw += dphi[c] * w[c];
      const S da = gw / b, db = -(a * gw / (b * b));
      for (int c = 0; c < d; ++c) {
        const S dw = dphi[c] * a / b + db * w[c] / b;
        const S dy = dw * 3.0 * y[c] * y[c] + da * y[c] / a;
        dx[c] = val(x[c]) > 0 ? dy / sp[c] : S(0.0);
        const S sig = S(1.0) / (exp(-theta[c]) + 1.0);  // softplus'
        dtheta[c] -= dy * xp[c] / (sp[c] * sp[c]) * sig;
      }
      return;
    }
    default:
      throw RunError("linear head R-operator: not a generic linear kernel");
  }
}

// The row normaliser: y_i = g(r)·P_i + h(r)·Σ_j v_j over n visible keys; dg, dh = g', h'.
template <class S>
void coefficients(const LinearHeadSpec& s, const S& r, int n, S& g, S& h, S& dg, S& dh) {
  g = 1.0;
  h = dg = dh = 0.0;
  switch (s.kernel) {
    case HeadKernel::TransNormer:  // none
      return;
    case HeadKernel::InLine: {  // g = scale/n, h = (1 − scale·r/n)/n, scale = d^-1/2
      const double scale = 1.0 / std::sqrt(static_cast<double>(s.d));
      g = scale / n;
      h = (S(1.0) - scale * r / double(n)) / double(n);
      dh = -scale / (static_cast<double>(n) * n);
      return;
    }
    case HeadKernel::Cosformer:  // 1/max(r, eps)
      if (val(r) > kCosformerEps) {
        g = S(1.0) / r;
        dg = -(g * g);
      } else {
        g = 1.0 / kCosformerEps;
      }
      return;
    case HeadKernel::Flatten: {  // (1/n)/(r/n + eps)
      const S den = r / double(n) + kFlattenEps;
      g = S(1.0 / n) / den;
      dg = -(S(1.0 / (static_cast<double>(n) * n)) / (den * den));
      return;
    }
    case HeadKernel::Performer:  // 1/r (eps 0)
    case HeadKernel::Hedgehog: {  // 1/(r + eps)
      const S den = r + (s.kernel == HeadKernel::Hedgehog ? kHedgehogEps : 0.0);
      g = S(1.0) / den;
      dg = -(g * g);
      return;
    }
    default:
      throw RunError("linear head R-operator: not a generic linear kernel");
  }
}

// One head on scalars S (double, or Dual for the R-operator), row-major N×w arrays.
template <class S>
struct Head {
  const LinearHeadSpec& s;
  bool causal;
  int N, D;
  std::vector<S> q, k, v, theta;
  std::vector<S> fq, fk, kappa, g, h, dg, dh, P, vs, y, rho;

  Head(const LinearHeadSpec& spec, bool c, int n, int dv) : s(spec), causal(c), N(n), D(dv) {}
  int visible(int i) const { return causal ? i + 1 : N; }

  std::vector<S> forward() {
    const int d = s.d, F = s.F;
    fq.assign(static_cast<size_t>(N) * F, S(0.0));
    fk.assign(static_cast<size_t>(N) * F, S(0.0));
    for (int i = 0; i < N; ++i) {
      map_row(s, &q[static_cast<size_t>(i) * d], i, N, true, theta.data(), &fq[static_cast<size_t>(i) * F]);
      map_row(s, &k[static_cast<size_t>(i) * d], i, N, false, theta.data(), &fk[static_cast<size_t>(i) * F]);
    }
    kappa.assign(static_cast<size_t>(N) * N, S(0.0));
    g.assign(N, S(0.0));
    h = dg = dh = g;
    P.assign(static_cast<size_t>(N) * D, S(0.0));
    vs = y = P;
    rho.assign(N, S(1.0));
    std::vector<S> o(static_cast<size_t>(N) * D);
    for (int i = 0; i < N; ++i) {
      S r = 0.0;
      for (int j = 0; j < visible(i); ++j) {
        S t = 0.0;
        for (int a = 0; a < F; ++a) t += fq[static_cast<size_t>(i) * F + a] * fk[static_cast<size_t>(j) * F + a];
        kappa[static_cast<size_t>(i) * N + j] = t;
        r += t;
        for (int c = 0; c < D; ++c) {
          P[static_cast<size_t>(i) * D + c] += t * v[static_cast<size_t>(j) * D + c];
          vs[static_cast<size_t>(i) * D + c] += v[static_cast<size_t>(j) * D + c];
        }
      }
      coefficients(s, r, visible(i), g[i], h[i], dg[i], dh[i]);
      S ms = 0.0;
      for (int c = 0; c < D; ++c) {
        const size_t ic = static_cast<size_t>(i) * D + c;
        y[ic] = g[i] * P[ic] + h[i] * vs[ic];
        ms += y[ic] * y[ic];
      }
      if (s.kernel == HeadKernel::TransNormer) {  // RMSNorm of the row
        using std::sqrt;
        rho[i] = S(1.0) / sqrt(ms / double(D) + kTransNormerEps);
      }
      for (int c = 0; c < D; ++c) o[static_cast<size_t>(i) * D + c] = y[static_cast<size_t>(i) * D + c] * rho[i];
    }
    return o;
  }

  // After forward(): the gradients of Σ dO⊙O.
  void backward(const std::vector<S>& dO, std::vector<S>& dq, std::vector<S>& dk,
                std::vector<S>& dv, std::vector<S>& dtheta) const {
    const int d = s.d, F = s.F;
    std::vector<S> dfq(static_cast<size_t>(N) * F, S(0.0)), dfk = dfq, dy(D);
    dv.assign(static_cast<size_t>(N) * D, S(0.0));
    for (int i = 0; i < N; ++i) {
      const S* yi = &y[static_cast<size_t>(i) * D];
      const S* doi = &dO[static_cast<size_t>(i) * D];
      if (s.kernel == HeadKernel::TransNormer) {
        S ydo = 0.0;
        for (int c = 0; c < D; ++c) ydo += yi[c] * doi[c];
        const S k3 = rho[i] * rho[i] * rho[i] * ydo / double(D);
        for (int c = 0; c < D; ++c) dy[c] = rho[i] * doi[c] - k3 * yi[c];
      } else {
        for (int c = 0; c < D; ++c) dy[c] = doi[c];
      }
      S dgi = 0.0, dhi = 0.0;
      for (int c = 0; c < D; ++c) {
        dgi += dy[c] * P[static_cast<size_t>(i) * D + c];
        dhi += dy[c] * vs[static_cast<size_t>(i) * D + c];
      }
      const S dr = dg[i] * dgi + dh[i] * dhi;
      for (int j = 0; j < visible(i); ++j) {
        const S kij = kappa[static_cast<size_t>(i) * N + j];
        S dyv = 0.0;
        for (int c = 0; c < D; ++c) {
          dyv += dy[c] * v[static_cast<size_t>(j) * D + c];
          dv[static_cast<size_t>(j) * D + c] += (g[i] * kij + h[i]) * dy[c];
        }
        const S dkij = g[i] * dyv + dr;
        for (int a = 0; a < F; ++a) {
          dfq[static_cast<size_t>(i) * F + a] += dkij * fk[static_cast<size_t>(j) * F + a];
          dfk[static_cast<size_t>(j) * F + a] += dkij * fq[static_cast<size_t>(i) * F + a];
        }
      }
    }
    dq.assign(static_cast<size_t>(N) * d, S(0.0));
    dk = dq;
    dtheta.assign(theta.size(), S(0.0));
    for (int i = 0; i < N; ++i) {
      map_row_vjp(s, &q[static_cast<size_t>(i) * d], i, N, true, theta.data(),
                  &dfq[static_cast<size_t>(i) * F], &dq[static_cast<size_t>(i) * d], dtheta.data());
      map_row_vjp(s, &k[static_cast<size_t>(i) * d], i, N, false, theta.data(),
                  &dfk[static_cast<size_t>(i) * F], &dk[static_cast<size_t>(i) * d], dtheta.data());
    }
  }
};

std::vector<double> flat(const MatD& m) { return {m.data(), m.data() + m.size()}; }

std::vector<Dual> dual(const MatD& a, const MatD& b) {
  std::vector<Dual> out(static_cast<size_t>(a.size()));
  for (Eigen::Index i = 0; i < a.size(); ++i) out[i] = Dual(a.data()[i], b.data()[i]);
  return out;
}

std::vector<Dual> dual(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<Dual> out(a.size());
  for (size_t i = 0; i < a.size(); ++i) out[i] = Dual(a[i], b.empty() ? 0.0 : b[i]);
  return out;
}

MatD as_mat(const std::vector<double>& x, Eigen::Index rows, Eigen::Index cols) {
  return Eigen::Map<const MatD>(x.data(), rows, cols);
}

// The value (ε-part when `tangent`) of dual entries as a rows×cols matrix.
MatD part(const std::vector<Dual>& x, Eigen::Index rows, Eigen::Index cols, bool tangent) {
  MatD m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = tangent ? x[i].b : x[i].a;
  return m;
}

std::vector<double> part(const std::vector<Dual>& x, bool tangent) {
  std::vector<double> out(x.size());
  for (size_t i = 0; i < x.size(); ++i) out[i] = tangent ? x[i].b : x[i].a;
  return out;
}

}  // namespace

bool is_generic_linear(HeadKernel kernel) {
  switch (kernel) {
    case HeadKernel::TransNormer:
    case HeadKernel::InLine:
    case HeadKernel::Cosformer:
    case HeadKernel::Performer:
    case HeadKernel::Hedgehog:
    case HeadKernel::Flatten:
      return true;
    default:
      return false;
  }
}

LinearHeadSpec::LinearHeadSpec(HeadKernel k, const TransformerArch& arch)
    : kernel(k), d(arch.head_dim()) {
  if (!is_generic_linear(k)) throw RunError("LinearHeadSpec: not a generic linear kernel");
  const auto variant = make_transformer_variant(arch);  // the model's own
  F = variant->feature_dim();
  params = variant->num_params();
  if (k == HeadKernel::Hedgehog) f = F / 2;
  if (k == HeadKernel::Performer) {
    f = F;
    omega = attention::gaussian_orthogonal_features(f, d, arch.feature_seed);
  }
}

struct LinearHeadRop::Tangent {
  Head<Dual> head;
};

LinearHeadRop::LinearHeadRop(const LinearHeadSpec& spec, bool causal, const MatD& Q,
                             const MatD& K, const MatD& V, const double* theta)
    : s_(spec), causal_(causal), Q_(Q), K_(K), V_(V) {
  if (theta) theta_.assign(theta, theta + s_.params);
}

LinearHeadRop::~LinearHeadRop() = default;

MatD LinearHeadRop::out() const {
  Head<double> head(s_, causal_, static_cast<int>(Q_.rows()), static_cast<int>(V_.cols()));
  head.q = flat(Q_);
  head.k = flat(K_);
  head.v = flat(V_);
  head.theta = theta_;
  return as_mat(head.forward(), V_.rows(), V_.cols());
}

void LinearHeadRop::tangent(const MatD& RQ, const MatD& RK, const MatD& RV, const double* vtheta) {
  std::vector<double> vt;
  if (vtheta) vt.assign(vtheta, vtheta + s_.params);
  tangent_ = std::make_unique<Tangent>(
      Tangent{Head<Dual>(s_, causal_, static_cast<int>(Q_.rows()), static_cast<int>(V_.cols()))});
  Head<Dual>& head = tangent_->head;
  head.q = dual(Q_, RQ);
  head.k = dual(K_, RK);
  head.v = dual(V_, RV);
  head.theta = dual(theta_, vt);
  r_out_ = part(head.forward(), V_.rows(), V_.cols(), true);
}

void LinearHeadRop::backward(const MatD& dO, const MatD* RdO, HeadGrads& out) const {
  const Eigen::Index N = Q_.rows(), d = Q_.cols(), D = V_.cols();
  if (RdO == nullptr || !tangent_) {
    Head<double> head(s_, causal_, static_cast<int>(N), static_cast<int>(D));
    head.q = flat(Q_);
    head.k = flat(K_);
    head.v = flat(V_);
    head.theta = theta_;
    head.forward();
    std::vector<double> dq, dk, dv;
    head.backward(flat(dO), dq, dk, dv, out.dtheta);
    out.dQ = as_mat(dq, N, d);
    out.dK = as_mat(dk, N, d);
    out.dV = as_mat(dv, N, D);
    return;
  }
  std::vector<Dual> dq, dk, dv, dtheta;
  tangent_->head.backward(dual(dO, *RdO), dq, dk, dv, dtheta);  // after its forward
  out.dQ = part(dq, N, d, false);
  out.dK = part(dk, N, d, false);
  out.dV = part(dv, N, D, false);
  out.RdQ = part(dq, N, d, true);
  out.RdK = part(dk, N, d, true);
  out.RdV = part(dv, N, D, true);
  out.dtheta = part(dtheta, false);
  out.Rdtheta = part(dtheta, true);
}

}  // namespace ridgeline::detail
