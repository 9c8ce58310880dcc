#pragma once
/// @file spectra_data.h
/// What the spectra views share, read from a SpectraResult (ridgeline/spectra/spectra.h) with
/// no analysis: lookups by model and layer, which model is a permuted copy of which (told by
/// the caller from the run's align steps: the result itself does not know), the display
/// binning of an ESD, the per-layer table rows and their CSV. No Qt.
#include <string>
#include <vector>

#include "ridgeline/spectra/spectra.h"

namespace ridgeline::widgets {

/// A model of the result that is π(B) for another model B of it (an align step's output).
struct PermutedCopy {
  std::string model;  ///< "seed1@wm"
  std::string of;     ///< "seed1"
  std::string how;    ///< "weight matching" (empty: unknown)
};

/// The layer `name` of a model's spectra, or null.
const MatrixSpectrum* find_layer(const ModelSpectra& m, const std::string& name);
/// The spectra of `model`, or null.
const ModelSpectra* find_model(const SpectraResult& r, const std::string& model);
/// The alignment of `b` to the reference, or null.
const SpectraAlignment* find_alignment(const SpectraResult& r, const std::string& b);
/// The layer `name` of an alignment, or null.
const LayerAlignment* find_layer(const SpectraAlignment& a, const std::string& name);
/// The entry saying `model` is a permuted copy, or null.
const PermutedCopy* copy_of(const std::vector<PermutedCopy>& copies, const std::string& model);
/// The weight matrices' names in layout order (the first model's; empty without models).
std::vector<std::string> layer_names(const SpectraResult& r);

/// The largest relative difference |σ_i − σ'_i| / σ_max of two spectra (NaN when their
/// lengths differ or they are empty): how closely π(B)'s singular values equal B's.
double max_relative_difference(const std::vector<double>& a, const std::vector<double>& b);

/// A layer's own R at `gamma`: r_sum / r_count at the grid point equal to gamma (NaN when gamma
/// is not on the grid or the count is 0). The CLI prints the same.
double layer_r(const SpectraAlignment& al, const LayerAlignment& l, double gamma);

/// An ESD drawn as a histogram on a log λ axis: `bins` log-spaced bins over the positive
/// eigenvalues λ = σ², density = count / (n · bin width) (so the fitted power law's density
/// can be drawn on the same scale).
struct EsdHistogram {
  std::vector<double> edges;    ///< bins + 1, ascending
  std::vector<double> density;  ///< per bin
  std::vector<double> lambdas;  ///< the positive eigenvalues, ascending
  int zeros = 0;                ///< eigenvalues ≤ 0 (not on a log axis)
};
EsdHistogram esd_histogram(const std::vector<double>& singular_values, int bins = 0);
/// The fitted tail's density on the histogram's scale at λ ≥ x_min:
/// (tail / n) · (α − 1) / x_min · (λ / x_min)^(−α) (a normalised power law over the tail).
double power_law_density(const PowerLawFit& fit, double lambda);

/// The per-layer table: one row per (layer, model), layers in layout order.
struct SpectraRow {
  std::string layer, model;
  const MatrixSpectrum* spectrum = nullptr;
  const LayerAlignment* alignment = nullptr;  ///< against the reference (null for it, or none)
  const SpectraAlignment* pair = nullptr;
};
std::vector<SpectraRow> spectra_rows(const SpectraResult& r);
/// The table as CSV (docs/USER_GUIDE.md, "Numbers": snake_case, 17 significant digits, empty
/// when undefined; shares are fractions).
std::string spectra_csv(const SpectraResult& r);

/// The column titles of the table and one row's texts (core/format.h rules).
std::vector<std::string> spectra_columns();
std::vector<std::string> spectra_cells(const SpectraRow& row);

/// 4 significant digits (format_loss's rule), "—" when undefined.
std::string sig4(double x);

}  // namespace ridgeline::widgets
