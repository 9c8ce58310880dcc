#pragma once
/// @file landscape.h
/// A loss landscape: a slice (plane.h), its grid of loss and error (grid.h), the lowest pass
/// between the plane's first two models and the surface's persistence pairs (lowest_pass.h),
/// and its files (docs/USER_GUIDE.md, "Landscapes"):
///   <stem>.json           metadata: slice, models' coordinates, norms, ranges, n×m, split,
///                         pass and linear path on the grid, persistence pairs
///   <stem>.loss.npy, <stem>.error.npy   [ny, nx] float64 (row j = ys[j])
///   <stem>.xs.npy, <stem>.ys.npy        the axes
///   <vts>                 VTK XML StructuredGrid (points (x, y, loss); point arrays loss and
///                         error), for ParaView
/// The files hold no timings, so a resumed computation writes the same bytes as an
/// uninterrupted one.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ridgeline/io/npy.h"
#include "ridgeline/landscape/grid.h"
#include "ridgeline/landscape/lowest_pass.h"
#include "ridgeline/landscape/plane.h"

namespace ridgeline {

struct LandscapeResult {
  LandscapeInfo info;
  std::string split;  ///< "test" or "train" ("" for models without data)
  int subset = 0;     ///< samples evaluated (0: all of the split)
  int connectivity = 4;
  LandscapeGrid grid;
  /// Plane only (when asked): the lowest pass between the cells nearest A = (0, 0) and
  /// B = (1, 0), and the linear path A → B along the grid row nearest y = 0.
  std::optional<GridPath> pass, linear;
  std::vector<PersistencePair> persistence;
  double seconds = 0;    ///< wall-clock of the computation (not written to files)
  int rows_resumed = 0;  ///< rows taken from the resume folder (not written to files)
};

/// What compute_landscape evaluates besides the slice.
struct LandscapeConfig {
  GridSpec grid;
  std::string split = "test";
  int subset = 0;    ///< recorded: the caller passes the subset as `data`
  bool pass = true;  ///< planes: the lowest pass A → B
  int connectivity = 4;
  GridOptions options;
};

/// The grid of `basis` on `data` (null for models without data), its pass and persistence.
/// Throws what evaluate_grid and lowest_pass throw.
LandscapeResult compute_landscape(Backend& backend, const ModelArch& arch,
                                  const LandscapeBasis& basis, const Dataset* data,
                                  const LandscapeConfig& config);

/// What compute_landscape makes of a grid evaluated elsewhere (the gathered shards of an MPI
/// run): the same result, pass and persistence, for the same grid. Throws what lowest_pass
/// throws.
LandscapeResult landscape_from_grid(const ModelArch& arch, const LandscapeBasis& basis,
                                    LandscapeGrid grid, const LandscapeConfig& config);

/// The metadata JSON (without the grids) as written to <stem>.json.
std::string landscape_to_json(const LandscapeResult& r, const std::string& stem);
/// The .vts text (VTK XML StructuredGrid, inline base64 binary Float64 arrays).
std::string landscape_vts(const LandscapeResult& r);
/// Writes <dir>/<stem>.json, the four .npy files, and the .vts at `vts_path` (skipped when
/// empty), every file atomically.
void write_landscape(const LandscapeResult& r, const std::string& dir, const std::string& stem,
                     const std::string& vts_path);
/// Reads <stem>.json and its .npy grids back (what the view loads). Throws InputError naming
/// the file when one is missing or malformed.
LandscapeResult load_landscape(const std::string& json_path);

/// The grid arrays a landscape JSON names: called with the key ("xs", "ys", "loss", "error")
/// and the file name given under `files` (a plain name, no folder). load_landscape reads the
/// .npy beside the JSON.
using LandscapeArrayReader =
    std::function<NpyArray(const std::string& key, const std::string& file)>;

/// load_landscape's parser, a pure function of the text and the arrays: `source` names the
/// JSON in errors. Throws InputError ("<source>: <key>: <problem>", one line) for anything
/// malformed: wrong types, axes not finite and strictly increasing, grids not [ny, nx], a cell
/// of a path or basin outside the grid, a path's arrays of different lengths.
LandscapeResult parse_landscape_json(const std::string& text, const std::string& source,
                                     const LandscapeArrayReader& read_array);

/// Short summary line: "pass barrier +0.12 (mean-endpoint), linear path +0.95; 3 basins".
std::string landscape_summary(const LandscapeResult& r);

}  // namespace ridgeline
