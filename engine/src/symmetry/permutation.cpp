// Permutation specs and applying permutations to flat parameter vectors (permutation.h).
#include "ridgeline/symmetry/permutation.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "ridgeline/core/errors.h"

namespace ridgeline {

size_t ParamBlock::size() const {
  size_t n = 1;
  for (int d : shape) n *= static_cast<size_t>(d);
  return n;
}

ParamBlock matrix_block(std::string name, size_t offset, int rows, int cols, int row_perm,
                        int col_perm) {
  return {std::move(name), offset, {rows, cols}, {row_perm, col_perm}, {}};
}

ParamBlock vector_block(std::string name, size_t offset, int n, int perm) {
  return {std::move(name), offset, {n}, {perm}, {}};
}

int PermutationSpec::add_permutation(std::string name, int size) {
  names.push_back(std::move(name));
  sizes.push_back(size);
  return static_cast<int>(sizes.size()) - 1;
}

void PermutationSpec::validate() const {
  if (names.size() != sizes.size())
    throw InputError("permutation spec: " + std::to_string(names.size()) + " names for " +
                     std::to_string(sizes.size()) + " permutations");
  for (const ParamBlock& b : blocks) {
    const std::string where = "permutation spec, block " + b.name;
    if (b.axis_perm.size() != b.shape.size() ||
        (!b.axis_group.empty() && b.axis_group.size() != b.shape.size()))
      throw InputError(where + ": axis_perm/axis_group need one entry per axis");
    if (b.offset + b.size() > num_params)
      throw InputError(where + ": ends past the " + std::to_string(num_params) + " parameters");
    for (size_t ax = 0; ax < b.shape.size(); ++ax) {
      const int p = b.axis_perm[ax], g = b.group(ax);
      if (b.shape[ax] < 0 || g < 1) throw InputError(where + ": negative dimension or group < 1");
      if (p < -1 || p >= static_cast<int>(sizes.size()))
        throw InputError(where + ": axis " + std::to_string(ax) + " names no permutation");
      if (p < 0) continue;
      if (static_cast<long long>(sizes[p]) * g != b.shape[ax])
        throw InputError(where + ": axis " + std::to_string(ax) + " has length " +
                         std::to_string(b.shape[ax]) + ", permutation " + names[p] + " moves " +
                         std::to_string(sizes[p]) + " groups of " + std::to_string(g));
      for (size_t other = 0; other < ax; ++other)
        if (b.axis_perm[other] == p)  // as in Git Re-Basin: else a step is no assignment
          throw InputError(where + ": permutation " + names[p] + " acts on two axes");
    }
  }
}

std::vector<Permutation> identity_permutations(const PermutationSpec& spec) {
  std::vector<Permutation> perms;
  for (int n : spec.sizes) {
    Permutation p(n);
    for (int i = 0; i < n; ++i) p[i] = i;
    perms.push_back(std::move(p));
  }
  return perms;
}

std::vector<Permutation> random_permutations(const PermutationSpec& spec, uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto perms = identity_permutations(spec);
  for (auto& p : perms)
    for (int i = static_cast<int>(p.size()) - 1; i > 0; --i)
      std::swap(p[i], p[rng() % static_cast<uint64_t>(i + 1)]);
  return perms;
}

Permutation inverse(const Permutation& p) {
  Permutation q(p.size());
  for (size_t i = 0; i < p.size(); ++i) q[p[i]] = static_cast<int>(i);
  return q;
}

Permutation compose(const Permutation& outer, const Permutation& inner) {
  Permutation r(outer.size());
  for (size_t i = 0; i < outer.size(); ++i) r[i] = inner[outer[i]];
  return r;
}

namespace {

size_t b_size_outer(const std::vector<int>& shape) {
  size_t n = 1;
  for (size_t ax = 0; ax + 1 < shape.size(); ++ax) n *= static_cast<size_t>(shape[ax]);
  return n;
}

void check_perms(const PermutationSpec& spec, const std::vector<Permutation>& perms) {
  if (perms.size() != spec.sizes.size())
    throw InputError("permutations: expected " + std::to_string(spec.sizes.size()) + ", got " +
                     std::to_string(perms.size()));
  for (size_t p = 0; p < perms.size(); ++p) {
    if (static_cast<int>(perms[p].size()) != spec.sizes[p])
      throw InputError("permutation " + spec.names[p] + ": size " + std::to_string(perms[p].size()) +
                       ", expected " + std::to_string(spec.sizes[p]));
    std::vector<char> seen(perms[p].size(), 0);
    for (int v : perms[p]) {
      if (v < 0 || v >= spec.sizes[p] || seen[v])
        throw InputError("permutation " + spec.names[p] + " is not a permutation");
      seen[v] = 1;
    }
  }
}

}  // namespace

std::vector<std::vector<int>> axis_index_maps(const ParamBlock& b, const std::vector<Permutation>& perms,
                                              int skip_axis) {
  std::vector<std::vector<int>> maps(b.shape.size());
  for (size_t ax = 0; ax < b.shape.size(); ++ax) {
    const int p = b.axis_perm[ax];
    if (p < 0 || static_cast<int>(ax) == skip_axis) continue;
    const int g = b.group(ax);
    std::vector<int>& m = maps[ax];
    m.resize(b.shape[ax]);
    for (size_t u = 0; u < perms[p].size(); ++u)
      for (int r = 0; r < g; ++r) m[u * g + r] = perms[p][u] * g + r;
  }
  return maps;
}

void gather_block(const std::vector<int>& shape, const std::vector<std::vector<int>>& maps,
                  const float* src, float* dst) {
  const size_t nd = shape.size();
  if (nd == 0) {
    dst[0] = src[0];
    return;
  }
  std::vector<size_t> stride(nd, 1);
  for (size_t ax = nd - 1; ax > 0; --ax) stride[ax - 1] = stride[ax] * shape[ax];
  const int last = shape[nd - 1];
  for (int d : shape)
    if (d == 0) return;
  const int* lm = maps[nd - 1].empty() ? nullptr : maps[nd - 1].data();
  std::vector<int> idx(nd, 0);  // odometer over the outer axes, last axis innermost
  for (size_t outer = 0, rows = b_size_outer(shape); outer < rows; ++outer) {
    size_t s = 0;
    for (size_t ax = 0; ax + 1 < nd; ++ax)
      s += static_cast<size_t>(maps[ax].empty() ? idx[ax] : maps[ax][idx[ax]]) * stride[ax];
    const float* srow = src + s;
    float* drow = dst + outer * static_cast<size_t>(last);
    if (lm)
      for (int j = 0; j < last; ++j) drow[j] = srow[lm[j]];
    else
      std::copy(srow, srow + last, drow);
    for (size_t ax = nd - 1; ax-- > 0;) {
      if (++idx[ax] < shape[ax]) break;
      idx[ax] = 0;
    }
  }
}

std::vector<float> apply_permutations(const PermutationSpec& spec, const std::vector<float>& params,
                                      const std::vector<Permutation>& perms) {
  spec.validate();
  check_perms(spec, perms);
  if (params.size() != spec.num_params)
    throw InputError("permutations: the model has " + std::to_string(params.size()) +
                     " parameters, the spec " + std::to_string(spec.num_params));
  std::vector<float> out = params;
  for (const ParamBlock& b : spec.blocks) {
    const auto maps = axis_index_maps(b, perms);
    bool any = false;
    for (const auto& m : maps) any = any || !m.empty();
    if (!any || b.size() == 0) continue;
    gather_block(b.shape, maps, params.data() + b.offset, out.data() + b.offset);
  }
  return out;
}

bool function_check_passes(double max_diff, double max_abs_logit) {
  return std::isfinite(max_diff) && max_diff <= 1e-5 + 1e-4 * max_abs_logit;
}

double l2_distance(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    const double d = double(a[i]) - b[i];
    s += d * d;
  }
  return std::sqrt(s);
}

}  // namespace ridgeline
