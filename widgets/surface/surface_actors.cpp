// The VTK pipeline of the surface view (surface_view_internals.h): from a SurfaceScene to the
// actors of the two renderers. The surface's height is the loss (or log10 of it) scaled so that
// its range is about half the plane's extent; the top-down map flattens it. Lines and markers are
// lifted slightly above the surface so that it never hides them where they lie on it.
#include <vtkActor2D.h>
#include <vtkCamera.h>
#include <vtkCellArray.h>
#include <vtkCellData.h>
#include <vtkContourFilter.h>
#include <vtkCoordinate.h>
#include <vtkCubeAxesActor.h>
#include <vtkDoubleArray.h>
#include <vtkLookupTable.h>
#include <vtkPointData.h>
#include <vtkPoints.h>
#include <vtkPolyData.h>
#include <vtkPolyDataMapper.h>
#include <vtkPolyDataMapper2D.h>
#include <vtkPolyDataNormals.h>
#include <vtkProperty.h>
#include <vtkProperty2D.h>
#include <vtkScalarBarActor.h>
#include <vtkSphereSource.h>
#include <vtkStructuredGrid.h>
#include <vtkStructuredGridGeometryFilter.h>
#include <vtkTextActor.h>
#include <vtkTextProperty.h>
#include <vtkUnsignedCharArray.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <utility>

#include "widgets/figure/colormap.h"
#include "widgets/figure/contour.h"
#include "widgets/surface/surface_view_internals.h"

