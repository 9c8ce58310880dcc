#pragma once
/// @file safetensors.h
/// safetensors files (https://huggingface.co/docs/safetensors): 8-byte little-endian header
/// length, a JSON header {name: {dtype, shape, data_offsets}, "__metadata__": {...}}, then data.
/// Reads F32, F16, BF16 and F64 (converted to float32); writes F32.
#include <map>
#include <string>
#include <vector>

#include "ridgeline/mlp.h"
#include "ridgeline/tensor.h"

namespace ridgeline {

struct SafetensorsFile {
  std::vector<std::pair<std::string, Tensor>> tensors;  ///< in file order
  std::map<std::string, std::string> metadata;

  const Tensor* find(const std::string& name) const;
};

/// Throws InputError naming the file for: missing/unreadable file, truncation, header length
/// past the end, invalid JSON, unknown dtype, shapes that disagree with offsets, offsets out
/// of range or overlapping.
SafetensorsFile read_safetensors(const std::string& path);
/// Writes atomically (temp file + rename), tensors as F32 in the given order.
void write_safetensors(const std::string& path, const SafetensorsFile& file);

/// Loads an MLP: Ridgeline's own files carry "ridgeline.arch" and "ridgeline.layers" metadata;
/// any other file is read as a PyTorch state_dict: `<name>.weight` [out,in] / `<name>.bias`
/// [out] pairs chained by shape (ties broken by natural sort of names).
Mlp load_mlp(const std::string& path);
/// Saves with PyTorch-compatible names ("<layer>.weight", "<layer>.bias") and Ridgeline
/// metadata; `extra` is merged into __metadata__.
void save_mlp(const std::string& path, const Mlp& mlp,
              const std::map<std::string, std::string>& extra = {});

/// Checks that two models can share a path (same widths), naming both files if not.
void check_compatible(const Mlp& a, const std::string& a_name, const Mlp& b,
                      const std::string& b_name);

}  // namespace ridgeline
