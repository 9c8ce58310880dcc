#pragma once
/// @file progress.h
/// Progress reporting and cooperative cancellation shared by every long operation.
/// Threading contract: callbacks are invoked on the worker thread that runs the operation;
/// a GUI must queue what it receives to its own thread and coalesce redraws.
#include <atomic>
#include <functional>
#include <string>

namespace ridgeline {

/// Set from any thread; long operations poll it between steps and throw Cancelled.
class CancelToken {
 public:
  void cancel() { flag_.store(true, std::memory_order_relaxed); }
  bool cancelled() const { return flag_.load(std::memory_order_relaxed); }
  /// Throws Cancelled when cancel() was called.
  void check() const;

 private:
  std::atomic<bool> flag_{false};
};

/// One progress report: `stage` names the work ("train seed0", "interpolate"),
/// `done`/`total` count its units (steps, points), `message` is a short human line.
struct Progress {
  std::string stage;
  long long done = 0;
  long long total = 0;
  std::string message;
};

using ProgressFn = std::function<void(const Progress&)>;

}  // namespace ridgeline
