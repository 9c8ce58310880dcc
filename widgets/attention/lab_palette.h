#pragma once
/// @file lab_palette.h
/// The attention lab's variant colours: Okabe–Ito (colour-blind safe), in order, cycling. The
/// metric chart and the accuracy chart give variant i the same colour.
#include <QColor>

namespace ridgeline::widgets {

inline QColor variant_colour(int i) {
  static const QColor kColours[] = {{0, 114, 178}, {213, 94, 0},   {0, 158, 115},   {204, 121, 167},
                                    {230, 159, 0}, {86, 180, 233}, {120, 120, 120}, {240, 228, 66}};
  return kColours[static_cast<unsigned>(i) % 8];
}

}  // namespace ridgeline::widgets
