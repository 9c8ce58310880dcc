#pragma once
// Private to the surface view: the VTK objects behind SurfaceView (the f3d way: VTK never
// reaches a public header). surface_view.cpp is the Qt glue; surface_actors.cpp builds the
// pipeline from a SurfaceScene.
#include <vtkActor.h>
#include <vtkGenericOpenGLRenderWindow.h>
#include <vtkGenericRenderWindowInteractor.h>
#include <vtkInteractorStyleImage.h>
#include <vtkInteractorStyleTerrain.h>
#include <vtkNew.h>
#include <vtkPointPicker.h>
#include <vtkRenderer.h>
#include <vtkSmartPointer.h>

#include "widgets/surface/surface_scene.h"
#include "widgets/surface/surface_view.h"

namespace ridgeline::widgets {

struct SurfaceInternals {
  vtkNew<vtkGenericOpenGLRenderWindow> window;
  vtkNew<vtkGenericRenderWindowInteractor> interactor;
  vtkNew<vtkRenderer> renderer;  ///< the surface and everything on it (left part)
  vtkNew<vtkRenderer> side;      ///< scalar bar and legend (right strip): never over the surface
  /// Layer 1 over `renderer`, same camera: faint copies of the paths and markers, so that a
  /// ridge in front of them dims them instead of hiding them.
  vtkNew<vtkRenderer> overlay;
  vtkSmartPointer<vtkInteractorStyleTerrain>
      terrain;                           ///< 3-D: rotation keeps the loss axis up; wheel zooms
  vtkNew<vtkInteractorStyleImage> flat;  ///< top-down: pan and zoom only
  vtkNew<vtkPointPicker> picker;
  vtkSmartPointer<vtkActor> surface;  ///< the picked actor

  SurfaceScene scene;
  bool has_scene = false;
  bool log = false;
  bool top_down = false;
  bool gl_ready = false;
  /// Device pixels: the legend sizes its text and samples to the view.
  double view_width = 960, view_height = 620;
};

/// Width of the right strip (scalar bar, legend) as a fraction of the view.
inline constexpr double kSideFraction = 0.24;

/// Replaces every actor of both renderers with those of d.scene in d's mode.
void build_scene(SurfaceInternals& d);
/// The initial camera of d's mode, fitted to the scene.
void reset_camera(SurfaceInternals& d);

}  // namespace ridgeline::widgets
