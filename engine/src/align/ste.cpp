// The straight-through estimator, STEv2 of Git Re-Basin (ste.h), for any model kind with
// units to permute (MLPs, transformers): the spec, the compute and π(θ) come from the model
// interface.
#include "ridgeline/align/ste.h"

#include <chrono>
#include <cmath>
#include <string>

#include "ridgeline/core/errors.h"
#include "ste_loop.h"

namespace ridgeline {

namespace {

double dot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t k = 0; k < a.size(); ++k) s += static_cast<double>(a[k]) * b[k];
  return s;
}

// STEv2's projection: weight matching of θ_B to θ̃ from the previous permutation.
class PermutationProjection final : public detail::SteProjection {
 public:
  PermutationProjection(const PermutationSpec& spec, const std::vector<float>& b, int max_sweeps,
                        const CancelToken* cancel)
      : spec_(spec), b_(b), max_sweeps_(max_sweeps), cancel_(cancel) {}
  bool project(const std::vector<float>& tilde, uint64_t seed, std::vector<float>& out) override {
    WeightMatchingConfig w;
    w.max_sweeps = max_sweeps_;
    w.seed = seed;
    AlignmentResult r = weight_matching(spec_, tilde, b_, w, perm_, cancel_);
    const bool changed = r.perms != perm_;
    perm_ = std::move(r.perms);
    out = std::move(r.aligned.params);
    return changed;
  }
  void keep_best() override { best_ = perm_; }
  const std::vector<Permutation>& best() const { return best_; }

 private:
  const PermutationSpec& spec_;
  const std::vector<float>& b_;
  int max_sweeps_;
  const CancelToken* cancel_;
  std::vector<Permutation> perm_, best_;
};

}  // namespace

void SteConfig::validate() const {
  if (epochs < 1) throw InputError("ste.epochs: must be an integer >= 1");
  if (batch < 1) throw InputError("ste.batch: must be an integer >= 1");
  if (!std::isfinite(lr) || lr <= 0) throw InputError("ste.lr: must be a finite number > 0");
  if (!std::isfinite(momentum) || momentum < 0 || momentum >= 1)
    throw InputError("ste.momentum: must be a finite number in [0, 1)");
  if (max_sweeps < 1) throw InputError("ste.max_sweeps: must be an integer >= 1");
}

AlignmentResult straight_through_estimator(Backend& be, const Model& ma, const Model& mb,
                                           const Dataset& train, const SteConfig& cfg,
                                           const std::function<void(const SteProgress&)>& on_epoch,
                                           const CancelToken* cancel) {
  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  cfg.validate();
  const ModelArch& arch = ma.architecture();
  if (!arch.same_shape(mb.architecture()))
    throw InputError("ste: models have different architectures: " + arch.to_string() + " and " +
                     mb.architecture().to_string());
  if (ma.params.size() != arch.num_params() || mb.params.size() != ma.params.size())
    throw InputError("ste: models have parameter vectors of the wrong size");
  arch.check_fits(train, "ste: model");
  if (train.n == 0) throw InputError("ste: " + train.name + " has no training samples");

  const PermutationSpec spec = arch.permutation_spec();
  if (spec.names.empty())
    throw InputError("ste: " + arch.kind() + " model " + arch.to_string() +
                     " has no units to permute (ste needs an MLP or a transformer)");
  PermutationProjection projection(spec, mb.params, cfg.max_sweeps, cancel);
  detail::SteLoopSettings loop;
  loop.who = "ste";
  loop.lr_key = "ste.lr";
  loop.epochs = cfg.epochs;
  loop.batch = cfg.batch;
  loop.lr = cfg.lr;
  loop.momentum = cfg.momentum;
  loop.seed = cfg.seed;
  int best_epoch = 0;
  long long steps = 0;
  AlignmentResult res;
  res.method = "ste";
  res.objective_per_sweep = detail::run_ste_loop(be, ma, ma.params, train, loop, projection, on_epoch,
                                                 cancel, best_epoch, steps);
  res.sweeps = cfg.epochs;
  const std::vector<Permutation>& best = projection.best();
  const Model& a = ma;
  const Model& b = mb;
  res.perms = best;
  res.aligned = apply_permutations(b, best);
  res.objective_before = dot(a.params, b.params);
  res.objective_after = dot(a.params, res.aligned.params);
  // Weight matching's layer gain ⟨C_p, P_p⟩ − ⟨C_p, I⟩ (others fixed): only the blocks that p
  // acts on differ, so it is the objective minus the objective with P_p reset to the identity.
  const std::vector<Permutation> ident = identity_permutations(spec);
  for (size_t p = 0; p < best.size(); ++p) {
    std::vector<Permutation> q = best;
    q[p] = ident[p];
    res.layer_gain.push_back(res.objective_after - dot(a.params, apply_permutations(spec, b.params, q)));
  }
  res.l2_before = l2_distance(a.params, b.params);
  res.l2_after = l2_distance(a.params, res.aligned.params);
  res.seconds = std::chrono::duration<double>(clock::now() - t0).count();
  return res;
}

}  // namespace ridgeline
