#pragma once
/// @file analysis.h
/// The attention analysis of a trained transformer (models/transformer/transformer.h;
/// docs/USER_GUIDE.md, "The attention lab"): its maps on chosen inputs, and the map metrics
/// (metrics.h) per layer and head averaged over many inputs, with the fidelity of each map to
/// the softmax map of the same queries and keys (for variants other than softmax), and the
/// model's loss and accuracy on the same data. For a variant whose rows are not distributions
/// (rows_sum_to_one() false: TransNormer) entropy and KL are NaN (not defined), never a number
/// computed as if they were.
///
/// Per layer and head also the joint PCA embedding of the queries and keys of every measured
/// input (qk_embedding.h, AttentionViz's normalisation).
///
/// Files (write_attention_analysis): results/<id>.json (everything but the maps and the
/// embedding's points), results/<id>-maps.npy, float32 [shown inputs, layers, heads, N, N], and
/// results/<id>-qk.npy, float32 [layers·heads, points, 5]: x, y, is_query, input, position.
#include <functional>
#include <string>
#include <vector>

#include "ridgeline/attention/metrics.h"
#include "ridgeline/attention/qk_embedding.h"
#include "ridgeline/core/progress.h"
#include "ridgeline/data/dataset.h"
#include "ridgeline/models/model.h"

namespace ridgeline {

struct AttentionAnalysisOptions {
  int examples = 64;              ///< inputs whose maps are measured (the data set's first)
  int show = 4;                   ///< of those, the first `show` keep their maps
  std::vector<int> radii = {1, 2, 4};  ///< 1-D locality radii
  bool evaluate = true;           ///< loss and accuracy of the model on the whole data set
};

struct HeadMetrics {
  int layer = 0, head = 0;
  MapMetrics metrics;  ///< mean over the measured inputs
  /// Injectivity (InLine, arXiv 2412.06590, whose definition this is: q₁ ≠ q₂ but equal
  /// rows): of the pairs of distinct queries of each input, the fraction whose rows are nearly
  /// identical
  /// (total variation < kCollisionTv), pooled over the measured inputs (metrics.h,
  /// collision_rate); NaN when no pair differs.
  double collision_rate = 0;
};

/// The total variation below which two rows of a float32 map count as identical.
inline constexpr double kCollisionTv = 1e-4;

struct AttentionAnalysis {
  std::string arch;       ///< the model's architecture text
  std::string variant;    ///< attention variant name
  std::string data;       ///< the data set's name
  int layers = 0, heads = 0, tokens = 0;
  bool causal = false;
  int grid_h = 0, grid_w = 0;  ///< image models: the patch grid (0 for token models)
  int image_h = 0, image_w = 0;  ///< image models: the picture's size in pixels
  bool class_token = false;
  int examples = 0;            ///< inputs measured
  std::vector<HeadMetrics> per_head;  ///< layer-major, heads·layers entries
  MapMetrics overall;                 ///< mean over every head and input
  double collision_rate = 0;          ///< pooled over every head and input (NaN: no pair)
  double loss = 0, accuracy = 0;      ///< on the data set (NaN when not evaluated)
  std::vector<int> shown;             ///< indices (into the data set) of the shown inputs
  std::vector<std::vector<std::string>> token_labels;  ///< per shown input, N labels
  std::vector<float> maps;  ///< [shown, layers, heads, N, N]; not in the JSON file
  /// Image models: the shown inputs' pixels [shown, image_h·image_w] (for the patch overlay);
  /// results/<id>-inputs.npy. Empty for token models (their labels are the tokens).
  std::vector<float> inputs;
  /// Per layer and head (layer-major): the query/key embedding over the measured inputs. Read
  /// back: points, explained variance, dim and the normalisation's scales (not the axes).
  std::vector<attention::QkEmbedding> embeddings;
  double seconds = 0;
};

/// Analyses `model` (a transformer) on `data`. Throws InputError for another model kind, data
/// that does not fit it, or bad options; Cancelled when cancelled.
AttentionAnalysis analyse_attention(const Model& model, const Dataset& data,
                                    const AttentionAnalysisOptions& options = {},
                                    const std::function<void(const Progress&)>& progress = {},
                                    const CancelToken* cancel = nullptr);

/// The analysis as JSON (no maps; NaN as null), and back (InputError naming `path`).
std::string attention_analysis_json(const AttentionAnalysis& a, int indent = 1);
AttentionAnalysis attention_analysis_from_json(const std::string& text, const std::string& path);

/// Writes <dir>/<id>.json and <dir>/<id>-maps.npy atomically.
void write_attention_analysis(const AttentionAnalysis& a, const std::string& dir,
                              const std::string& id);
/// Reads both back; the maps file must match the JSON's shape (InputError naming the file).
AttentionAnalysis read_attention_analysis(const std::string& dir, const std::string& id);

}  // namespace ridgeline
