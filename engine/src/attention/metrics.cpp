// Metrics of one attention map (ridgeline/attention/metrics.h; the formulas are in
// docs/USER_GUIDE.md, "Attention lab: tasks and metrics").
#include "io/json_number.h"
#include "ridgeline/attention/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <numeric>
#include <string>

#include "ridgeline/core/errors.h"
#include "ridgeline/spectra/spectra.h"

namespace ridgeline {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void check_map(const char* what, const std::vector<double>& a, int n) {
  if (n < 1 || a.size() != static_cast<size_t>(n) * static_cast<size_t>(n))
    throw InputError(std::string(what) + ": the map holds " + std::to_string(a.size()) +
                     " values, not n×n with n = " + std::to_string(n));
  for (double x : a)
    if (!std::isfinite(x))
      throw InputError(std::string(what) + ": the map holds a non-finite weight");
}

void check_vectors(const char* what, const char* name, const std::vector<double>& v, int rows,
                   int d) {
  if (d < 1 || v.size() != static_cast<size_t>(rows) * static_cast<size_t>(d))
    throw InputError(std::string(what) + ": " + name + " holds " + std::to_string(v.size()) +
                     " values, not " + std::to_string(rows) + "×d with d = " + std::to_string(d));
  for (double x : v)
    if (!std::isfinite(x))
      throw InputError(std::string(what) + ": " + name + " holds a non-finite value");
}

// Mean of the finite values (NaN when there are none).
double finite_mean(const std::vector<double>& v) {
  double s = 0;
  int c = 0;
  for (double x : v)
    if (!std::isnan(x)) {
      s += x;
      ++c;
    }
  return c > 0 ? s / c : kNaN;
}

// Average ranks (1-based; ties share the mean of their positions).
std::vector<double> average_ranks(const std::vector<double>& x) {
  std::vector<size_t> idx(x.size());
  std::iota(idx.begin(), idx.end(), size_t{0});
  std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return x[a] < x[b]; });
  std::vector<double> r(x.size());
  for (size_t s = 0; s < idx.size();) {
    size_t e = s + 1;
    while (e < idx.size() && x[idx[e]] == x[idx[s]]) ++e;
    const double mean_rank = (static_cast<double>(s + 1) + static_cast<double>(e)) / 2;
    for (size_t t = s; t < e; ++t) r[idx[t]] = mean_rank;
    s = e;
  }
  return r;
}

double entropy(const double* p, int len) {
  double h = 0;
  for (int j = 0; j < len; ++j)
    if (p[j] > 0) h -= p[j] * std::log(p[j]);
  return h;
}

}  // namespace

EntropyStats row_entropy(const std::vector<double>& a, int n, bool causal) {
  check_map("row entropy", a, n);
  EntropyStats s;
  s.per_row.assign(n, kNaN);
  if (causal) s.normalised.assign(n, kNaN);
  for (int i = 0; i < n; ++i) {
    const double* row = a.data() + static_cast<size_t>(i) * n;
    if (std::any_of(row, row + n, [](double x) { return x < 0; })) {
      ++s.undefined_rows;
      continue;
    }
    s.per_row[i] = entropy(row, n);
    if (causal && i > 0) s.normalised[i] = s.per_row[i] / std::log(i + 1.0);
  }
  s.mean = finite_mean(s.per_row);
  s.normalised_mean = causal ? finite_mean(s.normalised) : kNaN;
  return s;
}

NegativeMass negative_mass(const std::vector<double>& a, int n) {
  check_map("negative mass", a, n);
  NegativeMass m;
  m.per_row.assign(n, 0);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) m.per_row[i] += std::min(a[static_cast<size_t>(i) * n + j], 0.0);
    m.rows_with_negative += m.per_row[i] < 0;
  }
  m.mean = finite_mean(m.per_row);
  return m;
}

