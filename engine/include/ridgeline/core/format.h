#pragma once
/// @file format.h
/// One display rule per quantity, shared by the CLI, the tables, tooltips and figures
/// (docs/USER_GUIDE.md, "Numbers"): a loss (or a loss barrier) to 4 significant digits; an error
/// (a fraction everywhere in files and JSON) in percent with 2 decimals; an error barrier (a
/// difference of errors) in percentage points with 2 decimals and a sign; α to 3 decimals.
/// Files keep full precision (CSV 17 significant digits, JSON doubles): these rules are for text.
/// An undefined value (NaN, e.g. the error of a model without accuracy) prints as "n/a".
#include <string>

namespace ridgeline {

/// 4 significant digits: "1.453", "0.002518", "12.35", "1.235e+04".
std::string format_loss(double loss);
/// Error fraction in percent, 2 decimals: 0.5849 → "58.49%".
std::string format_error(double fraction);
/// Error-barrier fraction in signed percentage points, 2 decimals: 0.5849 → "+58.49%".
std::string format_error_barrier(double fraction);
/// Loss barrier: 4 significant digits with a sign: "+1.453", "-0.0001234"; exactly 0 is "0".
std::string format_loss_barrier(double loss);
/// α (or t) in [0, 1]: 3 decimals, "0.458".
std::string format_alpha(double alpha);
/// Wall-clock seconds: "0.84 s", "12.3 s", "3 min 05 s", "1 h 02 min".
std::string format_seconds(double seconds);

}  // namespace ridgeline
