// Learned matching with an orthogonal map of the residual stream (learned_matching.h).
#include "ridgeline/align/learned_matching.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>

#include "ridgeline/align/alignment.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/models/transformer/transformer.h"
#include "ridgeline/models/transformer/transformer_orthogonal.h"
#include "ridgeline/train/evaluate.h"
#include "ste_loop.h"

namespace ridgeline {

namespace {

std::vector<double> identity_map(int d) {
  std::vector<double> q(static_cast<size_t>(d) * d, 0.0);
  for (int i = 0; i < d; ++i) q[static_cast<size_t>(i) * d + i] = 1.0;
  return q;
}

int residual_index(const PermutationSpec& spec, const ModelArch& arch) {
  const auto it = std::find(spec.names.begin(), spec.names.end(), "residual");
  if (it == spec.names.end())
    throw InputError("stream matching: " + arch.to_string() + " has no residual stream");
  return static_cast<int>(it - spec.names.begin());
}

double max_change(const std::vector<double>& a, const std::vector<double>& b) {
  double m = 0;
  for (size_t k = 0; k < a.size(); ++k) m = std::max(m, std::fabs(a[k] - b[k]));
  return m;
}

// STE's projection over the permutations and the stream map, from the previous state.
class StreamProjection final : public detail::SteProjection {
 public:
  StreamProjection(const Model& b, const LearnedMatchingConfig& cfg, const CancelToken* cancel)
      : b_(b), cfg_(cfg), cancel_(cancel), state_(identity_stream_match(b)), best_(state_) {}

  bool project(const std::vector<float>& tilde, uint64_t seed, std::vector<float>& out) override {
    StreamMatch next = match_stream(tilde, b_, state_, cfg_.max_sweeps, seed, cfg_.rounds, cancel_);
    const bool changed = next.perms != state_.perms || max_change(next.q, state_.q) > 1e-7;
    state_ = std::move(next);
    out = apply_stream_match(b_, state_).params;
    return changed;
  }
  void keep_best() override { best_ = state_; }
  const StreamMatch& best() const { return best_; }

