// The landscape step's pages (landscape_view.h).
#include "gui/results/landscape_view.h"

#include <QCheckBox>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QTabWidget>
#include <QVBoxLayout>
#include <cmath>

#include "figures/landscape_scene.h"
#include "ridgeline/core/format.h"
#include "widgets/figure/contour_figure.h"
#include "widgets/figure/figure_render.h"
#include "widgets/surface/surface_view.h"

namespace ridgeline::gui {

namespace {

/// The offscreen and minimal platforms have no OpenGL for VTK (a shown QOpenGLWidget there
/// crashes Qt 6.4: docs/ARCHITECTURE.md, "Surface view").
bool have_opengl() {
  const QString p = QGuiApplication::platformName();
  return p != "offscreen" && p != "minimal";
}

QString numbers_line(const LandscapeResult& r) {
  QStringList parts;
  auto barrier = [](const GridPath& p) {
    QString t = QString::fromStdString(format_loss_barrier(p.loss_mid));
    if (std::isfinite(p.error_mid)) t += " (error " + QString::fromStdString(format_error_barrier(p.error_mid)) + ")";
    return t;
  };
  const auto& m = r.info.models;
  if (r.linear && m.size() >= 2)
    parts << QString("linear %1 → %2: %3").arg(QString::fromStdString(m[0]), QString::fromStdString(m[1]),
                                              barrier(*r.linear));
  if (r.pass) parts << "lowest pass: " + barrier(*r.pass);
  // Every basin of the grid, the global minimum's included (lowest_pass.h).
  const auto basins = r.persistence.size();
  if (basins > 0) parts << QString("%1 basin%2 on the grid").arg(basins).arg(basins == 1 ? "" : "s");
  QString line = parts.join("  ·  ");
  if (r.linear || r.pass)
    line += "   <span style='color:gray'>(barrier: the path's highest " +
            QString::fromStdString(r.split.empty() ? std::string("") : r.split + " ") +
            "loss − the mean of its ends, on this grid)</span>";
  return line;
}

}  // namespace

ResultView landscape_result_view() {
  return {"landscape", {}, [](const ResultHost& host) {
            return std::unique_ptr<ResultPages>(new LandscapePages(host));
          }};
}

LandscapePages::LandscapePages(const ResultHost& host) : host_(host) {}

void LandscapePages::show(const StepResult& result) {
  const auto* r = result.as<LandscapeResult>();
  if (!r) return;
  const QString id = QString::fromStdString(result.id);
  const widgets::SurfaceScene scene =
      figures::landscape_scene(*r, host_.spec ? host_.spec() : nullptr, result.id);
  if (!widgets::check_scene(scene).empty()) return;  // a one-point grid: nothing to draw
  Page p = pages_.value(id);
  if (!p.widget) {
    p.widget = new QWidget;
    p.widget->setObjectName("landscape:" + id);
    auto* layout = new QVBoxLayout(p.widget);
    p.summary = new QLabel;
    p.summary->setObjectName("landscape.summary");
    p.summary->setWordWrap(true);
    layout->addWidget(p.summary);
    if (have_opengl()) {
      auto* controls = new QHBoxLayout;
      auto* log = new QCheckBox("Log colour scale");
      log->setObjectName("landscape.log");
      auto* top = new QCheckBox("Top-down contour map (T)");
      top->setObjectName("landscape.topdown");
      auto* reset = new QPushButton("Reset view (R)");
      auto* hover = new QLabel;
      hover->setObjectName("landscape.hover");
      hover->setMinimumWidth(320);
      controls->addWidget(log);
      controls->addWidget(top);
      controls->addWidget(reset);
      controls->addStretch(1);
      controls->addWidget(hover);
      layout->addLayout(controls);
      p.surface = new widgets::SurfaceView;
      p.surface->setMinimumSize(400, 300);
      p.surface->setToolTip("Left drag: rotate · right drag or wheel: zoom · middle drag: pan · "
                            "R: reset · T: top-down map; right-click the tab's export in File");
      layout->addWidget(p.surface, 1);
      widgets::SurfaceView* sv = p.surface;
      QObject::connect(log, &QCheckBox::toggled, sv, [sv, log](bool on) {
        if (!sv->setLogScale(on)) {
          const QSignalBlocker b(log);
          log->setChecked(false);
          log->setToolTip("A log scale needs every loss positive");
        }
      });
      QObject::connect(top, &QCheckBox::toggled, sv, [sv](bool on) { sv->setTopDown(on); });
      QObject::connect(reset, &QPushButton::clicked, sv, [sv] { sv->resetView(); });
      QObject::connect(sv, &widgets::SurfaceView::hovered, hover, &QLabel::setText);
    } else {
      p.fallback = new QLabel;
      p.fallback->setAlignment(Qt::AlignCenter);
      p.fallback->setToolTip("The contour map (this platform has no OpenGL for the 3-D view)");
      layout->addWidget(p.fallback, 1);
    }
    host_.tabs->addTab(p.widget, id);
    order_ << id;
    host_.show_tabs();
  }
  const std::string slice = r->info.kind == "plane"     ? "Plane through "
                            : r->info.kind == "hessian" ? "Hessian eigenvectors (" + r->info.hessian_pair +
                                                              (r->info.hessian_batch.empty() ? "" : ", " + r->info.hessian_batch) +
                                                              ") around "
                                                        : "Around ";
  p.summary->setText(QString::fromStdString(slice) +
                     QString::fromStdString([&] {
                       std::string s;
                       for (const auto& m : r->info.models) s += (s.empty() ? "" : ", ") + m;
                       return s;
                     }()) +
                     QString(" · %1×%2 grid").arg(r->grid.nx()).arg(r->grid.ny()) + "<br>" +
                     numbers_line(*r));
  if (p.surface) {
    p.surface->setScene(scene);
    // Losses span orders of magnitude away from the models: log colours where possible.
    if (auto* log = p.widget->findChild<QCheckBox*>("landscape.log"))
      log->setChecked(widgets::log_scale_possible(scene));
  }
  if (p.fallback) {
    figure::FigureSize size;
    size.width_mm = 160;
    size.height_mm = 120;
    size.dpi = 110;
    figure::ContourFigureOptions o;
    o.log = widgets::log_scale_possible(scene);
    p.fallback->setPixmap(QPixmap::fromImage(figure::render_image(figure::contour_figure(scene, o), size)));
  }
  pages_.insert(id, p);
}

void LandscapePages::clear() {
  pages_.clear();
  order_.clear();
}

QWidget* LandscapePages::page(const QString& name, QString* why) const {
  if (!name.startsWith("landscape:")) return nullptr;
  const QString id = name.mid(10);
  if (const auto it = pages_.find(id); it != pages_.end()) return it->widget;
  if (why) *why = "--view " + name + ": no landscape '" + id + "' (landscapes: " + order_.join(", ") + ")";
  return nullptr;
}

QString LandscapePages::exportName(const QWidget* page) const {
  for (auto it = pages_.begin(); it != pages_.end(); ++it)
    if (it->widget == page) return "landscape-" + it.key();
  return {};
}

QImage LandscapePages::imageOn(QWidget* page) {
  for (const Page& p : pages_)
    if (p.widget == page) {
      if (p.surface) return p.surface->grabImage();
      if (p.fallback) return p.fallback->pixmap().toImage();
    }
  return {};
}

widgets::SurfaceView* LandscapePages::surface(const QString& id) const { return pages_.value(id).surface; }

QString LandscapePages::summary(const QString& id) const {
  const Page p = pages_.value(id);
  return p.summary ? p.summary->text() : QString();
}

}  // namespace ridgeline::gui
