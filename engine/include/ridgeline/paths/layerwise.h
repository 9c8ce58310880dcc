#pragma once
/// @file layerwise.h
/// Layer-wise linear mode connectivity (Adilova et al., "Layer-wise linear mode connectivity",
/// ICLR 2024; docs/USER_GUIDE.md, "Layer-wise barriers"): interpolate only one layer's
/// parameters (its weight and bias) while every other layer stays at A's values — or, as the
/// second view, at B's — and measure that partial path's barriers; and the cumulative
/// variant, which interpolates the first ℓ layers together. The partial path between the
/// hybrid endpoints is itself a straight line, so each one is an ordinary interpolation
/// (paths/interpolation.h) between two models built here.
#include <string>
#include <vector>

#include "ridgeline/paths/interpolation.h"

namespace ridgeline {

/// One layer of a model for layer-wise paths: the parameter blocks that share a name prefix
/// ("fc1" holds fc1.weight and fc1.bias; a LayerNorm "norm1" is a layer of its own), in layout
/// order.
struct LayerGroup {
  std::string name;
  std::vector<std::string> blocks;
};

/// The layers of an architecture: its blocks grouped by the text before the last '.' (a block
/// without '.' is a layer of its own), in the order they first appear.
std::vector<LayerGroup> layer_groups(const ModelArch& arch);

/// `base` with the parameters of `blocks` taken from `other` (same architecture). Throws
/// InputError naming an unknown block.
Model hybrid_model(const Model& base, const Model& other, const std::vector<std::string>& blocks);

/// One partial path. `layers` are the interpolated layers (one for a single-layer path, the
/// first ℓ for a cumulative one); the rest sit at `base` ("a" or "b"). The path runs from
/// α = 0 (those layers at A) to α = 1 (at B).
struct LayerwisePath {
  std::string layer;        ///< the (last) interpolated layer
  bool cumulative = false;  ///< layers 1..ℓ interpolated, else only ℓ
  std::string base;         ///< "a" or "b": where the other layers sit
  std::vector<std::string> layers;
  InterpolationResult curve;
};

struct LayerwiseConfig : InterpolationConfig {
  bool cumulative = true;  ///< also the cumulative paths
  bool from_b = true;      ///< also the paths with the other layers at B
};

struct LayerwiseResult {
  std::string a, b;                 ///< the models' names
  std::vector<LayerGroup> layers;
  std::vector<LayerwisePath> paths;  ///< per base (a, then b): single per layer, then cumulative
  InterpolationResult whole;         ///< the full linear path, for reference
  double seconds = 0;
};

/// Every partial path of `b` against `a` (same architecture; InputError otherwise): per layer
/// the single-layer path with the rest at A (and at B with from_b), then the cumulative ones
/// (the last cumulative path, every layer interpolated, is the whole path and is not repeated).
/// Progress units are paths.
LayerwiseResult layerwise(Backend& backend, const Model& a, const std::string& a_name,
                          const Model& b, const std::string& b_name, const DataSplits& data,
                          const LayerwiseConfig& cfg, const ProgressFn& progress = {},
                          const CancelToken* cancel = nullptr);

/// The JSON of a result (results/<id>.json of the layerwise step, `ridgeline layerwise --json`
/// under "layerwise"): each path's curves and barriers in the interpolate contract.
std::string layerwise_to_json(const LayerwiseResult& r, int indent = 1);
/// Reads it back; InputError naming `source` on bad content.
LayerwiseResult layerwise_from_json(const std::string& text, const std::string& source);

/// The layers a path interpolates, as text: "fc1", or "fc0..fc1" for a cumulative range.
std::string layerwise_range(const LayerwisePath& p);
/// The one-line text of a path ("fc2 (rest at A)", "fc1..fc2 (rest at B)").
std::string layerwise_path_label(const LayerwisePath& p);
/// The linear-form loss barrier of a curve on the split preferred_split picks.
double layerwise_loss_barrier(const InterpolationResult& c, bool train_split);
/// The single-layer path with the highest loss barrier (layerwise_loss_barrier), null when
/// the result has none.
const LayerwisePath* highest_single_layer(const LayerwiseResult& r, bool train_split);

}  // namespace ridgeline
