#pragma once
/// @file safetensors.h
/// safetensors files (https://huggingface.co/docs/safetensors): 8-byte little-endian header
/// length, a JSON header {name: {dtype, shape, data_offsets}, "__metadata__": {...}}, then data.
/// Reads F32, F16, BF16 and F64 (converted to float32); writes F32.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ridgeline/core/progress.h"
#include "ridgeline/core/tensor.h"
#include "ridgeline/models/mlp/mlp.h"

namespace ridgeline {

struct SafetensorsFile {
  std::vector<std::pair<std::string, Tensor>> tensors;  ///< in file order
  std::map<std::string, std::string> metadata;

  const Tensor* find(const std::string& name) const;
};

/// How strict read_safetensors is beyond the format itself.
struct SafetensorsReadOptions {
  /// Accept NaN and ±inf values (refused by default: a model holding one is broken).
  bool allow_non_finite = false;
};

/// Throws InputError naming the file (and the tensor) for: missing/unreadable file,
/// truncation, header length past the end or over the format's 100 MB limit, a header that is
/// not a JSON object starting with '{', nested deeper than 8 levels or repeating a key (a
/// duplicate tensor name), unknown dtype, shapes that disagree with offsets, offsets out of
/// range, data bytes covered by no tensor or by two (holes and overlaps, which the format
/// forbids), F64 values beyond float32's range, and NaN/±inf values unless allowed.
/// Names quoted in messages are cut to 80 characters with control characters escaped.
SafetensorsFile read_safetensors(const std::string& path, const SafetensorsReadOptions& opt = {});
/// Same for the bytes of a file already in memory; `path` names it in errors.
SafetensorsFile parse_safetensors(const std::string& path, std::string_view bytes,
                                  const SafetensorsReadOptions& opt = {});
/// Writes atomically (temp file + rename), tensors as F32 in the given order.
void write_safetensors(const std::string& path, const SafetensorsFile& file);

/// Loads an MLP. Ridgeline's own files carry "ridgeline.arch" (with its +ln/+gelu suffixes),
/// "ridgeline.layers" (Linear prefixes), "ridgeline.norms" (LayerNorm prefixes, LayerNorm nets
/// only), "ridgeline.activation" (relu|gelu) and "ridgeline.layernorm" ("1"|"0") metadata.
/// Any other file is read as a PyTorch state_dict: Linear layers are `<name>.weight` [out,in] /
/// `<name>.bias` [out] pairs chained by shape (ties broken by natural sort of names); 1-D
/// `<name>.weight` / `<name>.bias` pairs are LayerNorms, one after each hidden Linear (the
/// first unused one in natural order whose size is that Linear's out), so
/// nn.Sequential(Linear, LayerNorm, GELU, Linear) loads as is. A state_dict does not record
/// its activation: `activation` gives it (default ReLU); it is ignored for Ridgeline files.
/// A LayerNorm without elementwise affine parameters leaves no tensors and cannot be seen.
/// Loading runs in O(n log n) in the number of layers unless the chaining has to back off;
/// the chain search is capped in steps. `cancel` is polled while loading (throws Cancelled).
/// Throws InputError naming the file for anything that is not a loadable MLP.
Mlp load_mlp(const std::string& path, std::optional<Activation> activation = std::nullopt,
             const CancelToken* cancel = nullptr);
/// Same from a file already read (`path` names it in errors).
Mlp load_mlp(const std::string& path, const SafetensorsFile& file,
             std::optional<Activation> activation = std::nullopt,
             const CancelToken* cancel = nullptr);
/// Saves with PyTorch-compatible names ("<layer>.weight", "<layer>.bias", LayerNorm
/// "<norm>.weight", "<norm>.bias" after its Linear) and Ridgeline metadata. Names come from
/// arch.layer_names / arch.norm_names, by default "fc<l>" and "ln<l>"; `extra` is merged
/// into __metadata__.
void save_mlp(const std::string& path, const Mlp& mlp,
              const std::map<std::string, std::string>& extra = {});

/// Checks that two models can share a path (same widths, LayerNorm and activation), naming
/// both files if not.
void check_compatible(const Mlp& a, const std::string& a_name, const Mlp& b,
                      const std::string& b_name);

}  // namespace ridgeline
