#pragma once
/// @file evaluator.h
/// The one evaluator over parameter points (docs/ARCHITECTURE.md, "The evaluator"). Every
/// path, plane and curve is a set of points θ = Σ_k c_k θ_k over K basis vectors (K = 2 for a
/// line, 3 for a plane or a quadratic Bézier curve); this evaluates loss and error of every
/// point, batched over points and data. For an MLP the first layer's pre-activation is shared:
/// X·W(c)ᵀ = Σ_k c_k X·W_kᵀ, so K GEMMs serve every point and only later layers run per point
/// (as strided-batched GEMMs).
///
/// How a point is formed (float32, on the backend), for its coefficient row c:
///  - a unit row (c_j = 1, all others 0): θ_j exactly — a path's endpoints are its models;
///  - an affine row (Σ c_k = 1 up to 1e-12): θ_0 + Σ_{k≥1} c_k (θ_k − θ_0) — a line between
///    identical models is exactly flat, and a line A→B is θ_A + α(θ_B − θ_A) as in Frankle et al. 2020 (arXiv 1912.05671);
///  - any other row (origin plus directions: c = (1, x, y) over {θ_0, d_1, d_2}): Σ c_k θ_k.
/// The same rule forms the MLP's shared first-layer outputs from the K GEMM results.
#include <functional>
#include <vector>

#include "ridgeline/core/backend.h"
#include "ridgeline/core/precision.h"
#include "ridgeline/core/progress.h"
#include "ridgeline/data/dataset.h"
#include "ridgeline/models/model.h"

namespace ridgeline {

struct ParameterPoints {
  std::vector<const std::vector<float>*> basis;  ///< K parameter vectors (not owned)
  std::vector<std::vector<double>> coeffs;       ///< one row of K coefficients per point
  /// The GEMMs' precision (core/precision.h). bf16 runs only where the model kind has a bf16
  /// path (ModelArch::supports_precision) and bf16_unavailable_reason() is empty; otherwise
  /// evaluate_points throws InputError saying why (never a silent fp32 run).
  Precision precision = Precision::Fp32;
};

/// Per-point hooks for corrected paths (REPAIR, paths/repair.h). Both run on the backend's
/// device pointers; either may be empty.
struct PointHooks {
  /// After point k's parameter vector is formed: may rewrite it (T = num_params floats).
  std::function<void(Backend&, int k, float* params)> on_params;
  /// For models with a shared first layer (the MLP): after point k's first-layer linear
  /// output is formed from the shared GEMMs and before its bias, [rows×width].
  std::function<void(Backend&, int k, float* first_linear, int rows, int width)> on_first_layer;
};

/// Loss and error of every point of `points` on `data` (null for models that use no data),
/// in chunks of at most `chunk` rows. Throws InputError when the basis vectors do not fit the
/// architecture, a row has the wrong length, or the data does not fit the model.
PointValues evaluate_points(Backend& backend, const ModelArch& arch, const ParameterPoints& points,
                            const Dataset* data, int chunk = 1000, const PointHooks& hooks = {},
                            const std::function<void()>& on_chunk = {},
                            const CancelToken* cancel = nullptr);

/// Throws InputError, one line saying why, when `arch`'s points cannot be evaluated in
/// precision `p` in this process (a kind without that path; bf16 without oneDNN or
/// AVX512-BF16). evaluate_points checks it; callers may check before any work.
void check_precision(const ModelArch& arch, Precision p);

/// The points of a straight line between two parameter vectors at the given α:
/// basis {a, b}, rows (1 − α, α).
ParameterPoints line_points(const std::vector<float>& a, const std::vector<float>& b,
                            const std::vector<double>& alpha);

/// How a coefficient row forms its point (see the file comment).
enum class PointForm { Unit, Affine, General };
PointForm point_form(const std::vector<double>& row, int* unit_index = nullptr);

/// Forms every point's vector on the backend from device copies of the basis (each n floats):
/// out + k·out_stride receives point k. `diffs` is scratch for the K−1 differences θ_j − θ_0
/// that affine rows use; they are recomputed on every call, and the buffers are kept for the
/// next call when large enough. Shared by the models' evaluators for parameters and for the
/// MLP's first-layer outputs.
void form_points(Backend& backend, const std::vector<const float*>& basis,
                 const std::vector<std::vector<double>>& coeffs, size_t n,
                 std::vector<DeviceBuffer>& diffs, float* out, size_t out_stride);

/// One point of form_points(): `c` is its coefficient row, dst receives n floats. `diffs`
/// holds θ_j − θ_0 when `diffs_ready` (for this basis and n); an affine row computes them and
/// sets it. Results are bit-identical to form_points() for the same row.
void form_point(Backend& backend, const std::vector<const float*>& basis,
                const std::vector<double>& c, size_t n, std::vector<DeviceBuffer>& diffs,
                bool& diffs_ready, float* dst);

/// The basis uploaded to the backend and every point's parameter vector formed from it
/// (point k at params + k·num_params), after PointHooks::on_params. What each model kind's
/// evaluator starts from.
struct DevicePoints {
  std::vector<DeviceBuffer> basis;
  std::vector<const float*> basis_ptr;
  DeviceBuffer params;
};
DevicePoints device_points(Backend& backend, const ParameterPoints& points, size_t num_params,
                           const PointHooks& hooks);

}  // namespace ridgeline