namespace ridgeline::widgets {

namespace {

// Where things go in 3-D: plane coordinates stay, the loss becomes a height.
struct Geometry {
  double lo = 0, hi = 1;    // colour range (loss)
  double hlo = 0, hhi = 1;  // height range (loss or log10 loss)
  double zext = 1, span = 1;
  bool log = false, flat = false;
  double h(double loss) const { return log ? std::log10(loss) : loss; }
  double z(double loss) const {
    if (flat) return 0;
    const double v = h(loss);
    if (!std::isfinite(v)) return 0;
    return (v - hlo) / (hhi - hlo) * zext;
  }
};

Geometry geometry(const SurfaceInternals& d) {
  const SurfaceScene& s = d.scene;
  Geometry g;
  g.log = d.log;
  g.flat = d.top_down;
  loss_range(s, g.log, &g.lo, &g.hi);
  if (!(g.hi > g.lo)) g.hi = g.lo + (g.lo != 0 ? std::abs(g.lo) * 1e-3 : 1e-3);
  g.hlo = g.h(g.lo);
  g.hhi = g.h(g.hi);
  g.span = std::max(s.xs.back() - s.xs.front(), s.ys.back() - s.ys.front());
  g.zext = 0.5 * g.span;
  return g;
}

struct PathColor {
  double r, g, b;
};

// Path colours that stand out on viridis: the lowest pass red and thick; the others light or
// warm (white, orange, sky blue, pink), each with a dark halo.
PathColor path_color(const std::string& kind, size_t index) {
  if (kind == "pass") return {0.86, 0.08, 0.16};
  static const PathColor kOthers[] = {
      {1, 1, 1}, {0.90, 0.62, 0.0}, {0.34, 0.71, 0.91}, {0.80, 0.47, 0.65}};
  return kOthers[index % std::size(kOthers)];
}

vtkSmartPointer<vtkLookupTable> lookup_table(const Geometry& g) {
  auto lut = vtkSmartPointer<vtkLookupTable>::New();
  lut->SetNumberOfTableValues(256);
  for (int i = 0; i < 256; ++i) {
    double c[3];
    figure::colormap_rgb(i / 255.0, c);
    lut->SetTableValue(i, c[0], c[1], c[2], 1.0);
  }
  if (g.log) lut->SetScaleToLog10();
  lut->SetRange(g.lo, g.hi);
  lut->SetNanColor(0.75, 0.75, 0.75, 1.0);
  return lut;
}

// DejaVu Sans when installed (fonts-dejavu-core): VTK's built-in Arial lacks "→" and "−".
const char* font_file(bool bold) {
  static const bool have = std::ifstream("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf").good();
  if (!have) return nullptr;
  return bold ? "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
              : "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
}

void text_style(vtkTextProperty* t, int size, bool bold = false) {
  if (const char* file = font_file(bold)) {
    t->SetFontFamily(VTK_FONT_FILE);
    t->SetFontFile(file);
  } else {
    t->SetFontFamilyToArial();
  }
  t->SetFontSize(size);
  t->SetBold(bold);
  t->SetItalic(false);
  t->SetShadow(false);
  t->SetColor(0.1, 0.1, 0.1);
}

// A polyline through the path's points resampled at about half a grid step, on the surface.
vtkSmartPointer<vtkPolyData> path_polyline(const SurfaceScene& s, const Geometry& g,
                                           const SurfaceScene::Path& path, double lift) {
  const double dx = (s.xs.back() - s.xs.front()) / static_cast<double>(s.nx() - 1);
  const double dy = (s.ys.back() - s.ys.front()) / static_cast<double>(s.ny() - 1);
  const double step = 0.5 * std::min(dx, dy);
  vtkNew<vtkPoints> pts;
  auto add = [&](double x, double y) {
    pts->InsertNextPoint(x, y, g.z(interpolate_loss(s, x, y)) + lift);
  };
  for (size_t i = 0; i + 1 < path.x.size(); ++i) {
    const double len = std::hypot(path.x[i + 1] - path.x[i], path.y[i + 1] - path.y[i]);
    const int n = std::max(1, static_cast<int>(std::ceil(len / step)));
    for (int k = 0; k < n; ++k) {
      const double t = static_cast<double>(k) / n;
      add(path.x[i] + t * (path.x[i + 1] - path.x[i]), path.y[i] + t * (path.y[i + 1] - path.y[i]));
    }
  }
  if (!path.x.empty()) add(path.x.back(), path.y.back());
  vtkNew<vtkCellArray> lines;
  lines->InsertNextCell(pts->GetNumberOfPoints());
  for (vtkIdType i = 0; i < pts->GetNumberOfPoints(); ++i) lines->InsertCellPoint(i);
  auto poly = vtkSmartPointer<vtkPolyData>::New();
  poly->SetPoints(pts);
  poly->SetLines(lines);
  return poly;
}

vtkSmartPointer<vtkActor> line_actor(vtkPolyData* poly, PathColor c, double width, double lift) {
  vtkNew<vtkPolyDataMapper> mapper;
  mapper->SetInputData(poly);
  mapper->ScalarVisibilityOff();
  auto actor = vtkSmartPointer<vtkActor>::New();
  actor->SetMapper(mapper);
  actor->GetProperty()->SetColor(c.r, c.g, c.b);
  actor->GetProperty()->SetLineWidth(static_cast<float>(width));
  actor->GetProperty()->LightingOff();
  actor->SetPosition(0, 0, lift);
  actor->PickableOff();
  return actor;
}

void add_surface(SurfaceInternals& d, const Geometry& g, vtkLookupTable* lut) {
  const SurfaceScene& s = d.scene;
  vtkNew<vtkStructuredGrid> grid;
  grid->SetDimensions(static_cast<int>(s.nx()), static_cast<int>(s.ny()), 1);
  vtkNew<vtkPoints> pts;
  vtkNew<vtkDoubleArray> loss;
  loss->SetName("loss");
  for (size_t j = 0; j < s.ny(); ++j)
    for (size_t i = 0; i < s.nx(); ++i) {
      const double v = s.loss[j * s.nx() + i];
      pts->InsertNextPoint(s.xs[i], s.ys[j], g.z(v));
      loss->InsertNextValue(v);
    }
  grid->SetPoints(pts);
  grid->GetPointData()->SetScalars(loss);
  // In 3-D a point without a value would sit at height 0, a pit that is not there: its cells
  // are left out (a hole). The flat map shows them grey (the lookup table's NaN colour).
  if (!g.flat)
    for (vtkIdType k = 0; k < static_cast<vtkIdType>(s.loss.size()); ++k)
      if (!std::isfinite(s.loss[static_cast<size_t>(k)])) grid->BlankPoint(k);

  vtkNew<vtkStructuredGridGeometryFilter> geom;
  geom->SetInputData(grid);
  vtkNew<vtkPolyDataNormals> normals;
  normals->SetInputConnection(geom->GetOutputPort());
  normals->SplittingOff();
  vtkNew<vtkPolyDataMapper> mapper;
  mapper->SetInputConnection(normals->GetOutputPort());
  mapper->SetLookupTable(lut);
  mapper->UseLookupTableScalarRangeOn();
  mapper->ScalarVisibilityOn();
  mapper->InterpolateScalarsBeforeMappingOn();
  d.surface = vtkSmartPointer<vtkActor>::New();
  d.surface->SetMapper(mapper);
  vtkProperty* p = d.surface->GetProperty();
  if (g.flat) {
    p->LightingOff();
  } else {
    p->SetAmbient(0.35);
    p->SetDiffuse(0.7);
    p->SetSpecular(0.08);
  }
  d.renderer->AddActor(d.surface);

  // Contour lines at the levels the paper figure uses.
  const std::vector<double> levels = figure::contour_levels(g.lo, g.hi, 10, g.log);
  if (!levels.empty()) {
    vtkNew<vtkContourFilter> contour;
    contour->SetInputConnection(geom->GetOutputPort());
    contour->ComputeScalarsOff();
    for (size_t k = 0; k < levels.size(); ++k) contour->SetValue(static_cast<int>(k), levels[k]);
    vtkNew<vtkPolyDataMapper> cm;
    cm->SetInputConnection(contour->GetOutputPort());
    cm->ScalarVisibilityOff();
    vtkNew<vtkActor> lines;
    lines->SetMapper(cm);
    lines->GetProperty()->SetColor(0.15, 0.15, 0.15);
    lines->GetProperty()->SetLineWidth(1.0f);
    lines->GetProperty()->LightingOff();
    lines->SetPosition(0, 0, g.flat ? 1e-3 * g.span : 4e-3 * g.zext);
    lines->PickableOff();
    d.renderer->AddActor(lines);
  }
}

// The cube axes draw their titles as vector text, which knows ASCII only (its text-actor mode
// draws them faint): the few symbols plane labels use are spelled out.
std::string ascii_title(const std::string& text) {
  static const std::pair<const char*, const char*> kSpelled[] = {
      {"\u2212", "-"},     {"\u2192", "->"},    {"\u00b7", "*"}, {"\u2016", "||"},
      {"\u03b8", "theta"}, {"\u03b1", "alpha"}, {"\u03bb", "lambda"}, {"\u2013", "-"}, {"\u2014", "-"}};
  std::string out = text;
  for (const auto& [from, to] : kSpelled)
    for (size_t at = out.find(from); at != std::string::npos;
         at = out.find(from, at + std::strlen(to)))
      out.replace(at, std::strlen(from), to);
  std::string ascii;  // any other character: one '?'
  for (char c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x80)
      ascii += c;
    else if (u >= 0xC0)
      ascii += '?';
  }
  return ascii;
}

void add_axes(SurfaceInternals& d, const Geometry& g) {
  const SurfaceScene& s = d.scene;
  vtkNew<vtkCubeAxesActor> axes;
  axes->SetCamera(d.renderer->GetActiveCamera());
  axes->SetBounds(s.xs.front(), s.xs.back(), s.ys.front(), s.ys.back(), 0,
                  g.flat ? 1e-3 * g.span : g.zext);
  axes->SetXAxisRange(s.xs.front(), s.xs.back());
  axes->SetYAxisRange(s.ys.front(), s.ys.back());
  axes->SetZAxisRange(g.hlo, g.hhi);
  axes->SetXTitle(ascii_title(s.x_label).c_str());
  axes->SetYTitle(ascii_title(s.y_label).c_str());
  axes->SetZTitle(ascii_title(g.log ? s.value_label + " (log)" : s.value_label).c_str());
  axes->SetXLabelFormat("%.2g");
  axes->SetYLabelFormat("%.2g");
  axes->SetZLabelFormat("%.3g");
  axes->SetTickLocationToOutside();
  axes->SetFlyModeToOuterEdges();
  axes->SetZAxisVisibility(!g.flat);
  // A log10 height's labels crowd its short axis: the scalar bar gives the values instead (the
  // labels are made transparent: hiding them would hide the axis title too).
  axes->SetScreenSize(13);
  axes->SetLabelOffset(14);
  axes->SetTitleOffset(22);
  for (int i = 0; i < 3; ++i) {
    text_style(axes->GetTitleTextProperty(i), 14);
    text_style(axes->GetLabelTextProperty(i), 12);
  }
  if (g.log) axes->GetLabelTextProperty(2)->SetOpacity(0);
  for (vtkProperty* p : {axes->GetXAxesLinesProperty(), axes->GetYAxesLinesProperty(),
                         axes->GetZAxesLinesProperty()})
    p->SetColor(0.2, 0.2, 0.2);
  axes->PickableOff();
  d.renderer->AddActor(axes);
}

// Characters (not bytes) of UTF-8 text.
size_t utf8_length(const std::string& text) {
  size_t n = 0;
  for (char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// A legend entry of the right strip: a stroke in the path's colour and width, its name in black.
void add_legend_entry(SurfaceInternals& d, int row, int rows, PathColor c, double width, bool halo,
                      const std::string& text, int font_size) {
  const double y = 0.05 + 0.065 * (rows - 1 - row);
  // A sample stroke: the halo's rectangle, then the colour's inside it, in display pixels, as
  // cells of one polydata (drawn in order) coloured by cell.
  const double x0 = 0.05 * kSideFraction * d.view_width, x1 = 0.2 * kSideFraction * d.view_width;
  const double yc = y * d.view_height;
  vtkNew<vtkPoints> pts;
  vtkNew<vtkCellArray> cells;
  vtkNew<vtkUnsignedCharArray> colors;
  colors->SetNumberOfComponents(3);
  auto rect = [&](PathColor col, double xa, double xb, double ya, double yb) {
    const vtkIdType base = pts->GetNumberOfPoints();
    pts->InsertNextPoint(xa, ya, 0);
    pts->InsertNextPoint(xb, ya, 0);
    pts->InsertNextPoint(xb, yb, 0);
    pts->InsertNextPoint(xa, yb, 0);
    cells->InsertNextCell(4);
    for (vtkIdType k = 0; k < 4; ++k) cells->InsertCellPoint(base + k);
    colors->InsertNextTuple3(255 * col.r, 255 * col.g, 255 * col.b);
  };
  // Overlapping 2-D cells do not reliably draw in order: the halo is a frame around the colour.
  const double h = width / 2, m = 1.5;
  rect(c, x0 + m, x1 - m, yc - h, yc + h);
  if (halo) {
    const PathColor k{0.08, 0.08, 0.08};
    rect(k, x0, x1, yc + h, yc + h + m);
    rect(k, x0, x1, yc - h - m, yc - h);
    rect(k, x0, x0 + m, yc - h, yc + h);
    rect(k, x1 - m, x1, yc - h, yc + h);
  }
  vtkNew<vtkPolyData> poly;
  poly->SetPoints(pts);
  poly->SetPolys(cells);
  poly->GetCellData()->SetScalars(colors);
  vtkNew<vtkPolyDataMapper2D> mapper;
  mapper->SetInputData(poly);
  mapper->SetScalarModeToUseCellData();
  mapper->SetColorModeToDirectScalars();
  vtkNew<vtkActor2D> sample;
  sample->SetMapper(mapper);
  d.side->AddActor2D(sample);
  vtkNew<vtkTextActor> label;
  label->SetInput(text.c_str());
  text_style(label->GetTextProperty(), font_size);
  label->GetTextProperty()->SetVerticalJustificationToCentered();
  label->GetPositionCoordinate()->SetCoordinateSystemToNormalizedViewport();
  label->GetPositionCoordinate()->SetValue(0.24, y);
  d.side->AddActor2D(label);
}

// Every path twice: on the surface (hidden where a ridge is in front) and faint in the overlay
// layer (seen through the ridge), each over a halo that keeps it readable on any colour.
int add_paths(SurfaceInternals& d, const Geometry& g) {
  const SurfaceScene& s = d.scene;
  const double lift = g.flat ? 2e-3 * g.span : 1.2e-2 * g.zext;
  const double step = g.flat ? 1e-3 * g.span : 4e-3 * g.zext;  // colour above its halo
  int rows = 0;
  for (const auto& path : s.paths) rows += path.x.size() >= 2;
  // One font size for every entry, small enough that the longest name fits the strip (about
  // 0.5 em per character: DejaVu Sans measures about 0.43; 10 px at least).
  size_t longest = 1;
  for (const auto& path : s.paths)
    longest = std::max(longest, utf8_length(path.name.empty() ? path.kind : path.name));
  const double room = 0.74 * kSideFraction * d.view_width;
  const int font_size =
      std::clamp(static_cast<int>(room / (0.5 * static_cast<double>(longest))), 10, 13);
  size_t other = 0;
  int row = 0;
  for (const auto& path : s.paths) {
    if (path.x.size() < 2) continue;
    const bool pass = path.kind == "pass";
    const PathColor c = path_color(path.kind, pass ? 0 : other++);
    const PathColor halo_color = pass ? PathColor{1, 1, 1} : PathColor{0.08, 0.08, 0.08};
    auto poly = path_polyline(s, g, path, 0);
    const double width = pass ? 5 : 3;
    d.renderer->AddActor(line_actor(poly, halo_color, width + 3, lift));
    d.renderer->AddActor(line_actor(poly, c, width, lift + step));
    if (!g.flat) {
      auto faint = line_actor(poly, c, width, lift + step);
      faint->GetProperty()->SetOpacity(0.35);
      d.overlay->AddActor(faint);
    }
    add_legend_entry(d, row++, rows, c, width, true, path.name.empty() ? path.kind : path.name,
                     font_size);
  }
  return rows;
}

void add_markers(SurfaceInternals& d, const Geometry& g) {
  const SurfaceScene& s = d.scene;
  const double r = 0.018 * g.span;
  for (const auto& m : s.markers) {
    const double z = g.z(interpolate_loss(s, m.x, m.y)) + (g.flat ? 3e-3 * g.span : 0.4 * r);
    vtkNew<vtkSphereSource> sphere;
    sphere->SetCenter(m.x, m.y, z);
    sphere->SetRadius(r);
    sphere->SetThetaResolution(24);
    sphere->SetPhiResolution(16);
    vtkNew<vtkPolyDataMapper> mapper;
    mapper->SetInputConnection(sphere->GetOutputPort());
    vtkNew<vtkActor> ball;
    ball->SetMapper(mapper);
    ball->GetProperty()->SetColor(1, 1, 1);
    ball->GetProperty()->SetAmbient(0.4);
    ball->GetProperty()->SetSpecular(0.3);
    ball->PickableOff();
    d.renderer->AddActor(ball);
    if (!g.flat) {
      vtkNew<vtkActor> faint;
      faint->SetMapper(mapper);
      faint->GetProperty()->SetColor(1, 1, 1);
      faint->GetProperty()->SetOpacity(0.45);
      faint->PickableOff();
      d.overlay->AddActor(faint);
    }
    // The name: an overlay anchored at the marker, so that a ridge in front cannot hide it.
    vtkNew<vtkTextActor> label;
    label->SetInput(m.name.c_str());
    vtkTextProperty* t = label->GetTextProperty();
    text_style(t, 15, true);
    t->SetBackgroundColor(1, 1, 1);
    t->SetBackgroundOpacity(0.85);
    t->SetFrame(true);
    t->SetFrameColor(0.2, 0.2, 0.2);
    t->SetJustificationToLeft();
    t->SetVerticalJustificationToBottom();
    // A few pixels right of and above the marker's top (a display offset from a world point).
    vtkNew<vtkCoordinate> anchor;
    anchor->SetCoordinateSystemToWorld();
    anchor->SetValue(m.x, m.y, z + (g.flat ? 0 : r));
    label->GetPositionCoordinate()->SetCoordinateSystemToDisplay();
    label->GetPositionCoordinate()->SetReferenceCoordinate(anchor);
    label->GetPositionCoordinate()->SetValue(7, 7);
    label->PickableOff();
    d.renderer->AddActor2D(label);
  }
}

}  // namespace

void build_scene(SurfaceInternals& d) {
  d.renderer->RemoveAllViewProps();
  d.side->RemoveAllViewProps();
  d.overlay->RemoveAllViewProps();
  d.renderer->SetBackground(1, 1, 1);
  d.side->SetBackground(1, 1, 1);
  const Geometry g = geometry(d);
  auto lut = lookup_table(g);
  add_surface(d, g, lut);
  add_axes(d, g);
  const int rows = add_paths(d, g);
  add_markers(d, g);

  if (!d.scene.title.empty()) {
    vtkNew<vtkTextActor> title;
    title->SetInput(d.scene.title.c_str());
    text_style(title->GetTextProperty(), 15, true);
    title->GetTextProperty()->SetVerticalJustificationToTop();
    title->GetPositionCoordinate()->SetCoordinateSystemToNormalizedViewport();
    title->GetPositionCoordinate()->SetValue(0.02, 0.975);
    d.renderer->AddActor2D(title);
  }

  // The right strip: the scalar bar above the legend.
  const double legend_top = rows ? 0.05 + 0.065 * rows : 0.0;
  vtkNew<vtkScalarBarActor> bar;
  bar->SetLookupTable(lut);
  bar->SetTitle((d.scene.value_label + (g.log ? " (log)" : "")).c_str());
  // Labels at round values (the contour levels' rule), not at VTK's even fractions of the range.
  const std::vector<double> ticks = figure::contour_levels(g.lo, g.hi, 5, g.log);
  if (ticks.size() >= 2) {
    vtkNew<vtkDoubleArray> labels;
    for (double t : ticks) labels->InsertNextValue(t);
    bar->SetUseCustomLabels(true);
    bar->SetCustomLabels(labels);
  } else {
    bar->SetNumberOfLabels(5);
  }
  bar->SetLabelFormat("%.3g");
  bar->UnconstrainedFontSizeOn();
  text_style(bar->GetTitleTextProperty(), 14, true);
  text_style(bar->GetLabelTextProperty(), 12);
  bar->SetTextPad(6);
  bar->SetVerticalTitleSeparation(10);
  bar->SetBarRatio(0.22);
  bar->GetPositionCoordinate()->SetCoordinateSystemToNormalizedViewport();
  bar->GetPositionCoordinate()->SetValue(0.08, legend_top + 0.06);
  bar->GetPosition2Coordinate()->SetValue(0.8, 0.93 - legend_top - 0.06);
  d.side->AddActor2D(bar);
}

void reset_camera(SurfaceInternals& d) {
  const SurfaceScene& s = d.scene;
  const Geometry g = geometry(d);
  const double cx = 0.5 * (s.xs.front() + s.xs.back()), cy = 0.5 * (s.ys.front() + s.ys.back());
  vtkCamera* cam = d.renderer->GetActiveCamera();
  if (d.top_down) {
    cam->ParallelProjectionOn();
    cam->SetFocalPoint(cx, cy, 0);
    cam->SetPosition(cx, cy, 4 * g.span);
    cam->SetViewUp(0, 1, 0);
    d.renderer->ResetCamera(s.xs.front(), s.xs.back(), s.ys.front(), s.ys.back(), 0, 0);
    cam->Zoom(0.86);  // room for the axes' labels and titles
  } else {
    cam->ParallelProjectionOff();
    cam->SetFocalPoint(cx, cy, 0.5 * g.zext);
    // From the front left, about 35° above the plane.
    cam->SetPosition(cx - 1.2 * g.span, cy - 2.0 * g.span, 0.5 * g.zext + 1.6 * g.span);
    cam->SetViewUp(0, 0, 1);
    d.renderer->ResetCamera(s.xs.front(), s.xs.back(), s.ys.front(), s.ys.back(), 0, g.zext);
    cam->Zoom(0.95);
  }
  d.renderer->ResetCameraClippingRange();
}

}  // namespace ridgeline::widgets
