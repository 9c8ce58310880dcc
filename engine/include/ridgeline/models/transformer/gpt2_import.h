#pragma once
/// @file gpt2_import.h
/// GPT-2-family checkpoints as Ridgeline transformers (transformer.h; docs/USER_GUIDE.md,
/// "Real checkpoints"). A checkpoint folder holds config.json and model.safetensors, in one of
/// two layouts, told apart by the shape of block 0's fused QKV weight:
///  - Hugging Face's GPT-2 (Radford et al. 2019): Conv1D weights stored [in, out]
///    (`h.N.attn.c_attn.weight` is [d, 3d]), optionally prefixed `transformer.`, the causal-mask
///    buffers `h.N.attn.bias` / `h.N.attn.masked_bias` (ignored), the output tied to `wte`
///    (an `lm_head.weight` equal to it is accepted), config keys vocab_size, n_positions (or
///    n_ctx), n_embd, n_layer, n_head, n_inner, activation_function ("gelu_new": the tanh form;
///    "gelu": the erf form), layer_norm_epsilon (1e-5 only);
///  - nanoGPT's (Karpathy): `transformer.wte.weight`, `transformer.h.N…`, Linear weights stored
///    [out, in] (`c_attn.weight` is [3d, d]), `lm_head.weight` tied to wte, config keys
///    vocab_size, block_size, n_embd, n_layer, n_head and bias (false: no biases, loaded as
///    zeros); its GELU is the erf form.
/// Both become `transformer:tokens=V,seq=P,d,heads,layers,ff=…,attn=softmax,causal,tied[,gelu_tanh]`
/// with the same logits as the reference implementation. Anything else — cross-attention,
/// other activations, another epsilon, attention-scaling options, an untied head, unknown or
/// missing tensors — is one InputError naming the folder's file and the key.
#include <string>

#include "ridgeline/models/model.h"

namespace ridgeline {

struct SafetensorsFile;

/// Whether `path` is a directory holding config.json (a GPT-2 checkpoint folder candidate).
bool is_checkpoint_folder(const std::string& path);

/// Loads a checkpoint folder (config.json + model.safetensors) as a causal token transformer
/// with seq = n_positions.
Model load_gpt2_folder(const std::string& dir);

/// Same from text and tensors already read; `where` names the folder in errors.
Model gpt2_from_files(const std::string& where, const std::string& config_json,
                      const SafetensorsFile& weights);

/// The same causal token model for sequences of `seq` ≤ its own tokens: the first `seq`
/// learned positions. Exact for causal models (a position never sees later ones). Throws
/// InputError for image or non-causal models and for seq outside 1..tokens.
Model with_sequence_length(const Model& model, int seq);

}  // namespace ridgeline
