#pragma once
/// @file surface_view.h
/// The 3-D loss surface of a plane (docs/ARCHITECTURE.md, "Surface view"): VTK 9 drawn inside
/// a Qt 6 QOpenGLWidget (vtkGenericOpenGLRenderWindow; VTK stays private to this widget). The
/// surface (x, y, loss as height) coloured by loss through viridis (linear or log10 scale),
/// contour lines, a scalar bar, labelled axes, the models as labelled markers and every path
/// drawn on the surface with a legend (the lowest pass thicker, in red). Left drag rotates,
/// right drag or the wheel zooms, middle drag pans; R resets the view, T toggles the top-down
/// contour map. Hovering shows (x, y, loss, error) of the nearest grid point.
/// Needs a 3.2 core OpenGL context: call SurfaceView::setDefaultSurfaceFormat() before the
/// QApplication is created, and run on an X server (xcb; xvfb-run when headless).
#include <QImage>
#include <QOpenGLWidget>
#include <QString>
#include <memory>
#include <optional>

#include "widgets/figure/figure.h"
#include "widgets/surface/surface_scene.h"

class QSurfaceFormat;

namespace ridgeline::widgets {

struct SurfaceInternals;  // the VTK objects (surface_view_internals.h)

class SurfaceView : public QOpenGLWidget {
  Q_OBJECT

 public:
  explicit SurfaceView(QWidget* parent = nullptr);
  ~SurfaceView() override;

  /// The format VTK needs: OpenGL 3.2 core, depth 24, stencil 8, double buffered.
  static QSurfaceFormat surfaceFormat();
  /// Makes surfaceFormat() the default; call before constructing the QApplication.
  static void setDefaultSurfaceFormat();

  /// Shows `scene`. Throws std::invalid_argument with check_scene's message when it is malformed.
  void setScene(const SurfaceScene& scene);
  const SurfaceScene& scene() const;

  /// Colours (and heights) on a log10 scale of the loss; needs positive losses (false: ignored,
  /// returns false).
  bool setLogScale(bool log);
  bool logScale() const;
  /// The top-down contour map: flat surface seen from above, parallel projection, no shading.
  void setTopDown(bool top_down);
  bool topDown() const;
  /// Back to the initial camera of the current mode (key R).
  void resetView();

  /// The view as rendered now (the framebuffer).
  QImage grabImage();
  /// Writes grabImage() as PNG. False with a one-line reason naming the file.
  bool exportPng(const QString& path, QString* error);
  /// The paper figure of what is shown: the contour map (figure/contour_figure.h) of the scene
  /// on the view's colour scale, for figure_render.h / figure_python.h.
  figure::Figure contourFigure() const;

  /// The grid point under widget position `pos` (logical pixels), if the surface is there.
  std::optional<GridPoint> pickAt(QPoint pos);
  /// The text of the last hover ("" when the mouse is off the surface).
  QString hoverText() const { return hover_text_; }

 signals:
  /// The mouse hovers over a grid point (its hover_text()), or left the surface ("").
  void hovered(const QString& text);

 protected:
  void initializeGL() override;
  void resizeGL(int w, int h) override;
  void paintGL() override;
  void mousePressEvent(QMouseEvent* event) override;
  void mouseReleaseEvent(QMouseEvent* event) override;
  void mouseMoveEvent(QMouseEvent* event) override;
  void wheelEvent(QWheelEvent* event) override;
  void keyPressEvent(QKeyEvent* event) override;
  void leaveEvent(QEvent* event) override;

 private:
  void rebuild();
  void cleanupGL();
  void updateHover(QPoint pos);

  std::unique_ptr<SurfaceInternals> d_;
  QString hover_text_;
};

}  // namespace ridgeline::widgets
