#pragma once
/// @file quantity_text.h
/// The display rules of ridgeline/core/format.h as QStrings, for every table, tooltip, label
/// and legend of the widgets (docs/USER_GUIDE.md, "Numbers"): a loss to 4 significant digits,
/// an error in percent with 2 decimals, barriers signed, α to 3 decimals. Files (CSV) keep
/// full precision and are not written with these.
#include <QString>

#include "ridgeline/core/format.h"

namespace ridgeline::widgets {

inline QString loss_text(double v) { return QString::fromStdString(format_loss(v)); }
inline QString error_text(double fraction) { return QString::fromStdString(format_error(fraction)); }
inline QString loss_barrier_text(double v) { return QString::fromStdString(format_loss_barrier(v)); }
inline QString error_barrier_text(double fraction) {
  return QString::fromStdString(format_error_barrier(fraction));
}
inline QString alpha_text(double alpha) { return QString::fromStdString(format_alpha(alpha)); }
inline QString seconds_text(double s) { return QString::fromStdString(format_seconds(s)); }

}  // namespace ridgeline::widgets