double spearman(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() != y.size())
    throw InputError("spearman: " + std::to_string(x.size()) + " and " + std::to_string(y.size()) +
                     " values");
  if (x.size() < 2) return kNaN;
  const std::vector<double> rx = average_ranks(x), ry = average_ranks(y);
  const double m = (static_cast<double>(x.size()) + 1) / 2;  // the mean rank, ties or not
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t t = 0; t < x.size(); ++t) {
    sxy += (rx[t] - m) * (ry[t] - m);
    sxx += (rx[t] - m) * (rx[t] - m);
    syy += (ry[t] - m) * (ry[t] - m);
  }
  if (sxx == 0 || syy == 0) return kNaN;
  return sxy / std::sqrt(sxx * syy);
}

Monotonicity dot_product_monotonicity(const std::vector<double>& a, int n,
                                      const std::vector<double>& q, const std::vector<double>& k,
                                      int d, bool causal) {
  check_map("monotonicity", a, n);
  check_vectors("monotonicity", "q", q, n, d);
  check_vectors("monotonicity", "k", k, n, d);
  Monotonicity m;
  m.per_row.assign(n, kNaN);
  std::vector<double> dots, weights;
  for (int i = 0; i < n; ++i) {
    const int keys = causal ? i + 1 : n;
    dots.assign(keys, 0);
    weights.assign(keys, 0);
    for (int j = 0; j < keys; ++j) {
      double s = 0;
      for (int c = 0; c < d; ++c)
        s += q[static_cast<size_t>(i) * d + c] * k[static_cast<size_t>(j) * d + c];
      dots[j] = s;
      weights[j] = a[static_cast<size_t>(i) * n + j];
    }
    m.per_row[i] = spearman(dots, weights);
  }
  m.mean = finite_mean(m.per_row);
  return m;
}

Monotonicity discordant_pair_rate(const std::vector<double>& a, int n, const std::vector<double>& q,
                                  const std::vector<double>& k, int d, bool causal) {
  check_map("discordant pairs", a, n);
  check_vectors("discordant pairs", "q", q, n, d);
  check_vectors("discordant pairs", "k", k, n, d);
  Monotonicity m;
  m.per_row.assign(n, kNaN);
  std::vector<double> dots;
  for (int i = 0; i < n; ++i) {
    const int keys = causal ? i + 1 : n;
    dots.assign(keys, 0);
    for (int j = 0; j < keys; ++j)
      for (int c = 0; c < d; ++c)
        dots[j] += q[static_cast<size_t>(i) * d + c] * k[static_cast<size_t>(j) * d + c];
    const double* row = a.data() + static_cast<size_t>(i) * n;
    int64_t pairs = 0, discordant = 0;
    for (int j = 0; j < keys; ++j)
      for (int jj = j + 1; jj < keys; ++jj) {
        const double ds = dots[j] - dots[jj];
        if (ds == 0) continue;
        ++pairs;
        discordant += ds * (row[j] - row[jj]) < 0;
      }
    if (pairs > 0) m.per_row[i] = static_cast<double>(discordant) / static_cast<double>(pairs);
  }
  m.mean = finite_mean(m.per_row);
  return m;
}

MapSpectrum map_spectrum(const std::vector<double>& a, int n, double rank_eps) {
  check_map("map spectrum", a, n);
  MapSpectrum s;
  s.singular_values = svd(a.data(), n, n, false).s;
  const double smax = s.singular_values.empty() ? 0 : s.singular_values.front();
  if (smax <= 0) return s;
  const double tol = smax * n * rank_eps;
  double sum = 0, sq = 0;
  for (double x : s.singular_values) {
    s.numerical_rank += x > tol;
    sum += x;
    sq += x * x;
  }
  double h = 0;
  for (double x : s.singular_values)
    if (x > 0) h -= (x / sum) * std::log(x / sum);
  s.effective_rank = std::exp(h);
  s.stable_rank = sq / (smax * smax);
  return s;
}

double total_variation(const std::vector<double>& p, const std::vector<double>& r) {
  if (p.size() != r.size())
    throw InputError("total variation: rows of " + std::to_string(p.size()) + " and " +
                     std::to_string(r.size()) + " weights");
  double s = 0;
  for (size_t j = 0; j < p.size(); ++j) s += std::abs(p[j] - r[j]);
  return s / 2;
}

