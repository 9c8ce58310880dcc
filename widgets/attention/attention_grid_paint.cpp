// Painting of the attention map grid (attention_grid.h): maps, labels, selection, colour bar
// and the panel of the selection's weights.
#include <QFontMetricsF>
#include <QPaintDevice>
#include <QPainter>
#include <algorithm>
#include <cmath>

#include "widgets/attention/attention_grid.h"

namespace ridgeline::widgets {

namespace {
const QColor kText(40, 40, 40), kMuted(110, 110, 110), kFrame(150, 150, 150);
const QColor kBarColor(0, 114, 178);  // Okabe–Ito blue

QString number(double v) { return QString::number(v, 'g', 3); }

// A frame just outside a row or column of cells (black inside white, visible on any colour),
// so the cells themselves stay visible at any size.
void outline(QPainter& p, const QRectF& r) {
  p.setBrush(Qt::NoBrush);
  p.setPen(QPen(Qt::white, 1));
  p.drawRect(r.adjusted(-2, -2, 2, 2));
  p.setPen(QPen(Qt::black, 1));
  p.drawRect(r.adjusted(-1, -1, 1, 1));
}

// A small black triangle pointing at `tip` from direction (dx, dy) (a unit axis).
void marker(QPainter& p, const QPointF& tip, double dx, double dy) {
  const double s = 6;
  const QPointF base = tip + QPointF(dx * s, dy * s), side(-dy * s / 2, dx * s / 2);
  const QPointF tri[3] = {tip, base + side, base - side};
  p.setPen(Qt::NoPen);
  p.setBrush(Qt::black);
  p.drawPolygon(tri, 3);
}
}  // namespace

void AttentionGrid::render(QPainter& p, const QSize& size) const {
  p.save();
  p.fillRect(QRectF(QPointF(0, 0), QSizeF(size)), Qt::white);
  p.setFont(font());
  const QFontMetricsF fm(font());
  const double line = fm.height();
  const AttentionMaps& m = shown();
  if (m.empty()) {
    p.setPen(kMuted);
    p.drawText(QRectF(QPointF(0, 0), QSizeF(size)), Qt::AlignCenter, "No attention maps");
    p.restore();
    return;
  }
  const Layout L = layout(size);
  p.setPen(kText);
  QString title = QString("%1 — %2 layer%3 × %4 head%5, N = %6")
                      .arg(m.title.isEmpty() ? QString("attention") : m.title)
                      .arg(maps_.layers).arg(maps_.layers == 1 ? "" : "s")
                      .arg(maps_.heads).arg(maps_.heads == 1 ? "" : "s").arg(m.n);
  if (head_mean_on_) title += ", mean over heads";
  const int px = static_cast<int>(std::lround(L.maps.front().width()));
  if (m.n > px) {  // pooled: say so, a peak shows dimmer than its value
    const int f = (m.n + px - 1) / px;
    title += QString("; a pixel is the mean of %1×%1 cells").arg(f);
  }
  p.drawText(L.title, Qt::AlignLeft | Qt::AlignVCenter, fm.elidedText(title, Qt::ElideRight, L.title.width()));

  // Maps, without smoothing: a cell stays a square of one colour.
  p.setRenderHint(QPainter::SmoothPixmapTransform, false);
  // PDF and SVG viewers smooth embedded images: there, each cell becomes a block of pixels
  // (nearest neighbour, up to 2048 pixels a side) so cells stay sharp when zoomed.
  const int dev = p.device() ? p.device()->devType() : QInternal::Widget;
  const bool raster = dev == QInternal::Widget || dev == QInternal::Image || dev == QInternal::Pixmap;
  for (size_t k = 0; k < L.maps.size(); ++k) {
    const QRectF& r = L.maps[k];
    const QImage& img = displayImage(static_cast<int>(k), static_cast<int>(std::lround(r.width())));
    const int f = raster ? 1 : std::max(1, std::min(2048, static_cast<int>(4 * r.width())) / img.width());
    p.drawImage(r, f == 1 ? img : img.scaled(img.size() * f, Qt::IgnoreAspectRatio, Qt::FastTransformation));
    p.setPen(QPen(kFrame, 1));
    p.setBrush(Qt::NoBrush);
    p.drawRect(r);
  }
  // Headers: heads above the first row, layers rotated left of each row.
  p.setPen(kText);
  for (int h = 0; h < m.heads; ++h) {
    const QRectF& r = L.maps[static_cast<size_t>(h)];
    const QString t = head_mean_on_ ? QString("mean of %1 heads").arg(maps_.heads) : QString("head %1").arg(h);
    p.drawText(QRectF(r.left(), r.top() - L.header, r.width(), L.header), Qt::AlignCenter,
               fm.elidedText(t, Qt::ElideRight, r.width()));
  }
  for (int l = 0; l < m.layers; ++l) {
    const QRectF& r = L.maps[static_cast<size_t>(l) * m.heads];
    p.save();
    p.translate(L.grid.left(), r.center().y());
    p.rotate(-90);
    p.drawText(QRectF(-r.height() / 2, 0, r.height(), L.header), Qt::AlignCenter, QString("layer %1").arg(l));
    p.restore();
  }
  // Token labels: queries left of the first column, keys below the last row (every
  // label_step-th when they do not all fit).
  p.setPen(kMuted);
  const int step = L.label_step;
  for (int l = 0; l < m.layers; ++l) {
    const QRectF& r = L.maps[static_cast<size_t>(l) * m.heads];
    for (int i = 0; i < m.n; i += step)
      p.drawText(QRectF(r.left() - L.label_w, r.top() + (i + 0.5) * L.cell - line / 2, L.label_w - 4, line),
                 Qt::AlignRight | Qt::AlignVCenter, fm.elidedText(m.token(i), Qt::ElideRight, L.label_w - 4));
  }
  for (int h = 0; h < m.heads; ++h) {
    const QRectF& r = L.maps[static_cast<size_t>(m.layers - 1) * m.heads + h];
    for (int j = 0; j < m.n; j += step) {
      p.save();
      p.translate(r.left() + (j + 0.5) * L.cell, r.bottom() + 3);
      p.rotate(90);
      p.drawText(QRectF(0, -line / 2, L.label_w - 4, line), Qt::AlignLeft | Qt::AlignVCenter,
                 fm.elidedText(m.token(j), Qt::ElideRight, L.label_w - 4));
      p.restore();
    }
  }
  // The selection on every map (the same rows or column), the panel's map framed thicker.
  if (selection_.axis != Axis::None) {
    for (size_t k = 0; k < L.maps.size(); ++k) {
      const QRectF& r = L.maps[k];
      for (int idx : selection_.indices) {
        const double a = idx * L.cell, w = std::max(L.cell, 1.0);
        if (selection_.axis == Axis::Query) {
          outline(p, QRectF(r.left(), r.top() + a, r.width(), w));
          marker(p, QPointF(r.right() + 2, r.top() + a + w / 2), 1, 0);
        } else {
          outline(p, QRectF(r.left() + a, r.top(), w, r.height()));
          marker(p, QPointF(r.left() + a + w / 2, r.top() - 2), 0, -1);
        }
      }
    }
    const QRectF& f = L.maps[static_cast<size_t>(selection_.layer) * m.heads + selection_.head];
    p.setPen(QPen(Qt::black, 2));
    p.setBrush(Qt::NoBrush);
    p.drawRect(f.adjusted(-4, -4, 4, 4));
  }
  paintBar(p, L.bar);
  paintPanel(p, L.panel);
  p.restore();
}

void AttentionGrid::paintBar(QPainter& p, const QRectF& r) const {
  const QFontMetricsF fm(font());
  const double line = fm.height();
  p.setPen(kText);
  p.drawText(QRectF(r.left(), r.top() - 1.5 * line - 2, r.width() + 8, line), Qt::AlignLeft | Qt::AlignVCenter,
             scale_.kind == ScaleKind::Log ? "a_ij (log)" : "a_ij");
  const QRectF strip(r.left(), r.top(), 14, r.height());
  QImage img(1, 256, QImage::Format_RGB32);
  ColorScale lin = scale_;
  if (lin.kind == ScaleKind::Log) lin.kind = ScaleKind::Linear;  // the strip is in position space
  for (int y = 0; y < 256; ++y)
    img.setPixel(0, y, lin.color(lin.min + (lin.max - lin.min) * (255 - y) / 255.0));
  p.setRenderHint(QPainter::SmoothPixmapTransform, true);
  p.drawImage(strip, img);
  p.setRenderHint(QPainter::SmoothPixmapTransform, false);
  p.setPen(QPen(kFrame, 1));
  p.setBrush(Qt::NoBrush);
  p.drawRect(strip);
  // Ticks: five evenly (linear; diverging includes 0), or the decades inside a log range.
  std::vector<double> ticks;
  if (scale_.kind == ScaleKind::Log) {
    ticks = {scale_.min, scale_.max};
    for (double e = std::ceil(std::log10(scale_.min)); e <= std::floor(std::log10(scale_.max)); e += 1)
      ticks.push_back(std::pow(10.0, e));
  } else {
    for (int k = 0; k <= 4; ++k) ticks.push_back(scale_.min + (scale_.max - scale_.min) * k / 4.0);
  }
  p.setPen(kText);
  std::vector<double> placed;  // label centres: a tick closer than a line to one is left out
  for (double v : ticks) {
    const double t = scale_.position(v), y = strip.bottom() - t * strip.height();
    if (std::any_of(placed.begin(), placed.end(), [&](double q) { return std::fabs(q - y) < line; })) continue;
    placed.push_back(y);
    p.drawLine(QPointF(strip.right(), y), QPointF(strip.right() + 4, y));
    p.drawText(QRectF(strip.right() + 6, y - line / 2, r.width() - 20, line), Qt::AlignLeft | Qt::AlignVCenter,
               number(std::fabs(v) < 1e-12 * std::max(1.0, std::fabs(scale_.max)) ? 0.0 : v));
  }
}

void AttentionGrid::paintPanel(QPainter& p, const QRectF& panel) const {
  const QFontMetricsF fm(font());
  const double line = fm.height();
  const AttentionMaps& m = shown();
  p.setPen(QPen(QColor(220, 220, 220), 1));
  p.drawLine(panel.topLeft(), panel.topRight());
  if (selection_.axis == Axis::None) {
    p.setPen(kMuted);
    p.drawText(panel.adjusted(0, 6, 0, 0), Qt::AlignLeft | Qt::AlignTop | Qt::TextWordWrap,
               "Click a cell: its query row's weights over the keys (Ctrl+click: the mean of several "
               "rows; Shift+click: a key column). Right-click: mean over heads, log scale, export.");
    return;
  }
  const std::vector<double> w = selectionWeights();
  const QString where = QString("layer %1, %2").arg(selection_.layer)
                            .arg(head_mean_on_ ? QString("mean of %1 heads").arg(maps_.heads)
                                               : QString("head %1").arg(selection_.head));
  QString what;
  const std::vector<int>& idx = selection_.indices;
  if (selection_.axis == Axis::Key) {
    what = QString("key %1 (%2): the weight a_ij each query i gives it").arg(idx[0]).arg(m.token(idx[0]));
  } else if (idx.size() == 1) {
    what = QString("query %1 (%2): its weights a_ij over keys j").arg(idx[0]).arg(m.token(idx[0]));
  } else {
    QStringList names;
    for (size_t k = 0; k < std::min<size_t>(idx.size(), 6); ++k) names << m.token(idx[k]);
    if (idx.size() > 6) names << "…";
    what = QString("mean over %1 queries (%2) of their weights over keys j").arg(idx.size()).arg(names.join(", "));
  }
  QRectF head(panel.left(), panel.top() + 4, panel.width(), line);
  p.setPen(kText);
  p.drawText(head, Qt::AlignLeft | Qt::AlignVCenter, fm.elidedText(where + " — " + what, Qt::ElideRight, head.width()));
  QRectF area(panel.left(), head.bottom() + 4, panel.width(), panel.bottom() - head.bottom() - 4);

  // The picture under its patch grid, each patch tinted by its token's weight.
  const int cls = class_token_ ? 1 : 0;
  if (!picture_.isNull() && grid_h_ > 0 && grid_w_ > 0) {
    const double side = area.height() - line - 2;
    const QRectF pic(area.left(), area.top(), side * grid_w_ / std::max(grid_h_, grid_w_),
                     side * grid_h_ / std::max(grid_h_, grid_w_));
    if (grid_h_ * grid_w_ + cls != m.n) {
      p.setPen(kMuted);
      p.drawText(QRectF(area.left(), area.top(), side, side), Qt::AlignCenter | Qt::TextWordWrap,
                 QString("the %1×%2 patch grid%3 does not match N = %4")
                     .arg(grid_h_).arg(grid_w_).arg(cls ? " + class token" : "").arg(m.n));
    } else {
      p.setRenderHint(QPainter::SmoothPixmapTransform, true);
      p.drawImage(pic, picture_);
      const double pw = pic.width() / grid_w_, ph = pic.height() / grid_h_;
      // Tinted on the selection's own range (one row's weights would be dark on the maps'
      // scale): viridis from 0 to its largest patch weight, diverging when one is negative.
      ColorScale own;
      own.min = 0;
      own.max = 0;
      for (int t = cls; t < m.n; ++t) {
        own.min = std::min(own.min, w[static_cast<size_t>(t)]);
        own.max = std::max(own.max, w[static_cast<size_t>(t)]);
      }
      if (own.min < 0) {
        own.kind = ScaleKind::Diverging;
        own.max = std::max(-own.min, own.max);
        own.min = -own.max;
      }
      if (own.max <= own.min) own.max = own.min + 1;
      for (int a = 0; a < grid_h_; ++a)
        for (int b = 0; b < grid_w_; ++b) {
          QColor c = QColor::fromRgb(own.color(w[static_cast<size_t>(cls + a * grid_w_ + b)]));
          c.setAlpha(150);
          p.fillRect(QRectF(pic.left() + b * pw, pic.top() + a * ph, pw, ph), c);
        }
      if (selection_.axis == Axis::Query && idx.size() == 1 && idx[0] >= cls) {
        const int t = idx[0] - cls;  // the query's own patch
        outline(p, QRectF(pic.left() + (t % grid_w_) * pw, pic.top() + (t / grid_w_) * ph, pw, ph));
      }
      p.setPen(QPen(kFrame, 1));
      p.setBrush(Qt::NoBrush);
      p.drawRect(pic);
      p.setPen(kMuted);
      QString cap = QString("tint: %1 to %2").arg(number(own.min), number(own.max));
      if (cls) cap += QString("; class token: %1").arg(number(w[0]));
      p.drawText(QRectF(pic.left(), pic.bottom() + 2, std::max(pic.width(), 220.0), line),
                 Qt::AlignLeft | Qt::AlignVCenter, cap);
    }
    area.setLeft(area.left() + std::max(side, 220.0) + 16);
  }

  // Bars over the other axis, from 0, with the value range on the left.
  const auto [lo, hi] = barRange();
  const double axis_w = std::max(fm.horizontalAdvance(number(hi)), fm.horizontalAdvance(number(lo))) + 8;
  const QRectF plot(area.left() + axis_w, area.top() + line / 2, area.width() - axis_w - 4,
                    area.height() - line * 1.8);
  auto ypos = [&](double v) { return plot.bottom() - (v - lo) / (hi - lo) * plot.height(); };
  p.setPen(kText);
  for (double v : {lo, hi, 0.0}) {
    if (v == 0.0 && (lo == 0 || hi == 0)) continue;
    p.drawText(QRectF(area.left(), ypos(v) - line / 2, axis_w - 4, line), Qt::AlignRight | Qt::AlignVCenter, number(v));
  }
  if (lo == 0) p.drawText(QRectF(area.left(), ypos(0) - line / 2, axis_w - 4, line), Qt::AlignRight | Qt::AlignVCenter, "0");
  const double bw = plot.width() / m.n;
  p.setPen(Qt::NoPen);
  p.setBrush(kBarColor);
  for (int k = 0; k < m.n; ++k) {
    const double y0 = ypos(0), y1 = ypos(w[static_cast<size_t>(k)]);
    p.drawRect(QRectF(plot.left() + k * bw, std::min(y0, y1), std::max(bw * (bw > 3 ? 0.8 : 1.0), 0.6),
                      std::max(std::fabs(y1 - y0), 0.5)));
  }
  p.setPen(QPen(kFrame, 1));
  p.drawLine(QPointF(plot.left(), ypos(0)), QPointF(plot.right(), ypos(0)));
  p.drawLine(plot.topLeft(), plot.bottomLeft());
  // Token labels under the bars, thinned to fit.
  double tw = 0;
  for (int k = 0; k < m.n; k += std::max(1, m.n / 64)) tw = std::max(tw, fm.horizontalAdvance(m.token(k)));
  const int step = std::max(1, static_cast<int>(std::ceil((tw + 8) / bw)));
  p.setPen(kMuted);
  for (int k = 0; k < m.n; k += step)
    p.drawText(QRectF(plot.left() + (k + 0.5) * bw - tw / 2 - 4, plot.bottom() + 2, tw + 8, line),
               Qt::AlignHCenter | Qt::AlignTop, m.token(k));
}

}  // namespace ridgeline::widgets
