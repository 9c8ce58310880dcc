// Per-matrix statistics: stable rank, entropy effective rank (Roy & Vetterli 2007), numerical
// rank, WeightWatcher's power-law fit of the ESD tail and the Marchenko–Pastur bulk edge.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "ridgeline/core/errors.h"
#include "ridgeline/spectra/spectra.h"

namespace ridgeline {

PowerLawFit fit_power_law(std::vector<double> evals, const PowerLawOptions& opt) {
  PowerLawFit f;
  evals.erase(std::remove_if(evals.begin(), evals.end(),
                             [](double x) { return !(x > 0) || !std::isfinite(x); }),
              evals.end());
  std::sort(evals.begin(), evals.end());
  const int n = static_cast<int>(evals.size());
  f.n = n;
  if (n < std::max(opt.min_evals, 2)) {
    f.failure = "too few positive eigenvalues (" + std::to_string(n) + " < " +
                std::to_string(std::max(opt.min_evals, 2)) + ")";
    return f;
  }
  if (evals.front() == evals.back()) {
    f.failure = "degenerate spectrum (all eigenvalues equal)";
    return f;
  }
  // Every distinct eigenvalue that leaves at least min_tail values above it is a candidate
  // x_min; α by maximum likelihood of the continuous power law, D the KS distance between
  // the tail's empirical CDF and the fitted one (Clauset, Shalizi & Newman 2009).
  double best_d = std::numeric_limits<double>::infinity();
  for (int s = 0; s + std::max(opt.min_tail, 2) <= n; ++s) {
    if (s > 0 && evals[s] == evals[s - 1]) continue;
    const double xmin = evals[s];
    const int nt = n - s;
    double sum_log = 0;
    for (int i = s; i < n; ++i) sum_log += std::log(evals[i] / xmin);
    if (!(sum_log > 0)) continue;
    const double alpha = 1.0 + nt / sum_log;
    double d = 0;
    for (int i = 0; i < nt; ++i) {
      const double cdf = 1.0 - std::pow(evals[s + i] / xmin, 1.0 - alpha);
      d = std::max({d, std::abs(static_cast<double>(i + 1) / nt - cdf),
                    std::abs(static_cast<double>(i) / nt - cdf)});
    }
    if (d < best_d) {
      best_d = d;
      f.alpha = alpha;
      f.xmin = xmin;
      f.tail = nt;
      f.ks_distance = d;
    }
  }
  if (!std::isfinite(best_d)) {
    f.failure = "no x_min leaves a tail of " + std::to_string(opt.min_tail) +
                " distinct eigenvalues";
    return f;
  }
  f.ok = true;
  f.alpha_se = (f.alpha - 1.0) / std::sqrt(static_cast<double>(f.tail));
  return f;
}

double marchenko_pastur_edge(double sigma2, int rows, int cols) {
  const double big = std::max(rows, cols), small = std::min(rows, cols);
  const double edge = 1.0 + std::sqrt(small / big);
  return big * sigma2 * edge * edge;
}

MatrixSpectrum matrix_spectrum(const std::string& name, const float* w, int rows, int cols,
                               const PowerLawOptions& opt) {
  MatrixSpectrum m;
  m.name = name;
  m.rows = rows;
  m.cols = cols;
  m.singular_values = svd(w, rows, cols, false).s;
  const auto& s = m.singular_values;
  if (s.empty()) return m;
  double sum = 0;
  for (double x : s) {
    m.frobenius_sq += x * x;
    sum += x;
  }
  m.spectral_norm = s.front();
  m.stable_rank = m.spectral_norm > 0 ? m.frobenius_sq / (m.spectral_norm * m.spectral_norm) : 0;
  double h = 0;
  if (sum > 0)
    for (double x : s)
      if (x > 0) h -= (x / sum) * std::log(x / sum);
  m.entropy_rank = sum > 0 ? std::exp(h) : 0;
  // The weights are float32: the tolerance uses float32's ε (as numpy.linalg.matrix_rank does
  // for the array's dtype).
  const double tol = m.spectral_norm * std::max(rows, cols) *
                     static_cast<double>(std::numeric_limits<float>::epsilon());
  m.numerical_rank = static_cast<int>(std::count_if(s.begin(), s.end(), [&](double x) { return x > tol; }));
  std::vector<double> evals(s.size());
  std::transform(s.begin(), s.end(), evals.begin(), [](double x) { return x * x; });
  m.fit = fit_power_law(evals, opt);
  m.mp_sigma2 = m.frobenius_sq / (static_cast<double>(rows) * cols);
  m.mp_edge = marchenko_pastur_edge(m.mp_sigma2, rows, cols);
  m.mp_spikes = static_cast<int>(
      std::count_if(evals.begin(), evals.end(), [&](double l) { return l > m.mp_edge; }));
  return m;
}

std::vector<ParamBlockInfo> weight_matrices(const ModelArch& arch) {
  std::vector<ParamBlockInfo> out;
  for (auto& b : arch.blocks())
    if (b.shape.size() == 2 && b.shape[0] > 0 && b.shape[1] > 0) out.push_back(b);
  return out;
}

ModelSpectra model_spectra(const Model& model, const std::string& name, const PowerLawOptions& opt) {
  ModelSpectra out;
  out.model = name;
  const auto mats = weight_matrices(model.architecture());
  if (mats.empty())
    throw InputError(name + ": the model (" + model.architecture().to_string() +
                     ") has no weight matrices");
  for (const auto& b : mats)
    out.layers.push_back(matrix_spectrum(b.name, model.params.data() + b.offset,
                                         static_cast<int>(b.shape[0]), static_cast<int>(b.shape[1]),
                                         opt));
  return out;
}

std::vector<double> default_gammas() {
  std::vector<double> g;
  for (int i = 0; i <= 10; ++i) g.push_back(i / 10.0);
  return g;
}

}  // namespace ridgeline
