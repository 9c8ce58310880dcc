// Lanczos, Hutchinson and stochastic Lanczos quadrature (see spectral.h).
#include "ridgeline/curvature/spectral.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <random>

#include "core/huge_buffer.h"
#include "ridgeline/core/errors.h"

extern "C" void dstev_(const char* jobz, const int* n, double* d, double* e, double* z,
                       const int* ldz, double* work, int* info);

namespace ridgeline {

namespace {

// Vector kernels over blocks of a fixed size, in parallel: each block's partial sums are
// formed by one thread in a fixed order (eight interleaved accumulators, so the loop
// vectorises without reassociating anything at run time) and the blocks are added in order,
// so the results do not depend on the thread count (bit-identical runs).
constexpr size_t kBlock = 4096;
constexpr size_t kLanes = 8;

double block_dot(const double* a, const double* b, size_t lo, size_t hi) {
  double acc[kLanes] = {};
  size_t t = lo;
  for (; t + kLanes <= hi; t += kLanes)
    for (size_t l = 0; l < kLanes; ++l) acc[l] += a[t + l] * b[t + l];
  double s = 0;
  for (; t < hi; ++t) s += a[t] * b[t];
  for (size_t l = 0; l < kLanes; ++l) s += acc[l];
  return s;
}

size_t blocks(size_t n) { return (n + kBlock - 1) / kBlock; }

// c[i] = Q[i]·w for the m vectors Q[i] (of n entries).
std::vector<double> coefficients(const double* const* Q, size_t m, const double* w, size_t n) {
  const size_t nb = blocks(n);
  std::vector<double> part(nb * m);
#pragma omp parallel for schedule(static)
  for (long long b = 0; b < static_cast<long long>(nb); ++b) {
    const size_t lo = b * kBlock, hi = std::min(n, lo + kBlock);
    for (size_t i = 0; i < m; ++i) part[b * m + i] = block_dot(Q[i], w, lo, hi);
  }
  std::vector<double> c(m, 0.0);
  for (size_t b = 0; b < nb; ++b)
    for (size_t i = 0; i < m; ++i) c[i] += part[b * m + i];
  return c;
}

// w −= Σ_i c[i]·Q[i]; returns ‖w‖² afterwards (the same pass).
double subtract(const double* const* Q, const std::vector<double>& c, double* w, size_t n) {
  const size_t nb = blocks(n);
  std::vector<double> part(nb);
#pragma omp parallel for schedule(static)
  for (long long b = 0; b < static_cast<long long>(nb); ++b) {
    const size_t lo = b * kBlock, hi = std::min(n, lo + kBlock);
    for (size_t i = 0; i < c.size(); ++i) {
      const double* q = Q[i];
      const double ci = c[i];
      for (size_t t = lo; t < hi; ++t) w[t] -= ci * q[t];
    }
    part[b] = block_dot(w, w, lo, hi);
  }
  double s = 0;
  for (double x : part) s += x;
  return s;
}

double dot(const double* a, const double* b, size_t n) {
  const double* one[] = {a};
  return coefficients(one, 1, b, n)[0];
}

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  return dot(a.data(), b.data(), a.size());
}

// out[t] = w[t]·s (and copy[t] the same when given), in parallel.
void scale_into(const double* w, double s, double* out, double* copy, size_t n) {
  const size_t nb = blocks(n);
#pragma omp parallel for schedule(static)
  for (long long b = 0; b < static_cast<long long>(nb); ++b) {
    const size_t lo = b * kBlock, hi = std::min(n, lo + kBlock);
    for (size_t t = lo; t < hi; ++t) out[t] = w[t] * s;
    if (copy)
      for (size_t t = lo; t < hi; ++t) copy[t] = out[t];
  }
}

// Seeded vectors, the same on every machine (mt19937_64 bits; Box–Muller for normals).
std::vector<double> gaussian(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull);
  auto u = [&] { return (static_cast<double>(rng() >> 11) + 0.5) * 0x1.0p-53; };
  std::vector<double> v(n);
  for (double& e : v) e = std::sqrt(-2.0 * std::log(u())) * std::cos(2.0 * std::numbers::pi * u());
  return v;
}