ScaleCollision scale_collision(const AttentionRowFn& att, const std::vector<double>& q, int n_q,
                               int d, const std::vector<double>& alphas) {
  check_vectors("scale collision", "q", q, n_q, d);
  for (double al : alphas)
    if (!(std::isfinite(al) && al > 0))
      throw InputError("scale collision: every α must be a positive number");
  ScaleCollision s;
  s.alphas = alphas;
  s.mean_tv.assign(alphas.size(), 0);
  s.min_tv.assign(alphas.size(), std::numeric_limits<double>::infinity());
  std::vector<double> qi(d), scaled(d);
  for (int i = 0; i < n_q; ++i) {
    std::copy(q.begin() + static_cast<ptrdiff_t>(i) * d,
              q.begin() + static_cast<ptrdiff_t>(i + 1) * d, qi.begin());
    const std::vector<double> base = att(qi);
    for (size_t t = 0; t < alphas.size(); ++t) {
      for (int c = 0; c < d; ++c) scaled[c] = alphas[t] * qi[c];
      const double tv = total_variation(base, att(scaled));
      s.mean_tv[t] += tv / n_q;
      s.min_tv[t] = std::min(s.min_tv[t], tv);
    }
  }
  return s;
}

CollisionRate collision_rate(const std::vector<double>& a, int n, const std::vector<double>& q,
                             int d, double eps, double delta, bool normalise) {
  check_map("collision rate", a, n);
  check_vectors("collision rate", "q", q, n, d);
  std::vector<double> u = q;
  if (normalise)
    for (int i = 0; i < n; ++i) {
      double norm = 0;
      for (int c = 0; c < d; ++c)
        norm += u[static_cast<size_t>(i) * d + c] * u[static_cast<size_t>(i) * d + c];
      norm = std::sqrt(norm);
      if (norm > 0)
        for (int c = 0; c < d; ++c) u[static_cast<size_t>(i) * d + c] /= norm;
    }
  CollisionRate r;
  for (int x = 0; x < n; ++x)
    for (int y = x + 1; y < n; ++y) {
      double dist = 0;
      for (int c = 0; c < d; ++c) {
        const double diff = u[static_cast<size_t>(x) * d + c] - u[static_cast<size_t>(y) * d + c];
        dist += diff * diff;
      }
      if (std::sqrt(dist) <= eps) continue;
      ++r.distinct_pairs;
      double tv = 0;
      for (int j = 0; j < n; ++j)
        tv += std::abs(a[static_cast<size_t>(x) * n + j] - a[static_cast<size_t>(y) * n + j]);
      r.collisions += tv / 2 < delta;
    }
  r.rate = r.distinct_pairs > 0
               ? static_cast<double>(r.collisions) / static_cast<double>(r.distinct_pairs)
               : kNaN;
  return r;
}

Locality locality_1d(const std::vector<double>& a, int n, int r) {
  check_map("locality", a, n);
  if (r < 0) throw InputError("locality: the radius must be ≥ 0, got " + std::to_string(r));
  Locality l;
  l.per_row.assign(n, 0);
  for (int i = 0; i < n; ++i)
    for (int j = std::max(0, i - r); j <= std::min(n - 1, i + r); ++j)
      l.per_row[i] += a[static_cast<size_t>(i) * n + j];
  l.mean = finite_mean(l.per_row);
  return l;
}

Locality locality_2d(const std::vector<double>& a, int n, int h, int w, int r, bool class_token) {
  check_map("locality", a, n);
  if (r < 0) throw InputError("locality: the radius must be ≥ 0, got " + std::to_string(r));
  const int first = class_token ? 1 : 0;
  if (h < 1 || w < 1 || static_cast<int64_t>(h) * w + first != n)
    throw InputError("locality: a " + std::to_string(h) + "×" + std::to_string(w) + " patch grid" +
                     (class_token ? " with a class token" : "") + " does not have " +
                     std::to_string(n) + " tokens");
  Locality l;
  l.per_row.assign(n, kNaN);
  for (int i = first; i < n; ++i) {
    const int pi = (i - first) / w, pj = (i - first) % w;
    double s = 0;
    for (int y = std::max(0, pi - r); y <= std::min(h - 1, pi + r); ++y)
      for (int x = std::max(0, pj - r); x <= std::min(w - 1, pj + r); ++x)
        s += a[static_cast<size_t>(i) * n + first + y * w + x];
    l.per_row[i] = s;
  }
  l.mean = finite_mean(l.per_row);
  return l;
}

