// Display rules for numbers (see format.h).
#include "ridgeline/core/format.h"

#include <cmath>
#include <cstdio>

namespace ridgeline {

namespace {
std::string printf_string(const char* fmt, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}
}  // namespace

std::string format_loss(double loss) {
  if (std::isnan(loss)) return "n/a";
  return printf_string("%.4g", loss);
}

std::string format_loss_barrier(double loss) {
  if (std::isnan(loss)) return "n/a";
  if (loss == 0) return "0";  // no sign on an exact zero (an endpoint maximum)
  return printf_string("%+.4g", loss);
}

std::string format_error(double fraction) {
  if (std::isnan(fraction)) return "n/a";
  return printf_string("%.2f%%", 100.0 * fraction);
}

std::string format_error_barrier(double fraction) {
  if (std::isnan(fraction)) return "n/a";
  return printf_string("%+.2f%%", 100.0 * fraction);
}

std::string format_alpha(double alpha) {
  if (std::isnan(alpha)) return "n/a";
  return printf_string("%.3f", alpha);
}

std::string format_seconds(double s) {
  if (std::isnan(s) || s < 0) return "n/a";
  char buf[64];
  if (s < 10) std::snprintf(buf, sizeof buf, "%.2f s", s);
  else if (s < 60) std::snprintf(buf, sizeof buf, "%.1f s", s);
  else if (s < 3600) {
    const long t = std::lround(s);
    std::snprintf(buf, sizeof buf, "%ld min %02ld s", t / 60, t % 60);
  } else {
    const long t = std::lround(s / 60);
    std::snprintf(buf, sizeof buf, "%ld h %02ld min", t / 60, t % 60);
  }
  return buf;
}

}  // namespace ridgeline
