// The straight-through estimator, STEv2 of Git Re-Basin (ste.h), for any model kind with
// units to permute (MLPs, transformers): the spec, the compute and π(θ) come from the model
// interface.
#include "ridgeline/align/ste.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>

#include "ridgeline/core/errors.h"
#include "ridgeline/train/batch_sampler.h"
#include "ridgeline/train/evaluate.h"
#include "ridgeline/train/optimizer.h"

namespace ridgeline {

namespace {

double dot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t k = 0; k < a.size(); ++k) s += static_cast<double>(a[k]) * b[k];
  return s;
}

uint64_t mix_seed(uint64_t seed, uint64_t k) {
  uint64_t z = seed ^ (k * 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

void midpoint(const std::vector<float>& a, const std::vector<float>& proj, std::vector<float>& out) {
  out.resize(a.size());
  for (size_t k = 0; k < a.size(); ++k) out[k] = 0.5f * (a[k] + proj[k]);
}

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
  const Model& a = ma;
  const Model& b = mb;
  const size_t P = a.params.size();

  // Projection number k (k = 0: of θ_A) uses sweep-order seed mix_seed(seed, k).
  long long projections = 0;
  std::vector<Permutation> perm;
  Model tilde = a, proj = a;
  auto project = [&]() {
    WeightMatchingConfig w;
    w.max_sweeps = cfg.max_sweeps;
    w.seed = mix_seed(cfg.seed, static_cast<uint64_t>(projections++));
    AlignmentResult r = weight_matching(spec, tilde.params, b.params, w, perm, cancel);
    const bool changed = r.perms != perm;
    perm = std::move(r.perms);
    proj.params = std::move(r.aligned.params);
    return changed;
  };
  Model mid = a;
  auto midpoint_train_loss = [&]() {
    midpoint(a.params, proj.params, mid.params);
    return evaluate(be, mid, train, 2000, cancel).loss;
  };

  AlignmentResult res;
  res.method = "ste";
  project();
  std::vector<Permutation> best = perm;
  double best_loss = midpoint_train_loss();
  int best_epoch = 0;
  res.objective_per_sweep.push_back(best_loss);

  // Mini-batches of ⌈n/batch⌉ per epoch, shuffled from their own seed; SGD with momentum on θ̃
  // at a constant learning rate.
  BatchSampler sampler(be, train, cfg.batch, cfg.seed ^ 0x5DEECE66Dull);
  const int steps_per_epoch = sampler.steps_per_epoch();
  TrainConfig sgd;
  sgd.optimizer = OptimizerKind::Sgd;
  sgd.lr = cfg.lr;
  sgd.momentum = cfg.momentum;
  sgd.weight_decay = 0;
  sgd.schedule = Schedule::Constant;
  Optimizer optimizer(be, P, sgd);
  const std::unique_ptr<ModelCompute> compute = arch.compute(be, sampler.batch());
  ModelCompute& net = *compute;
  DeviceBuffer d_tilde(be, P), d_mid(be, P), d_grad(be, P);
  be.upload(d_tilde.data(), a.params.data(), P);

  long long step = 0;
  bool fresh = true;  // `proj` already is the projection of the current θ̃
  for (int epoch = 1; epoch <= cfg.epochs; ++epoch) {
    sampler.shuffle();
    double ep_loss = 0;
    int changes = 0;
    for (int s = 0; s < steps_per_epoch; ++s) {
      if (cancel) cancel->check();
      if (!fresh) {
        be.download(tilde.params.data(), d_tilde.data(), P);
        changes += project() ? 1 : 0;
      }
      fresh = false;
      midpoint(a.params, proj.params, mid.params);
      be.upload(d_mid.data(), mid.params.data(), P);
      const int rows = sampler.gather(s);
      net.forward(d_mid.data(), sampler.x(), rows);
      net.loss(sampler.y(), rows, true);
      net.backward(d_mid.data(), d_grad.data(), rows);
      // Straight through the projection: d θ_mid / d θ̃ = ½.
      be.axpby(0.0f, d_grad.data(), 0.5f, d_grad.data(), P);
      ++step;
      optimizer.step(d_tilde.data(), d_grad.data(), sampler.epoch_position(epoch, s));
      double l, c;
      net.sums(rows, l, c);
      if (!std::isfinite(l))
        throw RunError("ste diverged: non-finite midpoint loss at epoch " + std::to_string(epoch) +
                       ", step " + std::to_string(s + 1) + "; lower ste.lr");
      ep_loss += l;
    }
    // The end-of-epoch projection is the one the next step uses (same θ̃, same seed).
    be.download(tilde.params.data(), d_tilde.data(), P);
    changes += project() ? 1 : 0;
    fresh = true;
    const double loss = midpoint_train_loss();
    res.objective_per_sweep.push_back(loss);
    if (loss < best_loss) {
      best_loss = loss;
      best = perm;
      best_epoch = epoch;
    }
    ++res.sweeps;
    if (on_epoch) {
      SteProgress p;
      p.epoch = epoch;
      p.epochs = cfg.epochs;
      p.batch_loss = ep_loss / train.n;
      p.midpoint_loss = loss;
      p.best_loss = best_loss;
      p.best_epoch = best_epoch;
      p.perm_changes = changes;
      p.steps = step;
      p.seconds = std::chrono::duration<double>(clock::now() - t0).count();
      on_epoch(p);
    }
  }

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
