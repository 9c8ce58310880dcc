// SurfaceView's Qt glue (surface_view.h): VTK renders into a QOpenGLWidget through
// vtkGenericOpenGLRenderWindow, the pattern of VTK's own QVTKOpenGLNativeWidget, as
// docs/ARCHITECTURE.md ("Surface view") describes: the window uses Qt's context (no context of
// its own), renders into its own framebuffer and we blit that into the widget's; Qt's mouse and
// wheel events are forwarded to a vtkGenericRenderWindowInteractor, whose renders become
// update() calls so that every VTK render happens inside paintGL.
#include "widgets/surface/surface_view.h"

#include <vtkCallbackCommand.h>
#include <vtkCamera.h>
#include <vtkCommand.h>
#include <vtkObjectFactory.h>
#include <vtkOpenGLFramebufferObject.h>
#include <vtkOpenGLState.h>
#include <vtkRendererCollection.h>

#include <QKeyEvent>
#include <QMouseEvent>
#include <QOpenGLContext>
#include <QOpenGLExtraFunctions>
#include <QSurfaceFormat>
#include <QToolTip>
#include <QWheelEvent>
#include <cmath>
#include <stdexcept>

#include "widgets/figure/contour_figure.h"
#include "widgets/surface/surface_view_internals.h"

namespace ridgeline::widgets {

namespace {

// vtkInteractorStyleTerrain (rotation keeps the loss axis up) has no wheel: add dolly.
class TerrainWithWheel : public vtkInteractorStyleTerrain {
 public:
  static TerrainWithWheel* New();
  vtkTypeMacro(TerrainWithWheel, vtkInteractorStyleTerrain);
  void OnMouseWheelForward() override { zoom(1.12); }
  void OnMouseWheelBackward() override { zoom(1 / 1.12); }

