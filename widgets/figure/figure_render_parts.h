#pragma once
// Private to the renderer (figure_render.h): what its files share. Everything is laid out in
// points (1/72 in) with the painter scaled to the device's dpi; fonts are sized so that text is
// exactly FigureSize::font_pt on paper.
// - figure_marks.cpp: series (lines, bands, whiskers, bars), markers, barriers, named points and
//   the line above a plot;
// - figure_legend.cpp: legends flowed in rows;
// - figure_category_axis.cpp: which tick labels fit, and how a category axis fits them all;
// - figure_page_layout.cpp: the metrics of a size and where every panel's plot goes;
// - figure_render.cpp: paint_figure, which draws the page so laid out.
#include <QColor>
#include <QFont>
#include <QFontMetricsF>
#include <QPen>
#include <QRectF>
#include <QString>
#include <cmath>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "widgets/figure/figure.h"

class QPainter;

namespace ridgeline::figure::render_detail {

constexpr double kPtPerMm = 72.0 / 25.4;

inline QColor qcolor(const Rgb& c) { return QColor(c.r, c.g, c.b); }
inline QString qs(const std::string& s) { return QString::fromStdString(s); }

// Maps data to the plot rectangle of one panel.
struct Mapper {
  QRectF plot;
  AxisLayout x, y;
  double fx(double v) const { return plot.left() + frac(x, v) * plot.width(); }
  double fy(double v) const { return plot.bottom() - frac(y, v) * plot.height(); }
  static double frac(const AxisLayout& a, double v) {
    if (a.log) return (std::log10(v) - std::log10(a.min)) / (std::log10(a.max) - std::log10(a.min));
    return (v - a.min) / (a.max - a.min);
  }
};

struct Metrics {
  QFont font;
  QFontMetricsF fm;
  double F;       // font size, pt
  double lh;      // line height
  double tick;    // tick length
  double gap;     // text gap
  double line_w;  // series line width
  double marker;  // marker diameter
  double sample;  // legend sample length
};

inline double text_w(const Metrics& m, const std::string& s) { return m.fm.horizontalAdvance(qs(s)); }

// --- figure_marks.cpp ---
QPen line_pen(const Style& s, double width);
// A marker of diameter `d` pt centred at c.
void draw_marker(QPainter& p, Marker m, QPointF c, double d, const QColor& color);
void draw_series(QPainter& p, const Metrics& m, const Mapper& map, const Series& s);
void draw_barrier(QPainter& p, const Metrics& m, const Mapper& map, const BarrierMarker& b);
// A named point: its marker with a white edge, its name to the upper right on a white box.
void draw_point(QPainter& p, const Metrics& m, const Mapper& map, const PointLabel& pt);
// The line above a plot: its barriers' texts ("test barrier +0.4434", in the marker's colour),
// else its note ("no interior barrier").
void draw_header(QPainter& p, const Metrics& m, const Panel& pn, const QRectF& box);

// --- figure_legend.cpp ---
void draw_legend(QPainter& p, const Metrics& m, const std::vector<LegendEntry>& entries,
                 const QRectF& box);
double legend_height(const Metrics& m, const std::vector<LegendEntry>& entries, double width);

// --- figure_category_axis.cpp ---
// Indices of x tick labels that fit side by side (endpoints first).
std::vector<bool> fitting_labels(const Metrics& m, const Mapper& map, const AxisLayout& ax,
                                 double lo_bound, double hi_bound, std::vector<double>* lefts);

// A category axis' labels as drawn: the font (maybe shrunk), which labels show, where, and on
// which row (row r: staggered r lines lower; label i is on row i mod rows).
struct CategoryLabels {
  Metrics lm;
  std::vector<bool> keep;
  std::vector<double> lefts;
  std::vector<int> row;
  int rows = 1;
};

// A category axis' labels at font scale `scale`, on `rows` rows (label i on row i mod rows,
// each row one line lower); `keep` says which fit.
CategoryLabels category_labels_at(QPainter& p, const Metrics& m, const Mapper& map,
                                  const AxisLayout& ax, double lo, double hi, double scale,
                                  int rows);
// A category axis names every category: when its labels do not all fit side by side they
// shrink (to 70% at most); when they still do not, they are staggered on two rows (at 85%,
// then 70%), then on three or four (70%); only then are labels dropped (four rows at 70%).
// The (scale, rows) chosen.
std::pair<double, int> fit_category_labels(QPainter& p, const Metrics& m, const Mapper& map,
                                            const AxisLayout& ax, double lo, double hi);

// --- figure_page_layout.cpp ---
// The font of `size` on the painter's device (set on the painter, which is scaled from device
// dots to points) and the measures derived from it.
Metrics make_metrics(QPainter& p, const FigureSize& size, double device_dpi);

// Where one panel goes on the page.
struct PanelBox {
  double x0 = 0, x1 = 0;  // the panel's horizontal extent
  QRectF area;            // the room for its plot
  Mapper map;             // its plot (area shrunk to one scale for equal_aspect) and axes
  bool fits = true;       // false: nothing sensible fits (the panel is not drawn)
  double label_w = 0;     // the widest y tick label
  bool field = false;     // a colour map with its colour bar
  double bar_w = 0;       // the colour bar's width (0: no field)
  // A category axis' labels (as all category axes side by side draw them).
  std::optional<CategoryLabels> category;
};

// The page: shared margins, legends, and every panel's box.
struct PageLayout {
  double W = 0, H = 0, pad = 0;
  double panel_w = 0;
  double fig_legend_h = 0, panel_legend_h = 0;
  double top = 0;            // the plots' top (a header line or half a line above)
  double bottom_margin = 0;  // ticks, tick labels (one or two rows) and x titles
  double plot_bottom = 0;
  int label_rows = 1;  ///< rows of category labels (the most any panel needs)
  std::vector<PanelLayout> axes;  // layout_axes(fig, size)
  std::vector<PanelBox> panels;
};

PageLayout layout_page(QPainter& p, const Metrics& m, const Figure& fig, const FigureSize& size);

}  // namespace ridgeline::figure::render_detail
