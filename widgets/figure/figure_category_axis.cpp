// Tick labels along an x axis (figure_render_parts.h): which fit side by side, and how a
// category axis fits every category's name (smaller, then staggered on up to four rows, only
// then fewer).
#include <QPainter>
#include <algorithm>

#include "widgets/figure/figure_render_parts.h"

namespace ridgeline::figure::render_detail {

std::vector<bool> fitting_labels(const Metrics& m, const Mapper& map, const AxisLayout& ax,
                                 double lo_bound, double hi_bound, std::vector<double>* lefts) {
  const size_t n = ax.ticks.size();
  std::vector<bool> keep(n, true);
  lefts->assign(n, 0);
  if (n == 0) return keep;
  for (size_t i = 0; i < n; ++i) {
    const double w = text_w(m, ax.labels[i]);
    (*lefts)[i] = std::clamp(map.fx(ax.ticks[i]) - w / 2, lo_bound, hi_bound - w);
  }
  auto right = [&](size_t i) { return (*lefts)[i] + text_w(m, ax.labels[i]) + m.F * 0.4; };
  // Left to right, skipping a label that would touch the previous one; the last (an endpoint
  // name, often) wins over interior ones.
  std::vector<size_t> kept = {0};
  for (size_t i = 1; i < n; ++i) {
    if (i + 1 == n) {
      while (kept.size() > 1 && right(kept.back()) > (*lefts)[i]) {
        keep[kept.back()] = false;
        kept.pop_back();
      }
    } else if (right(kept.back()) > (*lefts)[i]) {
      keep[i] = false;
      continue;
    }
    kept.push_back(i);
  }
  return keep;
}

CategoryLabels category_labels_at(QPainter& p, const Metrics& m, const Mapper& map,
                                  const AxisLayout& ax, double lo, double hi, double scale,
                                  int rows) {
  rows = std::max(rows, 1);
  CategoryLabels out{m, std::vector<bool>(ax.ticks.size(), true),
                     std::vector<double>(ax.ticks.size(), 0), std::vector<int>(ax.ticks.size(), 0),
                     rows};
  out.lm.font.setPointSizeF(m.font.pointSizeF() * scale);
  out.lm.fm = QFontMetricsF(out.lm.font, p.device());
  if (rows == 1) {
    out.keep = fitting_labels(out.lm, map, ax, lo, hi, &out.lefts);
    return out;
  }
  const size_t step = static_cast<size_t>(rows);
  for (size_t r = 0; r < step; ++r) {
    AxisLayout sub = ax;
    sub.ticks.clear();
    sub.labels.clear();
    for (size_t i = r; i < ax.ticks.size(); i += step) {
      sub.ticks.push_back(ax.ticks[i]);
      sub.labels.push_back(ax.labels[i]);
    }
    if (sub.ticks.empty()) continue;
    std::vector<double> sub_lefts;
    const std::vector<bool> k = fitting_labels(out.lm, map, sub, lo, hi, &sub_lefts);
    for (size_t j = 0; j < sub.ticks.size(); ++j) {
      out.keep[r + step * j] = k[j];
      out.lefts[r + step * j] = sub_lefts[j];
      out.row[r + step * j] = static_cast<int>(r);
    }
  }
  return out;
}

namespace {

bool all_kept(const CategoryLabels& c) {
  return std::all_of(c.keep.begin(), c.keep.end(), [](bool b) { return b; });
}

}  // namespace

std::pair<double, int> fit_category_labels(QPainter& p, const Metrics& m, const Mapper& map,
                                           const AxisLayout& ax, double lo, double hi) {
  for (double scale : {1.0, 0.85, 0.7})
    if (all_kept(category_labels_at(p, m, map, ax, lo, hi, scale, 1))) return {scale, 1};
  for (double scale : {0.85, 0.7})
    if (all_kept(category_labels_at(p, m, map, ax, lo, hi, scale, 2))) return {scale, 2};
  for (int rows : {3, 4})
    if (all_kept(category_labels_at(p, m, map, ax, lo, hi, 0.7, rows))) return {0.7, rows};
  return {0.7, 4};
}

}  // namespace ridgeline::figure::render_detail
