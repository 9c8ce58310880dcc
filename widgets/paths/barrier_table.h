#pragma once
/// @file barrier_table.h
/// The barriers of an InterpolationResult (docs/USER_GUIDE.md, "Barriers"): one row per split, columns for
/// the loss and error barriers against the linear and the mean-endpoint baselines, and the
/// endpoint losses. Losses show 4 significant digits, errors percentages with 2 decimals.
#include <QList>
#include <QPair>
#include <QTableWidget>

#include "ridgeline/paths/interpolation.h"

namespace ridgeline::widgets {

class BarrierTable : public QTableWidget {
  Q_OBJECT

 public:
  enum Column {
    LossLinear = 0,
    LossMid,
    ErrorLinear,
    ErrorMid,
    LossStart,
    LossEnd,
    ColumnCount
  };

  explicit BarrierTable(QWidget* parent = nullptr);

  /// Shows the barriers of `result`: a "test" row then a "train" row, for the splits present.
  void setResult(const InterpolationResult& result);
  /// Several paths in one table, one row per path in order, "<id> · test": the test split, or
  /// with `train_split` the train split (a path without that split shows its other one) — as
  /// the overlay charts draw them.
  void setResults(const QList<QPair<QString, InterpolationResult>>& paths,
                  bool train_split = false);
  void clearResult();

  /// Row of split "test" or "train" (setResults: "<id> · test"), or −1.
  int rowOf(const QString& split) const;
  /// The text shown in a cell (empty when out of range).
  QString cellText(int row, int column) const;

  /// 4 significant digits, trailing zeros kept: "0.07224", "0.3500".
  static QString formatLoss(double v);
  /// `v` is a fraction: 0.1234 is shown as "12.34%"; NaN (a model without accuracy) as "n/a".
  static QString formatError(double v);

  QSize sizeHint() const override;
  QSize minimumSizeHint() const override;

 private:
  void addRow(const QString& split, const SplitCurve& curve);
};

}  // namespace ridgeline::widgets
