#pragma once
/// @file study_chart.h
/// StudyChart: a study's barrier against its swept variable (docs/USER_GUIDE.md, "Studies"):
/// one line per path kind through the mean over seed pairs, a translucent band around it
/// (± one standard deviation, or min–max), markers on the swept values, a logarithmic x axis
/// for width and learning rate. A second swept variable draws one line per value of it, told
/// apart by line style. A swept variable without numeric values (attn: attention variants)
/// is a category axis when nothing numeric varies: its values in the sweep's order at
/// 0..k−1, named, each line's points side by side around their category with an error bar
/// each and no line between categories (a numeric variable, when one varies, is the x axis
/// and the categorical one splits lines). Clicking a point emits the group and path it
/// stands for (the window opens that group's cells). A view only: it is fed the engine's
/// StudyAggregate.
#include <QChartView>
#include <QList>
#include <QPointF>
#include <QString>
#include <QStringList>
#include <optional>

#include "ridgeline/experiment/study.h"
#include "widgets/paths/series_legend.h"

class QAbstractAxis;

namespace ridgeline::widgets {

class StudyChart : public QChartView {
  Q_OBJECT

 public:
  /// The band around each mean: Auto is ± std where a group has n ≥ 3 seed pairs, else
  /// min–max (a standard deviation of two values says little).
  enum class Band { Auto, Std, MinMax, None };

  explicit StudyChart(QWidget* parent = nullptr);

  /// Shows the aggregate (replacing what was shown).
  void setAggregate(const StudyAggregate& agg);
  /// Which barrier (index into kBarrierMeasures: loss_lin, loss_mid, error_lin, error_mid) and
  /// split every line shows; a split the study lacks falls back to the other one.
  void setMeasure(int measure);
  void setSplit(const QString& split);
  void setBand(Band band);
  int measure() const { return measure_; }
  QString split() const;  ///< the split drawn (after any fallback)
  Band band() const { return band_; }

  /// The swept variable on the x axis ("" when the study sweeps only seeds), and the second
  /// varying one that splits lines ("" when none).
  QString xKey() const { return x_key_; }
  QString lineKey() const { return line_key_; }
  bool logX() const { return log_x_; }
  /// The x axis' categories (the x variable's values in the sweep's order, category i at
  /// x = i) when that variable has no numeric values; empty for a numeric x axis.
  QStringList categories() const { return categories_; }

  /// One point of a line: its group, path and statistics.
  struct Hit {
    QString group, path;
    double x = 0, y = 0;
    int n = 0;
    BarrierStats stats;
  };
  /// The point of the line drawn nearest to chart value `value`, within a few pixels; none
  /// when nothing is that close.
  std::optional<Hit> hitAt(const QPointF& value) const;
  /// What a point's tooltip says ("width 64 · wm · test loss barrier (linear) +0.1234 ± …").
  QString hitText(const Hit& hit) const;

  /// The lines (their legend names) and their points (x, mean), for tests.
  QStringList seriesNames() const;
  QList<QPointF> seriesPoints(const QString& name) const;
  /// The band of a line as (x, lo) and (x, hi) points; empty when it has none. On a category
  /// axis: the ends of its error bars.
  QList<QPointF> bandLow(const QString& name) const;
  QList<QPointF> bandHigh(const QString& name) const;
  Qt::PenStyle lineStyle(const QString& name) const;
  SeriesLegend* legend() const { return legend_; }
  /// "" when every group could be drawn, else why some were not (a message for the page).
  QString note() const { return note_; }

 signals:
  /// A point was clicked: the group ("width=64") and the path kind ("wm").
  void pointClicked(const QString& group, const QString& path);

 protected:
  void mousePressEvent(QMouseEvent* event) override;
  void mouseMoveEvent(QMouseEvent* event) override;

 private:
  struct Line {
    QString name, path, line_value;
    QList<Hit> hits;
    QList<QPointF> lo, hi;
    Qt::PenStyle style = Qt::SolidLine;
  };
  void rebuild();
  QString measureTitle() const;

  StudyAggregate agg_;
  int measure_ = 0;
  QString split_ = "test";
  Band band_ = Band::Auto;
  QString x_key_, line_key_;
  bool log_x_ = false;
  QStringList categories_;
  QList<Line> lines_;
  QString note_;
  SeriesLegend* legend_ = nullptr;
};

}  // namespace ridgeline::widgets
