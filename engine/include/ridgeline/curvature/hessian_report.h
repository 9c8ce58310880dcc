#pragma once
/// @file hessian_report.h
/// Everything `ridgeline hessian` and the `hessian` step compute for one model on one batch:
/// per selection (the whole model, a block or every layer) the top-k eigenvalues (Lanczos),
/// the trace (Hutchinson, ± its standard error), the spectral density (SLQ) and the
/// linear-stability check; with a second model, the curvature along the path to it and the
/// second-order barrier predictions (path_curvature.h). docs/USER_GUIDE.md, "Curvature".
#include <optional>
#include <string>
#include <vector>

#include "ridgeline/core/progress.h"
#include "ridgeline/curvature/hessian.h"
#include "ridgeline/curvature/path_curvature.h"
#include "ridgeline/curvature/spectral.h"

namespace ridgeline {

struct HessianConfig {
  int top_k = 3;            ///< eigenvalues (0: none)
  int max_iter = 100;       ///< Lanczos steps at most
  double tol = 1e-3;        ///< Lanczos criterion (spectral.h)
  int trace_samples = 50;   ///< Hutchinson samples (0: no trace)
  int density_vectors = 1;  ///< SLQ start vectors (0: no density)
  int density_steps = 80;   ///< SLQ Lanczos steps per vector
  int density_grid = 400;   ///< points of the smoothed density
  double lr = 0;            ///< η of the stability check (0: no check)
  uint64_t seed = 0;
  bool path = false;        ///< curvature along the path to θ_B
  PathCurvatureOptions path_options;
};

struct SelectionCurvature {
  std::string name;  ///< "" = the whole model
  size_t size = 0;
  EigenResult eigen;  ///< values (largest first) and unit vectors of the selection
  std::optional<TraceEstimate> trace;
  std::optional<SpectralDensity> density;
  std::vector<double> density_grid, density_values;  ///< smoothed, integral 1
  double density_sigma = 0;
  std::optional<StabilityCheck> stability;
  long long hvps = 0;
  double seconds = 0;
};

struct HessianReport {
  std::string model, arch, batch;  ///< names for display and files
  int rows = 0;
  std::vector<SelectionCurvature> selections;
  std::vector<PathCurvature> paths;  ///< one per selection when a path was asked
  std::string path_to;               ///< the second model's name
  long long hvps = 0;
  double seconds = 0;
};

/// Runs the report on `H` (its parameters are moved) for θ_A = theta (and θ_B = theta_b when
/// cfg.path). Progress stages: "hessian <selection>" and "hessian path <selection>", counting
/// HVPs. Deterministic for a fixed seed, backend and thread count.
HessianReport hessian_report(HessianOperator& H, const std::vector<float>& theta,
                             const std::vector<float>* theta_b,
                             const std::vector<ParamSelection>& selections,
                             const HessianConfig& cfg, const CancelToken* cancel = nullptr,
                             const ProgressFn& progress = {});

/// The report as JSON text (eigenvectors left out; `indent` as nlohmann::json::dump).
std::string hessian_report_to_json(const HessianReport& r, int indent = -1);
/// Reads hessian_report_to_json's text back (eigenvectors, the density's runs and the trace
/// samples are kept; eigenvectors stay empty). Throws InputError naming `where` on bad JSON.
HessianReport hessian_report_from_json(const std::string& text, const std::string& where);

/// results/<id>.json (the JSON above, with the step's id) and, per selection s (index i),
/// results/<id>.<i>.density.npy ([2, grid]: grid and values, float64) when it has a density
/// and results/<id>.<i>.eigenvectors.npy ([k, size], float32) when it has eigenvectors.
/// Atomic writes. Returns the JSON path.
std::string write_hessian_report(const HessianReport& r, const std::string& results_dir,
                                 const std::string& id);
/// Reads results/<id>.json back.
HessianReport load_hessian_report(const std::string& path);

}  // namespace ridgeline
