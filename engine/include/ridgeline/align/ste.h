#pragma once
/// @file ste.h
/// The straight-through estimator of Git Re-Basin ("STEv2", Ainsworth et al. 2023, arXiv 2209.04836):
/// learn free parameters θ̃ (initialised at θ_A) whose weight-matching projection π(θ_B)
/// minimises the midpoint loss L(½(θ_A + π(θ_B))); gradients pass straight through the
/// projection.
#include <cstdint>
#include <functional>

#include "ridgeline/align/alignment.h"
#include "ridgeline/core/backend.h"
#include "ridgeline/data/dataset.h"
#include "ridgeline/models/mlp/mlp.h"
#include "ridgeline/core/progress.h"

namespace ridgeline {

struct SteConfig {
  int epochs = 10;
  int batch = 1000;        ///< rows per step, clamped to the training set
  double lr = 1e-2;        ///< SGD on θ̃
  double momentum = 0.9;   ///< PyTorch/optax semantics (v = μv + g; θ̃ −= lr·v)
  uint64_t seed = 0;       ///< shuffle and every weight matching's sweep order
  int max_sweeps = 100;    ///< of each weight matching

  /// Throws InputError "ste.<key>: ..." for out-of-range values.
  void validate() const;
};

/// What on_epoch sees after every epoch (1-based), on the calling thread.
struct SteProgress {
  int epoch = 0;
  int epochs = 0;
  double batch_loss = 0;     ///< mean midpoint loss of the epoch's mini-batches (rows-weighted)
  double midpoint_loss = 0;  ///< full-training-set midpoint loss at the end-of-epoch projection
  double best_loss = 0;      ///< lowest midpoint_loss so far (epoch 0 included)
  int best_epoch = 0;        ///< where best_loss was measured (0: the initial projection)
  int perm_changes = 0;      ///< steps of this epoch whose projection differed from the last
  long long steps = 0;       ///< steps so far
  double seconds = 0;        ///< since the start
};

/// STEv2. Each step: project θ̃ by weight_matching(θ̃ as "a", θ_B as "b", init = the previous
/// permutation), θ_proj = π(θ_B); forward/backward at θ_mid = ½(θ_A + θ_proj) on a shuffled
/// mini-batch on the backend; the straight-through gradient w.r.t. θ̃ is ½·∇L(θ_mid)
/// (STE(θ̃, θ_proj) = θ_proj + (θ̃ − sg(θ̃)), dθ_mid/dθ̃ = ½); SGD with momentum on θ̃.
/// The reference's "− sg(½(L_A + L_B))" is a constant and changes no gradient; it is left out.
///
/// Selection: the candidates are the projection of θ_A (epoch 0, = plain weight matching from
/// the identity) and the projection of θ̃ at the end of every epoch (the one the next step
/// uses). Each is scored by its midpoint loss on the whole training set (one evaluation pass
/// per epoch); the lowest wins, the earliest on ties. (The reference keeps the best
/// single-batch loss, which is noisier.)
///
/// Result: method "ste"; perms = the best permutation; aligned = π(θ_B) with it;
/// objective_before/after = Σ⟨A, π(B)⟩ (the weight-matching objective) at the identity / at
/// the best permutation; layer_gain as weight matching defines it (⟨C_p, P_p⟩ − ⟨C_p, I⟩ given
/// the other permutations); l2_before/after; sweeps = epochs run; seconds.
/// **objective_per_sweep holds losses, not objectives**: epochs + 1 entries, [0] the midpoint
/// training loss of the initial projection, [e] that of the projection after epoch e.
/// Does not run the function check (the caller does: check_alignment).
///
/// Cost: one weight matching per step (plus one at the start), as in Git Re-Basin; with
/// batch 1000 an epoch of N rows runs ⌈N/1000⌉ weight matchings.
/// Throws InputError (shapes, data, config, a model without units to permute), RunError (non-finite
/// loss), Cancelled.
AlignmentResult straight_through_estimator(Backend& backend, const Model& a, const Model& b,
                                           const Dataset& train, const SteConfig& cfg = {},
                                           const std::function<void(const SteProgress&)>& on_epoch = {},
                                           const CancelToken* cancel = nullptr);

}  // namespace ridgeline
