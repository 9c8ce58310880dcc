#pragma once
/// @file grid.h
/// Loss and error on an n×m grid of a slice (landscape/plane.h), evaluated through the
/// evaluator over parameter points (paths/evaluator.h) in batches of whole grid rows (fixed y,
/// every x; GridOptions::batch_points). Finished rows can be kept in a resume folder (one file per
/// row, written atomically); a restarted computation with the same slice, grid, data and chunk
/// skips them and gives the same numbers, bit for bit (for a fixed backend and thread count: the
/// CPU backend is bit-identical for a fixed thread count, docs/ARCHITECTURE.md).
#include <string>
#include <vector>

#include "ridgeline/core/backend.h"
#include "ridgeline/core/precision.h"
#include "ridgeline/core/progress.h"
#include "ridgeline/data/dataset.h"
#include "ridgeline/landscape/plane.h"

namespace ridgeline {

/// The grid: nx values of x in [x0, x1] and ny values of y in [y0, y1], endpoints included.
struct GridSpec {
  int nx = 21, ny = 21;
  double x0 = -0.5, x1 = 1.5, y0 = -0.5, y1 = 1.5;
};

/// v_i = ((n−1−i)·lo + i·hi)/(n−1): with lo = −hi the axis is exactly symmetric
/// (v_{n−1−i} = −v_i) and its centre is exactly 0 for odd n. n = 1 gives {lo}.
std::vector<double> grid_axis(int n, double lo, double hi);

/// Values on the grid, row-major: value (i, j) at x = xs[i], y = ys[j] is index j·nx + i.
/// Errors are NaN for models without accuracy.
struct LandscapeGrid {
  std::vector<double> xs, ys;
  std::vector<double> loss, error;
  Precision precision = Precision::Fp32;  ///< the GEMMs' precision (recorded in the files)
  int nx() const { return static_cast<int>(xs.size()); }
  int ny() const { return static_cast<int>(ys.size()); }
  double loss_at(int i, int j) const { return loss[static_cast<size_t>(j) * xs.size() + i]; }
  double error_at(int i, int j) const { return error[static_cast<size_t>(j) * xs.size() + i]; }
};

struct GridOptions {
  int chunk = 1000;  ///< data rows per evaluation chunk (part of the resume key)
  /// The GEMMs' precision (core/precision.h; part of the resume key). bf16 throws InputError
  /// saying why where it cannot run (a model kind without a bf16 path, no oneDNN, no
  /// AVX512-BF16); it never falls back to fp32.
  Precision precision = Precision::Fp32;
  /// Points per evaluated batch: whole grid rows, at least one (so the first layer's shared
  /// GEMMs serve more points); fixed groups of rows, part of the resume key.
  int batch_points = 64;
  /// Empty: no resume. Else a folder (created) that keeps key.json and one file per finished
  /// row; remove it once the results are written (remove_resume_folder).
  std::string resume_dir;
  ProgressFn progress;  ///< stage "landscape", done/total in points, time left
  const CancelToken* cancel = nullptr;
  /// Sharding (the command line's MPI layer, docs/USER_GUIDE.md "Landscapes"): only the row
  /// groups gi with gi % shard_count == shard_index are evaluated (and read from the resume
  /// folder); the other rows stay NaN. The groups are the same for every shard_count, so every
  /// row has the bits of an unsharded run. Progress counts this shard's points.
  int shard_index = 0, shard_count = 1;
};

/// What evaluate_grid did besides the values.
struct GridRun {
  int rows_resumed = 0;  ///< rows read from the resume file
  double seconds = 0;    ///< wall-clock of this call
  std::vector<int> rows;  ///< the rows this call holds (all of them unless sharded), ascending
};

/// Whole rows of a grid, for moving them between processes: row index[k] is
/// values[k·2·nx, (k+1)·2·nx): nx losses then nx errors.
struct GridRows {
  std::vector<int> index;
  std::vector<double> values;
};

/// The rows `rows` of `g`, packed.
GridRows pack_grid_rows(const LandscapeGrid& g, const std::vector<int>& rows);

/// Writes packed rows into `g` (its axes set, loss and error sized nx·ny). Throws InputError
/// when a row index is outside the grid, repeated, or the values do not fill whole rows; with
/// `complete`, also when a row of the grid is missing (the assembled grid of every shard).
void unpack_grid_rows(LandscapeGrid& g, const GridRows& rows, bool complete);

/// Evaluates every grid point of the slice on `data` (null for models without data).
/// Throws InputError for a bad grid (n < 1 or > 100001, non-finite or reversed ranges) or
/// when the resume folder holds another computation (it names the folder); Cancelled when
/// cancelled (finished rows stay in the resume folder).
LandscapeGrid evaluate_grid(Backend& backend, const ModelArch& arch, const LandscapeBasis& basis,
                            const Dataset* data, const GridSpec& grid, const GridOptions& options,
                            GridRun* run = nullptr);

/// Removes a resume folder's files (key.json, row-*.bin) and the folder; missing is fine.
void remove_resume_folder(const std::string& dir);

/// Loss and error at arbitrary coordinates of the slice, through the same rows as the grid.
PointValues evaluate_coordinates(Backend& backend, const ModelArch& arch,
                                 const LandscapeBasis& basis, const Dataset* data,
                                 const std::vector<std::pair<double, double>>& xy,
                                 int chunk = 1000);

}  // namespace ridgeline
