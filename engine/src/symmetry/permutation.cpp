// Permutation specs inferred from architectures, and applying permutations (permutation.h).
#include "ridgeline/symmetry/permutation.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "ridgeline/core/errors.h"
#include "ridgeline/models/mlp/mlp_compute.h"

namespace ridgeline {

PermutationSpec mlp_permutation_spec(const MlpArch& arch) {
  PermutationSpec spec;
  const ParamLayout lay(arch);
  const int L = arch.num_layers();
  for (int l = 0; l + 1 < L; ++l) {
    spec.names.push_back("P" + std::to_string(l));
    spec.sizes.push_back(arch.widths[l + 1]);
  }
  auto name = [&](int l, const char* what) {
    const std::string prefix =
        l < static_cast<int>(arch.layer_names.size()) ? arch.layer_names[l] : "fc" + std::to_string(l);
    return prefix + "." + what;
  };
  for (int l = 0; l < L; ++l) {
    const int out = arch.widths[l + 1], in = arch.widths[l];
    const int row_perm = l + 1 < L ? l : -1;  // the output layer's units are the classes
    const int col_perm = l > 0 ? l - 1 : -1;  // the input layer's columns are the pixels
    spec.blocks.push_back({name(l, "weight"), lay.weight_offset[l], out, in, row_perm, col_perm});
    spec.blocks.push_back({name(l, "bias"), lay.bias_offset[l], out, 1, row_perm, -1});
    if (arch.layernorm && l + 1 < L) {
      const std::string ln = l < static_cast<int>(arch.norm_names.size()) ? arch.norm_names[l]
                                                                            : "ln" + std::to_string(l);
      spec.blocks.push_back({ln + ".weight", lay.ln_weight_offset[l], out, 1, row_perm, -1});
      spec.blocks.push_back({ln + ".bias", lay.ln_bias_offset[l], out, 1, row_perm, -1});
    }
  }
  spec.num_params = lay.total;
  return spec;
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

std::vector<float> apply_permutations(const PermutationSpec& spec, const std::vector<float>& params,
                                      const std::vector<Permutation>& perms) {
  check_perms(spec, perms);
  if (params.size() != spec.num_params)
    throw InputError("permutations: the model has " + std::to_string(params.size()) +
                     " parameters, the spec " + std::to_string(spec.num_params));
  std::vector<float> out = params;
  for (const ParamBlock& b : spec.blocks) {
    const int* rp = b.row_perm >= 0 ? perms[b.row_perm].data() : nullptr;
    const int* cp = b.col_perm >= 0 ? perms[b.col_perm].data() : nullptr;
    if (!rp && !cp) continue;
    const float* src = params.data() + b.offset;
    float* dst = out.data() + b.offset;
    for (int i = 0; i < b.rows; ++i) {
      const float* srow = src + static_cast<size_t>(rp ? rp[i] : i) * b.cols;
      float* drow = dst + static_cast<size_t>(i) * b.cols;
      if (cp)
        for (int j = 0; j < b.cols; ++j) drow[j] = srow[cp[j]];
      else
        std::copy(srow, srow + b.cols, drow);
    }
  }
  return out;
}

Mlp apply_permutations(const Mlp& model, const std::vector<Permutation>& perms) {
  Mlp out = model;
  out.params = apply_permutations(mlp_permutation_spec(model.arch), model.params, perms);
  return out;
}

double max_logit_difference(Backend& be, const Mlp& a, const Mlp& b, const Dataset& data,
                            int samples, double* max_abs_logit) {
  if (!a.arch.same_shape(b.arch)) throw InputError("function check: models differ in shape");
  const int n = std::max(1, std::min(samples, data.n));
  const int C = a.arch.classes();
  std::vector<float> la, lb;
  for (const Mlp* m : {&a, &b}) {
    MlpCompute net(be, m->arch, n);
    DeviceBuffer p(be, m->params.size()), x(be, static_cast<size_t>(n) * data.dim);
    be.upload(p.data(), m->params.data(), m->params.size());
    be.upload(x.data(), data.x.data(), static_cast<size_t>(n) * data.dim);
    net.forward(p.data(), x.data(), n);
    auto& dst = m == &a ? la : lb;
    dst.resize(static_cast<size_t>(n) * C);
    be.download(dst.data(), net.logits(), dst.size());
  }
  double worst = 0, biggest = 0;
  for (size_t i = 0; i < la.size(); ++i) {
    worst = std::max(worst, std::fabs(double(la[i]) - lb[i]));
    biggest = std::max(biggest, std::fabs(double(la[i])));
  }
  if (max_abs_logit) *max_abs_logit = biggest;
  return worst;
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
