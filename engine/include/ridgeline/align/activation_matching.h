#pragma once
/// @file activation_matching.h
/// Per-unit statistics of an MLP's hidden layers over data, cross statistics of two MLPs'
/// post-activations, and activation matching (Ainsworth et al. 2023, arXiv 2209.04836; Jordan et al. 2022, arXiv 2211.08403): one linear
/// assignment per hidden layer on the cross-moment E[a bᵀ] (Git Re-Basin, method "am") or
/// the Pearson correlation (REPAIR / ZipIt, method "am-pearson").
///
/// Statistics run over the first `samples` rows of a data set (0 = all) in batches on the
/// backend; every batch's sums are accumulated on the host in double, in a fixed order, so
/// results are deterministic for a given backend and thread count. Standard deviations are
/// population ones (divide by N).
#include <vector>

#include "ridgeline/align/alignment.h"
#include "ridgeline/core/backend.h"
#include "ridgeline/data/dataset.h"
#include "ridgeline/models/mlp/mlp.h"
#include "ridgeline/core/progress.h"

namespace ridgeline {

/// Running per-column mean and M2 of row-major float blocks, accumulated in double: each
/// block's own mean and M2 (two passes) merged into the totals with Chan's formula, which
/// keeps the variance accurate when |mean| ≫ std.
class ColumnMoments {
 public:
  explicit ColumnMoments(int cols = 0) : mean_(cols, 0.0), m2_(cols, 0.0) {}
  /// Adds `rows` rows of a host block [rows×cols], row stride `ld` (≥ cols; 0 means cols).
  void add(const float* block, int rows, int ld = 0);
  long long count() const { return count_; }
  const std::vector<double>& mean() const { return mean_; }
  /// Population standard deviation per column.
  std::vector<double> std_dev() const;

 private:
  std::vector<double> mean_, m2_;
  long long count_ = 0;
};

/// Per hidden layer (outer index) and unit (inner index): the mean and population std of the
/// Linear output (before LayerNorm and the activation) and of the activation output.
struct UnitStatistics {
  int samples = 0;
  std::vector<std::vector<double>> linear_mean, linear_std;
  std::vector<std::vector<double>> act_mean, act_std;
};

/// Statistics of `model` over the first `samples` rows of `data` (0 = all), `batch` rows per
/// forward pass. Throws InputError when the model does not fit the data or there are no rows.
UnitStatistics unit_statistics(Backend& backend, const Mlp& model, const Dataset& data,
                               int samples = 10000, int batch = 1000,
                               const CancelToken* cancel = nullptr);

/// Two same-shape models on the same rows: each one's unit statistics and, per hidden layer,
/// the cross-moment E[a bᵀ] of their post-activations, row-major [width×width] with A's units
/// as rows and B's as columns. Each batch's Gram block Aᵀ·B is one backend GEMM (float over
/// the batch's rows), accumulated in double on the host.
struct CrossStatistics {
  int samples = 0;
  UnitStatistics a, b;
  std::vector<std::vector<double>> cross;
};

CrossStatistics cross_statistics(Backend& backend, const Mlp& a, const Mlp& b,
                                 const Dataset& data, int samples = 10000, int batch = 1000,
                                 const CancelToken* cancel = nullptr);

/// Pearson correlation matrix of hidden layer `layer`, as REPAIR and ZipIt compute it:
/// (E[a_i b_j] − μ_i μ_j) / (σ_i σ_j + 1e-4), row-major [width×width].
std::vector<double> correlation_matrix(const CrossStatistics& s, int layer);

struct ActivationMatchingConfig {
  int samples = 10000;  ///< first N training rows (0 = all)
  bool pearson = false; ///< false: cross-moment ("am"); true: Pearson correlation ("am-pearson")
  int batch = 1000;     ///< rows per forward pass
};

/// Activation matching of θ_B to θ_A on `train`: per hidden layer, the permutation of B's
/// units maximising Σ_i gain[i, π(i)] (one exact assignment per layer, layers independent).
/// Fills method, perms, aligned = π(θ_B), l2_before/after, objective_before/after (Σ over
/// layers of the matched gain at the identity / at the found permutations), layer_gain and
/// seconds; sweeps = 1. Does not run the function check (the caller does).
/// Throws InputError when the models differ in shape, do not fit the data or are neither MLPs
/// nor transformers.
AlignmentResult activation_matching(Backend& backend, const Model& a, const Model& b,
                                    const Dataset& train, const ActivationMatchingConfig& cfg = {},
                                    const CancelToken* cancel = nullptr);

/// One exact assignment maximising Σ_i gain[i, π(i)] (row-major n×n; rows A's units, columns
/// B's): appends π to r.perms and adds the gain at the identity and at π to the objectives.
void add_assignment(const std::vector<double>& gain, int n, AlignmentResult& r);

/// Activation matching of two transformers (models/transformer/transformer_symmetry.h): the
/// residual stream's coordinates pooled over every point the stream is read, each block's
/// MLP units, and each block's heads by their contributions to the stream compared in A's
/// coordinates after the residual permutation (heads always by cross-moments). Called by
/// activation_matching for transformers; same result fields.
AlignmentResult transformer_activation_matching(Backend& backend, const Model& a, const Model& b,
                                                const Dataset& train,
                                                const ActivationMatchingConfig& cfg,
                                                const CancelToken* cancel = nullptr);

}  // namespace ridgeline
