#pragma once
/// @file spectral.h
/// Spectral tools for a symmetric linear operator given only by its products (a Hessian:
/// hessian.h): top-k eigenpairs by Lanczos with full reorthogonalisation, the trace by
/// Hutchinson's estimator with Rademacher vectors and its standard error, the spectral
/// density by stochastic Lanczos quadrature (SLQ; Ghorbani, Krishnan & Xiao 2019; Yao et al.
/// 2020, PyHessian), and the linear-stability check against 2/η (Wu, Ma & E 2018). The
/// tridiagonal eigenproblems are solved by LAPACK's dstev. Everything is deterministic given
/// the seed (and a deterministic operator).
#include <cstdint>
#include <functional>
#include <vector>

#include "ridgeline/core/progress.h"

namespace ridgeline {

/// y = A·x for a symmetric A of dimension x.size(); y is resized by the callee.
using SymmetricOp = std::function<void(const std::vector<double>& x, std::vector<double>& y)>;

struct LanczosOptions {
  int k = 1;              ///< how many of the largest (algebraic) eigenvalues
  int max_iter = 100;     ///< Lanczos steps at most (capped at the dimension)
  /// Convergence: every one of the top k Ritz pairs (θ_i, y_i) has residual
  /// ‖A·y_i − θ_i·y_i‖ = β_m·|s_{m,i}| ≤ tol·max_j |θ_j| (the largest Ritz value in
  /// magnitude). The eigenvalue error is then at most that residual, and near residual²/gap.
  double tol = 1e-3;
  uint64_t seed = 0;      ///< of the Gaussian start vector
  bool vectors = true;    ///< also form the Ritz vectors
};

struct EigenResult {
  std::vector<double> values;                ///< the top k Ritz values, largest first
  std::vector<std::vector<double>> vectors;  ///< unit Ritz vectors (when asked)
  std::vector<double> residuals;             ///< ‖A·y_i − θ_i·y_i‖ bound of each
  double smallest = 0;   ///< the smallest Ritz value (an upper bound on λ_min; a rough estimate)
  int iterations = 0;    ///< Lanczos steps = products of A
  bool converged = false;  ///< the criterion was met (or the Krylov space became invariant)
};

/// Lanczos with full reorthogonalisation (classical Gram–Schmidt, twice) from a seeded
/// Gaussian start. `on_step` is called after every product; `cancel` is polled.
EigenResult lanczos_top(size_t n, const SymmetricOp& op, const LanczosOptions& opt,
                        const CancelToken* cancel = nullptr,
                        const std::function<void(int)>& on_step = {});

struct TraceEstimate {
  double mean = 0;  ///< tr(A) ≈ mean of vᵀAv over the samples
  double se = 0;    ///< standard error: sample standard deviation / √samples (NaN for 1)
  std::vector<double> samples;
};

/// Hutchinson's estimator with `samples` Rademacher vectors (±1, seeded).
TraceEstimate hutchinson_trace(size_t n, const SymmetricOp& op, int samples, uint64_t seed,
                               const CancelToken* cancel = nullptr,
                               const std::function<void(int)>& on_sample = {});

/// SLQ: for each of `vectors` seeded Rademacher start vectors (normalised), `steps` Lanczos
/// steps with full reorthogonalisation; nodes are the eigenvalues of the tridiagonal T and
/// weights the squared first components of its eigenvectors (each run's weights sum to 1).
struct SpectralDensity {
  std::vector<std::vector<double>> nodes, weights;  ///< per start vector
  size_t dim = 0;                                   ///< the operator's dimension
  /// The density (integral 1) smoothed by a Gaussian of standard deviation `sigma` on `grid`:
  /// (1/runs) Σ_runs Σ_i w_i·N(t; θ_i, σ²).
  std::vector<double> smoothed(const std::vector<double>& grid, double sigma) const;
  /// PyHessian's display smoothing: σ² = 1e-5·max(1, λ_max − λ_min) over all nodes.
  double default_sigma() const;
  /// Smallest and largest node.
  double min_node() const;
  double max_node() const;
  /// The trace estimate of SLQ itself: dim · mean over runs of Σ_i w_i θ_i.
  double trace() const;
};

SpectralDensity slq_density(size_t n, const SymmetricOp& op, int vectors, int steps,
                            uint64_t seed, const CancelToken* cancel = nullptr,
                            const std::function<void(int)>& on_step = {});

/// Linear stability of a minimum for step size η (Wu, Ma & E 2018): gradient descent is
/// stable when λ_max ≤ 2/η; the SGD criterion used by the design notes is tr(H) ≤ 2/η.
struct StabilityCheck {
  double lr = 0, threshold = 0;  ///< η and 2/η
  double lambda_max = 0, trace = 0;
  bool gd_stable = false, sgd_stable = false;
};
StabilityCheck stability_check(double lr, double lambda_max, double trace);

/// The symmetric tridiagonal eigenproblem (LAPACK dstev): eigenvalues of T = tridiag(beta,
/// alpha, beta) ascending, and with `z` non-null its eigenvectors, column j at z[j·m ...].
std::vector<double> tridiagonal_eigen(const std::vector<double>& alpha,
                                      const std::vector<double>& beta, std::vector<double>* z);

}  // namespace ridgeline
