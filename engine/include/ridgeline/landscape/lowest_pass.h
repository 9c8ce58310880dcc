#pragma once
/// @file lowest_pass.h
/// The lowest pass between two cells of a computed grid and the 0-dimensional persistence of
/// the surface (docs/USER_GUIDE.md, "Landscapes"). Both add the grid's cells in increasing
/// order of loss (ties: lower index first; NaN losses last) to a union–find:
///  - the lowest pass is the minimax path: of all paths on the grid between the two cells, one
///    whose highest loss is lowest. Its height is the loss of the cell whose addition first
///    joins the two cells; the path returned is a shortest path (breadth-first, fewest cells)
///    through cells no higher than that;
///  - persistence: a cell with no added neighbour starts a basin (its minimum); a cell that
///    joins two basins is a saddle where the younger basin (higher minimum) dies (the elder
///    rule). Persistence = saddle − minimum; the global minimum never dies (infinite).
/// Neighbours are 4-connected (edges of the grid) or 8-connected (diagonals too). 4 is the
/// conservative choice: a diagonal step crosses a grid square between two cells that may
/// both be high.
#include <limits>
#include <vector>

#include "ridgeline/landscape/grid.h"

namespace ridgeline {

/// Column i (x index) and row j (y index) of a grid.
struct GridCell {
  int i = 0, j = 0;
  bool operator==(const GridCell&) const = default;
};

/// A path of neighbouring cells and its values. The barriers are measured along its length
/// s in the (x, y) plane, t = s / s_total: barrier_lin = max_k [L_k − ((1−t_k)L_first +
/// t_k·L_last)], barrier_mid = max_k L_k − ½(L_first + L_last) (docs/USER_GUIDE.md, "Barriers");
/// the same for the error (NaN when the model has no accuracy).
struct GridPath {
  std::vector<GridCell> cells;
  std::vector<double> x, y;         ///< the cells' coordinates
  std::vector<double> loss, error;  ///< the cells' values
  double max_loss = 0;              ///< the highest loss on the path
  GridCell highest;                 ///< where it is (the pass's saddle)
  double loss_lin = 0, loss_mid = 0, error_lin = 0, error_mid = 0;
};

/// The values and barriers of a given list of cells (each must be on the grid).
GridPath grid_path(const LandscapeGrid& grid, const std::vector<GridCell>& cells);

/// The cell nearest to (x, y) (ties: the lower index).
GridCell nearest_cell(const LandscapeGrid& grid, double x, double y);

/// The straight path along one grid row j from column i0 to column i1 (both included): the
/// linear path between two models that lie on the same row.
GridPath row_path(const LandscapeGrid& grid, int j, int i0, int i1);

/// The lowest pass from `from` to `to` (connectivity 4 or 8). Throws InputError for a bad
/// connectivity or a cell outside the grid.
GridPath lowest_pass(const LandscapeGrid& grid, GridCell from, GridCell to, int connectivity = 4);

/// One basin of the surface: born at its minimum, dying at the saddle where it merges into
/// an older basin. The global minimum has death = +inf and no saddle (saddle = {-1, -1}).
struct PersistencePair {
  double birth = 0;
  double death = std::numeric_limits<double>::infinity();
  GridCell minimum;
  GridCell saddle{-1, -1};
  double persistence() const { return death - birth; }
};

/// Every basin with persistence > 0, by persistence descending (the global minimum first),
/// ties by birth. Cells with NaN loss are left out (they join no basin).
std::vector<PersistencePair> persistence_pairs(const LandscapeGrid& grid, int connectivity = 4);

}  // namespace ridgeline