std::vector<double> rademacher(std::mt19937_64& rng, size_t n) {
  std::vector<double> v(n);
  uint64_t bits = 0;
  for (size_t i = 0; i < n; ++i) {
    if (i % 64 == 0) bits = rng();
    v[i] = (bits >> (i % 64)) & 1 ? 1.0 : -1.0;
  }
  return v;
}

// Lanczos with full reorthogonalisation from the unit vector q0. After each step `done`
// sees (alpha, beta, β of the step) and returns true to stop. Breakdown (β ≤ 1e-12 of the
// largest |α| seen) stops as an invariant Krylov space. Returns the basis; alpha and beta
// (m and m−1 entries) are T's diagonal and off-diagonal; last_beta the final step's β.
// The basis vectors live in huge-page buffers (core/huge_buffer.h), written once each.
struct LanczosRun {
  std::vector<HugeBuffer> Q;
  std::vector<double> alpha, beta;
  double last_beta = 0;
  bool invariant = false;
};

LanczosRun lanczos(size_t n, const SymmetricOp& op, std::vector<double> q0, int steps,
                   const CancelToken* cancel, const std::function<void(int)>& on_step,
                   const std::function<bool(const LanczosRun&)>& done) {
  LanczosRun r;
  steps = static_cast<int>(std::min<size_t>(static_cast<size_t>(std::max(steps, 1)), n));
  r.Q.emplace_back(n);
  std::copy(q0.begin(), q0.end(), r.Q.back().data());
  std::vector<double>& q = q0;  // the operator's input: q_j (SymmetricOp takes a vector)
  std::vector<double> w;
  std::vector<const double*> Q;
  double scale = 0;
  for (int j = 0; j < steps; ++j) {
    if (cancel) cancel->check();
    op(q, w);
    if (w.size() != n) throw RunError("lanczos: the operator returned a vector of another size");
    if (on_step) on_step(j + 1);
    // The three-term recurrence w −= α_j q_j + β_{j−1} q_{j−1}, then full reorthogonalisation
    // of w against every basis vector by classical Gram–Schmidt (one pass over the basis for
    // all coefficients, one for the update and ‖w‖²), repeated once when the pass removed more
    // than 1 − 1/√2 of w's norm (the DGKS criterion; Daniel, Gragg, Kaufman & Stewart 1976).
    Q.push_back(r.Q[j].data());
    const double* last[] = {Q[j], j > 0 ? Q[j - 1] : nullptr};
    double a = dot(Q[j], w.data(), n);
    double norm2 = subtract(last, j > 0 ? std::vector<double>{a, r.beta[j - 1]}
                                        : std::vector<double>{a},
                            w.data(), n);
    for (int pass = 0; pass < 2; ++pass) {
      const double before = norm2;
      const std::vector<double> c = coefficients(Q.data(), Q.size(), w.data(), n);
      a += c[j];
      norm2 = subtract(Q.data(), c, w.data(), n);
      if (norm2 >= before / 2.0) break;
    }
    r.alpha.push_back(a);
    scale = std::max(scale, std::abs(a));
    const double b = std::sqrt(norm2);
    r.last_beta = b;
    if (!std::isfinite(a) || !std::isfinite(b))
      throw RunError("lanczos: the operator produced a non-finite value");
    if (b <= 1e-12 * std::max(scale, std::numeric_limits<double>::min())) {
      r.invariant = true;
      r.last_beta = 0;
      return r;
    }
    if ((done && done(r)) || j + 1 == steps) return r;
    r.beta.push_back(b);
    r.Q.emplace_back(n);
    scale_into(w.data(), 1.0 / b, r.Q.back().data(), q.data(), n);
  }
  return r;
}

}  // namespace

std::vector<double> tridiagonal_eigen(const std::vector<double>& alpha,
                                      const std::vector<double>& beta, std::vector<double>* z) {
  const int m = static_cast<int>(alpha.size());
  if (m == 0) return {};
  if (static_cast<int>(beta.size()) < m - 1)
    throw RunError("tridiagonal_eigen: too few off-diagonal entries");
  std::vector<double> d = alpha, e(beta.begin(), beta.begin() + (m - 1)), work(std::max(1, 2 * m - 2));
  e.push_back(0.0);  // dstev reads at most m−1 entries; keeps the pointer valid for m = 1
  const char jobz = z ? 'V' : 'N';
  if (z) z->assign(static_cast<size_t>(m) * m, 0.0);
  int info = 0;
  double dummy = 0;
  dstev_(&jobz, &m, d.data(), e.data(), z ? z->data() : &dummy, &m, work.data(), &info);
  if (info != 0)
    throw RunError("tridiagonal_eigen: LAPACK dstev failed (info " + std::to_string(info) + ")");
  return d;
}

