#pragma once
/// @file landscape_view.h
/// The landscape step's pages: one result tab per landscape step ("landscape:<id>"), the 3-D
/// surface (widgets/surface/SurfaceView) with its models, linear path and lowest pass, the
/// controls (log colour scale, top-down contour map, reset view), the hover readout and a line
/// with the numbers that answer one question: the linear path's barrier and the lowest pass's.
/// On a platform without OpenGL (the offscreen platform of headless --screenshot runs) the tab
/// shows the contour map figure instead of the 3-D view.
#include <QMap>

#include "gui/results/result_views.h"
#include "ridgeline/landscape/landscape.h"

class QLabel;

namespace ridgeline::widgets {
class SurfaceView;
}

namespace ridgeline::gui {

class LandscapePages : public ResultPages {
 public:
  explicit LandscapePages(const ResultHost& host);

  void show(const StepResult& result) override;
  void clear() override;
  QWidget* page(const QString& name, QString* why) const override;
  QString exportName(const QWidget* page) const override;
  QImage imageOn(QWidget* page) override;

  QStringList ids() const { return order_; }
  /// The 3-D view of step `id` (null when none, or on a platform without OpenGL).
  widgets::SurfaceView* surface(const QString& id) const;
  /// The numbers line of step `id`.
  QString summary(const QString& id) const;

 private:
  struct Page {
    QWidget* widget = nullptr;
    widgets::SurfaceView* surface = nullptr;
    QLabel* fallback = nullptr;  ///< the contour map image without OpenGL
    QLabel* summary = nullptr;
  };
  ResultHost host_;
  QMap<QString, Page> pages_;
  QStringList order_;
};

}  // namespace ridgeline::gui