 private:
  const Model& b_;
  LearnedMatchingConfig cfg_;
  const CancelToken* cancel_;
  StreamMatch state_, best_;
};

}  // namespace

StreamMatch identity_stream_match(const Model& b) {
  const PermutationSpec spec = b.arch->permutation_spec();
  StreamMatch t;
  t.perms = identity_permutations(spec);
  t.q = identity_map(spec.sizes[residual_index(spec, *b.arch)]);
  return t;
}

Model apply_stream_match(const Model& b, const StreamMatch& t) {
  Model m = rotate_residual(b, t.q);
  m.params = apply_permutations(b.arch->permutation_spec(), m.params, t.perms);
  return m;
}

StreamMatch match_stream(const std::vector<float>& target, const Model& b, const StreamMatch& start,
                         int max_sweeps, uint64_t seed, int rounds, const CancelToken* cancel) {
  const PermutationSpec spec = b.arch->permutation_spec();
  const int res = residual_index(spec, *b.arch);
  const int d = spec.sizes[res];
  if (start.q.size() != static_cast<size_t>(d) * d || start.perms.size() != spec.names.size())
    throw InputError("stream matching: the start does not fit " + b.arch->to_string());
  StreamMatch t = start;
  for (int round = 0; round < rounds; ++round) {
    const Model bq = rotate_residual(b, t.q);
    WeightMatchingConfig w;
    w.max_sweeps = max_sweeps;
    w.seed = detail::mix_seed(seed, static_cast<uint64_t>(round));
    std::vector<Permutation> perms = weight_matching(spec, target, bq.params, w, t.perms, cancel).perms;
    // The stream's permutation P applied after q is the map P·q: row i of it is row P[i] of q.
    const Permutation& p = perms[res];
    std::vector<double> q(t.q.size());
    for (int i = 0; i < d; ++i)
      std::copy_n(t.q.begin() + static_cast<ptrdiff_t>(p[i]) * d, d, q.begin() + static_cast<ptrdiff_t>(i) * d);
    for (int i = 0; i < d; ++i) perms[res][i] = i;
    const bool perms_moved = perms != t.perms;
    t.perms = std::move(perms);
    Model bp = b;
    bp.params = apply_permutations(spec, b.params, t.perms);
    t.q = residual_procrustes_on_weights(bp, target);
    if (!perms_moved && max_change(t.q, q) < 1e-9) break;
  }
  return t;
}

void LearnedMatchingConfig::validate() const {
  if (epochs < 1) throw InputError("learn.epochs: must be an integer >= 1");
  if (batch < 1) throw InputError("learn.batch: must be an integer >= 1");
  if (!std::isfinite(lr) || lr <= 0) throw InputError("learn.lr: must be a finite number > 0");
  if (!std::isfinite(momentum) || momentum < 0 || momentum >= 1)
    throw InputError("learn.momentum: must be a finite number in [0, 1)");
  if (max_sweeps < 1) throw InputError("learn.max_sweeps: must be an integer >= 1");
  if (rounds < 1) throw InputError("learn.rounds: must be an integer >= 1");
  if (!std::isfinite(lambda_min) || !std::isfinite(lambda_max) || lambda_min <= 0 ||
      lambda_max >= 1 || lambda_min > lambda_max)
    throw InputError("learn.lambda: needs 0 < lambda_min <= lambda_max < 1");
}

LearnedMatchingResult learned_orthogonal_matching(Backend& be, const Model& a, const Model& b,
                                                  const Dataset& train, const LearnedMatchingConfig& cfg,
                                                  const std::function<void(const SteProgress&)>& on_epoch,
                                                  const CancelToken* cancel) {
  const auto t0 = std::chrono::steady_clock::now();
  cfg.validate();
  if (!a.arch || !b.arch || !as_transformer_arch(*a.arch))
    throw InputError("learned matching: needs two transformers");
  check_same_shape(*a.arch, *b.arch, "learned matching: models");
  if (a.params.size() != a.arch->num_params() || b.params.size() != a.params.size())
    throw InputError("learned matching: models have parameter vectors of the wrong size");
  a.arch->check_fits(train, "learned matching: model");
  if (train.n == 0) throw InputError("learned matching: " + train.name + " has no training samples");
  rotate_residual(b, identity_stream_match(b).q);  // b must be canonical

  LearnedMatchingResult res;
  Model mid = a;
  for (size_t k = 0; k < mid.params.size(); ++k) mid.params[k] = 0.5f * (a.params[k] + b.params[k]);
  res.start_loss = evaluate(be, mid, train, 2000, cancel).loss;

  StreamProjection projection(b, cfg, cancel);
  detail::SteLoopSettings loop;
  loop.who = "learned matching";
  loop.lr_key = "the learning rate (learn: lr)";
  loop.epochs = cfg.epochs;
  loop.batch = cfg.batch;
  loop.lr = cfg.lr;
  loop.momentum = cfg.momentum;
  loop.seed = cfg.seed;
  loop.lambda_min = cfg.lambda_min;
  loop.lambda_max = cfg.lambda_max;
  int best_epoch = 0;
  // θ̃ starts at θ_A, as in Git Re-Basin (starting at b instead, a refinement of its closed-form
  // alignment, learned less on the bundled ViTs: docs/REPRODUCTION.md §7).
  res.midpoint_losses = detail::run_ste_loop(be, a, a.params, train, loop, projection, on_epoch,
                                             cancel, best_epoch, res.steps);
  const double best = res.midpoint_losses[static_cast<size_t>(best_epoch)];
  const StreamMatch kept = best < res.start_loss ? projection.best() : identity_stream_match(b);
  res.best_epoch = best < res.start_loss ? best_epoch : -1;
  res.perms = kept.perms;
  res.q = kept.q;
  res.aligned = best < res.start_loss ? apply_stream_match(b, kept) : b;
  res.l2_before = l2_distance(a.params, b.params);
  res.l2_after = l2_distance(a.params, res.aligned.params);
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return res;
}

}  // namespace ridgeline
