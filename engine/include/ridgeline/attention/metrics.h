#pragma once
/// @file metrics.h
/// Metrics of one attention map (docs/USER_GUIDE.md, "Attention lab: tasks and metrics", has
/// the definitions): row entropy (Hedgehog's spikiness, arXiv 2402.04347),
/// negative mass (InLine, arXiv 2412.06590), dot-product monotonicity, singular values and
/// rank (the low-rank dilemma: FLatten arXiv 2308.00442, RALA arXiv 2411.07635), injectivity
/// proxies (InLine), locality, dilution (TransNormer, arXiv 2210.10340) and fidelity to a
/// softmax map (Hedgehog, LoLCATs).
///
/// A map is row-major n×n float64: a[i·n + j] is the weight of query i on key j. It is taken
/// as given: rows are not renormalised, causal maps carry zeros above the diagonal, and rows
/// may hold negative weights (InLine). Every function throws InputError when a.size() ≠ n·n
/// (or another shape disagrees) or an entry is not finite. Per-row values that are undefined
/// are NaN and left out of means; a mean over no rows is NaN.
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace ridgeline {

/// Row entropy H_i = −Σ_j a_ij log a_ij (0 log 0 = 0), NaN for a row with a negative weight
/// (entropy is undefined there: see negative mass). For a causal map also Ĥ_i = H_i / log(i+1)
/// (0-based i: row i has i+1 keys, so Ĥ ∈ [0, 1] for a stochastic row; row 0 is NaN).
struct EntropyStats {
  std::vector<double> per_row;
  double mean = 0;
  std::vector<double> normalised;  ///< causal only (empty otherwise)
  double normalised_mean = 0;      ///< NaN when not causal
  int undefined_rows = 0;          ///< rows with a negative weight
};
EntropyStats row_entropy(const std::vector<double>& a, int n, bool causal);

/// Σ_j min(a_ij, 0) per row (≤ 0), and its mean over rows.
struct NegativeMass {
  std::vector<double> per_row;
  double mean = 0;
  int rows_with_negative = 0;
};
NegativeMass negative_mass(const std::vector<double>& a, int n);

/// Spearman's ρ of x and y (average ranks for ties); NaN for fewer than two values or when
/// either side is constant.
double spearman(const std::vector<double>& x, const std::vector<double>& y);

/// Dot-product monotonicity (Hedgehog's property; the scalar is our proxy; USER_GUIDE table):
/// ρ_i = Spearman over keys j (j ≤ i when causal) of q_i·k_j against a_ij; q and k are n×d
/// row-major. The mean leaves out rows where ρ is undefined (one key, or a constant side).
struct Monotonicity {
  std::vector<double> per_row;
  double mean = 0;
};
Monotonicity dot_product_monotonicity(const std::vector<double>& a, int n,
                                      const std::vector<double>& q, const std::vector<double>& k,
                                      int d, bool causal);

/// The alternative monotonicity proxy (USER_GUIDE, "discordant pairs"): per row, the fraction of key pairs (j, j′) with
/// q_i·k_j ≠ q_i·k_j′ whose weights are ordered against their dot products,
/// (q_i·k_j − q_i·k_j′)(a_ij − a_ij′) < 0 (equal weights are not discordant); keys j ≤ i when
/// causal; NaN for a row without such a pair. O(n³): for maps of up to a few thousand tokens.
Monotonicity discordant_pair_rate(const std::vector<double>& a, int n, const std::vector<double>& q,
                                  const std::vector<double>& k, int d, bool causal);

/// Singular values of the map (LAPACK dgesdd through spectra.h's svd), its numerical rank
/// #{σ > σ_max·n·ε} with float64 ε (numpy's matrix_rank convention) and its effective rank
/// exp(H(σ/Σσ)) (Roy & Vetterli 2007), the continuous version; stable rank ‖A‖_F²/‖A‖₂².
struct MapSpectrum {
  std::vector<double> singular_values;  ///< descending, n of them
  int numerical_rank = 0;
  double effective_rank = 0;  ///< 0 for the zero map
  double stable_rank = 0;     ///< 0 for the zero map
};
/// The numerical rank counts singular values above σ_max·n·rank_eps: the float64 epsilon for
/// maps computed in float64, float32's (1.19e-7) for maps computed in float32.
MapSpectrum map_spectrum(const std::vector<double>& a, int n,
                         double rank_eps = std::numeric_limits<double>::epsilon());

/// Total variation ½ Σ |p_j − r_j| of two rows of equal length.
double total_variation(const std::vector<double>& p, const std::vector<double>& r);

/// Scale collision (injectivity proxy of ours; InLine, arXiv 2412.06590): for every query q_i (rows of the
/// n_q×d matrix q) and every α, TV(att(q_i), att(α·q_i)), where att re-evaluates the
/// attention row of a query against fixed keys. ≈ 0 for normalised linear attention with a
/// positively homogeneous feature map (relu, identity), > 0 for softmax.
struct ScaleCollision {
  std::vector<double> alphas;
  std::vector<double> mean_tv;  ///< per α, mean over queries
  std::vector<double> min_tv;   ///< per α, the smallest over queries
};
using AttentionRowFn = std::function<std::vector<double>(const std::vector<double>& query)>;
ScaleCollision scale_collision(const AttentionRowFn& att, const std::vector<double>& q, int n_q,
                               int d, const std::vector<double>& alphas = {0.5, 2.0});

/// Collision rate (injectivity proxy): the fraction of query pairs (a < b) that are distinct
/// — ‖q̂_a − q̂_b‖ > eps, q̂ = q/‖q‖ when `normalise` (our proxy), else the raw
/// ‖q_a − q_b‖ (InLine's definition q₁ ≠ q₂) — but get nearly identical rows,
/// TV(a_a, a_b) < delta. Rows are compared as given (all n keys). O(n²(n + d)).
struct CollisionRate {
  int64_t distinct_pairs = 0;  ///< pairs whose queries differ
  int64_t collisions = 0;      ///< of those, pairs with TV < delta
  double rate = 0;             ///< collisions / distinct_pairs (NaN when none differ)
};
CollisionRate collision_rate(const std::vector<double>& a, int n, const std::vector<double>& q,
                             int d, double eps = 1e-6, double delta = 1e-6, bool normalise = true);

/// Locality L_r(i) = Σ_{j: |i−j| ≤ r} a_ij, per row, and its mean.
struct Locality {
  std::vector<double> per_row;
  double mean = 0;
};
Locality locality_1d(const std::vector<double>& a, int n, int r);

/// Locality on an h×w patch grid (row-major patches), Chebyshev neighbourhood
/// max(|Δrow|, |Δcol|) ≤ r (r = 1: the 3×3 neighbourhood). With `class_token`, token 0 is a
/// class token: n = 1 + h·w, its row is left out (per_row holds NaN there) and its column
/// never counts as local (the mass a patch gives it is non-local; rows are not renormalised).
Locality locality_2d(const std::vector<double>& a, int n, int h, int w, int r, bool class_token);

/// Dilution curve (TransNormer's locally accumulated attention, arXiv 2210.10340; formula
/// unverified against the paper): l(r) = (1/n) Σ_i Σ_{j: |i−j| ≤ r·n} a_ij for each r of `radii` (fractions of n).
std::vector<double> dilution_curve(const std::vector<double>& a, int n,
                                   const std::vector<double>& radii);
/// 0, 0.05, …, 1.
std::vector<double> default_dilution_radii();

/// Fidelity of a map â to a softmax map p (Hedgehog, LoLCATs), per row:
/// cross-entropy −Σ_j p_ij log â_ij and KL Σ_j p_ij log(p_ij / â_ij) (terms with p_ij = 0 are
/// 0). â_ij is floored at `floor` inside the log (non-positive weights, InLine's, included);
/// floor = 0 gives +∞ where p_ij > 0 and â_ij ≤ 0.
struct Fidelity {
  std::vector<double> cross_entropy, kl;  ///< per row
  double mean_cross_entropy = 0, mean_kl = 0;
};
Fidelity fidelity(const std::vector<double>& softmax_map, const std::vector<double>& a_hat, int n,
                  double floor = 1e-12);

/// Output error ‖Â V − A V‖_F² / n: the mean over rows of the squared error of the outputs,
/// with V n×dv row-major.
double output_mse(const std::vector<double>& a, const std::vector<double>& a_hat, int n,
                  const std::vector<double>& v, int dv);

/// What map_metrics measures besides the always-computed entropy, negative mass and spectrum.
struct MapMetricsOptions {
  bool causal = false;
  std::vector<int> radii = {1, 2, 4};  ///< 1-D locality L_r for each r
  int grid_h = 0, grid_w = 0;          ///< > 0: also the 3×3 (r = 1) locality on this patch grid
  bool class_token = false;            ///< the grid has a class token at index 0
  std::vector<double> dilution_radii = default_dilution_radii();
  double fidelity_floor = 1e-12;
  /// Relative precision of the map's entries for its numerical rank (map_spectrum).
  double rank_eps = std::numeric_limits<double>::epsilon();
};

/// The headline numbers of one map (or their mean over maps: heads, layers or inputs).
/// Values that were not asked for, or are undefined, are NaN.
struct MapMetrics {
  int n = 0;
  int maps = 1;                         ///< how many maps were averaged into this
  double entropy = 0;                   ///< mean row entropy
  double normalised_entropy = 0;        ///< mean Ĥ (causal), else NaN
  double negative_mass = 0;             ///< mean Σ_j min(a_ij, 0)
  double monotonicity = 0;              ///< mean Spearman ρ_i (needs q and k), else NaN
  std::vector<double> singular_values;  ///< descending
  double numerical_rank = 0;            ///< a mean over maps need not be an integer
  double effective_rank = 0, stable_rank = 0;
  std::vector<int> radii;
  std::vector<double> locality;  ///< mean L_r per radius
  double locality_grid = 0;      ///< mean 3×3 patch locality, NaN without a grid
  std::vector<double> dilution_radii, dilution;
  double kl = 0, cross_entropy = 0;  ///< to the softmax reference, NaN without one
};

/// The metrics of one map: entropy, negative mass, spectrum, locality and dilution; with `q`
/// and `k` (n×d) monotonicity, with `softmax_reference` (n×n) fidelity. Discordant pairs and
/// the injectivity proxies are separate calls. InputError on shapes that disagree.
MapMetrics map_metrics(const std::vector<double>& a, int n, const MapMetricsOptions& o,
                       const std::vector<double>* q = nullptr,
                       const std::vector<double>* k = nullptr, int d = 0,
                       const std::vector<double>* softmax_reference = nullptr);

/// The mean of each number and curve over maps of the same n and options, NaN values left
/// out (so a metric missing in some maps is the mean of the others). InputError when the
/// maps disagree in n or in their radii; an empty list gives maps = 0.
MapMetrics mean_metrics(const std::vector<MapMetrics>& m);

/// The metrics as one JSON object (NaN → null), for results files and `--json`.
std::string map_metrics_json(const MapMetrics& m, int indent = -1);

}  // namespace ridgeline
