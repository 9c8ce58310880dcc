#pragma once
/// @file overlap_heatmaps.h
/// OverlapHeatmaps: the top-k singular-vector overlaps |U_Aᵀ U_B| and |V_Aᵀ V_B| of one layer
/// (LayerAlignment::u_overlap, v_overlap) for B before alignment and for π(B) after it, side by
/// side (columns U before, U after, V before, V after), on one colour scale: viridis over the
/// fixed range [0, 1] with its colour bar, so a dark "before" and a bright "after" compare
/// directly. Each matrix is a QImage of k×k pixels scaled without smoothing (no widget per
/// cell); i (A's singular vector, σ descending) runs up, j (B's) runs right, from 1. Hovering a
/// cell shows its value. A panel missing (no "before" or no "after") says why.
#include <QImage>
#include <QString>
#include <QWidget>
#include <vector>

#include "ridgeline/spectra/spectra.h"

class QPaintDevice;

namespace ridgeline::widgets {

class OverlapHeatmaps : public QWidget {
  Q_OBJECT
 public:
  /// One matrix shown.
  struct Panel {
    QString title;     ///< "|U_Aᵀ U_B|"
    QString subtitle;  ///< "B = seed1 (before)"
    int k = 0;
    std::vector<double> values;  ///< k×k row-major, row i (A), column j (B)
    QString missing;             ///< why there is no matrix (empty when there is)
  };

  explicit OverlapHeatmaps(QWidget* parent = nullptr);

  /// The layer's alignments of B (`before`, may be null) and π(B) (`after`, may be null) to A.
  void setData(const QString& a, const QString& before_name, const LayerAlignment* before,
               const QString& after_name, const LayerAlignment* after, const QString& note = {});

  const std::vector<Panel>& panels() const { return panels_; }
  /// The image of panel `p` (k×k pixels, row i = 0 at the bottom).
  QImage panelImage(int p) const;
  /// The colour scale every panel shares.
  static constexpr double kMin = 0, kMax = 1;
  /// The colour of an overlap value on that scale.
  static QColor colorOf(double value);
  /// "U after: i = 3, j = 5: |u_3ᴬ · u_5ᴮ| = 0.812" for the cell under `pos`; "" outside.
  QString hoverText(const QPoint& pos) const;
  /// Paints the whole view at `size` (exports: PNG, SVG).
  void render(QPainter& painter, const QSize& size) const;
  /// The numbers as CSV: "matrix,model,i,j,overlap" (1-based indices).
  QString csv() const;

  QSize sizeHint() const override { return {900, 300}; }

 protected:
  void paintEvent(QPaintEvent*) override;
  void mouseMoveEvent(QMouseEvent* event) override;

 private:
  struct Geometry {
    std::vector<QRectF> cells;  ///< per panel, the matrix's square
    QRectF bar;                 ///< the colour bar
  };
  Geometry layout(const QSize& size, const QFontMetricsF& fm) const;

  QString a_, note_;
  std::vector<Panel> panels_;
};

}  // namespace ridgeline::widgets
