#pragma once
/// @file figure.h
/// A paper figure as a pure description (docs/ARCHITECTURE.md, "Paper figures"): panels side
/// by side, each with two axes, series (lines or grouped bars) with colour, line style and
/// marker, barrier markers and a legend. Builders (app/figures/) fill it from engine result
/// structs; figure_render.h draws it onto PDF, SVG or PNG at a size in millimetres, and
/// figure_python.h writes a matplotlib script and its data that redraw it. No Qt here.
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace ridgeline::figure {

/// sRGB colour.
struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
  bool operator==(const Rgb&) const = default;
  /// "#rrggbb".
  std::string hex() const;
};

/// The Okabe–Ito colour-blind-safe palette (Okabe & Ito 2008, "Color Universal Design"),
/// in the order series take it: blue, vermillion, bluish green, reddish purple, orange, sky
/// blue, black, yellow (last: faint on white).
Rgb palette(size_t index);
/// Neutral grey for "before" bars, chords and notes.
Rgb grey();

enum class LineStyle { Solid, Dashed, Dotted, DashDot, None };
enum class Marker { None, Circle, Square, TriangleUp, Diamond, TriangleDown, Plus, Cross };
/// Marker k of the cycle every multi-series figure uses (never None).
Marker marker_cycle(size_t index);

/// What a series or a legend entry looks like.
struct Style {
  Rgb color;
  LineStyle line = LineStyle::Solid;
  Marker marker = Marker::None;
  bool bar = false;  ///< a filled bar (legend: a filled square)
  double width = 1;  ///< line width as a multiple of the figure's (the lowest pass: thicker)
};

/// One series of a panel: a polyline through (x, y) — NaN points break the line — or, for a
/// category axis, one bar per category (y[i] above category i) in group slot `slot` of `nslots`.
struct Series {
  std::string label;   ///< what it is ("seed1@wm test loss"); the data file names it
  /// Where its numbers come from ("results/naive.json test.loss"), for the data file.
  std::string source;
  std::vector<double> x, y;
  Style style;
  bool bars = false;
  int slot = 0, nslots = 1;
  int mark_every = 1;  ///< a marker on every k-th point (first and last included)
  /// Non-empty (as long as x): a band from lo[i] to hi[i] around the line, filled in the
  /// series' colour, translucent (a study's spread over seed pairs). NaN breaks it.
  std::vector<double> lo, hi;
  /// Draws lo..hi as an error bar (a vertical whisker with caps) at each point instead of a
  /// band: points on a category axis, where a band between categories would mean nothing.
  bool whiskers = false;
  /// A white line under the series (a path on a colour map stays readable on any colour).
  bool halo = false;
};

/// A colour-mapped grid under a panel's series (a contour map): the cells filled through the
/// colormap (colormap.h, viridis), contour lines at `levels`, and a colour bar titled `label`
/// right of the plot.
struct Field {
  std::vector<double> xs, ys;   ///< grid nodes, ascending
  std::vector<double> z;        ///< row-major [iy * xs.size() + ix]; NaN: no data (left blank)
  bool log = false;             ///< log10 colour scale (positive z only)
  double min = NAN, max = NAN;  ///< colour limits (NaN: the data's)
  std::vector<double> levels;   ///< contour lines (empty: none)
  std::string label;            ///< the colour bar's title ("test loss")
  std::string source;           ///< where the numbers come from, for the data file
  bool empty() const { return z.empty(); }
};

/// A named point (a model on a plane): a marker with a white edge and its name to the upper
/// right on a white box.
struct PointLabel {
  double x = 0, y = 0;
  std::string text;
  Style style;
};

/// An axis. Limits left NaN are taken from the data (padded to nice numbers).
struct Axis {
  std::string title;
  double min = NAN, max = NAN;
  bool log = false;          ///< log10 scale (positive data only)
  bool percent = false;      ///< values are fractions; ticks read "20%"
  bool include_zero = false; ///< keep 0 in range (bars)
  bool integer = false;      ///< ticks on integers only (epochs, sweeps)
  /// Non-empty: ticks exactly at these values, labelled "%g" (a sweep's values); the limits
  /// cover them with a little padding (on a log axis, in log space).
  std::vector<double> ticks;
  /// Non-empty: a category axis (bars); category i sits at x = i.
  std::vector<std::string> categories;
  /// Non-empty: replace the tick label at `min` / `max` (a path's endpoint models).
  std::string low_label, high_label;
};

/// The linear-form barrier of a path: a vertical segment at α* from the chord between the
/// endpoints (y_chord) to the curve (y_curve), the chord itself from (x0, y0) to (x1, y1), and
/// its text ("test barrier +1.453"), written above the plot in the marker's colour.
struct BarrierMarker {
  double x = 0, y_chord = 0, y_curve = 0;
  double x0 = 0, y0 = 0, x1 = 1, y1 = 0;
  std::string text;
  Rgb color;
};

struct LegendEntry {
  std::string label;
  Style style;
};

struct Panel {
  Axis x, y;
  std::vector<Series> series;
  std::vector<BarrierMarker> barriers;
  /// A short line above the plot ("no interior barrier"), shown when no barrier is marked.
  std::string note;
  /// Entries drawn under this panel only (an empty list: none).
  std::vector<LegendEntry> legend;
  /// A colour map under everything (empty: none); with it the plot has no grid lines.
  Field field;
  /// Named points drawn over the series.
  std::vector<PointLabel> points;
  /// One unit of x as long as one unit of y (a plane's coordinates): the plot shrinks to fit.
  bool equal_aspect = false;
};

struct Figure {
  std::string view;                 ///< the view it shows ("paths:naive")
  std::vector<Panel> panels;        ///< side by side, left to right
  std::vector<LegendEntry> legend;  ///< under all panels
};

/// How big, in what font size, at what resolution (PNG only).
struct FigureSize {
  double width_mm = 89, height_mm = 60;
  double font_pt = 8;
  int dpi = 300;
};

/// One axis as drawn: its limits, ticks and their labels.
struct AxisLayout {
  double min = 0, max = 1;
  bool log = false;
  std::vector<double> ticks;
  std::vector<std::string> labels;
};

struct PanelLayout {
  AxisLayout x, y;
  /// The colour bar's axis (limits = the colour limits), when the panel has a field.
  AxisLayout color;
};

/// The colour limits of a field: min/max where set, else the finite (on a log scale: positive)
/// data's. False when there is no such value.
bool field_limits(const Field& field, double* lo, double* hi);

/// The limits and ticks of every panel's axes for a figure drawn at `size` (the tick count
/// follows the panel's size in font heights): the renderer and the Python export share them,
/// so both draw the same ticks.
std::vector<PanelLayout> layout_axes(const Figure& fig, const FigureSize& size);

/// Nice tick step (1, 2 or 5 × 10^k) for `range` split into about `target` intervals.
double nice_step(double range, double target);
/// Tick label of `value` on an axis with tick step `step` (percent: a fraction shown as "20%").
std::string tick_label(double value, double step, bool percent);

/// Checks a size: width and height in 20..500 mm, font 4..30 pt, dpi 50..2400. Returns the
/// problem naming the option ("--width-mm: 5 is out of range 20..500"), or empty.
std::string check_size(const FigureSize& size);
/// For a PNG: at most 100 million pixels (400 MB of image). Returns the problem naming --dpi,
/// or empty.
std::string check_png_size(const FigureSize& size);

}  // namespace ridgeline::figure
