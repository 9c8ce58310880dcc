// MergeMany: match every model to the mean of the others, repeatedly (merge.h).
#include "ridgeline/align/merge.h"

#include <chrono>
#include <cmath>
#include <numeric>
#include <random>
#include <string>

#include "ridgeline/align/alignment.h"
#include "ridgeline/core/errors.h"

namespace ridgeline {

namespace {

uint64_t mix_seed(uint64_t seed, uint64_t a, uint64_t b) {
  // splitmix64 finaliser over the combined words: independent streams per (sweep, model).
  uint64_t z = seed ^ (a * 0x9E3779B97F4A7C15ull) ^ (b * 0xC2B2AE3D27D4EB4Full);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

void check_models(const std::vector<Model>& models) {
  if (models.size() < 2)
    throw InputError("merge: needs at least 2 models, got " + std::to_string(models.size()));
  for (size_t i = 0; i < models.size(); ++i)
    if (!models[i].arch) throw InputError("merge: model " + std::to_string(i) + " has no architecture");
  const Model& m0 = models.front();
  if (m0.params.size() != m0.arch->num_params())
    throw InputError("merge: model 0 has " + std::to_string(m0.params.size()) +
                     " parameters, its architecture " + m0.arch->to_string() + " needs " +
                     std::to_string(m0.arch->num_params()));
  for (size_t i = 1; i < models.size(); ++i)
    if (!models[i].arch->same_shape(*m0.arch) || models[i].params.size() != m0.params.size())
      throw InputError("merge: model " + std::to_string(i) + " (" + models[i].arch->to_string() +
                       ", " + std::to_string(models[i].params.size()) +
                       " parameters) differs in shape from model 0 (" + m0.arch->to_string() +
                       ", " + std::to_string(m0.params.size()) + " parameters)");
}

std::vector<double> sum_of(const std::vector<Model>& models) {
  std::vector<double> s(models.front().params.size(), 0.0);
  for (const Model& m : models)
    for (size_t k = 0; k < s.size(); ++k) s[k] += m.params[k];
  return s;
}

/// ‖θ − (sum − θ)/(n−1)‖ in double.
double distance_to_others(const std::vector<double>& sum, const std::vector<float>& theta, size_t n) {
  const double inv = 1.0 / static_cast<double>(n - 1);
  double acc = 0;
  for (size_t k = 0; k < sum.size(); ++k) {
    const double d = theta[k] - (sum[k] - theta[k]) * inv;
    acc += d * d;
  }
  return std::sqrt(acc);
}

}  // namespace

double merge_distance(const std::vector<Model>& models) {
  check_models(models);
  const std::vector<double> sum = sum_of(models);
  double total = 0;
  for (const Model& m : models) total += distance_to_others(sum, m.params, models.size());
  return total;
}

MergeResult merge_many(const std::vector<Model>& models, const MergeConfig& cfg,
                       const CancelToken* cancel) {
  check_models(models);
  if (cfg.max_sweeps < 1) throw InputError("merge: max_sweeps must be >= 1");
  if (!std::isfinite(cfg.tolerance) || cfg.tolerance < 0)
    throw InputError("merge: tolerance must be a finite number >= 0");
  const auto t0 = std::chrono::steady_clock::now();
  const size_t n = models.size();
  const PermutationSpec spec = models.front().arch->permutation_spec();

  MergeResult r;
  r.perms.assign(n, identity_permutations(spec));
  r.aligned = models;
  r.distance_before = merge_distance(models);

  std::mt19937_64 rng(cfg.seed);
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  Model mean_others = models.front();
  for (int sweep = 0; sweep < cfg.max_sweeps; ++sweep) {
    for (size_t i = n - 1; i > 0; --i) std::swap(order[i], order[rng() % (i + 1)]);
    std::vector<double> sum = sum_of(r.aligned);  // fresh each sweep; updated per model below
    bool progress = false;
    for (size_t i : order) {
      if (cancel) cancel->check();
      const double inv = 1.0 / static_cast<double>(n - 1);
      for (size_t k = 0; k < sum.size(); ++k)
        mean_others.params[k] = static_cast<float>((sum[k] - r.aligned[i].params[k]) * inv);
      WeightMatchingConfig wcfg;
      wcfg.max_sweeps = cfg.max_sweeps;
      wcfg.tolerance = cfg.tolerance;
      wcfg.seed = mix_seed(cfg.seed, static_cast<uint64_t>(sweep) + 1, i);
      AlignmentResult wm = weight_matching(mean_others, models[i], wcfg, r.perms[i], cancel);
      if (wm.perms == r.perms[i]) continue;  // unchanged: no improvement
      const double before = distance_to_others(sum, r.aligned[i].params, n);
      for (size_t k = 0; k < sum.size(); ++k)
        sum[k] += static_cast<double>(wm.aligned.params[k]) - r.aligned[i].params[k];
      const double after = distance_to_others(sum, wm.aligned.params, n);
      if (before - after > cfg.tolerance) progress = true;
      r.perms[i] = std::move(wm.perms);
      r.aligned[i] = std::move(wm.aligned);
    }
    ++r.sweeps;
    r.distance_per_sweep.push_back(merge_distance(r.aligned));
    if (!progress) break;
  }

  // Re-express everything in model 0's unit order: aligned'_i = π0⁻¹(aligned_i), i.e.
  // perms'_i[j] = perms_i[π0⁻¹[j]].
  std::vector<Permutation> inv0;
  for (const Permutation& p : r.perms[0]) inv0.push_back(inverse(p));
  for (size_t i = 0; i < n; ++i) {
    for (size_t p = 0; p < inv0.size(); ++p) r.perms[i][p] = compose(inv0[p], r.perms[i][p]);
    r.aligned[i] = apply_permutations(models[i], r.perms[i]);
  }

  const std::vector<double> sum = sum_of(r.aligned);
  r.merged = models.front();
  for (size_t k = 0; k < sum.size(); ++k)
    r.merged.params[k] = static_cast<float>(sum[k] / static_cast<double>(n));
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace ridgeline
