#include "cli/progress.h"

#include <unistd.h>

#include <cstdio>

namespace ridgeline::cli {

ProgressPrinter::ProgressPrinter() : tty_(isatty(STDERR_FILENO) != 0) {}
ProgressPrinter::~ProgressPrinter() { finish(); }

void ProgressPrinter::operator()(const Progress& p) {
  const double frac = p.total > 0 ? static_cast<double>(p.done) / p.total : 0.0;
  if (tty_) {
    auto now = std::chrono::steady_clock::now();
    if (p.done != p.total && now - last_draw_ < std::chrono::milliseconds(100) && p.stage == stage_) return;
    last_draw_ = now;
    stage_ = p.stage;
    const int width = 30, filled = static_cast<int>(frac * width + 0.5);
    std::string bar(filled, '#');
    bar += std::string(width - filled, '.');
    std::fprintf(stderr, "\r\033[K[%s] %3d%% %s %s", bar.c_str(), static_cast<int>(frac * 100),
                 p.stage.c_str(), p.message.c_str());
    std::fflush(stderr);
    bar_shown_ = true;
    return;
  }
  if (p.stage != stage_) {
    stage_ = p.stage;
    last_decile_ = -1;
  }
  const int decile = static_cast<int>(frac * 10);
  if (decile == last_decile_) return;
  last_decile_ = decile;
  std::fprintf(stderr, "progress: %s %lld/%lld (%d%%) %s\n", p.stage.c_str(), p.done, p.total,
               static_cast<int>(frac * 100), p.message.c_str());
}

void ProgressPrinter::line(const std::string& text) {
  if (bar_shown_) std::fputs("\r\033[K", stderr);
  std::fprintf(stderr, "%s\n", text.c_str());
  bar_shown_ = false;
}

void ProgressPrinter::finish() {
  if (bar_shown_) std::fputs("\n", stderr);
  bar_shown_ = false;
}

}  // namespace ridgeline::cli