std::vector<double> dilution_curve(const std::vector<double>& a, int n,
                                   const std::vector<double>& radii) {
  check_map("dilution", a, n);
  std::vector<double> out;
  for (double r : radii) {
    if (!(r >= 0 && r <= 1))
      throw InputError("dilution: every radius must be a fraction in [0, 1]");
    const double reach = r * n;
    double s = 0;
    for (int i = 0; i < n; ++i)
      for (int j = 0; j < n; ++j)
        if (std::abs(i - j) <= reach) s += a[static_cast<size_t>(i) * n + j];
    out.push_back(s / n);
  }
  return out;
}

std::vector<double> default_dilution_radii() {
  std::vector<double> r;
  for (int t = 0; t <= 20; ++t) r.push_back(t / 20.0);
  return r;
}

Fidelity fidelity(const std::vector<double>& softmax_map, const std::vector<double>& a_hat, int n,
                  double floor) {
  check_map("fidelity (softmax map)", softmax_map, n);
  check_map("fidelity (compared map)", a_hat, n);
  if (!(floor >= 0)) throw InputError("fidelity: the floor must be ≥ 0");
  Fidelity f;
  f.cross_entropy.assign(n, 0);
  f.kl.assign(n, 0);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      const double p = softmax_map[static_cast<size_t>(i) * n + j];
      if (p <= 0) continue;
      const double qh = std::max(a_hat[static_cast<size_t>(i) * n + j], floor);
      const double lq = qh > 0 ? std::log(qh) : -std::numeric_limits<double>::infinity();
      f.cross_entropy[i] -= p * lq;
      f.kl[i] += p * (std::log(p) - lq);
    }
  f.mean_cross_entropy = finite_mean(f.cross_entropy);
  f.mean_kl = finite_mean(f.kl);
  return f;
}

double output_mse(const std::vector<double>& a, const std::vector<double>& a_hat, int n,
                  const std::vector<double>& v, int dv) {
  check_map("output error", a, n);
  check_map("output error", a_hat, n);
  check_vectors("output error", "v", v, n, dv);
  double s = 0;
  for (int i = 0; i < n; ++i)
    for (int c = 0; c < dv; ++c) {
      double diff = 0;
      for (int j = 0; j < n; ++j)
        diff += (a_hat[static_cast<size_t>(i) * n + j] - a[static_cast<size_t>(i) * n + j]) *
                v[static_cast<size_t>(j) * dv + c];
      s += diff * diff;
    }
  return s / n;
}

MapMetrics map_metrics(const std::vector<double>& a, int n, const MapMetricsOptions& o,
                       const std::vector<double>* q, const std::vector<double>* k, int d,
                       const std::vector<double>* softmax_reference) {
  if ((q == nullptr) != (k == nullptr))
    throw InputError("map metrics: give both q and k, or neither");
  MapMetrics m;
  m.n = n;
  const EntropyStats e = row_entropy(a, n, o.causal);
  m.entropy = e.mean;
  m.normalised_entropy = e.normalised_mean;
  m.negative_mass = negative_mass(a, n).mean;
  m.monotonicity = q ? dot_product_monotonicity(a, n, *q, *k, d, o.causal).mean : kNaN;
  const MapSpectrum s = map_spectrum(a, n, o.rank_eps);
  m.singular_values = s.singular_values;
  m.numerical_rank = s.numerical_rank;
  m.effective_rank = s.effective_rank;
  m.stable_rank = s.stable_rank;
  m.radii = o.radii;
  for (int r : o.radii) m.locality.push_back(locality_1d(a, n, r).mean);
  m.locality_grid =
      o.grid_h > 0 ? locality_2d(a, n, o.grid_h, o.grid_w, 1, o.class_token).mean : kNaN;
  m.dilution_radii = o.dilution_radii;
  m.dilution = dilution_curve(a, n, o.dilution_radii);
  if (softmax_reference) {
    const Fidelity f = fidelity(*softmax_reference, a, n, o.fidelity_floor);
    m.kl = f.mean_kl;
    m.cross_entropy = f.mean_cross_entropy;
  } else {
    m.kl = m.cross_entropy = kNaN;
  }
  return m;
}