 private:
  void zoom(double factor) {
    const int* pos = Interactor->GetEventPosition();
    FindPokedRenderer(pos[0], pos[1]);
    if (!CurrentRenderer) return;
    CurrentRenderer->GetActiveCamera()->Dolly(factor);
    CurrentRenderer->ResetCameraClippingRange();
    Interactor->Render();
  }
};
vtkStandardNewMacro(TerrainWithWheel);

}  // namespace

QSurfaceFormat SurfaceView::surfaceFormat() {
  QSurfaceFormat f;
  f.setRenderableType(QSurfaceFormat::OpenGL);
  f.setVersion(3, 2);
  f.setProfile(QSurfaceFormat::CoreProfile);
  f.setSwapBehavior(QSurfaceFormat::DoubleBuffer);
  f.setRedBufferSize(8);
  f.setGreenBufferSize(8);
  f.setBlueBufferSize(8);
  f.setAlphaBufferSize(8);
  f.setDepthBufferSize(24);
  f.setStencilBufferSize(8);
  f.setSamples(0);  // VTK multisamples its own framebuffer
  return f;
}

void SurfaceView::setDefaultSurfaceFormat() { QSurfaceFormat::setDefaultFormat(surfaceFormat()); }

SurfaceView::SurfaceView(QWidget* parent)
    : QOpenGLWidget(parent), d_(std::make_unique<SurfaceInternals>()) {
  setFormat(surfaceFormat());
  setMouseTracking(true);  // hover without a button
  setFocusPolicy(Qt::StrongFocus);
  setMinimumSize(320, 240);

  SurfaceInternals& d = *d_;
  d.window->SetNumberOfLayers(2);
  d.window->AddRenderer(d.renderer);
  d.window->AddRenderer(d.side);
  d.window->AddRenderer(d.overlay);
  d.renderer->SetViewport(0, 0, 1 - kSideFraction, 1);
  d.overlay->SetViewport(0, 0, 1 - kSideFraction, 1);
  d.overlay->SetLayer(1);
  d.overlay->SetActiveCamera(d.renderer->GetActiveCamera());
  d.overlay->InteractiveOff();
  d.side->SetViewport(1 - kSideFraction, 0, 1, 1);
  d.side->InteractiveOff();
  d.window->SetInteractor(d.interactor);
  d.interactor->SetRenderWindow(d.window);
  d.terrain = vtkSmartPointer<TerrainWithWheel>::New();
  d.interactor->SetInteractorStyle(d.terrain);
  d.interactor->SetPicker(d.picker);
  // Renders the interactor asks for become paint requests: VTK draws only inside paintGL.
  d.interactor->EnableRenderOff();
  d.interactor->Initialize();

  auto observe = [this](vtkObject* object, unsigned long event, auto&& handler) {
    vtkNew<vtkCallbackCommand> cb;
    cb->SetClientData(this);
    cb->SetCallback(handler);
    object->AddObserver(event, cb);
  };
  observe(d.interactor, vtkCommand::RenderEvent, [](vtkObject*, unsigned long, void* self, void*) {
    static_cast<SurfaceView*>(self)->update();
  });
  // VTK asks to make its context current: Qt's context on Qt's surface. (Not
  // QOpenGLWidget::makeCurrent, which binds the widget's framebuffer and leaves VTK's incomplete.)
  observe(d.window, vtkCommand::WindowMakeCurrentEvent,
          [](vtkObject*, unsigned long, void* self, void*) {
            auto* view = static_cast<SurfaceView*>(self);
            if (QOpenGLContext* c = view->context()) c->makeCurrent(c->surface());
          });
  observe(d.window, vtkCommand::WindowIsCurrentEvent,
          [](vtkObject*, unsigned long, void* self, void* data) {
            auto* view = static_cast<SurfaceView*>(self);
            *static_cast<bool*>(data) =
                view->context() && QOpenGLContext::currentContext() == view->context();
          });
}

SurfaceView::~SurfaceView() {
  cleanupGL();
  d_->window->RemoveAllObservers();
  d_->interactor->RemoveAllObservers();
}

void SurfaceView::cleanupGL() {
  SurfaceInternals& d = *d_;
  if (!d.gl_ready || !context()) return;
  makeCurrent();
  d.window->ReleaseGraphicsResources(d.window);
  d.window->Finalize();
  d.window->SetReadyForRendering(false);
  doneCurrent();
  d.gl_ready = false;
}

void SurfaceView::initializeGL() {
  SurfaceInternals& d = *d_;
  connect(context(), &QOpenGLContext::aboutToBeDestroyed, this, &SurfaceView::cleanupGL,
          Qt::UniqueConnection);
  d.window->SetOwnContext(false);
  d.window->SetFrameBlitModeToNoBlit();
  d.window->SetForceMaximumHardwareLineWidth(1);
  d.window->SetReadyForRendering(true);
  d.window->OpenGLInitContext();
  d.gl_ready = true;
}

void SurfaceView::resizeGL(int w, int h) {
  const double dpr = devicePixelRatioF();
  const int pw = static_cast<int>(w * dpr), ph = static_cast<int>(h * dpr);
  d_->interactor->UpdateSize(pw, ph);
  d_->window->SetSize(pw, ph);
  if (std::abs(d_->view_width - pw) > 0.5 || std::abs(d_->view_height - ph) > 0.5) {
    d_->view_width = pw;
    d_->view_height = ph;
    if (d_->has_scene) build_scene(*d_);
  }
}

void SurfaceView::paintGL() {
  SurfaceInternals& d = *d_;
  if (!d.gl_ready) return;
  vtkOpenGLState* state = d.window->GetState();
  // Qt drew with GL since VTK last looked: its state cache is stale.
  state->Reset();
  d.window->Render();
  // Blit VTK's framebuffer into the widget's. The cache is reset again first: without it VTK
  // believes its own framebuffer is still bound and the widget stays black.
  makeCurrent();
  state->Reset();
  state->Push();
  QOpenGLExtraFunctions* f = context()->extraFunctions();
  state->vtkglBindFramebuffer(GL_DRAW_FRAMEBUFFER, defaultFramebufferObject());
  const GLenum buffer = GL_COLOR_ATTACHMENT0;
  f->glDrawBuffers(1, &buffer);
  state->vtkglDisable(GL_SCISSOR_TEST);
  const int* size = d.window->GetRenderFramebuffer()->GetLastSize();
  const double dpr = devicePixelRatioF();
  const int w = static_cast<int>(width() * dpr), h = static_cast<int>(height() * dpr);
  d.window->BlitDisplayFramebuffer(0, 0, 0, size[0], size[1], 0, 0, w, h, GL_COLOR_BUFFER_BIT,
                                   GL_NEAREST);
  state->Pop();
  state->Reset();
  // VTK leaves alpha 0 in the background: make the widget opaque (else grabs and compositing
  // see a transparent background).
  f->glColorMask(GL_FALSE, GL_FALSE, GL_FALSE, GL_TRUE);
  f->glClearColor(0, 0, 0, 1);
  f->glViewport(0, 0, w, h);
  f->glClear(GL_COLOR_BUFFER_BIT);
  f->glColorMask(GL_TRUE, GL_TRUE, GL_TRUE, GL_TRUE);
}

void SurfaceView::setScene(const SurfaceScene& scene) {
  if (const std::string bad = check_scene(scene); !bad.empty()) throw std::invalid_argument(bad);
  d_->scene = scene;
  d_->has_scene = true;
  if (d_->log && !log_scale_possible(scene)) d_->log = false;
  rebuild();
  resetView();
}

const SurfaceScene& SurfaceView::scene() const { return d_->scene; }

bool SurfaceView::setLogScale(bool log) {
  if (log && d_->has_scene && !log_scale_possible(d_->scene)) return false;
  if (d_->log == log) return true;
  d_->log = log;
  rebuild();
  return true;
}

bool SurfaceView::logScale() const { return d_->log; }

void SurfaceView::setTopDown(bool top_down) {
  if (d_->top_down == top_down) return;
  d_->top_down = top_down;
  d_->interactor->SetInteractorStyle(top_down ? static_cast<vtkInteractorObserver*>(d_->flat)
                                              : static_cast<vtkInteractorObserver*>(d_->terrain));
  rebuild();
  resetView();
}

bool SurfaceView::topDown() const { return d_->top_down; }

void SurfaceView::resetView() {
  if (d_->has_scene) reset_camera(*d_);
  update();
}

void SurfaceView::rebuild() {
  if (d_->has_scene) build_scene(*d_);
  update();
}

QImage SurfaceView::grabImage() { return grabFramebuffer(); }

bool SurfaceView::exportPng(const QString& path, QString* error) {
  const QImage img = grabImage();
  if (img.isNull()) {
    if (error) *error = path + ": the view has not been rendered (is it shown?)";
    return false;
  }
  if (!img.save(path, "PNG")) {
    if (error) *error = path + ": cannot write the PNG";
    return false;
  }
  return true;
}

figure::Figure SurfaceView::contourFigure() const {
  figure::ContourFigureOptions options;
  options.log = d_->log;
  return figure::contour_figure(d_->scene, options);
}

std::optional<GridPoint> SurfaceView::pickAt(QPoint pos) {
  SurfaceInternals& d = *d_;
  if (!d.has_scene || !d.surface) return std::nullopt;
  const double dpr = devicePixelRatioF();
  const double x = pos.x() * dpr, y = (height() - 1 - pos.y()) * dpr;
  d.picker->PickFromListOn();
  d.picker->InitializePickList();
  d.picker->AddPickList(d.surface);
  d.picker->SetTolerance(0.01);
  if (!d.picker->Pick(x, y, 0, d.renderer) || d.picker->GetPointId() < 0) return std::nullopt;
  double p[3];
  d.picker->GetPickPosition(p);
  return nearest_grid_point(d.scene, p[0], p[1]);
}

void SurfaceView::updateHover(QPoint pos) {
  const std::optional<GridPoint> p = pickAt(pos);
  const QString text = p ? QString::fromStdString(hover_text(d_->scene, *p)) : QString();
  if (text == hover_text_) return;
  hover_text_ = text;
  if (text.isEmpty())
    QToolTip::hideText();
  else
    QToolTip::showText(mapToGlobal(pos + QPoint(14, 14)), text, this);
  emit hovered(text);
}

namespace {

void set_event_position(vtkRenderWindowInteractor* iren, QWidget* w, QPointF pos,
                        Qt::KeyboardModifiers mods, int repeat = 0) {
  const double dpr = w->devicePixelRatioF();
  iren->SetEventInformationFlipY(static_cast<int>(pos.x() * dpr), static_cast<int>(pos.y() * dpr),
                                 (mods & Qt::ControlModifier) ? 1 : 0,
                                 (mods & Qt::ShiftModifier) ? 1 : 0, 0, repeat);
}

}  // namespace

void SurfaceView::mousePressEvent(QMouseEvent* e) {
  auto* iren = d_->interactor.Get();
  set_event_position(iren, this, e->position(), e->modifiers(),
                     e->type() == QEvent::MouseButtonDblClick);
  switch (e->button()) {
    case Qt::LeftButton:
      iren->InvokeEvent(vtkCommand::LeftButtonPressEvent);
      break;
    case Qt::MiddleButton:
      iren->InvokeEvent(vtkCommand::MiddleButtonPressEvent);
      break;
    case Qt::RightButton:
      iren->InvokeEvent(vtkCommand::RightButtonPressEvent);
      break;
    default:
      break;
  }
  e->accept();
}

void SurfaceView::mouseReleaseEvent(QMouseEvent* e) {
  auto* iren = d_->interactor.Get();
  set_event_position(iren, this, e->position(), e->modifiers());
  switch (e->button()) {
    case Qt::LeftButton:
      iren->InvokeEvent(vtkCommand::LeftButtonReleaseEvent);
      break;
    case Qt::MiddleButton:
      iren->InvokeEvent(vtkCommand::MiddleButtonReleaseEvent);
      break;
    case Qt::RightButton:
      iren->InvokeEvent(vtkCommand::RightButtonReleaseEvent);
      break;
    default:
      break;
  }
  e->accept();
}

void SurfaceView::mouseMoveEvent(QMouseEvent* e) {
  set_event_position(d_->interactor, this, e->position(), e->modifiers());
  d_->interactor->InvokeEvent(vtkCommand::MouseMoveEvent);
  if (e->buttons() == Qt::NoButton) updateHover(e->position().toPoint());
  e->accept();
}

void SurfaceView::wheelEvent(QWheelEvent* e) {
  set_event_position(d_->interactor, this, e->position(), e->modifiers());
  const int dy = e->angleDelta().y();
  if (dy > 0)
    d_->interactor->InvokeEvent(vtkCommand::MouseWheelForwardEvent);
  else if (dy < 0)
    d_->interactor->InvokeEvent(vtkCommand::MouseWheelBackwardEvent);
  e->accept();
}

void SurfaceView::keyPressEvent(QKeyEvent* e) {
  // Only our own keys: VTK's defaults (w, s, 3, e/q, ...) would switch to wireframe, stereo or
  // exit.
  if (e->key() == Qt::Key_R) {
    resetView();
  } else if (e->key() == Qt::Key_T) {
    setTopDown(!topDown());
  } else {
    QOpenGLWidget::keyPressEvent(e);
    return;
  }
  e->accept();
}

void SurfaceView::leaveEvent(QEvent* e) {
  d_->interactor->InvokeEvent(vtkCommand::LeaveEvent);
  if (!hover_text_.isEmpty()) {
    hover_text_.clear();
    QToolTip::hideText();
    emit hovered(QString());
  }
  QOpenGLWidget::leaveEvent(e);
}

}  // namespace ridgeline::widgets
