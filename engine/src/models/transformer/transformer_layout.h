#pragma once
// Where each block of a transformer's flat parameter vector lies (transformer.h), and the
// named blocks in vector order (the safetensors names).
#include <cstddef>
#include <memory>
#include <vector>

#include "ridgeline/attention/attention.h"
#include "ridgeline/models/model.h"
#include "ridgeline/models/transformer/transformer.h"

namespace ridgeline {

struct TransformerBlockOffsets {
  size_t ln1_w, ln1_b, qkv_w, qkv_b, proj_w, proj_b, ln2_w, ln2_b, fc1_w, fc1_b, fc2_w, fc2_b;
  std::vector<size_t> variant;  ///< per head: its variant's parameters (variant_params floats)
};

struct TransformerLayout {
  explicit TransformerLayout(const TransformerArch& a);
  // Token model: embed [vocab, d]. Image model: patch_w [d, patch²], patch_b [d], cls [1, d].
  size_t embed = 0, patch_w = 0, patch_b = 0, cls = 0, pos = 0;
  std::vector<TransformerBlockOffsets> blocks;
  size_t lnf_w = 0, lnf_b = 0, head_w = 0, head_b = 0;  ///< head_*: absent (0) when tied
  size_t total = 0;
  int variant_params = 0;  ///< learned parameters of one head's variant
  std::vector<ParamBlockInfo> named;
};

/// One variant object for heads of `a`'s width (its initial parameters are the paper's).
std::unique_ptr<attention::AttentionVariant> make_transformer_variant(const TransformerArch& a);

/// LayerNorm eps (torch.nn.LayerNorm's default).
inline constexpr float kTransformerLnEps = 1e-5f;

}  // namespace ridgeline
