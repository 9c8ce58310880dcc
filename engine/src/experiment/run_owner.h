#pragma once
// Which process owns a run folder. A run holds an exclusive lock (flock) on
// `<run folder>/.owner` for as long as it runs; the kernel releases it when the process ends,
// however it ends (kill -9 included). A folder whose provenance says "running" but whose lock
// nobody holds was interrupted: it is shown as "interrupted" and resumes with
// `ridgeline run <folder>/experiment.json --out <folder>`. The lock file also records the
// owner (pid, host, start time) for people reading the folder.
#include <string>

namespace ridgeline::detail {

class RunOwner {
 public:
  /// Takes the folder's lock (creating `.owner`); throws InputError naming the folder and the
  /// owner when another process runs in it.
  explicit RunOwner(const std::string& run_dir);
  ~RunOwner();
  RunOwner(const RunOwner&) = delete;
  RunOwner& operator=(const RunOwner&) = delete;

  /// "pid 123 on host h since 2026-01-01T00:00:00Z".
  const std::string& description() const { return description_; }

 private:
  int fd_ = -1;
  std::string description_;
};

/// True when the folder was owned by a run (it has `.owner`) and no process holds its lock
/// any more. A folder without `.owner` (written by an older Ridgeline) is never abandoned.
bool run_is_abandoned(const std::string& run_dir);

/// The status to show for a recorded one: "running" becomes "interrupted" when the folder is
/// abandoned; any other status is returned as is.
std::string shown_status(const std::string& run_dir, const std::string& recorded);

}  // namespace ridgeline::detail
