// Slices of parameter space: the plane through three models and filter-normalised random
// directions around one (landscape/plane.h; Li et al. 2018, arXiv 1712.09913).
#include "ridgeline/landscape/plane.h"

#include <cmath>
#include <numbers>
#include <random>

#include "ridgeline/core/errors.h"

namespace ridgeline {

namespace {

// Portable standard normals (Box–Muller on mt19937_64 bits), the same on every machine.
struct Normal {
  std::mt19937_64 rng;
  explicit Normal(uint64_t seed) : rng(seed) {}
  double uniform() { return (static_cast<double>(rng() >> 11) + 0.5) * 0x1.0p-53; }
  double operator()() {
    const double u = uniform(), v = uniform();
    return std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * std::numbers::pi * v);
  }
};

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

std::vector<double> diff(const std::vector<float>& a, const std::vector<float>& b) {
  std::vector<double> d(a.size());
  for (size_t i = 0; i < a.size(); ++i)
    d[i] = static_cast<double>(a[i]) - static_cast<double>(b[i]);
  return d;
}

std::vector<double> widen(const std::vector<float>& a) { return {a.begin(), a.end()}; }

}  // namespace

std::vector<double> LandscapeBasis::row(double x, double y) const {
  if (info.kind == "plane") {
    const double b = y / cy;
    const double a = x - b * cx;
    return {1.0 - a - b, a, b};
  }
  return {1.0, x, y};
}

void LandscapeBasis::project(const std::string& name, const std::vector<float>& theta) {
  if (theta.size() != vectors[0].size())
    throw InputError(name + ": " + std::to_string(theta.size()) +
                     " parameters, the landscape's models have " +
                     std::to_string(vectors[0].size()));
  const std::vector<double> v = diff(theta, vectors[0]);
  // The two axes as float64 vectors u₁, u₂ of the coordinates' units (point = origin + x·u₁ +
  // y·u₂).
  std::vector<double> u1, u2;
  if (info.kind == "plane") {
    u1 = diff(vectors[1], vectors[0]);
    const std::vector<double> c = diff(vectors[2], vectors[0]);
    u2.resize(c.size());
    for (size_t i = 0; i < c.size(); ++i) u2[i] = (c[i] - cx * u1[i]) / cy;
  } else {
    u1 = widen(vectors[1]);
    u2 = widen(vectors[2]);
  }
  // Least squares: the 2×2 Gram system (orthogonal for planes).
  const double g11 = dot(u1, u1), g12 = dot(u1, u2), g22 = dot(u2, u2);
  const double r1 = dot(v, u1), r2 = dot(v, u2);
  const double det = g11 * g22 - g12 * g12;
  ModelCoordinate mc;
  mc.name = name;
  if (det > 0) {
    mc.x = (r1 * g22 - r2 * g12) / det;
    mc.y = (g11 * r2 - g12 * r1) / det;
  } else if (g11 > 0) {  // both random directions parallel (keep_1d on an all-1-D model)
    mc.x = r1 / g11;
  }
  double off = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    const double e = v[i] - mc.x * u1[i] - mc.y * u2[i];
    off += e * e;
  }
  mc.off_plane = std::sqrt(off);
  info.coordinates.push_back(mc);
}

LandscapeBasis plane_basis(const std::vector<std::string>& names, const Model& a, const Model& b,
                           const Model& c) {
  if (names.size() != 3) throw std::logic_error("plane_basis: three names");
  check_compatible(*a.arch, names[0], *b.arch, names[1]);
  check_compatible(*a.arch, names[0], *c.arch, names[2]);
  const std::vector<double> d1 = diff(b.params, a.params), dc = diff(c.params, a.params);
  const double l2 = dot(d1, d1);
  if (!(l2 > 0))
    throw InputError("plane: " + names[0] + " and " + names[1] +
                     " are the same parameters (the plane's first axis B − A is zero)");
  const double l = std::sqrt(l2);
  const double cx = dot(dc, d1) / l2;
  double h2 = 0;
  for (size_t i = 0; i < dc.size(); ++i) {
    const double e = dc[i] - cx * d1[i];
    h2 += e * e;
  }
  const double h = std::sqrt(h2);
  if (!(h > 1e-5 * std::max(l, std::sqrt(dot(dc, dc)))))
    throw InputError("plane: " + names[2] + " lies on the line through " + names[0] + " and " +
                     names[1] + " (no second axis)");
  LandscapeBasis basis;
  basis.info.kind = "plane";
  basis.info.models = names;
  basis.info.norm_x = l;
  basis.info.norm_y = l;
  basis.info.norm_perp = h;
  basis.vectors = {a.params, b.params, c.params};
  basis.cx = cx;
  basis.cy = h / l;
  basis.info.coordinates = {{names[0], 0, 0, 0}, {names[1], 1, 0, 0}, {names[2], cx, h / l, 0}};
  return basis;
}