EigenResult lanczos_top(size_t n, const SymmetricOp& op, const LanczosOptions& opt,
                        const CancelToken* cancel, const std::function<void(int)>& on_step) {
  if (n == 0) throw InputError("lanczos: the operator has no dimension");
  if (opt.k < 1) throw InputError("lanczos: k must be at least 1");
  const int k = static_cast<int>(std::min<size_t>(static_cast<size_t>(opt.k), n));
  std::vector<double> q0 = gaussian(n, opt.seed);
  const double norm = std::sqrt(dot(q0, q0));
  for (double& e : q0) e /= norm;
  std::vector<double> theta, z;
  // Residual bounds of the top k Ritz pairs of T_m: β_m·|last component of s_i|.
  auto top_residuals = [&](const LanczosRun& r, double beta, std::vector<double>& res) {
    theta = tridiagonal_eigen(r.alpha, r.beta, &z);
    const int m = static_cast<int>(theta.size());
    res.clear();
    for (int i = 0; i < std::min(k, m); ++i) {
      const int col = m - 1 - i;
      res.push_back(beta * std::abs(z[static_cast<size_t>(col) * m + (m - 1)]));
    }
  };
  std::vector<double> res;
  bool met = false;
  auto done = [&](const LanczosRun& r) {
    if (static_cast<int>(r.alpha.size()) < k) return false;
    top_residuals(r, r.last_beta, res);
    double big = 0;
    for (double t : theta) big = std::max(big, std::abs(t));
    met = true;
    for (double e : res) met = met && e <= opt.tol * big;
    return met;
  };
  LanczosRun run = lanczos(n, op, std::move(q0), opt.max_iter, cancel, on_step, done);
  top_residuals(run, run.last_beta, res);
  EigenResult out;
  const int m = static_cast<int>(theta.size());
  out.iterations = static_cast<int>(run.alpha.size());
  out.converged = run.invariant || met || static_cast<size_t>(m) == n;
  out.smallest = theta.front();
  out.residuals = res;
  for (int i = 0; i < std::min(k, m); ++i) {
    const int col = m - 1 - i;
    out.values.push_back(theta[col]);
  }
  // The Ritz vectors y_i = Σ_j z_ji q_j, all in one pass over the basis.
  const int kk = std::min(k, m);
  if (opt.vectors && kk > 0) {
    out.vectors.assign(kk, std::vector<double>(n));
    const size_t nb = blocks(n);
#pragma omp parallel for schedule(static)
    for (long long b = 0; b < static_cast<long long>(nb); ++b) {
      const size_t lo = b * kBlock, hi = std::min(n, lo + kBlock);
      for (int i = 0; i < kk; ++i) {
        const int col = m - 1 - i;
        double* y = out.vectors[i].data();
        std::fill(y + lo, y + hi, 0.0);
        for (int j = 0; j < m; ++j) {
          const double s = z[static_cast<size_t>(col) * m + j];
          const double* qj = run.Q[j].data();
          for (size_t t = lo; t < hi; ++t) y[t] += s * qj[t];
        }
      }
    }
    for (auto& y : out.vectors) {
      const double ny = std::sqrt(dot(y, y));
      scale_into(y.data(), 1.0 / ny, y.data(), nullptr, n);
    }
  }
  return out;
}

