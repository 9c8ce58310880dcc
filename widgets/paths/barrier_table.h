#pragma once
/// @file barrier_table.h
/// The barriers of an InterpolationResult (docs/USER_GUIDE.md, "Barriers"): one row per split,
/// columns for the loss and error barriers against the linear and the mean-endpoint
/// baselines, the α where the linear loss barrier occurs ("no interior barrier" when the
/// maximum sits at an endpoint), and the endpoint losses. Numbers follow core/format.h: loss
/// barriers signed with 4 significant digits, error barriers in signed percentage points with
/// 2 decimals, α with 3 decimals, losses with 4 significant digits.
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
    BarrierAlpha,
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

  /// The α cell of a split: "0.458", or "no interior barrier" (core/format.h, has_interior_barrier).
  static QString alphaText(const Barriers& b);

  QSize sizeHint() const override;
  QSize minimumSizeHint() const override;

 private:
  void addRow(const QString& split, const SplitCurve& curve);
};

}  // namespace ridgeline::widgets
