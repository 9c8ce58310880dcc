#pragma once
/// @file attention_maps.h
/// Plain data for the attention views (attention_grid.h): a stack of N×N attention maps
/// [layers, heads, N, N] with token labels, its head mean, and the one colour scale the maps
/// share (docs/USER_GUIDE.md, "Attention map viewer"). No analysis: the maps come from the
/// engine (attention::AttentionVariant::materialise) as they are.
#include <QRgb>
#include <QString>
#include <vector>

namespace ridgeline::widgets {

/// Attention maps of one input: a[l][h][i][j] is the weight of query token i on key token j
/// in head h of layer l, row-major in `values`.
struct AttentionMaps {
  QString title;  ///< what produced them ("softmax")
  int layers = 0, heads = 0, n = 0;
  std::vector<double> values;   ///< layers·heads·n·n, row-major [layers, heads, n, n]
  std::vector<QString> tokens;  ///< n labels, or empty (then the index is the label)

  bool empty() const { return n <= 0 || layers <= 0 || heads <= 0; }
  const double* map(int layer, int head) const {
    return values.data() + (static_cast<size_t>(layer) * heads + head) * n * n;
  }
  double at(int layer, int head, int i, int j) const {
    return map(layer, head)[static_cast<size_t>(i) * n + j];
  }
  /// Token i's label ("t12" when no labels were given: its index).
  QString token(int i) const;
  /// Throws InputError (core/errors.h) naming the problem when the sizes disagree or a value
  /// is not finite.
  void validate() const;
};

/// The same maps averaged over heads: layers × 1, each map the mean of the layer's heads.
AttentionMaps head_mean(const AttentionMaps& m);

/// The mean over the query rows `rows` of map (layer, head): n weights, one per key.
std::vector<double> query_mean(const AttentionMaps& m, int layer, int head, const std::vector<int>& rows);
/// Column j of map (layer, head): the weight every query gives key j.
std::vector<double> key_column(const AttentionMaps& m, int layer, int head, int j);

/// How values map to colours. Linear and Log use viridis (widgets/figure/colormap.h) from min
/// to max (Log: log10, for positive values; values ≤ 0 are drawn grey). Diverging (maps with
/// negative weights, InLine's) is ColorBrewer's RdBu (Brewer 2003): blue below 0, white at 0,
/// red above, symmetric: [-max|a|, +max|a|].
enum class ScaleKind { Linear, Log, Diverging };

struct ColorScale {
  ScaleKind kind = ScaleKind::Linear;
  double min = 0, max = 1;

  /// Where v lies on the bar, in [0, 1] (clamped); NaN for ≤ 0 on a log scale.
  double position(double v) const;
  /// v's colour.
  QRgb color(double v) const;
  /// "linear", "log10", "diverging at 0".
  QString name() const;
};

/// The colour at t ∈ [0, 1] of the diverging map (t = 0.5 is white).
QRgb diverging_rgb(double t);
/// Grey for values a log scale cannot show (≤ 0).
inline constexpr QRgb kNoValueRgb = 0xffc8c8c8;

/// The one scale every map of `maps` is drawn on: spans the min and max over all of them.
/// Any negative value gives the diverging scale (`log` is then ignored); otherwise linear from
/// min to max, or log10 from the smallest positive value to max when `log`.
ColorScale shared_scale(const std::vector<const AttentionMaps*>& maps, bool log);

}  // namespace ridgeline::widgets
