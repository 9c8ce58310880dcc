// The MPI layer of `ridgeline landscape` (cli/mpi_shard.h).
#include "cli/mpi_shard.h"

#include <cstdlib>
#include <new>
#include <string>

#include "ridgeline/core/errors.h"

#ifdef RIDGELINE_HAVE_MPI
// The C API only: OpenMPI's and MPICH's mpi.h otherwise pull in the deprecated C++ bindings.
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>
#endif

namespace ridgeline::cli {

namespace {

// A variable set by an MPI launcher: OpenMPI's mpirun, PMIx (srun --mpi=pmix, OpenMPI 4/5),
// PMI-1/2 (srun --mpi=pmi2, MPICH's hydra).
int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  const long n = std::strtol(v, &end, 10);
  return (*end == 0 && n >= 0 && n < (1 << 24)) ? static_cast<int>(n) : fallback;
}

bool launched() {
  return std::getenv("OMPI_COMM_WORLD_SIZE") || std::getenv("PMIX_RANK") ||
         std::getenv("PMI_SIZE");
}

int launched_size() {
  return env_int("OMPI_COMM_WORLD_SIZE", env_int("PMI_SIZE", env_int("SLURM_NTASKS", 1)));
}

[[maybe_unused]] int launched_rank() {
  return env_int("OMPI_COMM_WORLD_RANK", env_int("PMIX_RANK", env_int("PMI_RANK", 0)));
}

[[noreturn]] void rethrow(int code, const std::string& message) {
  if (code == 2) throw InputError(message);
  if (code == 130) throw Cancelled();
  throw RunError(message);
}

}  // namespace

MpiShard::MpiShard() {
  if (!launched()) return;
  launched_size_ = launched_size();
#ifdef RIDGELINE_HAVE_MPI
  int ready = 0;
  MPI_Initialized(&ready);
  if (!ready) MPI_Init(nullptr, nullptr);
  joined_ = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
#else
  // Not joined: every process would compute the whole grid and write the same files; agree()
  // refuses instead (rank 0 says why, the others stay silent).
  rank_ = launched_rank();
#endif
}

MpiShard::~MpiShard() {
#ifdef RIDGELINE_HAVE_MPI
  if (joined_) {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Finalize();
  }
#endif
}

int MpiShard::agree(const std::function<void()>& work) {
  if (!joined_ && launched_size_ > 1) {
    if (rank_ != 0) return 2;
    throw InputError("started by an MPI launcher with " + std::to_string(launched_size_) +
                     " processes, but this ridgeline was built without MPI "
                     "(-DRIDGELINE_MPI=ON with libopenmpi-dev); run it as one process");
  }
  if (size_ == 1) {
    work();
    return 0;
  }
#ifdef RIDGELINE_HAVE_MPI
  int code = 0;
  std::string message;
  try {
    work();
  } catch (const InputError& e) {
    code = 2;
    message = e.what();
  } catch (const Cancelled&) {
    code = 130;
    message = "cancelled";
  } catch (const std::bad_alloc&) {
    code = 1;
    message = "out of memory";
  } catch (const std::exception& e) {
    code = 1;
    message = e.what();
  }
  int failing = code ? rank_ : size_, first = size_;
  MPI_Allreduce(&failing, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  if (first == size_) return 0;
  MPI_Bcast(&code, 1, MPI_INT, first, MPI_COMM_WORLD);
  int length = static_cast<int>(message.size());
  MPI_Bcast(&length, 1, MPI_INT, first, MPI_COMM_WORLD);
  message.resize(static_cast<size_t>(length));
  MPI_Bcast(message.data(), length, MPI_CHAR, first, MPI_COMM_WORLD);
  if (rank_ != 0) return code;
  rethrow(code, first == 0 ? message : message + " (rank " + std::to_string(first) + ")");
#else
  return 0;  // unreachable: size_ is 1 without MPI
#endif
}

GridRows MpiShard::gather_rows(const GridRows& mine) const {
  if (size_ == 1) return mine;
  GridRows all;
#ifdef RIDGELINE_HAVE_MPI
  const int n = static_cast<int>(mine.index.size());
  const int per_row = n ? static_cast<int>(mine.values.size()) / n : 0;
  std::vector<int> counts(rank_ == 0 ? size_ : 0), widths(rank_ == 0 ? size_ : 0);
  MPI_Gather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
  MPI_Gather(&per_row, 1, MPI_INT, widths.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
  std::vector<int> offsets, value_counts, value_offsets;
  if (rank_ == 0) {
    int total = 0, total_values = 0;
    for (int r = 0; r < size_; ++r) {
      offsets.push_back(total);
      value_offsets.push_back(total_values);
      value_counts.push_back(counts[r] * widths[r]);
      total += counts[r];
      total_values += value_counts.back();
    }
    all.index.resize(static_cast<size_t>(total));
    all.values.resize(static_cast<size_t>(total_values));
  }
  MPI_Gatherv(mine.index.data(), n, MPI_INT, all.index.data(), counts.data(), offsets.data(),
              MPI_INT, 0, MPI_COMM_WORLD);
  MPI_Gatherv(mine.values.data(), static_cast<int>(mine.values.size()), MPI_DOUBLE,
              all.values.data(), value_counts.data(), value_offsets.data(), MPI_DOUBLE, 0,
              MPI_COMM_WORLD);
#endif
  return all;
}

long long MpiShard::sum(long long value) const {
  if (size_ == 1) return value;
  long long total = value;
#ifdef RIDGELINE_HAVE_MPI
  MPI_Allreduce(&value, &total, 1, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
#endif
  return total;
}

}  // namespace ridgeline::cli
