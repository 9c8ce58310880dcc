#pragma once
/// @file attention_grid.h
/// AttentionGrid: a layers × heads grid of heatmaps of N×N attention maps (attention_maps.h),
/// fed plain data only (docs/USER_GUIDE.md, "Attention map viewer"). Every map is drawn from a
/// QImage (one pixel per cell, scaled without smoothing; when a map has more cells than screen
/// pixels, each pixel shows the mean of its block of cells), never a widget per cell, so N in
/// the thousands stays responsive. One colour scale for all maps, with its colour bar. Token
/// labels on rows (queries, left) and columns (keys, below) when they fit, thinned otherwise.
/// Hover: the (layer, head, query i, key j, a_ij) under the mouse. Click a cell: select its
/// query row (Ctrl: add rows, the panel shows their mean); Shift+click: select its key column.
/// The panel below draws the selection's weights as bars, and, when a picture with a patch grid
/// is set, the selected row over the picture.
#include <QImage>
#include <QString>
#include <QWidget>
#include <optional>
#include <vector>

#include "widgets/attention/attention_maps.h"

namespace ridgeline::widgets {

class AttentionGrid : public QWidget {
  Q_OBJECT
 public:
  explicit AttentionGrid(QWidget* parent = nullptr);

  /// Shows `maps` (validated: InputError when malformed); clears the selection.
  void setMaps(AttentionMaps maps);
  const AttentionMaps& maps() const { return maps_; }
  /// The maps as drawn: the input, or its head mean.
  const AttentionMaps& shown() const { return head_mean_on_ ? mean_ : maps_; }

  /// Mean over heads: one column per layer.
  void setHeadMean(bool on);
  bool headMean() const { return head_mean_on_; }
  bool logScale() const { return log_; }
  /// log10 colour scale (ignored for maps with negative weights: they stay diverging).
  void setLogScale(bool on);
  /// A scale imposed from outside (a comparison shares one); nullopt: this grid's own.
  void setSharedScale(std::optional<ColorScale> scale);
  const ColorScale& scale() const { return scale_; }
  /// This grid's own scale, over the maps shown (for a container to merge).
  ColorScale ownScale() const;

  /// A grayscale picture under a patch grid of h × w tokens (row-major); with `class_token`,
  /// token 0 is a class token and not on the grid (n must be h·w + 1, else h·w). A null image
  /// removes it.
  void setPatchPicture(const QImage& picture, int grid_h, int grid_w, bool class_token);

  enum class Axis { None, Query, Key };
  struct Selection {
    Axis axis = Axis::None;
    int layer = 0, head = 0;  ///< of the map the panel shows (in shown())
    std::vector<int> indices; ///< query rows (their mean) or the one key column
  };
  void selectQuery(int layer, int head, int i, bool add = false);
  void selectKey(int layer, int head, int j);
  void clearSelection();
  /// Replaces the selection (indices out of range are dropped; none left clears it).
  void setSelection(const Selection& s);
  const Selection& selection() const { return selection_; }
  /// The weights the panel draws as bars: the mean of the selected rows, or the column.
  std::vector<double> selectionWeights() const;
  /// The bar panel's value range [lo, hi] (lo ≤ 0 ≤ hi): over selectionWeights(), widened to
  /// a range imposed from outside (a comparison shows both sides' bars on one y scale).
  std::pair<double, double> barRange() const;
  void setSharedBarRange(std::optional<std::pair<double, double>> range);

  /// The full-resolution image of map (layer, head) of shown(): n×n pixels, row i = query i
  /// from the top, column j = key j from the left, coloured by scale().
  QImage mapImage(int layer, int head) const;
  /// Where map (layer, head) is drawn in the widget.
  QRectF mapRect(int layer, int head) const;
  /// "layer 0, head 1: query 5 (t5) → key 7 (t7): a = 0.01234" for the cell under `pos`; ""
  /// when no cell is there.
  QString hoverText(const QPoint& pos) const;

  /// Paints the whole view at `size` (exports).
  void render(QPainter& painter, const QSize& size) const;
  /// Writes the view by the path's suffix: .png (2× the widget's pixels), .svg or .pdf; or the
  /// maps as .npy, float64 [layers, heads, N, N] (the input, not the head mean). False with a
  /// one-line reason in *error when the file cannot be written.
  bool exportTo(const QString& path, QString* error = nullptr) const;

  QSize sizeHint() const override { return {900, 700}; }

 signals:
  void selectionChanged();
  /// Head mean or log scale switched (from the context menu or a setter).
  void optionsChanged();

 protected:
  void paintEvent(QPaintEvent*) override;
  void mouseMoveEvent(QMouseEvent* event) override;
  void mousePressEvent(QMouseEvent* event) override;
  void resizeEvent(QResizeEvent*) override;
  void contextMenuEvent(QContextMenuEvent* event) override;

 private:
  struct Layout {
    QRectF title, grid, bar, panel;
    std::vector<QRectF> maps;  ///< row-major [layer][head] of shown()
    double cell = 0;           ///< screen size of one map cell
    double label_w = 0, header = 0;  ///< token label room; a header line
    int label_step = 0;        ///< every label_step-th token labelled (0: none)
  };
  Layout layout(const QSize& size) const;
  /// The image drawn at `px` screen pixels per side: full resolution, or block means.
  const QImage& displayImage(int index, int px) const;
  void rescale();
  bool cellAt(const QPointF& pos, int* layer, int* head, int* i, int* j) const;
  void paintPanel(QPainter& p, const QRectF& r) const;
  void paintBar(QPainter& p, const QRectF& r) const;

  AttentionMaps maps_, mean_;
  bool head_mean_on_ = false, log_ = false;
  std::optional<ColorScale> shared_;
  std::optional<std::pair<double, double>> shared_bars_;
  ColorScale scale_;
  Selection selection_;
  QImage picture_;
  int grid_h_ = 0, grid_w_ = 0;
  bool class_token_ = false;
  mutable std::vector<QImage> cache_;  ///< per shown map
  mutable std::vector<int> cache_px_;
};

/// Two variants' grids on the same input side by side, on one colour scale spanning both, with
/// the same options (head mean, log) and the same selected rows or column on both sides.
class AttentionComparison : public QWidget {
  Q_OBJECT
 public:
  explicit AttentionComparison(QWidget* parent = nullptr);
  void setMaps(AttentionMaps left, AttentionMaps right);
  void setHeadMean(bool on);
  void setLogScale(bool on);
  AttentionGrid* left() const { return left_; }
  AttentionGrid* right() const { return right_; }

 private:
  void share();
  void shareBars();  // one y scale for both selection panels
  AttentionGrid *left_, *right_;
  bool syncing_ = false;
};

}  // namespace ridgeline::widgets
