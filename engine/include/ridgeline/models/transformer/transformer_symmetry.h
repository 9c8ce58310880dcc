#pragma once
/// @file transformer_symmetry.h
/// The permutation symmetries of the tiny transformer (transformer.h), as Theus et al. 2025
/// ("Generalized Linear Mode Connectivity for Transformers", arXiv 2506.22712, §3) list them
/// for a pre-norm block, and the transformer's function check:
///  - "residual": one permutation of the d residual-stream coordinates shared by every part
///    that reads or writes the stream — token or patch embedding, positions, class token, both
///    LayerNorms of every block (their mean and variance do not depend on the order), the
///    inputs of Q, K, V and of the MLP, the outputs of the attention projection and of the MLP,
///    the final LayerNorm and the head (or the tied embedding);
///  - "block<l>.heads": the heads of block l as whole heads — Q, K and V rows of a head move
///    together (groups of d_head), with the columns of the output projection that read that
///    head and the head's variant parameters (all heads share one variant and its fixed random
///    features, so exchanging them is exact);
///  - "block<l>.mlp": the ff hidden units of block l's MLP (fc1 rows and bias, fc2 columns).
/// Not described: permutations of the units inside a head (exact only for variants whose
/// feature map acts per coordinate) and the orthogonal residual map.
#include <vector>

#include "ridgeline/data/dataset.h"
#include "ridgeline/models/model.h"
#include "ridgeline/models/transformer/transformer.h"
#include "ridgeline/symmetry/permutation.h"

namespace ridgeline {

/// The permutation spec above: "residual" first, then per block "block<l>.heads" and
/// "block<l>.mlp". A model with a single head has no head permutation for its blocks.
PermutationSpec transformer_permutation_spec(const TransformerArch& arch);

/// Logits of the first `rows` examples of x on the CPU: [rows × classes] for image models,
/// [rows·seq × vocab] for token models (every position). Throws InputError for another kind.
std::vector<float> transformer_logits(const Model& model, const std::vector<float>& x, int rows);

/// max |logit(a) − logit(b)| of two transformers of one architecture over the first `samples`
/// examples of data; `max_abs_logit` receives max |logit(a)|. The function check of alignment.
double transformer_max_logit_difference(const Model& a, const Model& b, const Dataset& data,
                                        int samples = 256, double* max_abs_logit = nullptr);

}  // namespace ridgeline
