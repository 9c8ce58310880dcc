#pragma once
/// @file qk_embedding.h
/// A joint 2-D embedding of one head's query and key vectors gathered over many inputs, in the
/// spirit of AttentionViz (Yeh et al., "AttentionViz: A Global View of Transformer Attention",
/// arXiv 2305.03210; docs/USER_GUIDE.md, "Query/key embedding"): queries and keys are stacked
/// into one point cloud and projected onto its first two principal components (PCA in float64:
/// the eigenvectors of the centred rows' d×d scatter matrix, by LAPACK's dgesdd through
/// spectra.h's svd), so a query lies near the keys it attends to.
///
/// AttentionViz makes the two clouds comparable with the two freedoms softmax attention leaves
/// (its "vector normalization"): translating every key by the same vector t changes q·k_j by
/// q·t, a constant for each query, so each query's softmax row — and the ordering of its dot
/// products over the keys — is unchanged; and scaling queries by c and keys by 1/c leaves every
/// q·k unchanged. The keys are translated so that their centroid meets the queries' centroid,
/// and the scale makes the mean query norm equal the mean key norm. Here both hold at once:
///   q' = c·q,   k' = c·μ_q + (k − μ_k)/c,
/// with μ_q, μ_k the centroids and c > 0 the one scale (found by bisection) where
/// mean‖q'‖ = mean‖k'‖; then q'·k'_j = q·k_j + (c²·q·μ_q − q·μ_k), a shift constant per query.
#include <cstdint>
#include <string>
#include <vector>

#include "ridgeline/attention/attention.h"

namespace ridgeline::attention {

/// Where one point came from: the input (its index in the lists given) and its token position.
struct QkSource {
  int input = 0;
  int position = 0;
};

/// The normalisation that was applied (identity when it was not asked for).
struct QkNormalisation {
  bool applied = false;
  double query_scale = 1;  ///< c: q' = c·q
  double key_scale = 1;    ///< 1/c: k' = c·μ_q + (k − μ_k)/c
  /// c·μ_q − μ_k/c, added to k/c (d values; empty when not applied).
  std::vector<double> key_translation;
  double mean_query_norm_before = 0, mean_key_norm_before = 0;
  double mean_query_norm_after = 0, mean_key_norm_after = 0;  ///< equal when applied
};

struct QkEmbeddingOptions {
  bool normalise = true;  ///< AttentionViz's key translation and scaling (above)
};

/// The embedding: one point per query row and per key row, queries first (input by input, in
/// token order), then keys (likewise).
struct QkEmbedding {
  int dim = 0;  ///< d, the width of the query and key vectors
  int num_queries = 0, num_keys = 0;
  std::vector<double> x, y;       ///< coordinates along PC1 and PC2, one per point
  std::vector<uint8_t> is_query;  ///< 1 for a query, 0 for a key, per point
  std::vector<QkSource> source;   ///< per point
  double explained[2] = {0, 0};   ///< variance ratio of PC1 and PC2 (NaN when all points coincide)
  /// 2×d row-major: the unit principal axes (sign: the largest entry is positive).
  std::vector<double> components;
  std::vector<double> centre;  ///< d: the mean of the (normalised) points, subtracted first
  QkNormalisation normalisation;
  int size() const { return static_cast<int>(x.size()); }
};

/// The normalised copies of `queries` and `keys` (one matrix of each per input; rows are token
/// positions) and the transform applied, as described at the top of this file. When no c > 0
/// balances the norms (every query zero, or every key equal) c stays 1 and the keys are only
/// translated. InputError as qk_embedding.
struct QkNormalised {
  std::vector<MatrixD> queries, keys;
  QkNormalisation normalisation;
};
QkNormalised normalise_queries_keys(const std::vector<MatrixD>& queries,
                                    const std::vector<MatrixD>& keys);

/// The joint PCA embedding of the queries and keys of many inputs (queries[i] and keys[i]
/// are input i's, [n_i, d] each; every matrix the same width d). InputError, with a message
/// naming the input and the problem, when the lists differ in length, a matrix's data do not
/// match its shape, widths differ, an entry is not finite, or there are no query or no key rows
/// at all (or fewer than two points).
QkEmbedding qk_embedding(const std::vector<MatrixD>& queries, const std::vector<MatrixD>& keys,
                         const QkEmbeddingOptions& options = {});
/// The same for float matrices (what the models hold); computed in float64.
QkEmbedding qk_embedding(const std::vector<MatrixF>& queries, const std::vector<MatrixF>& keys,
                         const QkEmbeddingOptions& options = {});

/// The embedding as one JSON object (results files, `--json`): dim, counts, "explained" [2],
/// "components" (2×d rows), "centre", "normalisation" {applied, query_scale, key_scale,
/// key_translation, mean norms before and after} and "points" {x, y, is_query, input,
/// position} as parallel arrays; NaN as null.
std::string qk_embedding_json(const QkEmbedding& e, int indent = -1);

}  // namespace ridgeline::attention
