#pragma once
// The MPI layer of `mpirun -np N ridgeline landscape …` (docs/USER_GUIDE.md, "Landscapes"):
// the processes started by mpirun or srun agree on errors and gather the grid's rows on rank 0.
// The engine knows nothing of MPI: it evaluates a shard of the row groups
// (GridOptions::shard_index/shard_count) and packs and unpacks rows (landscape/grid.h).
// Built without MPI (-DRIDGELINE_MPI=OFF, or no MPI found), every process is rank 0 of 1, and
// a launch with several processes is refused with one line.
#include <functional>

#include "ridgeline/landscape/grid.h"

namespace ridgeline::cli {

class MpiShard {
 public:
  /// Joins the job (MPI_Init) when a launcher started this process (OMPI_COMM_WORLD_SIZE,
  /// PMIX_RANK or PMI_SIZE in the environment); else rank 0 of 1, and MPI is never touched.
  MpiShard();
  /// MPI_Finalize when joined.
  ~MpiShard();
  MpiShard(const MpiShard&) = delete;
  MpiShard& operator=(const MpiShard&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }

  /// Runs `work` on every rank and agrees on the outcome. Returns 0 when it succeeded on every
  /// rank. Else rank 0 throws the error of the lowest failing rank (its message, with
  /// " (rank K)" appended for K > 0, as InputError, Cancelled or RunError), so that exactly one
  /// line is printed, and every other rank returns that error's exit code (2, 130 or 1)
  /// without printing. With one process, `work`'s exceptions pass through unchanged.
  int agree(const std::function<void()>& work);

  /// Rank 0: the rows of every rank (its own first, then rank 1's, …); other ranks send theirs
  /// and get an empty result.
  GridRows gather_rows(const GridRows& mine) const;

  /// The sum of `value` over the ranks (every rank gets it).
  long long sum(long long value) const;

 private:
  int rank_ = 0, size_ = 1;
  bool joined_ = false;
  int launched_size_ = 1;  ///< the launcher's process count (also without MPI support)
};

}  // namespace ridgeline::cli