MapMetrics mean_metrics(const std::vector<MapMetrics>& all) {
  MapMetrics out;
  out.maps = static_cast<int>(all.size());
  if (all.empty()) return out;
  const MapMetrics& f = all.front();
  for (const MapMetrics& m : all)
    if (m.n != f.n || m.radii != f.radii || m.dilution_radii != f.dilution_radii ||
        m.singular_values.size() != f.singular_values.size())
      throw InputError("map metrics: the maps to average differ in size or radii");
  out.n = f.n;
  out.radii = f.radii;
  out.dilution_radii = f.dilution_radii;
  // NaN-skipping mean of one number; weighted by each entry's own count of maps.
  auto mean = [&](auto get) {
    double s = 0, w = 0;
    for (const MapMetrics& m : all) {
      const double x = get(m);
      if (std::isnan(x)) continue;
      s += x * m.maps;
      w += m.maps;
    }
    return w > 0 ? s / w : kNaN;
  };
  out.maps = 0;
  for (const MapMetrics& m : all) out.maps += m.maps;
  out.entropy = mean([](const MapMetrics& m) { return m.entropy; });
  out.normalised_entropy = mean([](const MapMetrics& m) { return m.normalised_entropy; });
  out.negative_mass = mean([](const MapMetrics& m) { return m.negative_mass; });
  out.monotonicity = mean([](const MapMetrics& m) { return m.monotonicity; });
  out.numerical_rank = mean([](const MapMetrics& m) { return m.numerical_rank; });
  out.effective_rank = mean([](const MapMetrics& m) { return m.effective_rank; });
  out.stable_rank = mean([](const MapMetrics& m) { return m.stable_rank; });
  out.locality_grid = mean([](const MapMetrics& m) { return m.locality_grid; });
  out.kl = mean([](const MapMetrics& m) { return m.kl; });
  out.cross_entropy = mean([](const MapMetrics& m) { return m.cross_entropy; });
  for (size_t t = 0; t < f.singular_values.size(); ++t)
    out.singular_values.push_back(mean([t](const MapMetrics& m) { return m.singular_values[t]; }));
  for (size_t t = 0; t < f.locality.size(); ++t)
    out.locality.push_back(mean([t](const MapMetrics& m) { return m.locality[t]; }));
  for (size_t t = 0; t < f.dilution.size(); ++t)
    out.dilution.push_back(mean([t](const MapMetrics& m) { return m.dilution[t]; }));
  return out;
}

std::string map_metrics_json(const MapMetrics& m, int indent) {
  auto num = [](double x) { return json_number::or_null(x); };
  auto arr = [](const std::vector<double>& v) { return json_number::or_null(v); };
  nlohmann::ordered_json j;
  j["n"] = m.n;
  j["maps"] = m.maps;
  j["entropy"] = num(m.entropy);
  j["normalised_entropy"] = num(m.normalised_entropy);
  j["negative_mass"] = num(m.negative_mass);
  j["monotonicity"] = num(m.monotonicity);
  j["numerical_rank"] = num(m.numerical_rank);
  j["effective_rank"] = num(m.effective_rank);
  j["stable_rank"] = num(m.stable_rank);
  j["singular_values"] = arr(m.singular_values);
  j["locality"] = {{"radii", m.radii}, {"mass", arr(m.locality)}};
  j["locality_grid"] = num(m.locality_grid);
  j["dilution"] = {{"r", arr(m.dilution_radii)}, {"l", arr(m.dilution)}};
  j["kl"] = num(m.kl);
  j["cross_entropy"] = num(m.cross_entropy);
  return j.dump(indent);
}

}  // namespace ridgeline
