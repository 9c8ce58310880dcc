// The output formats of a painted figure (figure_render.h): PNG (QImage at the size's dpi),
// PDF with an exact media box, SVG, and the atomic write of any of them by file suffix.
#include <QBuffer>
#include <QFileInfo>
#include <QPageSize>
#include <QPainter>
#include <QPdfWriter>
#include <QSaveFile>
#include <QSvgGenerator>
#include <cmath>

#include "widgets/figure/figure_render.h"

namespace ridgeline::figure {

namespace {
constexpr double kPtPerMm = 72.0 / 25.4;
}  // namespace

int pixels_for(double mm, int dpi) { return static_cast<int>(std::lround(mm / 25.4 * dpi)); }

QImage render_image(const Figure& fig, const FigureSize& size) {
  QImage img(pixels_for(size.width_mm, size.dpi), pixels_for(size.height_mm, size.dpi),
             QImage::Format_ARGB32_Premultiplied);
  const int dpm = static_cast<int>(std::lround(size.dpi / 0.0254));
  img.setDotsPerMeterX(dpm);
  img.setDotsPerMeterY(dpm);
  img.fill(Qt::white);
  QPainter p(&img);
  paint_figure(p, fig, size, size.dpi);
  p.end();
  return img;
}

namespace {

// Qt writes a page's /MediaBox in whole points (QPageLayout::fullRectPoints) and draws with
// its top at that whole height. The exact box keeps that top and reaches the exact size
// below and to the right: [0, H_int − H, W, H_int]. It is written in the same number of bytes
// (fewer decimals, spaces), so the file's cross-reference offsets stay valid.
void exact_media_box(QByteArray& pdf, double width_pt, double height_pt) {
  const QByteArray key = "/MediaBox [";
  for (qsizetype at = pdf.indexOf(key); at >= 0; at = pdf.indexOf(key, at + 1)) {
    const qsizetype begin = at + key.size(), end = pdf.indexOf(']', begin);
    if (end < 0) return;
    const QList<QByteArray> v = pdf.mid(begin, end - begin).simplified().split(' ');
    if (v.size() != 4) continue;
    const double top = v[3].toDouble();
    for (int decimals = 6; decimals >= 2; --decimals) {
      QByteArray box = "0 " + QByteArray::number(top - height_pt, 'f', decimals) + " " +
                       QByteArray::number(width_pt, 'f', decimals) + " " + QByteArray::number(top, 'g', 10);
      if (box.size() > end - begin) continue;
      box += QByteArray(end - begin - box.size(), ' ');
      pdf.replace(begin, end - begin, box);
      break;
    }
  }
}

}  // namespace

QByteArray render_pdf(const Figure& fig, const FigureSize& size) {
  QByteArray bytes;
  QBuffer buffer(&bytes);
  buffer.open(QIODevice::WriteOnly);
  QPdfWriter pdf(&buffer);
  pdf.setCreator(QStringLiteral("Ridgeline"));
  pdf.setTitle(QString::fromStdString(fig.view));
  pdf.setPageSize(QPageSize(QSizeF(size.width_mm, size.height_mm), QPageSize::Millimeter, QString(),
                            QPageSize::ExactMatch));
  pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
  pdf.setResolution(1200);
  QPainter p(&pdf);
  paint_figure(p, fig, size, pdf.resolution());
  p.end();
  buffer.close();
  exact_media_box(bytes, size.width_mm * kPtPerMm, size.height_mm * kPtPerMm);
  return bytes;
}

QByteArray render_svg(const Figure& fig, const FigureSize& size) {
  QByteArray bytes;
  QBuffer buffer(&bytes);
  buffer.open(QIODevice::WriteOnly);
  QSvgGenerator svg;
  svg.setOutputDevice(&buffer);
  // 2540 dpi: one unit is 0.01 mm, so a size in mm with two decimals is exact in the file.
  constexpr int kDpi = 2540;
  const QSize px(pixels_for(size.width_mm, kDpi), pixels_for(size.height_mm, kDpi));
  svg.setResolution(kDpi);
  svg.setSize(px);
  svg.setViewBox(QRect(QPoint(0, 0), px));
  svg.setTitle(QString::fromStdString(fig.view));
  svg.setDescription(QStringLiteral("Ridgeline paper figure"));
  QPainter p(&svg);
  paint_figure(p, fig, size, kDpi);
  p.end();
  return bytes;
}

bool write_figure(const Figure& fig, const FigureSize& size, const QString& path, QString* error) {
  const QString suffix = QFileInfo(path).suffix().toLower();
  QByteArray bytes;
  if (suffix == "pdf") {
    bytes = render_pdf(fig, size);
  } else if (suffix == "svg") {
    bytes = render_svg(fig, size);
  } else if (suffix == "png") {
    if (const std::string bad = check_png_size(size); !bad.empty()) {
      if (error) *error = QString::fromStdString(bad);
      return false;
    }
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    render_image(fig, size).save(&buffer, "PNG");
  } else {
    if (error) *error = path + ": unknown figure format '." + suffix + "' (use .pdf, .svg or .png)";
    return false;
  }
  QSaveFile file(path);
  if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit()) {
    if (error) *error = path + ": cannot write (" + file.errorString() + ")";
    return false;
  }
  return true;
}

}  // namespace ridgeline::figure
