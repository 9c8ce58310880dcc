// A contour map's marks (figure_field.h): the raster (bilinear between grid nodes, then the
// colormap), contour lines by marching squares (contour.h) and the colour bar.
#include "widgets/figure/figure_field.h"

#include <QImage>
#include <QPainter>
#include <algorithm>
#include <cmath>

#include "widgets/figure/colormap.h"
#include "widgets/figure/contour.h"

namespace ridgeline::figure {

namespace {

double frac(const AxisLayout& a, double v) {
  if (a.log) return (std::log10(v) - std::log10(a.min)) / (std::log10(a.max) - std::log10(a.min));
  return (v - a.min) / (a.max - a.min);
}

double inverse(const AxisLayout& a, double f) {
  if (a.log) return std::pow(10.0, std::log10(a.min) + f * (std::log10(a.max) - std::log10(a.min)));
  return a.min + f * (a.max - a.min);
}

// Cell index and fraction of v on an ascending axis; false outside it.
bool locate(const std::vector<double>& axis, double v, size_t* i, double* f) {
  if (!(v >= axis.front() && v <= axis.back())) return false;
  size_t k = static_cast<size_t>(std::upper_bound(axis.begin(), axis.end(), v) - axis.begin());
  k = std::min(std::max<size_t>(k, 1), axis.size() - 1) - 1;
  *i = k;
  *f = (v - axis[k]) / (axis[k + 1] - axis[k]);
  return true;
}

}  // namespace

void paint_field(QPainter& p, const Field& field, const AxisLayout& x, const AxisLayout& y,
                 const QRectF& plot, double dots_per_pt) {
  const size_t nx = field.xs.size(), ny = field.ys.size();
  if (nx < 2 || ny < 2 || field.z.size() != nx * ny) return;
  double lo, hi;
  if (!field_limits(field, &lo, &hi)) return;
  // The field's extent on the plot.
  auto fx = [&](double v) { return plot.left() + frac(x, v) * plot.width(); };
  auto fy = [&](double v) { return plot.bottom() - frac(y, v) * plot.height(); };
  const QRectF extent(QPointF(fx(field.xs.front()), fy(field.ys.back())),
                      QPointF(fx(field.xs.back()), fy(field.ys.front())));
  const QRectF shown = extent.intersected(plot);
  if (shown.isEmpty()) return;
  // At the device's resolution, at most 800 pixels a side (a PDF's 1200 dpi would be huge).
  const int w = std::clamp(static_cast<int>(std::ceil(shown.width() * dots_per_pt)), 16, 800);
  const int h = std::clamp(static_cast<int>(std::ceil(shown.height() * dots_per_pt)), 16, 800);
  QImage img(w, h, QImage::Format_ARGB32);
  img.fill(Qt::transparent);
  std::vector<size_t> ci(static_cast<size_t>(w));
  std::vector<double> cf(static_cast<size_t>(w));
  std::vector<bool> cin(static_cast<size_t>(w));
  for (int i = 0; i < w; ++i) {
    const double px = shown.left() + (i + 0.5) / w * shown.width();
    const double vx = inverse(x, (px - plot.left()) / plot.width());
    size_t k;
    double f;
    cin[static_cast<size_t>(i)] = locate(field.xs, vx, &k, &f);
    ci[static_cast<size_t>(i)] = k;
    cf[static_cast<size_t>(i)] = f;
  }
  for (int j = 0; j < h; ++j) {
    const double py = shown.top() + (j + 0.5) / h * shown.height();
    const double vy = inverse(y, (plot.bottom() - py) / plot.height());
    size_t r;
    double g;
    if (!locate(field.ys, vy, &r, &g)) continue;
    auto* line = reinterpret_cast<QRgb*>(img.scanLine(j));
    for (int i = 0; i < w; ++i) {
      if (!cin[static_cast<size_t>(i)]) continue;
      const size_t c = ci[static_cast<size_t>(i)];
      const double f = cf[static_cast<size_t>(i)];
      const double z00 = field.z[r * nx + c], z10 = field.z[r * nx + c + 1];
      const double z01 = field.z[(r + 1) * nx + c], z11 = field.z[(r + 1) * nx + c + 1];
      const double v = (z00 * (1 - f) + z10 * f) * (1 - g) + (z01 * (1 - f) + z11 * f) * g;
      const double t = color_fraction(v, lo, hi, field.log);
      if (!std::isfinite(t)) continue;
      const Rgb col = colormap(t);
      line[i] = qRgb(col.r, col.g, col.b);
    }
  }
  p.save();
  p.setClipRect(plot);
  p.setRenderHint(QPainter::SmoothPixmapTransform);
  p.drawImage(shown, img);
  // Contour lines: thin, dark, translucent, so that paths drawn over them stand out.
  QPen pen(QColor(30, 30, 30, 150), 0.35);
  pen.setCapStyle(Qt::RoundCap);
  p.setPen(pen);
  for (double level : field.levels)
    for (const ContourSegment& s : contour_segments(field.xs, field.ys, field.z, level))
      p.drawLine(QPointF(fx(s.x0), fy(s.y0)), QPointF(fx(s.x1), fy(s.y1)));
  p.restore();
}

double color_bar_width(const AxisLayout& color, const Field& field, const QFontMetricsF& fm,
                       double F) {
  double label_w = 0;
  for (const auto& l : color.labels)
    label_w = std::max(label_w, fm.horizontalAdvance(QString::fromStdString(l)));
  // gap, bar, tick, gap, labels, gap, title (rotated: one line).
  return 0.8 * F + 0.9 * F + 0.3 * F + 0.3 * F + label_w +
         (field.label.empty() ? 0 : 0.4 * F + fm.height());
}

void paint_color_bar(QPainter& p, const Field& field, const AxisLayout& color, const QRectF& box,
                     const QFontMetricsF& fm, double F) {
  const QRectF bar(box.left() + 0.8 * F, box.top(), 0.9 * F, box.height());
  QImage ramp(1, 256, QImage::Format_RGB32);
  for (int k = 0; k < 256; ++k) {
    const Rgb c = colormap(1.0 - k / 255.0);
    ramp.setPixel(0, k, qRgb(c.r, c.g, c.b));
  }
  p.save();
  p.setRenderHint(QPainter::SmoothPixmapTransform);
  p.drawImage(bar, ramp);
  p.setPen(QPen(Qt::black, 0.5));
  p.setBrush(Qt::NoBrush);
  p.drawRect(bar);
  const double tick = 0.3 * F, gap = 0.3 * F, lh = fm.height();
  double label_w = 0;
  for (size_t t = 0; t < color.ticks.size(); ++t) {
    const double f = frac(color, color.ticks[t]);
    if (!(f >= -1e-9 && f <= 1 + 1e-9)) continue;
    const double yy = bar.bottom() - f * bar.height();
    p.setPen(QPen(Qt::black, 0.6));
    p.drawLine(QPointF(bar.right(), yy), QPointF(bar.right() + tick, yy));
    const QString text = QString::fromStdString(color.labels[t]);
    label_w = std::max(label_w, fm.horizontalAdvance(text));
    p.drawText(QRectF(bar.right() + tick + gap, yy - lh / 2, fm.horizontalAdvance(text) + 1, lh),
               Qt::AlignLeft | Qt::AlignVCenter, text);
  }
  if (!field.label.empty()) {
    double all_w = 0;
    for (const auto& l : color.labels)
      all_w = std::max(all_w, fm.horizontalAdvance(QString::fromStdString(l)));
    p.translate(bar.right() + tick + gap + all_w + 0.4 * F + lh / 2, bar.center().y());
    p.rotate(-90);
    p.drawText(QRectF(-bar.height() / 2 - lh, -lh / 2, bar.height() + 2 * lh, lh), Qt::AlignCenter,
               QString::fromStdString(field.label));
  }
  p.restore();
}

}  // namespace ridgeline::figure
