#pragma once
/// @file transformer_orthogonal.h
/// An orthogonal map of a transformer's residual stream (Theus et al. 2025, arXiv 2506.22712,
/// §3: beyond permutations, the stream of a pre-norm transformer admits orthogonal maps once
/// LayerNorm is rewritten in its RMS form; docs/USER_GUIDE.md, "Transformers through the
/// tools"). Every reader of the stream is a LayerNorm (pre-norm blocks and the final norm),
/// which ignores any multiple of the all-ones vector 1 added to its input. So:
///  1. the canonical form makes every write into the stream mean-free (embeddings, positions,
///     class token, patch embedding, the attention projection's and fc2's rows and biases
///     projected off 1) and folds each LayerNorm's gain γ and shift β into the linear layer
///     that reads it (W·diag(γ), b + W·β; γ = 1, β = 0 after): the same function, whose stream
///     stays orthogonal to 1, where LayerNorm is exactly x/rms(x);
///  2. then for any orthogonal Q with Q·1 = 1, writing Q·W for every writer and W·Qᵀ for every
///     reader gives the same function again (rms(Qx) = rms(x)).
/// Both steps keep the architecture (a LayerNorm with γ = 1, β = 0). Models whose output is
/// tied to the token embedding cannot fold the final gain and are refused.
#include <vector>

#include "ridgeline/core/backend.h"
#include "ridgeline/data/dataset.h"
#include "ridgeline/models/model.h"

namespace ridgeline {

/// Step 1 above. Throws InputError for a model that is not an untied transformer.
Model canonical_residual_form(const Model& transformer);

/// Step 2 above: `q` is d×d row-major, orthogonal with q·1 = 1 (checked to 1e-6); the model
/// must be in canonical form (gains 1, shifts 0; checked). The stream x becomes q·x.
Model rotate_residual(const Model& canonical, const std::vector<double>& q);

/// The map of weight matching in place of Procrustes on activations: the orthogonal Q with
/// Q·1 = 1 maximising ⟨target, rotate_residual(b, Q)⟩ over the blocks the stream map acts on
/// (⟨T, Q·W⟩ over writers, ⟨T, W·Qᵀ⟩ over readers: one orthogonal Procrustes problem). `b`
/// should be canonical (rotate_residual checks that, this does not); `target` is any parameter
/// vector of b's architecture (the straight-through estimator's free parameters, for one).
/// Returns Q d×d row-major. Throws InputError for a model that is not an untied transformer
/// or a target of another size.
std::vector<double> residual_procrustes_on_weights(const Model& b, const std::vector<float>& target);

struct OrthogonalAlignment {
  Model a;                 ///< A's canonical form
  Model b;                 ///< B's canonical form, its stream rotated onto A's
  std::vector<double> q;   ///< d×d, row-major: B's stream coordinates → A's
  double mismatch_before = 0;  ///< ‖X_A − X_B‖_F / ‖X_A‖_F on the pooled stream
  double mismatch_after = 0;   ///< ‖X_A − X_B·Qᵀ‖_F / ‖X_A‖_F
  double seconds = 0;
};

/// Orthogonal Procrustes on the residual streams of A and B (both canonical; pooled as
/// activation matching pools them: entering each block, after each attention, after the last
/// block, every position) over the first `samples` rows of data (0: all): Q maximises
/// tr(Qᵀ·X_Aᵀ·X_B) over orthogonal maps of the subspace orthogonal to 1 (and Q·1 = 1). B is
/// usually already permuted (weight or activation matching); Q then refines that match.
OrthogonalAlignment orthogonal_residual_alignment(Backend& backend, const Model& a, const Model& b,
                                                  const Dataset& data, int samples = 2000,
                                                  const CancelToken* cancel = nullptr);

}  // namespace ridgeline
