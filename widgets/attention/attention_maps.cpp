// Attention maps as plain data, their head mean and the shared colour scale (attention_maps.h).
#include "widgets/attention/attention_maps.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "ridgeline/core/errors.h"
#include "widgets/figure/colormap.h"

namespace ridgeline::widgets {

QString AttentionMaps::token(int i) const {
  if (static_cast<size_t>(i) < tokens.size()) return tokens[static_cast<size_t>(i)];
  return QString("t%1").arg(i);
}

void AttentionMaps::validate() const {
  if (n <= 0 || layers <= 0 || heads <= 0)
    throw InputError("attention maps: layers, heads and n must be positive");
  if (values.size() != static_cast<size_t>(layers) * heads * n * n)
    throw InputError("attention maps '" + title.toStdString() + "': " + std::to_string(values.size()) +
                     " values, expected layers·heads·n·n = " +
                     std::to_string(static_cast<size_t>(layers) * heads * n * n));
  if (!tokens.empty() && tokens.size() != static_cast<size_t>(n))
    throw InputError("attention maps '" + title.toStdString() + "': " + std::to_string(tokens.size()) +
                     " token labels for n = " + std::to_string(n));
  for (double v : values)
    if (!std::isfinite(v)) throw InputError("attention maps '" + title.toStdString() + "': a value is not finite");
}

AttentionMaps head_mean(const AttentionMaps& m) {
  AttentionMaps out;
  out.title = m.title;
  out.layers = m.layers;
  out.heads = 1;
  out.n = m.n;
  out.tokens = m.tokens;
  const size_t nn = static_cast<size_t>(m.n) * m.n;
  out.values.assign(static_cast<size_t>(m.layers) * nn, 0.0);
  for (int l = 0; l < m.layers; ++l) {
    double* dst = out.values.data() + static_cast<size_t>(l) * nn;
    for (int h = 0; h < m.heads; ++h) {
      const double* src = m.map(l, h);
      for (size_t k = 0; k < nn; ++k) dst[k] += src[k];
    }
    for (size_t k = 0; k < nn; ++k) dst[k] /= m.heads;
  }
  return out;
}

std::vector<double> query_mean(const AttentionMaps& m, int layer, int head, const std::vector<int>& rows) {
  std::vector<double> out(static_cast<size_t>(m.n), 0.0);
  if (rows.empty()) return out;
  const double* a = m.map(layer, head);
  for (int i : rows)
    for (int j = 0; j < m.n; ++j) out[static_cast<size_t>(j)] += a[static_cast<size_t>(i) * m.n + j];
  for (double& v : out) v /= static_cast<double>(rows.size());
  return out;
}

std::vector<double> key_column(const AttentionMaps& m, int layer, int head, int j) {
  std::vector<double> out(static_cast<size_t>(m.n));
  const double* a = m.map(layer, head);
  for (int i = 0; i < m.n; ++i) out[static_cast<size_t>(i)] = a[static_cast<size_t>(i) * m.n + j];
  return out;
}

double ColorScale::position(double v) const {
  double t;
  if (kind == ScaleKind::Log) {
    if (!(v > 0)) return std::numeric_limits<double>::quiet_NaN();
    const double lo = std::log10(min), hi = std::log10(max);
    t = hi > lo ? (std::log10(v) - lo) / (hi - lo) : 0.5;
  } else {
    t = max > min ? (v - min) / (max - min) : 0.5;
  }
  return std::clamp(t, 0.0, 1.0);
}

QRgb diverging_rgb(double t) {
  // ColorBrewer RdBu (11-class anchors 1, 3, 5, 6, 7, 9, 11), reversed: blue is negative.
  static const int kAnchors[7][3] = {{5, 48, 97},    {33, 102, 172}, {146, 197, 222}, {247, 247, 247},
                                     {244, 165, 130}, {178, 24, 43},  {103, 0, 31}};
  t = std::isfinite(t) ? std::clamp(t, 0.0, 1.0) : 0.5;
  const double x = t * 6;
  const int k = std::min(5, static_cast<int>(x));
  const double f = x - k;
  int c[3];
  for (int q = 0; q < 3; ++q)
    c[q] = static_cast<int>(std::lround(kAnchors[k][q] + f * (kAnchors[k + 1][q] - kAnchors[k][q])));
  return qRgb(c[0], c[1], c[2]);
}

QRgb ColorScale::color(double v) const {
  const double t = position(v);
  if (std::isnan(t)) return kNoValueRgb;
  if (kind == ScaleKind::Diverging) return diverging_rgb(t);
  const figure::Rgb c = figure::colormap(t);
  return qRgb(c.r, c.g, c.b);
}

QString ColorScale::name() const {
  switch (kind) {
    case ScaleKind::Log: return "log10";
    case ScaleKind::Diverging: return "diverging at 0";
    default: return "linear";
  }
}

ColorScale shared_scale(const std::vector<const AttentionMaps*>& maps, bool log) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo, min_pos = lo;
  for (const AttentionMaps* m : maps) {
    if (!m) continue;
    for (double v : m->values) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
      if (v > 0) min_pos = std::min(min_pos, v);
    }
  }
  ColorScale s;
  if (!(lo <= hi)) return s;  // no values: [0, 1]
  if (lo < 0) {
    const double a = std::max(std::fabs(lo), std::fabs(hi));
    s.kind = ScaleKind::Diverging;
    s.min = -a;
    s.max = a;
  } else if (log && std::isfinite(min_pos)) {
    s.kind = ScaleKind::Log;
    s.min = min_pos;
    s.max = hi;
  } else {
    s.min = lo;
    s.max = hi;
  }
  return s;
}

}  // namespace ridgeline::widgets
