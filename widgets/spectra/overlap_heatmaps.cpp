// The singular-vector overlap heatmaps (overlap_heatmaps.h).
#include "widgets/spectra/overlap_heatmaps.h"

#include <QFontMetricsF>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>
#include <algorithm>
#include <cmath>

#include "widgets/figure/colormap.h"

namespace ridgeline::widgets {

OverlapHeatmaps::OverlapHeatmaps(QWidget* parent) : QWidget(parent) {
  setMouseTracking(true);
  setMinimumSize(520, 220);
  setToolTip("Top-k singular-vector overlaps |U_Aᵀ U_B| and |V_Aᵀ V_B| before and after alignment, "
             "one colour scale [0, 1]; hover a cell for its value; right-click to export");
}

QColor OverlapHeatmaps::colorOf(double value) {
  const figure::Rgb c = figure::colormap((value - kMin) / (kMax - kMin));
  return QColor(c.r, c.g, c.b);
}

void OverlapHeatmaps::setData(const QString& a, const QString& before_name, const LayerAlignment* before,
                              const QString& after_name, const LayerAlignment* after, const QString& note) {
  a_ = a;
  note_ = note;
  panels_.clear();
  for (int m = 0; m < 2; ++m)
    for (int w = 0; w < 2; ++w) {
      const LayerAlignment* l = w == 0 ? before : after;
      const QString& name = w == 0 ? before_name : after_name;
      Panel p;
      p.title = m == 0 ? "|U_Aᵀ U_B|" : "|V_Aᵀ V_B|";
      if (w == 1 && !name.isEmpty()) p.title = m == 0 ? "|U_Aᵀ P U_B|" : "|V_Aᵀ Q V_B|";
      p.subtitle = name.isEmpty() ? QString(w == 0 ? "before" : "after") : name;
      if (!l) {
        p.missing = name.isEmpty() ? (w == 0 ? "no unaligned B in this step" : "no aligned π(B) in this step")
                                   : "no alignment of " + name;
      } else {
        p.k = l->k;
        p.values = m == 0 ? l->u_overlap : l->v_overlap;
        if (p.values.size() != static_cast<size_t>(p.k) * p.k) {
          p.missing = "malformed overlap matrix";
          p.values.clear();
          p.k = 0;
        }
      }
      panels_.push_back(p);
    }
  update();
}

QImage OverlapHeatmaps::panelImage(int index) const {
  const Panel& p = panels_.at(static_cast<size_t>(index));
  if (p.k <= 0) return {};
  QImage img(p.k, p.k, QImage::Format_RGB32);
  for (int i = 0; i < p.k; ++i)
    for (int j = 0; j < p.k; ++j) {
      const double v = p.values[static_cast<size_t>(i) * p.k + j];
      img.setPixel(j, p.k - 1 - i, std::isfinite(v) ? colorOf(v).rgb() : qRgb(200, 200, 200));
    }
  return img;
}

OverlapHeatmaps::Geometry OverlapHeatmaps::layout(const QSize& size, const QFontMetricsF& fm) const {
  Geometry g;
  const double lh = fm.height();
  const double top = 1.3 * lh + 6 + (note_.isEmpty() ? 0 : lh + 4);
  const double bottom = 1.3 * lh + 4, gap = 1.6 * lh + 6;
  const double bar_w = 14 + 8 + fm.horizontalAdvance("0.25") + 2.2 * lh;
  const int n = static_cast<int>(panels_.size());
  const double avail_w = size.width() - bar_w - 8 - n * gap;
  const double side = std::max(20.0, std::min(avail_w / std::max(1, n), size.height() - top - bottom));
  double x = gap;
  for (int i = 0; i < n; ++i) {
    g.cells.emplace_back(x, top, side, side);
    x += side + gap;
  }
  g.bar = QRectF(x - gap + 14, top, 14, side);
  return g;
}

void OverlapHeatmaps::render(QPainter& painter, const QSize& size) const {
  painter.save();
  painter.fillRect(QRect(QPoint(0, 0), size), Qt::white);
  painter.setRenderHint(QPainter::Antialiasing, false);
  painter.setRenderHint(QPainter::SmoothPixmapTransform, false);
  const QFontMetricsF fm(painter.font());
  const double lh = fm.height();
  const Geometry g = layout(size, fm);
  painter.setPen(QColor(40, 40, 40));
  if (!note_.isEmpty())
    painter.drawText(QRectF(4, 2, size.width() - 8, lh), Qt::AlignLeft,
                     fm.elidedText(note_, Qt::ElideRight, size.width() - 8));
  for (size_t p = 0; p < panels_.size(); ++p) {
    const Panel& pan = panels_[p];
    const QRectF r = g.cells[p];
    // One line above the matrix: what it is (bold) and of which model.
    QFont bold = painter.font();
    bold.setBold(true);
    const QString head = pan.title + "  ";
    const QRectF line(r.left() - g.cells[0].left() / 2, r.top() - lh - 4, r.width() + g.cells[0].left(), lh);
    const double wb = QFontMetricsF(bold).horizontalAdvance(head);
    const QString sub = fm.elidedText(pan.subtitle, Qt::ElideRight, std::max(10.0, line.width() - wb));
    const double x0 = line.center().x() - (wb + fm.horizontalAdvance(sub)) / 2;
    painter.save();
    painter.setFont(bold);
    painter.drawText(QRectF(x0, line.top(), wb + 2, lh), Qt::AlignLeft, head);
    painter.restore();
    painter.drawText(QRectF(x0 + wb, line.top(), line.width(), lh), Qt::AlignLeft, sub);
    if (pan.k <= 0) {
      painter.setPen(QColor(150, 150, 150));
      painter.drawRect(r);
      painter.drawText(r.adjusted(4, 4, -4, -4), Qt::AlignCenter | Qt::TextWordWrap, pan.missing);
      painter.setPen(QColor(40, 40, 40));
      continue;
    }
    painter.drawImage(r, panelImage(static_cast<int>(p)));
    painter.setPen(QColor(90, 90, 90));
    painter.drawRect(r);
    painter.setPen(QColor(40, 40, 40));
    // The axes: j runs right, i runs up, both 1…k (σ descending).
    const QString range = QString("1…%1").arg(pan.k);
    const QString bname = p % 2 == 0 ? QString("B") : QString("π(B)");
    painter.drawText(QRectF(r.left() - 20, r.bottom() + 2, r.width() + 40, lh), Qt::AlignHCenter,
                     QString("j = %1 (%2) →").arg(range, bname));
    painter.save();
    painter.translate(r.left() - 4 - 0.2 * lh, r.center().y());
    painter.rotate(-90);
    painter.drawText(QRectF(-r.height() / 2 - 20, -lh, r.height() + 40, lh), Qt::AlignCenter,
                     QString("i = %1 (%2) →").arg(range, a_.isEmpty() ? QString("A") : a_));
    painter.restore();
  }
  // The colour bar: [0, 1], ticks every 0.25.
  const QRectF b = g.bar;
  for (int y = 0; y < static_cast<int>(b.height()); ++y) {
    const double v = kMin + (kMax - kMin) * (1.0 - (y + 0.5) / b.height());
    painter.fillRect(QRectF(b.left(), b.top() + y, b.width(), 1.0), colorOf(v));
  }
  painter.setPen(QColor(90, 90, 90));
  painter.drawRect(b);
  painter.setPen(QColor(40, 40, 40));
  for (int t = 0; t <= 4; ++t) {
    const double v = t * 0.25;
    const double y = b.bottom() - v * b.height();
    painter.drawLine(QPointF(b.right(), y), QPointF(b.right() + 3, y));
    painter.drawText(QRectF(b.right() + 5, y - lh / 2, 60, lh), Qt::AlignLeft | Qt::AlignVCenter,
                     QString::number(v, 'g', 3));
  }
  painter.save();
  const double tx = b.right() + 8 + fm.horizontalAdvance("0.25") + 0.2 * lh;
  painter.translate(tx + lh / 2, b.center().y());
  painter.rotate(90);
  painter.drawText(QRectF(-b.height() / 2 - 40, -lh / 2, b.height() + 80, lh), Qt::AlignCenter,
                   "overlap |cos| (shared scale)");
  painter.restore();
  painter.restore();
}

void OverlapHeatmaps::paintEvent(QPaintEvent*) {
  QPainter p(this);
  render(p, size());
}

QString OverlapHeatmaps::hoverText(const QPoint& pos) const {
  const QFontMetricsF fm(font());
  const Geometry g = layout(size(), fm);
  for (size_t p = 0; p < panels_.size(); ++p) {
    const Panel& pan = panels_[p];
    const QRectF r = g.cells[p];
    if (pan.k <= 0 || !r.contains(pos)) continue;
    const int j = std::clamp(static_cast<int>((pos.x() - r.left()) / r.width() * pan.k), 0, pan.k - 1);
    const int i = std::clamp(static_cast<int>((r.bottom() - pos.y()) / r.height() * pan.k), 0, pan.k - 1);
    const double v = pan.values[static_cast<size_t>(i) * pan.k + j];
    const QString vec = p < 2 ? "u" : "v";
    return QString("%1 %2: i = %3, j = %4: |%5_%3ᴬ · %5_%4ᴮ| = %6")
        .arg(pan.title, pan.subtitle)
        .arg(i + 1)
        .arg(j + 1)
        .arg(vec, QString::fromStdString(format_alignment_score(v)));
  }
  return {};
}

void OverlapHeatmaps::mouseMoveEvent(QMouseEvent* event) {
  const QString t = hoverText(event->pos());
  if (t.isEmpty())
    QToolTip::hideText();
  else
    QToolTip::showText(event->globalPosition().toPoint(), t, this);
}

QString OverlapHeatmaps::csv() const {
  QString out = "matrix,model,i,j,overlap\n";
  for (const Panel& p : panels_)
    for (int i = 0; i < p.k; ++i)
      for (int j = 0; j < p.k; ++j)
        out += QString("%1,%2,%3,%4,%5\n")
                   .arg(p.title.contains('U') ? "u" : "v", "\"" + QString(p.subtitle).replace("\"", "\"\"") + "\"")
                   .arg(i + 1)
                   .arg(j + 1)
                   .arg(QString::number(p.values[static_cast<size_t>(i) * p.k + j], 'g', 17));
  return out;
}

}  // namespace ridgeline::widgets
