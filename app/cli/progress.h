#pragma once
// Progress output for the subcommands: a redrawn bar on a terminal, plain lines otherwise
// (at most one per 10% of a stage). Writes to stderr so stdout stays machine-readable.
#include <chrono>
#include <string>

#include "ridgeline/core/progress.h"

namespace ridgeline::cli {

class ProgressPrinter {
 public:
  ProgressPrinter();
  ~ProgressPrinter();
  void operator()(const Progress& p);
  /// Prints a log line without garbling the bar.
  void line(const std::string& text);
  void finish();

 private:
  bool tty_;
  bool bar_shown_ = false;
  std::string stage_;
  int last_decile_ = -1;
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace ridgeline::cli
