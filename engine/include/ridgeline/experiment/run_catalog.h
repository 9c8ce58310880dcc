#pragma once
/// @file run_catalog.h
/// The run catalog (docs/ARCHITECTURE.md, "Run folders"): `<workspace>/catalog.sqlite` indexes the run
/// folders of a workspace, their status and headline barriers, for `ridgeline runs` and the
/// GUI's run browser. The run folders stay the source of truth: rescan() rebuilds missing
/// records from them with load_run.
///
/// The schema is created on first open (with a schema_version table); every write is one
/// transaction; concurrent writers (several runs, several processes) wait on each other with a
/// 5 s busy timeout. A file that is not a Ridgeline catalog is an InputError naming it.
/// One RunCatalog is one SQLite connection: use it from one thread at a time.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ridgeline/experiment/run.h"
#include "ridgeline/experiment/spec.h"

struct sqlite3;

namespace ridgeline {

/// One headline barrier of an interpolation step: the mean-endpoint barriers of one split.
struct RunBarrier {
  std::string step;   ///< step id, e.g. "naive"
  std::string split;  ///< "test" or "train"
  double loss_mid = 0;
  double error_mid = 0;
};

struct RunRecord {
  std::string id;       ///< the run folder's name, e.g. "tiny-20250101-120000"
  std::string dir;      ///< the run folder (absolute path)
  std::string name;     ///< experiment name
  /// "running", "finished", "cancelled", "failed", or "interrupted": recorded as running,
  /// but no process runs in the folder any more (killed); rerunning it with --out resumes it.
  std::string status;
  std::string started;  ///< ISO 8601 UTC, e.g. "2025-01-01T12:00:00Z"
  double seconds = 0;
  std::string data;     ///< data set name of the spec
  std::string arch;     ///< e.g. "mlp:784,512,10"
  std::string device;   ///< backend description
  std::vector<RunBarrier> barriers;  ///< in step order, test before train

  /// The first step's test barrier, if any (the headline of `runs list`).
  const RunBarrier* headline() const;
  /// The lowest test loss barrier among the other interpolation steps (typically the best
  /// aligned path, next to the naive headline); null when the run has one path only.
  const RunBarrier* best_other() const;
};

/// The record of a run folder: id from the folder's name, barriers from the summary's
/// interpolations; status and seconds from the summary.
RunRecord make_run_record(const ExperimentSpec& spec, const RunSummary& summary,
                          const std::string& started);

class RunCatalog {
 public:
  /// Opens (creating the workspace folder and the catalog if needed)
  /// `<workspace>/catalog.sqlite`. Throws InputError naming the file.
  explicit RunCatalog(const std::string& workspace);
  ~RunCatalog();
  RunCatalog(RunCatalog&&) noexcept;
  RunCatalog& operator=(RunCatalog&&) noexcept;
  RunCatalog(const RunCatalog&) = delete;
  RunCatalog& operator=(const RunCatalog&) = delete;

  /// Inserts or replaces the record with this id (and its barriers), in one transaction.
  void upsert(const RunRecord& record);
  /// Every record, oldest start first. A run stored as "running" whose folder no process
  /// owns any more is returned as "interrupted" (so are find()'s).
  std::vector<RunRecord> list() const;
  /// The record with this id, else the only one whose id starts with it; nullopt if none.
  /// Throws InputError when a prefix matches several runs.
  std::optional<RunRecord> find(const std::string& id_or_prefix) const;
  /// Indexes the run folders under <workspace>/runs that are not in the catalog yet (with
  /// load_run; folders that are not run folders are skipped). Returns how many were added.
  int rescan();

  const std::string& file() const { return file_; }

 private:
  void exec(const char* sql) const;
  std::string workspace_, file_;
  sqlite3* db_ = nullptr;
};

}  // namespace ridgeline
