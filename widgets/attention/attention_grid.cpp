// The attention map grid: layout, images, hover, selection and export (attention_grid.h).
// Painting of the panel and colour bar is in attention_grid_paint.cpp.
#include "widgets/attention/attention_grid.h"

#include <QContextMenuEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontMetricsF>
#include <QHBoxLayout>
#include <QMenu>
#include <QMouseEvent>
#include <QPageSize>
#include <QPainter>
#include <QPdfWriter>
#include <QSvgGenerator>
#include <QToolTip>
#include <algorithm>
#include <cmath>

#include "ridgeline/core/errors.h"
#include "ridgeline/io/fileio.h"

namespace ridgeline::widgets {

namespace {
constexpr double kGap = 10;    // between maps
constexpr int kLut = 4096;     // colour lookup entries over the scale's [0, 1]
}  // namespace

AttentionGrid::AttentionGrid(QWidget* parent) : QWidget(parent) {
  setMouseTracking(true);
  setMinimumSize(480, 380);
  setContextMenuPolicy(Qt::DefaultContextMenu);
}

void AttentionGrid::setMaps(AttentionMaps maps) {
  maps.validate();
  maps_ = std::move(maps);
  mean_ = head_mean(maps_);
  selection_ = {};
  rescale();
  emit selectionChanged();
}

void AttentionGrid::setHeadMean(bool on) {
  if (on == head_mean_on_) return;
  head_mean_on_ = on;
  selection_ = {};
  rescale();
  emit selectionChanged();
  emit optionsChanged();
}

void AttentionGrid::setLogScale(bool on) {
  if (on == log_) return;
  log_ = on;
  rescale();
  emit optionsChanged();
}

void AttentionGrid::setSharedScale(std::optional<ColorScale> scale) {
  shared_ = scale;
  rescale();
}

ColorScale AttentionGrid::ownScale() const { return shared_scale({&shown()}, log_); }

void AttentionGrid::rescale() {
  scale_ = shared_ ? *shared_ : ownScale();
  cache_.assign(static_cast<size_t>(shown().layers) * std::max(0, shown().heads), QImage());
  cache_px_.assign(cache_.size(), -1);
  update();
}

void AttentionGrid::setPatchPicture(const QImage& picture, int grid_h, int grid_w, bool class_token) {
  picture_ = picture.isNull() ? QImage() : picture.convertToFormat(QImage::Format_Grayscale8);
  grid_h_ = grid_h;
  grid_w_ = grid_w;
  class_token_ = class_token;
  update();
}

void AttentionGrid::selectQuery(int layer, int head, int i, bool add) {
  const AttentionMaps& m = shown();
  if (m.empty() || i < 0 || i >= m.n) return;
  if (add && selection_.axis == Axis::Query && selection_.layer == layer && selection_.head == head) {
    auto& v = selection_.indices;
    auto it = std::find(v.begin(), v.end(), i);
    if (it == v.end()) v.push_back(i);
    else if (v.size() > 1) v.erase(it);
  } else {
    selection_ = {Axis::Query, layer, head, {i}};
  }
  update();
  emit selectionChanged();
}

void AttentionGrid::selectKey(int layer, int head, int j) {
  if (shown().empty() || j < 0 || j >= shown().n) return;
  selection_ = {Axis::Key, layer, head, {j}};
  update();
  emit selectionChanged();
}

void AttentionGrid::clearSelection() {
  selection_ = {};
  update();
  emit selectionChanged();
}

void AttentionGrid::setSelection(const Selection& s) {
  const AttentionMaps& m = shown();
  Selection t = s;
  t.indices.clear();
  for (int k : s.indices)
    if (k >= 0 && k < m.n) t.indices.push_back(k);
  if (t.axis == Axis::None || t.indices.empty() || t.layer < 0 || t.layer >= m.layers || t.head < 0 ||
      t.head >= m.heads)
    t = {};
  if (t.axis == Axis::Key) t.indices.resize(1);
  selection_ = t;
  update();
  emit selectionChanged();
}

std::vector<double> AttentionGrid::selectionWeights() const {
  const Selection& s = selection_;
  if (s.axis == Axis::Query) return query_mean(shown(), s.layer, s.head, s.indices);
  if (s.axis == Axis::Key) return key_column(shown(), s.layer, s.head, s.indices.front());
  return {};
}

namespace {

// Colours of the scale's [0, 1] in kLut steps; log scales go through position() first.
std::vector<QRgb> lut_of(const ColorScale& s) {
  std::vector<QRgb> lut(kLut);
  ColorScale lin = s;
  if (lin.kind == ScaleKind::Log) lin.kind = ScaleKind::Linear;
  for (int k = 0; k < kLut; ++k) lut[k] = lin.color(lin.min + (lin.max - lin.min) * k / (kLut - 1.0));
  return lut;
}

QRgb lut_color(const std::vector<QRgb>& lut, const ColorScale& s, double v) {
  const double t = s.position(v);
  if (std::isnan(t)) return kNoValueRgb;
  return lut[static_cast<size_t>(std::lround(t * (kLut - 1)))];
}

}  // namespace

QImage AttentionGrid::mapImage(int layer, int head) const {
  const AttentionMaps& m = shown();
  if (m.empty()) return {};
  const std::vector<QRgb> lut = lut_of(scale_);
  QImage img(m.n, m.n, QImage::Format_RGB32);
  const double* a = m.map(layer, head);
  for (int i = 0; i < m.n; ++i) {
    auto* line = reinterpret_cast<QRgb*>(img.scanLine(i));
    const double* row = a + static_cast<size_t>(i) * m.n;
    for (int j = 0; j < m.n; ++j) line[j] = lut_color(lut, scale_, row[j]);
  }
  return img;
}

const QImage& AttentionGrid::displayImage(int index, int px) const {
  const AttentionMaps& m = shown();
  const int layer = index / m.heads, head = index % m.heads;
  const size_t k = static_cast<size_t>(index);
  // Full resolution up to one cell per pixel; beyond that, block means of the values (a
  // pixel shows its block's average weight instead of one sampled cell: no aliasing).
  const int want = m.n <= px ? m.n : px;
  if (cache_px_[k] == want) return cache_[k];
  if (want == m.n) {
    cache_[k] = mapImage(layer, head);
  } else {
    const int f = (m.n + want - 1) / want, side = (m.n + f - 1) / f;
    std::vector<double> sum(static_cast<size_t>(side) * side, 0.0);
    std::vector<int> count(sum.size(), 0);
    const double* a = m.map(layer, head);
    for (int i = 0; i < m.n; ++i) {
      const size_t base = static_cast<size_t>(i / f) * side;
      const double* row = a + static_cast<size_t>(i) * m.n;
      for (int j = 0; j < m.n; ++j) {
        sum[base + j / f] += row[j];
        ++count[base + j / f];
      }
    }
    const std::vector<QRgb> lut = lut_of(scale_);
    QImage img(side, side, QImage::Format_RGB32);
    for (int y = 0; y < side; ++y) {
      auto* line = reinterpret_cast<QRgb*>(img.scanLine(y));
      for (int x = 0; x < side; ++x) {
        const size_t c = static_cast<size_t>(y) * side + x;
        line[x] = lut_color(lut, scale_, sum[c] / count[c]);
      }
    }
    cache_[k] = img;
  }
  cache_px_[k] = want;
  return cache_[k];
}

AttentionGrid::Layout AttentionGrid::layout(const QSize& size) const {
  Layout L;
  const QFontMetricsF fm(font());
  const double W = size.width(), H = size.height(), line = fm.height();
  L.title = QRectF(8, 4, W - 16, line + 4);
  const double panel_h = std::max(130.0, std::round(H * 0.25));
  L.panel = QRectF(8, H - panel_h - 4, W - 16, panel_h);
  const double top = L.title.bottom() + 4, bottom = L.panel.top() - 8;
  // The colour bar: its strip, a tick and the widest label "−2.79e-07" has.
  const double bar_w = 14 + 6 + fm.horizontalAdvance("-8.88e-08") + 6;
  L.grid = QRectF(8, top, W - 24 - bar_w, std::max(10.0, bottom - top));
  L.bar = QRectF(L.grid.right() + 8, top + line + 4, bar_w, std::max(10.0, bottom - top - line - 4));
  const AttentionMaps& m = shown();
  if (m.empty()) return L;
  double label_w = 0;
  for (int i = 0; i < m.n; i += std::max(1, m.n / 64)) label_w = std::max(label_w, fm.horizontalAdvance(m.token(i)));
  label_w = std::min(label_w, fm.horizontalAdvance("MMMMMMMM")) + 6;
  const double layer_hdr = line + 4, head_hdr = line + 4;
  L.label_w = label_w;
  L.header = line + 4;
  const int rows = m.layers, cols = m.heads;
  const double avail_w = L.grid.width() - layer_hdr - label_w - (cols - 1) * kGap;
  const double avail_h = L.grid.height() - head_hdr - label_w - (rows - 1) * kGap;
  double side = std::floor(std::min(avail_w / cols, avail_h / rows));
  if (side >= m.n) side = std::floor(side / m.n) * m.n;  // whole pixels per cell: crisp
  side = std::max(side, 8.0);
  L.cell = side / m.n;
  L.label_step = std::max(1, static_cast<int>(std::ceil((line + 1) / L.cell)));
  const double x0 = L.grid.left() + layer_hdr + label_w, y0 = L.grid.top() + head_hdr;
  for (int l = 0; l < rows; ++l)
    for (int h = 0; h < cols; ++h)
      L.maps.emplace_back(x0 + h * (side + kGap), y0 + l * (side + kGap), side, side);
  // The bar beside the maps and as tall as they are; the panel takes the room left below
  // the key labels (up to half the height).
  const double maps_bottom = L.maps.back().bottom(), maps_right = L.maps.back().right();
  L.bar = QRectF(maps_right + 16, y0 + line, bar_w, std::max(120.0, maps_bottom - y0 - line));
  const double panel_top = std::max({maps_bottom + label_w + 10, H * 0.5, L.bar.bottom() + line});
  if (panel_top < L.panel.top()) L.panel.setTop(panel_top);
  return L;
}

QRectF AttentionGrid::mapRect(int layer, int head) const {
  const Layout L = layout(size());
  const size_t k = static_cast<size_t>(layer) * shown().heads + head;
  return k < L.maps.size() ? L.maps[k] : QRectF();
}

bool AttentionGrid::cellAt(const QPointF& pos, int* layer, int* head, int* i, int* j) const {
  const AttentionMaps& m = shown();
  if (m.empty()) return false;
  const Layout L = layout(size());
  for (size_t k = 0; k < L.maps.size(); ++k) {
    const QRectF& r = L.maps[k];
    if (pos.x() < r.left() || pos.y() < r.top() || pos.x() >= r.right() || pos.y() >= r.bottom()) continue;
    *layer = static_cast<int>(k) / m.heads;
    *head = static_cast<int>(k) % m.heads;
    *i = std::clamp(static_cast<int>((pos.y() - r.top()) / r.height() * m.n), 0, m.n - 1);
    *j = std::clamp(static_cast<int>((pos.x() - r.left()) / r.width() * m.n), 0, m.n - 1);
    return true;
  }
  return false;
}

QString AttentionGrid::hoverText(const QPoint& pos) const {
  int l, h, i, j;
  if (!cellAt(pos, &l, &h, &i, &j)) return {};
  const AttentionMaps& m = shown();
  const QString head = head_mean_on_ ? QString("mean of %1 heads").arg(maps_.heads) : QString("head %1").arg(h);
  return QString("layer %1, %2: query %3 (%4) → key %5 (%6): a = %7")
      .arg(l).arg(head).arg(i).arg(m.token(i)).arg(j).arg(m.token(j))
      .arg(QString::number(m.at(l, h, i, j), 'g', 4));
}

void AttentionGrid::mouseMoveEvent(QMouseEvent* event) {
  const QString t = hoverText(event->position().toPoint());
  if (t.isEmpty()) QToolTip::hideText();
  else QToolTip::showText(event->globalPosition().toPoint(), t, this);
}

void AttentionGrid::mousePressEvent(QMouseEvent* event) {
  if (event->button() != Qt::LeftButton) return QWidget::mousePressEvent(event);
  int l, h, i, j;
  if (!cellAt(event->position(), &l, &h, &i, &j)) return;
  if (event->modifiers() & Qt::ShiftModifier) selectKey(l, h, j);
  else selectQuery(l, h, i, event->modifiers() & Qt::ControlModifier);
}

void AttentionGrid::resizeEvent(QResizeEvent*) { update(); }

void AttentionGrid::contextMenuEvent(QContextMenuEvent* event) {
  QMenu menu(this);
  QAction* mean = menu.addAction("Mean over heads");
  mean->setCheckable(true);
  mean->setChecked(head_mean_on_);
  connect(mean, &QAction::toggled, this, [this](bool on) { setHeadMean(on); });
  QAction* log = menu.addAction("Log colour scale (non-negative maps)");
  log->setCheckable(true);
  log->setChecked(log_);
  connect(log, &QAction::toggled, this, [this](bool on) { setLogScale(on); });
  menu.addSeparator();
  for (const QString suffix : {"png", "svg", "pdf", "npy"}) {
    QAction* a = menu.addAction(suffix == "npy" ? QString("Export the maps as NPY…")
                                                : QString("Export the grid as %1…").arg(suffix.toUpper()));
    connect(a, &QAction::triggered, this, [this, suffix] {
      const QString path = QFileDialog::getSaveFileName(this, "Export attention maps", "attention." + suffix,
                                                        suffix.toUpper() + " files (*." + suffix + ")");
      QString error;
      if (!path.isEmpty() && !exportTo(path, &error)) QToolTip::showText(QCursor::pos(), error, this);
    });
  }
  menu.exec(event->globalPos());
}

bool AttentionGrid::exportTo(const QString& path, QString* error) const {
  const QString suffix = QFileInfo(path).suffix().toLower();
  auto fail = [&](const QString& why) {
    if (error) *error = path + ": " + why;
    return false;
  };
  if (suffix == "npy") {
    if (maps_.empty()) return fail("no attention maps to export");
    try {
      write_npy(path.toStdString(), maps_.values, {maps_.layers, maps_.heads, maps_.n, maps_.n});
    } catch (const std::exception& e) {
      return fail(e.what());
    }
    return true;
  }
  const QSize sz = size();
  if (suffix == "png") {
    QImage img(sz * 2, QImage::Format_RGB32);
    img.fill(Qt::white);
    QPainter p(&img);
    p.scale(2, 2);
    render(p, sz);
    p.end();
    return img.save(path, "PNG") || fail("cannot write the file");
  }
  if (suffix == "svg") {
    QSvgGenerator g;
    g.setFileName(path);
    g.setSize(sz);
    g.setViewBox(QRect(QPoint(0, 0), sz));
    g.setTitle("Attention maps");
    QPainter p;
    if (!p.begin(&g)) return fail("cannot write the file");
    render(p, sz);
    return true;
  }
  if (suffix == "pdf") {
    QPdfWriter pdf(path);
    pdf.setCreator("Ridgeline");
    pdf.setResolution(96);  // one widget pixel = one PDF unit at 96 dpi
    pdf.setPageSize(QPageSize(QSizeF(sz.width() * 25.4 / 96, sz.height() * 25.4 / 96), QPageSize::Millimeter,
                              QString(), QPageSize::ExactMatch));
    pdf.setPageMargins(QMarginsF(0, 0, 0, 0));
    QPainter p;
    if (!p.begin(&pdf)) return fail("cannot write the file");
    render(p, sz);
    return true;
  }
  return fail("unknown export format (use .png, .svg, .pdf or .npy)");
}

void AttentionGrid::paintEvent(QPaintEvent*) {
  QPainter p(this);
  render(p, size());
}

AttentionComparison::AttentionComparison(QWidget* parent)
    : QWidget(parent), left_(new AttentionGrid(this)), right_(new AttentionGrid(this)) {
  left_->setObjectName("attention.left");
  right_->setObjectName("attention.right");
  auto* row = new QHBoxLayout(this);
  row->setContentsMargins(0, 0, 0, 0);
  row->addWidget(left_);
  row->addWidget(right_);
  // An option switched on one side (its context menu) is mirrored on the other, then the two
  // share one scale again.
  for (AttentionGrid* g : {left_, right_}) {
    AttentionGrid* other = g == left_ ? right_ : left_;
    connect(g, &AttentionGrid::optionsChanged, this, [this, g, other] {
      if (syncing_) return;
      syncing_ = true;
      other->setHeadMean(g->headMean());
      other->setLogScale(g->logScale());
      syncing_ = false;
      share();
    });
    connect(g, &AttentionGrid::selectionChanged, this, [this, g, other] {
      if (syncing_) return;
      syncing_ = true;
      other->setSelection(g->selection());
      syncing_ = false;
      shareBars();
    });
  }
}

std::pair<double, double> AttentionGrid::barRange() const {
  double lo = 0, hi = 0;
  for (double v : selectionWeights()) lo = std::min(lo, v), hi = std::max(hi, v);
  if (shared_bars_) lo = std::min(lo, shared_bars_->first), hi = std::max(hi, shared_bars_->second);
  if (hi <= lo) hi = lo + 1;
  return {lo, hi};
}

void AttentionGrid::setSharedBarRange(std::optional<std::pair<double, double>> range) {
  shared_bars_ = range;
  update();
}

void AttentionComparison::shareBars() {
  left_->setSharedBarRange(std::nullopt);
  right_->setSharedBarRange(std::nullopt);
  const auto a = left_->barRange(), b = right_->barRange();
  const std::pair<double, double> both{std::min(a.first, b.first), std::max(a.second, b.second)};
  left_->setSharedBarRange(both);
  right_->setSharedBarRange(both);
}

void AttentionComparison::setMaps(AttentionMaps left, AttentionMaps right) {
  if (left.n != right.n)
    throw InputError("attention comparison: the two variants' maps differ in N (" + std::to_string(left.n) +
                     " and " + std::to_string(right.n) + ")");
  left_->setMaps(std::move(left));
  right_->setMaps(std::move(right));
  share();
}

void AttentionComparison::setHeadMean(bool on) { left_->setHeadMean(on); }
void AttentionComparison::setLogScale(bool on) { left_->setLogScale(on); }

void AttentionComparison::share() {
  const ColorScale s = shared_scale({&left_->shown(), &right_->shown()}, left_->logScale());
  left_->setSharedScale(s);
  right_->setSharedScale(s);
  shareBars();
}

}  // namespace ridgeline::widgets
