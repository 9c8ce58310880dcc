#pragma once
/// @file qk_embedding_plot.h
/// QkEmbeddingPlot: the joint 2-D embedding of one head's queries and keys over many inputs
/// (ridgeline/attention/qk_embedding.h; docs/USER_GUIDE.md, "Query/key embedding"). Queries and
/// keys are two scatter series (vermillion circles, blue squares) on equal axis scales, so
/// distances on screen are distances in the plane; the axes say how much variance each
/// component explains ("PC1 (43.2%)"); hovering a point names it ("query 12 of input 3, token
/// 'k5'"). Fed only by a QkEmbedding (and, optionally, each input's token labels); no math.
#include <QChartView>
#include <QColor>
#include <QPointF>
#include <QString>
#include <QStringList>
#include <utility>
#include <vector>

#include "ridgeline/attention/qk_embedding.h"

class QScatterSeries;

namespace ridgeline::widgets {

class QkEmbeddingPlot : public QChartView {
  Q_OBJECT
 public:
  explicit QkEmbeddingPlot(QWidget* parent = nullptr);

  /// Shows `e`. `context` names what was embedded ("softmax, layer 1, head 0"); `tokens`,
  /// when given, holds each input's token labels (tokens[input][position]; missing ones are
  /// left out of the hover text).
  void setEmbedding(attention::QkEmbedding e, const QString& context = {},
                    std::vector<QStringList> tokens = {});
  const attention::QkEmbedding& embedding() const { return e_; }

  /// Colour by kind (queries vermillion, keys blue) or by token position (viridis from
  /// position 0 to the last in 16 steps; queries and keys then told apart by their marker
  /// shape only), as AttentionViz colours its points.
  enum class ColourBy { Kind, Position };
  void setColourBy(ColourBy c);
  ColourBy colourBy() const { return colour_by_; }
  /// The fill colour point `index` is drawn with.
  QColor pointColour(int index) const;

  /// The legend's series of queries and of keys (they hold the points when coloured by kind).
  QScatterSeries* querySeries() const { return queries_; }
  QScatterSeries* keySeries() const { return keys_; }
  /// How many queries (or keys) are drawn, over every series that holds points.
  int drawnCount(bool query) const;
  /// "PC1 (43.2%)", "PC2 (12.0%)".
  QString axisTitle(int component) const;
  /// "query 12 of input 3, token 'k5' · PC1 1.234, PC2 -0.5" for point `index` (in the
  /// embedding's order); "" when out of range.
  QString hoverText(int index) const;
  /// The point nearest to `value` (chart coordinates) among queries (`query`) or keys; -1 when
  /// there is none.
  int indexAt(const QPointF& value, bool query) const;

  /// Writes the plot by the path's suffix (.png, .svg, .pdf; chart_export.h).
  bool exportTo(const QString& path, QString* error = nullptr) const;

  QSize sizeHint() const override { return {640, 560}; }

 protected:
  void resizeEvent(QResizeEvent* event) override;
  /// Colour by kind or by position, and the exports.
  void contextMenuEvent(QContextMenuEvent* event) override;

 private:
  void fitRanges();
  int colourBin(int index) const;
  static constexpr int kColourBins = 16;  ///< viridis steps when coloured by position
  void setTitle();

  attention::QkEmbedding e_;
  std::vector<QStringList> tokens_;
  QString context_;
  ColourBy colour_by_ = ColourBy::Kind;
  std::vector<std::pair<QScatterSeries*, bool>>
      data_;                       ///< series holding points, and whether queries
  std::vector<int> series_index_;  ///< per point: its index in its series
  int max_position_ = 0;
  QScatterSeries *queries_ = nullptr, *keys_ = nullptr;
};

}  // namespace ridgeline::widgets
