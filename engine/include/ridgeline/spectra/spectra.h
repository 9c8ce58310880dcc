#pragma once
/// @file spectra.h
/// Singular-value spectra of a model's weight matrices and the singular-vector alignment of
/// two models (docs/USER_GUIDE.md, "Spectra"; Ito et al., arXiv 2402.04051; WeightWatcher,
/// Martin & Mahoney). Every weight matrix is a 2-D block of the model's layout (`blocks()`,
/// MLP weights [out, in]); biases and norms have no spectrum. SVDs are LAPACK's
/// divide-and-conquer dgesdd in float64 on the float32 weights.
#include <cstdint>
#include <string>
#include <vector>

#include "ridgeline/models/model.h"

namespace ridgeline {

/// A thin SVD W = U diag(s) Vᵀ of an m×n matrix, r = min(m, n); s descending. U is m×r and
/// V is n×r, both row-major; empty when only values were asked for.
struct Svd {
  int rows = 0, cols = 0;
  std::vector<double> s;
  std::vector<double> u, v;
  int rank() const { return static_cast<int>(s.size()); }
};

/// dgesdd of the row-major m×n float matrix `w` (values only unless `vectors`). Throws
/// RunError when LAPACK reports a failure, InputError on a non-finite entry.
Svd svd(const float* w, int rows, int cols, bool vectors);
/// The same for a row-major float64 matrix (attention maps, attention/metrics.h).
Svd svd(const double* w, int rows, int cols, bool vectors);

/// WeightWatcher's power-law fit of an ESD tail: p(λ) ∝ λ^−α for λ ≥ x_min, α by maximum
/// likelihood (α = 1 + n / Σ ln(λ_i / x_min)) for every candidate x_min, keeping the x_min
/// with the smallest Kolmogorov–Smirnov distance D (Clauset, Shalizi & Newman 2009).
struct PowerLawFit {
  bool ok = false;
  std::string failure;  ///< why there is no fit (when !ok): too few eigenvalues, degenerate
  double alpha = 0, alpha_se = 0;  ///< α and its standard error (α − 1)/√n_tail
  double xmin = 0;
  double ks_distance = 0;          ///< D of the chosen x_min
  int tail = 0;                    ///< eigenvalues ≥ x_min
  int n = 0;                       ///< positive eigenvalues offered to the fit
};

struct PowerLawOptions {
  int min_evals = 10;  ///< fewer positive eigenvalues than this: "fit failed"
  int min_tail = 5;    ///< candidate x_min must leave at least this many in the tail
};

/// Fits the tail of `evals` (any order; non-positive values are dropped).
PowerLawFit fit_power_law(std::vector<double> evals, const PowerLawOptions& opt = {});

/// The Marchenko–Pastur bulk edge of the unnormalised ESD of WᵀW for an m×n matrix with
/// i.i.d. entries of variance σ²: λ₊ = N σ² (1 + √(M/N))², N = max(m, n), M = min(m, n).
double marchenko_pastur_edge(double sigma2, int rows, int cols);

/// The statistics of one weight matrix.
struct MatrixSpectrum {
  std::string name;       ///< the block's name ("fc1.weight")
  int rows = 0, cols = 0;
  std::vector<double> singular_values;  ///< descending, min(rows, cols) of them
  double frobenius_sq = 0;              ///< ‖W‖_F² = Σσ²
  double spectral_norm = 0;             ///< σ_max
  double stable_rank = 0;               ///< ‖W‖_F² / ‖W‖₂²
  double entropy_rank = 0;              ///< exp(H(σ/Σσ)) (Roy & Vetterli 2007)
  int numerical_rank = 0;               ///< #σ > σ_max·max(m,n)·ε_float32
  PowerLawFit fit;                      ///< tail of the ESD λ = σ²
  double mp_sigma2 = 0;                 ///< σ² = ‖W‖_F² / (m n) (the plain Frobenius estimate)
  double mp_edge = 0;                   ///< marchenko_pastur_edge(mp_sigma2, rows, cols)
  int mp_spikes = 0;                    ///< #λ > mp_edge
};

/// The spectrum of a row-major matrix (`name` labels it).
MatrixSpectrum matrix_spectrum(const std::string& name, const float* w, int rows, int cols,
                               const PowerLawOptions& opt = {});

/// The 2-D blocks of an architecture (its weight matrices), in layout order.
std::vector<ParamBlockInfo> weight_matrices(const ModelArch& arch);

struct ModelSpectra {
  std::string model;                   ///< the model's name in the run or file
  std::vector<MatrixSpectrum> layers;  ///< one per weight matrix
};

/// Spectra of every weight matrix. Throws InputError naming `name` when the model has none.
ModelSpectra model_spectra(const Model& model, const std::string& name,
                           const PowerLawOptions& opt = {});

/// The singular-vector alignment of one weight matrix of A and B (B as given: pass π(B) to
/// see the alignment after a permutation). Indices are those of the descending singular
/// values; M_U = U_Aᵀ U_B, M_V = V_Aᵀ V_B (r×r).
struct LayerAlignment {
  std::string name;
  int rows = 0, cols = 0;
  int k = 0;                        ///< top-k kept below (min(top_k, r))
  std::vector<double> u_overlap;    ///< |M_U| top-left k×k, row-major (row: A's i, column: B's j)
  std::vector<double> v_overlap;    ///< |M_V| top-left k×k
  std::vector<double> r_sum;        ///< per γ: Σ_{i∈I_A(γ), j∈I_B(γ)} M_U[i,j] M_V[i,j]
  std::vector<int> r_count;         ///< per γ: min(|I_A(γ)|, |I_B(γ)|), the layer's share of the normaliser
  double inner_product = 0;         ///< ⟨W_A, W_B⟩ = Σ_ij s_i^A s_j^B M_U[i,j] M_V[i,j]
  double inner_top_k = 0;           ///< the same sum over i, j < k
  double top_k_share = 0;           ///< inner_top_k / inner_product (NaN when it is 0)
};

/// R(θ_A, θ_B; γ) (Ito et al., arXiv 2402.04051; our reading and its unverified choices: docs/USER_GUIDE.md, "Spectra"):
/// R = Σ_ℓ Σ_{i∈I_A, j∈I_B} (u_iᴬ·u_jᴮ)(v_iᴬ·v_jᴮ) / Σ_ℓ min(|I_A|, |I_B|), where
/// I_X(γ) = {i : s_i^X ≥ γ · s_max^X} (γ relative to the layer's largest singular value; this
/// normalisation is our choice, unverified against the paper). |R_ℓ| ≤ 1 per layer; R = 1 for
/// B = A (and for a permuted copy aligned back); R ≈ 0 for unrelated matrices.
struct SpectraAlignment {
  std::string a, b;                   ///< the models' names
  int top_k = 0;
  std::vector<double> gammas;
  std::vector<double> r;              ///< R(γ) per gamma, over all layers
  std::vector<LayerAlignment> layers;
  double inner_product = 0;           ///< Σ_ℓ ⟨W_A, W_B⟩: the weight-matching objective
  double inner_top_k = 0;             ///< its part from the top-k pairs of every layer
};

/// The alignment of every weight matrix of `b` to `a` (same architecture; InputError otherwise).
SpectraAlignment spectra_alignment(const Model& a, const std::string& a_name, const Model& b,
                                   const std::string& b_name, int top_k,
                                   const std::vector<double>& gammas);

/// R at `gamma` from an alignment computed on a grid (NaN when gamma is not on it).
double r_at(const SpectraAlignment& al, double gamma);

/// The display rule of R (and of overlaps): three decimals ("0.812"); "—" for NaN.
std::string format_alignment_score(double r);

/// The default γ grid: 0, 0.1, …, 1.
std::vector<double> default_gammas();

/// The spectra and alignments at one training checkpoint (a spectra step's "over_training").
/// Model names carry the checkpoint ("seed1@epoch3"); an alignment after weight matching at
/// that checkpoint names its B "seed1@epoch3@wm".
struct SpectraCheckpoint {
  int epoch = 0;
  std::vector<ModelSpectra> models;
  std::vector<SpectraAlignment> alignments;  ///< per B: as trained, then (with wm) aligned
};

/// A spectra analysis: spectra of every model, and the alignment of each to `aligned_to`.
struct SpectraResult {
  std::string aligned_to;                 ///< empty: no alignment
  int top_k = 0;
  std::vector<ModelSpectra> models;
  std::vector<SpectraAlignment> alignments;  ///< one per model other than aligned_to
  /// Over training (empty unless asked for): one entry per saved epoch, in epoch order.
  std::vector<SpectraCheckpoint> over_training;
  std::string over_training_align;  ///< "wm" or "none": the alignment done at each checkpoint
  double seconds = 0;
};

/// The JSON of a result (what results/<id>.json holds and `ridgeline spectra --json` prints
/// under "spectra"), as text.
std::string spectra_to_json(const SpectraResult& r, int indent = 1);
/// Writes <dir>/<stem>.json and, per model and layer, <dir>/<stem>.<model>.<layer>.sv.npy
/// (float64 singular values, descending).
void write_spectra(const SpectraResult& r, const std::string& dir, const std::string& stem);
/// The .npy file name of one model's layer: <stem>.<model>.<layer>.sv.npy (characters other
/// than letters, digits and . _ - @ become '_').
std::string spectra_npy_name(const std::string& stem, const std::string& model,
                             const std::string& layer);
/// Reads a result back from its .json (InputError naming the file on bad content).
SpectraResult load_spectra(const std::string& json_path);
/// The same from the JSON text; `source` names it in errors. An accepted result keeps what
/// its readers rely on: min(rows, cols) finite non-negative descending singular values per
/// layer, k ≤ min(rows, cols) with k×k overlaps in [0, 1] (to rounding), one R, r_sum and
/// r_count per γ with γ in [0, 1], and checkpoints in increasing epoch order.
SpectraResult parse_spectra_json(const std::string& text, const std::string& source);

}  // namespace ridgeline
