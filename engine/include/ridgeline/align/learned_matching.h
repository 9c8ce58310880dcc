#pragma once
/// @file learned_matching.h
/// Learned matching with an orthogonal map of a transformer's residual stream (Theus et al.
/// 2025, "Generalized Linear Mode Connectivity for Transformers", arXiv 2506.22712: the
/// learned variant, with the interpolation weight λ ~ U(0.4, 0.6)), built on the
/// straight-through estimator of Git Re-Basin (ste.h; Ainsworth et al. 2023, arXiv 2209.04836).
///
/// Free parameters θ̃ (initialised at θ_A) are projected each step onto the orbit of θ_B under
/// the permutations of the model's spec (whole heads, MLP units) and the orthogonal maps Q of
/// the residual stream with Q·1 = 1 (transformer_orthogonal.h): T = argmax ⟨θ̃, T(θ_B)⟩, found
/// by alternating weight matching (its stream permutation folded into Q) and orthogonal
/// Procrustes on the weights (residual_procrustes_on_weights), each step monotone from the
/// previous projection's state. The loss at θ_λ = (1 − λ)·θ_A + λ·T(θ_B) on a mini-batch gives
/// θ̃ the straight-through gradient λ·∇L(θ_λ) (SGD with momentum). docs/USER_GUIDE.md,
/// "Transformers through the tools", has the whole pipeline.
#include <cstdint>
#include <functional>
#include <vector>

#include "ridgeline/align/ste.h"
#include "ridgeline/core/backend.h"
#include "ridgeline/core/progress.h"
#include "ridgeline/data/dataset.h"
#include "ridgeline/models/model.h"
#include "ridgeline/symmetry/permutation.h"

namespace ridgeline {

struct LearnedMatchingConfig {
  int epochs = 10;
  int batch = 1000;          ///< rows per step, clamped to the training set
  double lr = 1e-2;          ///< SGD on θ̃
  double momentum = 0.9;
  uint64_t seed = 0;         ///< shuffle, λ draws and every weight matching's sweep order
  int max_sweeps = 100;      ///< of each weight matching
  int rounds = 3;            ///< most alternations of weight matching and Procrustes per projection
  double lambda_min = 0.4;   ///< λ ~ U(lambda_min, lambda_max) per step (Theus et al.)
  double lambda_max = 0.6;

  /// Throws InputError "learn.<key>: ..." for out-of-range values.
  void validate() const;
};

struct LearnedMatchingResult {
  Model aligned;                    ///< T(θ_B) at the best candidate (canonical form)
  std::vector<Permutation> perms;   ///< of b's spec, applied after Q (the stream's: identity)
  std::vector<double> q;            ///< d×d row-major, B's stream → A's, Q·1 = 1
  double start_loss = 0;            ///< midpoint (λ = ½) training loss of (a, b) as given
  /// Midpoint training loss of the projection of θ̃ at the start and after every epoch
  /// (epochs + 1 entries).
  std::vector<double> midpoint_losses;
  int best_epoch = -1;              ///< the winner among them; −1: b as given was not beaten
  long long steps = 0;
  double l2_before = 0, l2_after = 0;  ///< ‖θ_A − θ_B‖, ‖θ_A − T(θ_B)‖
  double seconds = 0;
};

/// A point of the orbit the projection searches: permutations of the model's spec (the
/// stream's: identity) applied after an orthogonal map q (d×d row-major, q·1 = 1) of the
/// stream, T(θ) = π(q·θ).
struct StreamMatch {
  std::vector<Permutation> perms;
  std::vector<double> q;
};

/// The identity of that orbit for `b`'s architecture (a transformer with a residual stream).
StreamMatch identity_stream_match(const Model& b);

/// T(b) for a canonical transformer b (rotate_residual, then apply_permutations).
Model apply_stream_match(const Model& b, const StreamMatch& t);

/// The projection of `target` onto the orbit of canonical `b`: T maximising ⟨target, T(b)⟩,
/// by up to `rounds` alternations of weight matching (from the current permutations, sweep
/// seed mixed from `seed`; its stream permutation P then folded into q as P·q) and
/// orthogonal Procrustes for q given the permutations (residual_procrustes_on_weights),
/// starting from `start`. The objective never falls from start's. Throws InputError for a
/// model without a residual stream or a start that does not fit, Cancelled.
StreamMatch match_stream(const std::vector<float>& target, const Model& b, const StreamMatch& start,
                         int max_sweeps = 100, uint64_t seed = 0, int rounds = 3,
                         const CancelToken* cancel = nullptr);

/// Learned matching of `b` to `a`, both transformers with untied heads in canonical form
/// (canonical_residual_form; b usually already aligned: permutations, within heads, and
/// Procrustes on the stream). The candidates are b itself and the projection of θ̃ at the
/// start and after every epoch, each scored by its midpoint training loss (up to 2,000 rows
/// per evaluation batch, all of `train`); the lowest wins, b on ties. Throws InputError
/// (models, data, config), RunError (non-finite loss), Cancelled.
LearnedMatchingResult learned_orthogonal_matching(
    Backend& backend, const Model& a, const Model& b, const Dataset& train,
    const LearnedMatchingConfig& cfg = {},
    const std::function<void(const SteProgress&)>& on_epoch = {},
    const CancelToken* cancel = nullptr);

}  // namespace ridgeline
