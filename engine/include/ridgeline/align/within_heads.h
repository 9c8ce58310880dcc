#pragma once
/// @file within_heads.h
/// The symmetries inside a transformer's attention heads that whole-head permutations leave
/// out (docs/USER_GUIDE.md, "Transformers: symmetries and re-basin"). In head h of a block,
/// permuting the query and key dimensions by one σ_h leaves every score q·k (and, for the
/// elementwise feature maps, every φ(q)·φ(k)) unchanged; permuting the value dimensions
/// together with the output projection's columns by one τ_h leaves the head's contribution to
/// the residual stream unchanged. align_within_heads finds σ_h and τ_h by weight matching once
/// B's residual stream, heads and MLP units have been aligned to A: each is one exact linear
/// assignment on the head's d_head × d_head gain (Ainsworth et al. 2023's weight matching,
/// restricted to the parameters the permutation acts on; the other permutations are fixed).
#include <string>
#include <vector>

#include "ridgeline/align/alignment.h"
#include "ridgeline/models/model.h"
#include "ridgeline/models/transformer/transformer.h"
#include "ridgeline/symmetry/permutation.h"

namespace ridgeline {

/// What align_within_heads found (the fields of WithinHeadsSummary, alignment.h: gains at the
/// method's pairing with the identity inside and after, the heads paired again and their
/// permutations, every σ_h and τ_h, applied after the head permutations, and why σ was not
/// searched, if it was not), and the model it gives.
struct WithinHeadsResult : WithinHeadsSummary {
  Model aligned;  ///< B with the heads paired again and every σ_h and τ_h applied
  double seconds = 0;
};

/// Why a head's query/key dimensions of this architecture cannot be permuted without changing
/// its function, or empty when they can: softmax, elu+1, relu, cosFormer, TransNormer and
/// InLine compare q and k through q·k or an elementwise map; Performer projects q and k on
/// fixed random features, and FLatten and Hedgehog have learned per-dimension parameters.
std::string within_heads_qk_unsupported(const TransformerArch& arch);

/// σ_h and τ_h of every head of b (aligned to a by a method's permutations) by weight matching
/// to a. First the heads of each layer are paired again as whole heads, on a cost the
/// permutations inside them cannot change: for A's head h and B's head h', the best gain over
/// σ and τ of that pair (a method's own head pairing compares raw weights, which those inner
/// permutations scramble); the method's pairing stays unless this one gains. Throws InputError
/// when the models are not transformers of one shape.
WithinHeadsResult align_within_heads(const Model& a, const Model& b);

/// Applies per-head permutations (layout as WithinHeadsResult::qk / vo; an empty list is the
/// identity) to a transformer's parameters. Throws InputError on a wrong size or a list that
/// is not a permutation.
Model apply_within_heads(const Model& m, const std::vector<Permutation>& qk,
                         const std::vector<Permutation>& vo);

}  // namespace ridgeline
