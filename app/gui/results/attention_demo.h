#pragma once
/// @file attention_demo.h
/// Attention maps of the registered variants (ridgeline/attention/attention.h) on seeded random
/// queries and keys, for the attention map viewer's tests and screenshots before the
/// transformer model exists (docs/USER_GUIDE.md, "Attention map viewer"). Real variant maps of
/// a random input, not of a trained model: their title says so, and no menu shows them.
#include <cstdint>
#include <string>

#include "widgets/attention/attention_maps.h"

namespace ridgeline::gui {

/// Maps [layers, heads, n, n] of `variant` (attention::make_variant(variant, d)->materialise)
/// where head (l, h) gets its own Q, K [n, d] with i.i.d. N(0, 1) entries drawn from
/// std::mt19937_64(seed + l·heads + h). Tokens are labelled "t0", "t1", ... Throws InputError
/// for an unknown variant.
widgets::AttentionMaps random_input_maps(const std::string& variant, int n, int d, int layers, int heads,
                                         uint64_t seed, bool causal = false);

}  // namespace ridgeline::gui
