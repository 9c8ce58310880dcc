#pragma once
/// @file figure_python.h
/// Export as Python: next to a figure FIG.ext, FIG.py (a self-contained matplotlib script, no
/// Ridgeline import) and FIG.csv (its data, full precision) that redraw the same figure — same
/// panels, styles, labels, limits and ticks (figure.h's layout_axes), size in inches from mm,
/// font size — and save FIG-matplotlib.pdf (never replacing a FIG.pdf Ridgeline wrote), or the
/// path given as its first argument.
#include <QString>
#include <string>

#include "widgets/figure/figure.h"

namespace ridgeline::figure {

struct PythonFiles {
  QString script;  ///< FIG.py
  QString data;    ///< FIG.csv
  QString grid;    ///< FIG.grid.csv: the colour maps' grids (written only when a panel has one)
};
/// The script and data paths of figure `figure_path` (its suffix replaced).
PythonFiles python_paths(const QString& figure_path);

/// The data: one row per point, "panel,series,label,x,y" (a bar's x is its category index;
/// an undefined value is an empty field), numbers with 17 significant digits.
std::string python_data(const Figure& fig);
/// The colour maps' grids: one row per node, "panel,ix,iy,x,y,z" (z empty where undefined).
/// Empty when no panel has a field.
std::string python_grid(const Figure& fig);
/// The script that reads `data_name` (a file name next to it) and saves `default_out`.
std::string python_script(const Figure& fig, const FigureSize& size, const std::string& data_name,
                          const std::string& default_out);

/// Writes the script and data (and the grid when a panel has a field) atomically. False with a one-line reason naming the file.
bool write_python(const Figure& fig, const FigureSize& size, const QString& figure_path, QString* error);

}  // namespace ridgeline::figure
