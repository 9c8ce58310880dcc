#pragma once
// The training loop of the straight-through estimator (ste.h), shared by STEv2 over
// permutations and by learned matching with an orthogonal map of a transformer's residual
// stream (learned_matching.h): what differs between them is only the projection of the free
// parameters θ̃ onto the orbit of θ_B under the symmetries searched.
#include <functional>
#include <string>
#include <vector>

#include "ridgeline/align/ste.h"
#include "ridgeline/core/backend.h"
#include "ridgeline/data/dataset.h"
#include "ridgeline/models/model.h"

namespace ridgeline::detail {

/// The projection θ̃ ↦ T(θ_B) of one estimator, with the state that gives it (permutations,
/// a map of the stream).
class SteProjection {
 public:
  virtual ~SteProjection() = default;
  /// Projects θ̃ starting from the current state, with sweep-order seed `seed`; writes T(θ_B)
  /// into `out` and returns whether the state changed.
  virtual bool project(const std::vector<float>& tilde, uint64_t seed, std::vector<float>& out) = 0;
  /// Remembers the current state as the best so far.
  virtual void keep_best() = 0;
};

struct SteLoopSettings {
  std::string who;           ///< "ste", "learned matching": opens error messages
  std::string lr_key;        ///< the learning rate's name in those messages ("ste.lr")
  int epochs = 10;
  int batch = 1000;
  double lr = 1e-2;
  double momentum = 0.9;
  uint64_t seed = 0;
  double lambda_min = 0.5;   ///< each step's interpolation weight λ ~ U(lambda_min, lambda_max)
  double lambda_max = 0.5;
};

/// Mixes a seed with a counter (SplitMix64's finaliser): projection k's sweep-order seed.
uint64_t mix_seed(uint64_t seed, uint64_t k);

/// Runs the loop: θ̃ starts at `tilde0`; each step projects θ̃ (the first projection is
/// candidate 0), evaluates the loss at θ_λ = (1 − λ)·anchor + λ·T(θ_B) on a shuffled
/// mini-batch and steps θ̃ by SGD with momentum along λ·∇L(θ_λ) (the straight-through
/// gradient). At λ = ½ exactly, θ_λ is computed as ½(anchor + T(θ_B)), as STEv2 always has.
/// After every epoch the projection of θ̃ is scored by its midpoint (λ = ½) loss on the whole
/// training set; the lowest score (the earliest on ties) is kept with keep_best(). Returns
/// those scores (epochs + 1 entries) and fills best_epoch and steps.
std::vector<double> run_ste_loop(Backend& backend, const Model& anchor,
                                 const std::vector<float>& tilde0,
                                 const Dataset& train, const SteLoopSettings& settings,
                                 SteProjection& projection,
                                 const std::function<void(const SteProgress&)>& on_epoch,
                                 const CancelToken* cancel, int& best_epoch, long long& steps);

}  // namespace ridgeline::detail