TraceEstimate hutchinson_trace(size_t n, const SymmetricOp& op, int samples, uint64_t seed,
                               const CancelToken* cancel,
                               const std::function<void(int)>& on_sample) {
  if (samples < 1) throw InputError("hutchinson: samples must be at least 1");
  std::mt19937_64 rng(seed * 0xD1B54A32D192ED03ull + 0x8CB92BA72F3D8DD7ull);
  TraceEstimate t;
  std::vector<double> hv;
  for (int s = 0; s < samples; ++s) {
    if (cancel) cancel->check();
    const std::vector<double> v = rademacher(rng, n);
    op(v, hv);
    t.samples.push_back(dot(v, hv));
    if (on_sample) on_sample(s + 1);
  }
  double sum = 0;
  for (double x : t.samples) sum += x;
  t.mean = sum / samples;
  if (samples < 2) {
    t.se = std::numeric_limits<double>::quiet_NaN();
  } else {
    double ss = 0;
    for (double x : t.samples) ss += (x - t.mean) * (x - t.mean);
    t.se = std::sqrt(ss / (samples - 1) / samples);
  }
  return t;
}

SpectralDensity slq_density(size_t n, const SymmetricOp& op, int vectors, int steps,
                            uint64_t seed, const CancelToken* cancel,
                            const std::function<void(int)>& on_step) {
  if (vectors < 1 || steps < 1) throw InputError("slq: vectors and steps must be at least 1");
  std::mt19937_64 rng(seed * 0xA0761D6478BD642Full + 0xE7037ED1A0B428DBull);
  SpectralDensity d;
  d.dim = n;
  int done_steps = 0;
  for (int v = 0; v < vectors; ++v) {
    std::vector<double> q0 = rademacher(rng, n);
    const double norm = std::sqrt(static_cast<double>(n));
    for (double& e : q0) e /= norm;
    const int base = done_steps;
    LanczosRun run = lanczos(n, op, std::move(q0), steps, cancel,
                             [&](int j) {
                               done_steps = base + j;
                               if (on_step) on_step(done_steps);
                             },
                             {});
    std::vector<double> z;
    std::vector<double> theta = tridiagonal_eigen(run.alpha, run.beta, &z);
    const size_t m = theta.size();
    std::vector<double> w(m);
    for (size_t j = 0; j < m; ++j) w[j] = z[j * m] * z[j * m];  // first component squared
    d.nodes.push_back(std::move(theta));
    d.weights.push_back(std::move(w));
  }
  return d;
}

double SpectralDensity::min_node() const {
  double m = std::numeric_limits<double>::infinity();
  for (const auto& r : nodes)
    for (double t : r) m = std::min(m, t);
  return m;
}

double SpectralDensity::max_node() const {
  double m = -std::numeric_limits<double>::infinity();
  for (const auto& r : nodes)
    for (double t : r) m = std::max(m, t);
  return m;
}

double SpectralDensity::default_sigma() const {
  return std::sqrt(1e-5 * std::max(1.0, max_node() - min_node()));
}

std::vector<double> SpectralDensity::smoothed(const std::vector<double>& grid,
                                              double sigma) const {
  std::vector<double> out(grid.size(), 0.0);
  if (nodes.empty() || !(sigma > 0)) return out;
  const double c = 1.0 / (std::sqrt(2.0 * std::numbers::pi) * sigma * nodes.size());
  for (size_t r = 0; r < nodes.size(); ++r)
    for (size_t i = 0; i < nodes[r].size(); ++i)
      for (size_t g = 0; g < grid.size(); ++g) {
        const double u = (grid[g] - nodes[r][i]) / sigma;
        out[g] += c * weights[r][i] * std::exp(-0.5 * u * u);
      }
  return out;
}

double SpectralDensity::trace() const {
  if (nodes.empty()) return std::numeric_limits<double>::quiet_NaN();
  double s = 0;
  for (size_t r = 0; r < nodes.size(); ++r)
    for (size_t i = 0; i < nodes[r].size(); ++i) s += weights[r][i] * nodes[r][i];
  return s * static_cast<double>(dim) / nodes.size();
}

StabilityCheck stability_check(double lr, double lambda_max, double trace) {
  if (!(lr > 0) || !std::isfinite(lr))
    throw InputError("stability: the learning rate must be a positive number");
  StabilityCheck s;
  s.lr = lr;
  s.threshold = 2.0 / lr;
  s.lambda_max = lambda_max;
  s.trace = trace;
  s.gd_stable = lambda_max <= s.threshold;
  s.sgd_stable = trace <= s.threshold;
  return s;
}

}  // namespace ridgeline