std::vector<float> filter_normalized_direction(const ModelArch& arch,
                                               const std::vector<float>& theta, uint64_t seed,
                                               bool keep_1d) {
  const size_t n = arch.num_params();
  if (theta.size() != n)
    throw InputError("direction: " + std::to_string(theta.size()) +
                     " parameters, the architecture has " + std::to_string(n));
  Normal normal(seed);
  std::vector<double> d(n);
  for (double& v : d) v = normal();
  std::vector<float> out(n, 0.0f);
  for (const ParamBlockInfo& blk : arch.blocks()) {
    size_t count = 1;
    for (int64_t s : blk.shape) count *= static_cast<size_t>(s);
    if (blk.shape.size() < 2) {
      // Li et al.'s code (net_plotter.normalize_directions_for_weights): 1-D parameters are
      // ignored (zero) by default, or the direction copies them.
      if (keep_1d)
        for (size_t i = 0; i < count; ++i) out[blk.offset + i] = theta[blk.offset + i];
      continue;
    }
    const size_t rows = static_cast<size_t>(blk.shape[0]), len = count / rows;
    for (size_t r = 0; r < rows; ++r) {
      const size_t o = blk.offset + r * len;
      double nt = 0, nd = 0;
      for (size_t i = 0; i < len; ++i) {
        nt += static_cast<double>(theta[o + i]) * theta[o + i];
        nd += d[o + i] * d[o + i];
      }
      // The same 1e-10 guard as the authors' normalize_direction.
      const double scale = std::sqrt(nt) / (std::sqrt(nd) + 1e-10);
      for (size_t i = 0; i < len; ++i) out[o + i] = static_cast<float>(d[o + i] * scale);
    }
  }
  return out;
}

LandscapeBasis random_basis(const std::string& name, const Model& centre, uint64_t seed,
                            bool keep_1d) {
  LandscapeBasis basis;
  basis.info.kind = "random";
  basis.info.models = {name};
  basis.info.seed = seed;
  basis.info.keep_1d = keep_1d;
  // Two independent streams from one seed (splitmix-style constants).
  std::vector<float> d1 = filter_normalized_direction(*centre.arch, centre.params,
                                                      seed * 0x9E3779B97F4A7C15ull + 1, keep_1d);
  std::vector<float> d2 = filter_normalized_direction(*centre.arch, centre.params,
                                                      seed * 0x9E3779B97F4A7C15ull + 2, keep_1d);
  double n1 = 0, n2 = 0;
  for (size_t i = 0; i < d1.size(); ++i) {
    n1 += static_cast<double>(d1[i]) * d1[i];
    n2 += static_cast<double>(d2[i]) * d2[i];
  }
  if (!(n1 > 0) || !(n2 > 0))
    throw InputError("random directions around " + name +
                     ": the directions are zero (every parameter block is one-dimensional or zero; "
                     "keep one-dimensional blocks with keep_1d / --keep-1d)");
  basis.info.norm_x = std::sqrt(n1);
  basis.info.norm_y = std::sqrt(n2);
  basis.vectors = {centre.params, std::move(d1), std::move(d2)};
  basis.info.coordinates = {{name, 0, 0, 0}};
  return basis;
}

}  // namespace ridgeline
