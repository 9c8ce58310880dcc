// Export as Python (figure_python.h): the figure description as JSON inside a generic
// matplotlib script, and its numbers as CSV.
#include "widgets/figure/figure_python.h"

#include "widgets/figure/colormap.h"

#include <QDir>
#include <QFileInfo>
#include <QSaveFile>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace ridgeline::figure {

namespace {

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '\'') {
      out += "\\u0027";  // keeps a Python r'''...''' literal closed only where we close it
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string num(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string csv_num(double v) { return std::isfinite(v) ? num(v) : ""; }

const char* line_name(LineStyle s) {
  switch (s) {
    case LineStyle::Solid: return "solid";
    case LineStyle::Dashed: return "dashed";
    case LineStyle::Dotted: return "dotted";
    case LineStyle::DashDot: return "dashdot";
    case LineStyle::None: return "none";
  }
  return "solid";
}

const char* marker_name(Marker m) {
  switch (m) {
    case Marker::None: return "none";
    case Marker::Circle: return "circle";
    case Marker::Square: return "square";
    case Marker::TriangleUp: return "triangle_up";
    case Marker::Diamond: return "diamond";
    case Marker::TriangleDown: return "triangle_down";
    case Marker::Plus: return "plus";
    case Marker::Cross: return "cross";
  }
  return "none";
}

std::string style_json(const Style& s) {
  return "{\"color\": " + json_string(s.color.hex()) + ", \"line\": \"" + line_name(s.line) +
         "\", \"marker\": \"" + marker_name(s.marker) + "\", \"bar\": " + (s.bar ? "true" : "false") +
         (s.width != 1 ? ", \"width\": " + num(s.width) : std::string()) + "}";
}

std::string legend_json(const std::vector<LegendEntry>& entries) {
  std::string out = "[";
  for (size_t i = 0; i < entries.size(); ++i)
    out += std::string(i ? ", " : "") + "{\"label\": " + json_string(entries[i].label) +
           ", \"style\": " + style_json(entries[i].style) + "}";
  return out + "]";
}

std::string axis_json(const Axis& a, const AxisLayout& l) {
  std::string ticks = "[", labels = "[";
  for (size_t i = 0; i < l.ticks.size(); ++i) {
    if (i) {
      ticks += ", ";
      labels += ", ";
    }
    ticks += num(l.ticks[i]);
    labels += json_string(l.labels[i]);
  }
  return "{\"title\": " + json_string(a.title) + ", \"min\": " + num(l.min) + ", \"max\": " + num(l.max) +
         ", \"log\": " + (l.log ? "true" : "false") + ", \"ticks\": " + ticks + "], \"labels\": " + labels +
         "], \"categories\": " + (a.categories.empty() ? "false" : "true") + "}";
}

bool has_field(const Figure& fig) {
  for (const auto& p : fig.panels)
    if (!p.field.empty()) return true;
  return false;
}

// A panel's contour map, named points and aspect, only where it has them (the JSON of other
// figures is unchanged).
std::string field_json(const Panel& pn, const PanelLayout& l) {
  std::string o;
  if (!pn.field.empty()) {
    const Field& f = pn.field;
    double lo = NAN, hi = NAN;
    field_limits(f, &lo, &hi);
    std::string levels = "[";
    for (size_t i = 0; i < f.levels.size(); ++i) levels += (i ? ", " : "") + num(f.levels[i]);
    Axis color;
    color.title = f.label;
    o += ", \"field\": {\"label\": " + json_string(f.label) + ", \"source\": " + json_string(f.source) +
         ", \"log\": " + (f.log ? "true" : "false") + ", \"min\": " + num(lo) + ", \"max\": " + num(hi) +
         ", \"cmap\": " + json_string(colormap_name()) + ", \"levels\": " + levels +
         "], \"color\": " + axis_json(color, l.color) + "}";
  }
  if (!pn.points.empty()) {
    o += ", \"points\": [";
    for (size_t i = 0; i < pn.points.size(); ++i) {
      const PointLabel& p = pn.points[i];
      o += std::string(i ? ", " : "") + "{\"x\": " + num(p.x) + ", \"y\": " + num(p.y) +
           ", \"text\": " + json_string(p.text) + ", \"style\": " + style_json(p.style) + "}";
    }
    o += "]";
  }
  if (pn.equal_aspect) o += ", \"equal_aspect\": true";
  return o;
}

std::string figure_json(const Figure& fig, const FigureSize& size) {
  const std::vector<PanelLayout> layout = layout_axes(fig, size);
  std::ostringstream o;
  o << "{\"view\": " << json_string(fig.view) << ", \"width_mm\": " << num(size.width_mm)
    << ", \"height_mm\": " << num(size.height_mm) << ", \"font_pt\": " << num(size.font_pt)
    << ", \"legend\": " << legend_json(fig.legend) << ", \"panels\": [";
  for (size_t p = 0; p < fig.panels.size(); ++p) {
    const Panel& pn = fig.panels[p];
    o << (p ? ",\n  " : "\n  ") << "{\"x\": " << axis_json(pn.x, layout[p].x)
      << ", \"y\": " << axis_json(pn.y, layout[p].y) << ", \"note\": " << json_string(pn.note)
      << ", \"legend\": " << legend_json(pn.legend) << field_json(pn, layout[p]) << ", \"series\": [";
    for (size_t s = 0; s < pn.series.size(); ++s) {
      const Series& se = pn.series[s];
      o << (s ? ",\n    " : "\n    ") << "{\"label\": " << json_string(se.label)
        << ", \"source\": " << json_string(se.source) << ", \"style\": " << style_json(se.style)
        << ", \"bars\": " << (se.bars ? "true" : "false") << ", \"slot\": " << se.slot
        << ", \"nslots\": " << se.nslots << ", \"mark_every\": " << se.mark_every;
      if (se.halo) o << ", \"halo\": true";
      if (se.whiskers) o << ", \"whiskers\": true";
      if (!se.lo.empty() && se.lo.size() == se.hi.size()) {
        o << ", \"lo\": [";
        for (size_t i = 0; i < se.lo.size(); ++i) o << (i ? ", " : "") << num(se.lo[i]);
        o << "], \"hi\": [";
        for (size_t i = 0; i < se.hi.size(); ++i) o << (i ? ", " : "") << num(se.hi[i]);
        o << "]";
      }
      o << "}";
    }
    o << "], \"barriers\": [";
    for (size_t b = 0; b < pn.barriers.size(); ++b) {
      const BarrierMarker& m = pn.barriers[b];
      o << (b ? ", " : "") << "{\"x\": " << num(m.x) << ", \"y_chord\": " << num(m.y_chord)
        << ", \"y_curve\": " << num(m.y_curve) << ", \"x0\": " << num(m.x0) << ", \"y0\": " << num(m.y0)
        << ", \"x1\": " << num(m.x1) << ", \"y1\": " << num(m.y1) << ", \"text\": " << json_string(m.text)
        << ", \"color\": " << json_string(m.color.hex()) << "}";
    }
    o << "]}";
  }
  o << "]}";
  return o.str();
}

// The generic part of every script: draws the FIG description with the data of DATA.
const char* kScriptBody = R"PY(
import csv
import json
import os
import sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib import patheffects
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

LINES = {"solid": "-", "dashed": (0, (3.7, 1.6)), "dotted": (0, (1, 1.65)),
         "dashdot": (0, (6.4, 1.6, 1, 1.6)), "none": "None"}
MARKERS = {"none": None, "circle": "o", "square": "s", "triangle_up": "^", "diamond": "D",
           "triangle_down": "v", "plus": "+", "cross": "x"}
F = FIG["font_pt"]
LINE_W = max(0.6, 0.125 * F)
MARKER = 0.45 * F


def load_grid(path):
    """{panel: (xs, ys, Z rows)} from the grid CSV; an empty z is NaN."""
    nodes = {}
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            nodes.setdefault(int(row["panel"]), []).append(
                (int(row["ix"]), int(row["iy"]), float(row["x"]), float(row["y"]),
                 float(row["z"]) if row["z"] else float("nan")))
    out = {}
    for panel, rows in nodes.items():
        nx = 1 + max(r[0] for r in rows)
        ny = 1 + max(r[1] for r in rows)
        xs, ys = [0.0] * nx, [0.0] * ny
        z = [[float("nan")] * nx for _ in range(ny)]
        for ix, iy, x, y, v in rows:
            xs[ix], ys[iy], z[iy][ix] = x, y, v
        out[panel] = (xs, ys, z)
    return out


def draw_field(fig, ax, fld, grid):
    """The contour map: the grid through the colormap, contour lines and the colour bar."""
    import numpy as np
    from matplotlib.colors import LogNorm, Normalize
    xs, ys, z = grid
    zm = np.ma.masked_invalid(np.array(z, dtype=float))
    norm = (LogNorm if fld["log"] else Normalize)(vmin=fld["min"], vmax=fld["max"])
    mesh = ax.pcolormesh(xs, ys, zm, shading="gouraud", cmap=fld["cmap"], norm=norm, rasterized=True)
    if fld["levels"]:
        ax.contour(xs, ys, zm, levels=fld["levels"], colors="#1e1e1e", linewidths=0.35, alpha=0.6)
    bar = fig.colorbar(mesh, ax=ax, pad=0.03, fraction=0.08)
    bar.set_ticks(fld["color"]["ticks"])
    bar.set_ticklabels(fld["color"]["labels"])
    bar.ax.minorticks_off()
    bar.set_label(fld["label"])
    bar.outline.set_linewidth(0.5)


def draw_points(ax, points):
    for pt in points:
        st = pt["style"]
        ax.plot([pt["x"]], [pt["y"]], linestyle="None", marker=MARKERS[st["marker"]],
                markersize=MARKER * 1.5, color=st["color"], markeredgecolor="white",
                markeredgewidth=0.12 * F, zorder=5)
        if pt["text"]:
            ax.annotate(pt["text"], (pt["x"], pt["y"]), xytext=(0.45 * MARKER * 1.5, 0.45 * MARKER * 1.5),
                        textcoords="offset points", fontsize=F, zorder=6,
                        bbox=dict(boxstyle="square,pad=0.1", facecolor="white", edgecolor="none",
                                  alpha=0.85))


def load(path):
    """{(panel, series): (x, y)} from the CSV; an empty field is NaN."""
    out = {}
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            xs, ys = out.setdefault((int(row["panel"]), int(row["series"])), ([], []))
            xs.append(float(row["x"]) if row["x"] else float("nan"))
            ys.append(float(row["y"]) if row["y"] else float("nan"))
    return out


def handle(entry):
    st = entry["style"]
    if st["bar"]:
        return Patch(facecolor=st["color"], edgecolor="none", label=entry["label"])
    return Line2D([], [], color=st["color"], linestyle=LINES[st["line"]], linewidth=LINE_W * st.get("width", 1),
                  marker=MARKERS[st["marker"]], markersize=MARKER, label=entry["label"])


def legend(ax, entries, width_mm):
    ax.axis("off")
    if not entries:
        return
    per_row = max(1, int(width_mm / 25.4 * 72 // max(
        2.6 * F + 0.55 * F * len(e["label"]) + F for e in entries)))
    ncol = min(len(entries), per_row)
    rows = -(-len(entries) // ncol)
    # matplotlib fills legend columns first; order the entries so they read row by row.
    order = [r * ncol + c for c in range(ncol) for r in range(rows) if r * ncol + c < len(entries)]
    ax.legend(handles=[handle(entries[k]) for k in order], loc="center", frameon=False,
              ncol=ncol, handlelength=2.4, columnspacing=1.0, handletextpad=0.3,
              borderaxespad=0)


def axis(ax, which, a):
    lim, ticks, labels, title = ((ax.set_xlim, ax.set_xticks, ax.set_xticklabels, ax.set_xlabel)
                                 if which == "x" else
                                 (ax.set_ylim, ax.set_yticks, ax.set_yticklabels, ax.set_ylabel))
    if a["log"]:
        (ax.set_xscale if which == "x" else ax.set_yscale)("log")
    lim(a["min"], a["max"])
    ticks(a["ticks"])
    labels(a["labels"])
    if a["title"]:
        title(a["title"])


def stagger_category_labels(fig, axes):
    """A category axis names every category: labels that would overlap go on two rows."""
    if not axes:
        return
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in axes:
        labels = ax.get_xticklabels()
        boxes = [t.get_window_extent(renderer) for t in labels]
        if any(a.x1 + 0.2 * F > b.x0 for a, b in zip(boxes, boxes[1:])):
            ax.set_xticks(ax.get_xticks(), [("\n" if i % 2 else "") + t.get_text()
                                            for i, t in enumerate(labels)])


def draw(data, out, grids=None):
    plt.rcParams.update({
        "font.family": "DejaVu Sans", "font.size": F, "axes.labelsize": F,
        "xtick.labelsize": F, "ytick.labelsize": F, "legend.fontsize": F,
        "axes.linewidth": 0.6, "xtick.major.width": 0.6, "ytick.major.width": 0.6,
        "xtick.major.size": 0.3 * F, "ytick.major.size": 0.3 * F,
        "pdf.fonttype": 42, "svg.fonttype": "none"})
    panels = FIG["panels"]
    n = len(panels)
    rows = [1.0]
    panel_legend = any(p["legend"] for p in panels)
    if panel_legend:
        rows.append(0.12)
    if FIG["legend"]:
        rows.append(0.12 * (1 + len(FIG["legend"]) // 6))
    fig = plt.figure(figsize=(FIG["width_mm"] / 25.4, FIG["height_mm"] / 25.4), layout="constrained")
    grid = fig.add_gridspec(len(rows), n, height_ratios=rows)
    category_axes = []
    for i, p in enumerate(panels):
        ax = fig.add_subplot(grid[0, i])
        ax.spines[["top", "right"]].set_visible(False)
        if p.get("field"):
            draw_field(fig, ax, p["field"], grids[i])
        else:
            ax.grid(axis="y", color="#e1e1e1", linewidth=0.4)
        ax.set_axisbelow(True)
        for k, s in enumerate(p["series"]):
            x, y = data.get((i, k), ([], []))
            st = s["style"]
            if s["bars"]:
                w = 0.8 / max(1, s["nslots"])
                ax.bar([c - 0.4 + w * (s["slot"] + 0.5) for c in x], y, w, color=st["color"],
                       edgecolor="#555555", linewidth=0.4, label=s["label"])
                continue
            if s.get("lo") and s.get("whiskers"):  # error bars (points on a category axis)
                pts = [(a, b, c, d) for a, b, c, d in zip(x, y, s["lo"], s["hi"])
                       if c is not None and d is not None and b == b]
                if pts:
                    ax.errorbar([q[0] for q in pts], [q[1] for q in pts],
                                yerr=[[q[1] - q[2] for q in pts], [q[3] - q[1] for q in pts]],
                                fmt="none", ecolor=st["color"], elinewidth=0.8 * LINE_W,
                                capsize=0.3 * F)
            elif s.get("lo"):  # the band (a study's spread over seed pairs), translucent
                nan = float("nan")
                ax.fill_between(x, [nan if v is None else v for v in s["lo"]],
                                [nan if v is None else v for v in s["hi"]], color=st["color"],
                                alpha=0.2, linewidth=0)
            every = max(1, s["mark_every"])
            marks = [j for j in range(len(x)) if j % every == 0 or j == len(x) - 1]
            width = LINE_W * st.get("width", 1)
            halo = ([patheffects.withStroke(linewidth=width + 0.15 * F, foreground="white")]
                    if s.get("halo") else None)
            ax.plot(x, y, color=st["color"], linestyle=LINES[st["line"]], linewidth=width,
                    marker=MARKERS[st["marker"]], markersize=MARKER, markevery=marks,
                    label=s["label"], path_effects=halo)
        for b in p["barriers"]:
            ax.plot([b["x0"], b["x1"]], [b["y0"], b["y1"]], linestyle=LINES["dotted"],
                    color="#6e6e6e", linewidth=0.6)
            ax.plot([b["x"], b["x"]], [b["y_chord"], b["y_curve"]], color=b["color"],
                    linewidth=0.8, marker="_", markersize=0.7 * F)
        draw_points(ax, p.get("points", []))
        axis(ax, "x", p["x"])
        axis(ax, "y", p["y"])
        if p.get("equal_aspect"):
            ax.set_aspect("equal", adjustable="box")
        if p["x"]["categories"]:
            ax.tick_params(axis="x", length=0)
            category_axes.append(ax)
        ax.minorticks_off()
        marked = [b for b in p["barriers"] if b["text"]]
        if marked:  # the barrier's value above the plot, in its marker's colour
            ax.set_title(marked[0]["text"], loc="left", fontsize=F, color=marked[0]["color"])
        elif p["note"]:
            ax.set_title(p["note"], loc="left", fontsize=F, color="#5a5a5a")
        if panel_legend:
            legend(fig.add_subplot(grid[1, i]), p["legend"], FIG["width_mm"] / n)
    if FIG["legend"]:
        legend(fig.add_subplot(grid[len(rows) - 1, :]), FIG["legend"], FIG["width_mm"])
    stagger_category_labels(fig, category_axes)
    fig.savefig(out)
    print("wrote", out)


if __name__ == "__main__":
    draw(load(DATA), sys.argv[1] if len(sys.argv) > 1 else DEFAULT_OUT,
         load_grid(GRID) if GRID else None)
)PY";

// A Python raw string cannot hold ''' : JSON never writes it (quotes are escaped as \").
std::string py_literal(const std::string& s) { return "r'''" + s + "'''"; }

bool save(const QString& path, const std::string& text, QString* error) {
  QSaveFile f(path);
  const QByteArray bytes = QByteArray::fromStdString(text);
  if (!f.open(QIODevice::WriteOnly) || f.write(bytes) != bytes.size() || !f.commit()) {
    if (error) *error = path + ": cannot write (" + f.errorString() + ")";
    return false;
  }
  return true;
}

}  // namespace

PythonFiles python_paths(const QString& figure_path) {
  const QString suffix = QFileInfo(figure_path).suffix();
  const QString stem = suffix.isEmpty() ? figure_path : figure_path.left(figure_path.size() - suffix.size() - 1);
  return {stem + ".py", stem + ".csv", stem + ".grid.csv"};
}

std::string python_data(const Figure& fig) {
  std::string out = "panel,series,label,x,y\n";
  for (size_t p = 0; p < fig.panels.size(); ++p)
    for (size_t s = 0; s < fig.panels[p].series.size(); ++s) {
      const Series& se = fig.panels[p].series[s];
      std::string label = "\"";
      for (char c : se.label) label += c == '"' ? std::string("\"\"") : std::string(1, c);
      label += "\"";
      for (size_t i = 0; i < se.y.size(); ++i)
        out += std::to_string(p) + "," + std::to_string(s) + "," + label + "," +
               csv_num(i < se.x.size() ? se.x[i] : static_cast<double>(i)) + "," + csv_num(se.y[i]) + "\n";
    }
  return out;
}

std::string python_grid(const Figure& fig) {
  if (!has_field(fig)) return {};
  std::string out = "panel,ix,iy,x,y,z\n";
  for (size_t p = 0; p < fig.panels.size(); ++p) {
    const Field& f = fig.panels[p].field;
    if (f.empty()) continue;
    for (size_t iy = 0; iy < f.ys.size(); ++iy)
      for (size_t ix = 0; ix < f.xs.size(); ++ix) {
        const size_t k = iy * f.xs.size() + ix;
        out += std::to_string(p) + "," + std::to_string(ix) + "," + std::to_string(iy) + "," + num(f.xs[ix]) + "," +
               num(f.ys[iy]) + "," + csv_num(k < f.z.size() ? f.z[k] : NAN) + "\n";
      }
  }
  return out;
}

std::string python_script(const Figure& fig, const FigureSize& size, const std::string& data_name,
                          const std::string& default_out) {
  char header[512];
  std::snprintf(header, sizeof header,
                "#!/usr/bin/env python3\n"
                "\"\"\"Redraws a Ridgeline paper figure with matplotlib: view %s, %g x %g mm, %g pt.\n\n"
                "Self-contained: needs matplotlib only. The numbers are in %s next to this\n"
                "script (panel, series, label, x, y; errors as fractions); FIG below holds the\n"
                "panels, styles, limits, ticks and legends. Restyle freely.\n"
                "Usage: python3 %s [OUT.pdf|.svg|.png]   (default: %s next to this script)\n\"\"\"\n",
                json_string(fig.view).c_str(), size.width_mm, size.height_mm, size.font_pt,
                data_name.c_str(), (QFileInfo(QString::fromStdString(data_name)).completeBaseName() + ".py").toStdString().c_str(),
                default_out.c_str());
  std::string s = header;
  s += "import os\n\nHERE = os.path.dirname(os.path.abspath(__file__))\n";
  s += "DATA = os.path.join(HERE, " + json_string(data_name) + ")\n";
  s += "DEFAULT_OUT = os.path.join(HERE, " + json_string(default_out) + ")\n";
  // The colour maps' grids (FIG.grid.csv), when the figure has one.
  s += has_field(fig) ? "GRID = os.path.join(HERE, " +
                            json_string(QFileInfo(QString::fromStdString(data_name)).completeBaseName().toStdString() +
                                        ".grid.csv") +
                            ")\n"
                      : "GRID = None\n";
  s += "FIG = __import__(\"json\").loads(" + py_literal(figure_json(fig, size)) + ")\n";
  s += kScriptBody;
  return s;
}

bool write_python(const Figure& fig, const FigureSize& size, const QString& figure_path, QString* error) {
  const PythonFiles files = python_paths(figure_path);
  const std::string data_name = QFileInfo(files.data).fileName().toStdString();
  // "-matplotlib": never the name of a PDF Ridgeline wrote beside it (nothing is replaced).
  const std::string out_name = QFileInfo(figure_path).completeBaseName().toStdString() + "-matplotlib.pdf";
  if (has_field(fig) && !save(files.grid, python_grid(fig), error)) return false;
  return save(files.data, python_data(fig), error) &&
         save(files.script, python_script(fig, size, data_name, out_name), error);
}

}  // namespace ridgeline::figure
