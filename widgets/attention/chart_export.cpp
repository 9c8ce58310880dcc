// Export of the attention lab's chart views (chart_export.h).
#include "widgets/attention/chart_export.h"

#include <QCoreApplication>
#include <QCursor>
#include <QFileDialog>
#include <QFileInfo>
#include <QGraphicsView>
#include <QImage>
#include <QMenu>
#include <QPageSize>
#include <QPainter>
#include <QPdfWriter>
#include <QSvgGenerator>
#include <QToolTip>

namespace ridgeline::widgets {

namespace {

void paint(const QGraphicsView& view, QPainter& p, const QSize& sz) {
  p.setRenderHint(QPainter::Antialiasing);
  p.setRenderHint(QPainter::TextAntialiasing);
  // QGraphicsView::render is not const, but it only reads the scene.
  const_cast<QGraphicsView&>(view).render(&p, QRectF(0, 0, sz.width(), sz.height()),
                                          view.viewport()->rect(), Qt::IgnoreAspectRatio);
}

}  // namespace

bool export_chart_view(const QGraphicsView& view, const QString& path, const QString& title,
                       QString* error) {
  const QString suffix = QFileInfo(path).suffix().toLower();
  auto fail = [&](const QString& why) {
    if (error) *error = path + ": " + why;
    return false;
  };
  // A chart lays itself out on posted events: without them a file written right after a
  // change (a new metric, new data) would show the previous state.
  // The items of removed axes and series go by deleteLater: flush those too, or they are drawn
  // over the new ones.
  QCoreApplication::sendPostedEvents();
  QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
  const QSize sz = view.viewport()->size();
  if (sz.isEmpty()) return fail("the view has no size");
  if (suffix == "png") {
    QImage img(sz * 2, QImage::Format_RGB32);
    img.fill(Qt::white);
    QPainter p(&img);
    p.scale(2, 2);
    paint(view, p, sz);
    p.end();
    return img.save(path, "PNG") || fail("cannot write the file");
  }
  if (suffix == "svg") {
    QSvgGenerator g;
    g.setFileName(path);
    g.setSize(sz);
    g.setViewBox(QRect(QPoint(0, 0), sz));
    g.setTitle(title);
    QPainter p;
    if (!p.begin(&g)) return fail("cannot write the file");
    paint(view, p, sz);
    return p.end() || fail("cannot write the file");
  }
  if (suffix == "pdf") {
    QPdfWriter pdf(path);
    pdf.setCreator("Ridgeline");
    pdf.setTitle(title);
    pdf.setResolution(96);
    pdf.setPageSize(QPageSize(QSizeF(sz.width() * 25.4 / 96, sz.height() * 25.4 / 96),
                              QPageSize::Millimeter, QString(), QPageSize::ExactMatch));
    pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
    QPainter p;
    if (!p.begin(&pdf)) return fail("cannot write the file");
    paint(view, p, sz);
    return p.end() || fail("cannot write the file");
  }
  return fail("unknown export format (use .png, .svg or .pdf)");
}

void add_export_actions(QMenu& menu, QWidget* parent, const QString& base_name,
                        std::function<bool(const QString& path, QString* error)> write) {
  for (const QString suffix : {"png", "svg", "pdf"}) {
    QAction* a = menu.addAction(QString("Export as %1…").arg(suffix.toUpper()));
    QObject::connect(a, &QAction::triggered, parent, [parent, base_name, suffix, write] {
      const QString path =
          QFileDialog::getSaveFileName(parent, "Export", base_name + "." + suffix,
                                       suffix.toUpper() + " files (*." + suffix + ")");
      QString error;
      if (!path.isEmpty() && !write(path, &error))
        QToolTip::showText(QCursor::pos(), error, parent);
    });
  }
}

}  // namespace ridgeline::widgets
