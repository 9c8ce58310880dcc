#pragma once
/// @file alignment_view.h
/// The alignment steps of a run, side by side, from engine AlignmentReports: per-layer gains
/// (bars, one set per step), the L2 distance to θ_A before and after (bars), the weight-matching
/// objective per sweep (lines), and two tables (steps; layers with the units each permutation
/// moved). Steps that also permuted within attention heads (WithinHeadsSummary) get a line and
/// a table of their own: heads paired again, heads whose σ (query/key) or τ (value/output)
/// moved, and ⟨A, π(B)⟩ over those parameters before and after. A view only: it draws the
/// numbers it is given.
#include <QList>
#include <QPointF>
#include <QString>
#include <QStringList>
#include <QWidget>
#include <string>
#include <utility>
#include <vector>

#include "ridgeline/align/alignment_report.h"

class QAbstractItemModel;
class QChart;
class QChartView;
class QCheckBox;
class QComboBox;
class QLabel;
class QStandardItemModel;
class QTableView;

namespace ridgeline::widgets {

class AlignmentView : public QWidget {
  Q_OBJECT

 public:
  /// How the gain chart scales its bars. Gains of different methods are in different units
  /// (weight inner products for wm/ste, activation cross-moments or correlations for am), so
  /// ShareOfStep (each layer's gain as a percentage of its step's summed layer gains) is the
  /// comparable view; Absolute shows the gains as they are.
  enum class GainScale { Absolute, ShareOfStep };

  /// Columns of stepsModel() and layersModel().
  enum StepColumn { StepId, Method, Sweeps, Seconds, ObjectiveBefore, ObjectiveAfter, L2Before,
                    L2After, MaxLogitDiff, FunctionCheck, StepColumnCount };
  enum LayerColumn { LayerStep, LayerName, LayerSize, LayerMoved, LayerGain, LayerColumnCount };
  /// Columns of withinHeadsModel(): ⟨A, π(B)⟩ over the query/key and value/output parameters
  /// at the method's pairing with the identity inside (before) and after; Gained is the sum of
  /// both gains.
  enum WithinHeadsColumn { WithinStep, WithinRepaired, WithinQkMoved, WithinVoMoved,
                           WithinQkBefore, WithinQkAfter, WithinVoBefore, WithinVoAfter,
                           WithinGained, WithinColumnCount };
  using WithinHeadsRows = std::vector<std::pair<std::string, WithinHeadsSummary>>;
  /// Role under which every numeric table cell also holds its exact value (a double).
  static constexpr int ValueRole = Qt::UserRole + 1;

  explicit AlignmentView(QWidget* parent = nullptr);

  /// One entry per align step, in step order (RunSummary::alignment_reports). The gain scale
  /// becomes Absolute when every step has the same method, else ShareOfStep; the log axis is
  /// switched off. `within_heads`: the steps (by id) that also permuted within heads, in step
  /// order (AlignmentResult::within_heads); their line and table are hidden when it is empty.
  void setReports(const std::vector<std::pair<std::string, AlignmentReport>>& reports,
                  const WithinHeadsRows& within_heads = {});
  /// Empties every chart and table.
  void clear();
  const std::vector<std::pair<std::string, AlignmentReport>>& reports() const { return reports_; }
  const WithinHeadsRows& withinHeads() const { return within_heads_; }

  void setGainScale(GainScale scale);
  GainScale gainScale() const { return gain_scale_; }
  /// Log10 value axis for the gain bars; refused (returns false) unless every drawn bar is > 0.
  bool setGainLogAxis(bool on);
  bool gainLogAxis() const { return gain_log_; }
  bool gainLogAvailable() const;

  // Charts, for export (PNG/SVG) and tests.
  /// Gain, L2 and sweep charts, in this order.
  QList<QChartView*> chartViews() const;
  /// The chart view the user last clicked (the gain chart until one is).
  QChartView* currentChart() const { return current_; }
  QChart* gainChart() const;
  QChart* l2Chart() const;
  QChart* sweepChart() const;

  // What the charts draw, read back from their series.
  QStringList gainCategories() const;    ///< layer names
  int gainSetCount() const;              ///< bar sets (steps) drawn
  /// Step ids less a prefix common to all (named in the chart title), with " (method)" when
  /// the rest does not name the method.
  QStringList gainSetLabels() const;
  QList<qreal> gainValues(int set) const;  ///< bar heights of set `set`, one per category
  /// Step ids as the L2 axis labels them (less a prefix common to all, named in the axis
  /// title), in step order (drawn top to bottom).
  QStringList l2Categories() const;
  QList<qreal> l2Values(bool after) const;  ///< l2_before or l2_after, in step order
  QStringList sweepSeriesNames() const;  ///< step ids with a sweep curve
  /// x = sweep (0: the identity, objective_before), y = objective; empty for no such curve.
  QList<QPointF> sweepPoints(const QString& step_id) const;
  /// The line under the sweep chart naming the steps it has no curve for (empty when none).
  QString sweepNote() const;
  /// The line under the gain chart (steps left out of the share view, missing layers).
  QString gainNote() const;

  /// The view's title: steps, methods and the step ids' common prefix the charts leave out.
  QString titleText() const;
  QAbstractItemModel* stepsModel() const;
  QAbstractItemModel* layersModel() const;
  QAbstractItemModel* withinHeadsModel() const;
  /// One line per step with permutations within heads ("align-x: 3 of 8 heads paired again;
  /// σ moved in 6 of 8 heads, τ in 8 of 8; ⟨A, π(B)⟩ Q/K 1.2 → 1.5 (+0.3), V/O …"); empty
  /// without any.
  QString withinHeadsText() const;
  /// Whether the within-heads line and table are shown (some step has them).
  bool withinHeadsShown() const;

 protected:
  bool eventFilter(QObject* watched, QEvent* event) override;

 private:
  void rebuildGain();
  void updateControls();

  std::vector<std::pair<std::string, AlignmentReport>> reports_;
  WithinHeadsRows within_heads_;
  GainScale gain_scale_ = GainScale::Absolute;
  bool gain_log_ = false;
  QLabel* title_ = nullptr;
  QComboBox* scale_box_ = nullptr;
  QCheckBox* log_box_ = nullptr;
  QChartView* gain_view_ = nullptr;
  QChartView* l2_view_ = nullptr;
  QChartView* sweep_view_ = nullptr;
  QChartView* current_ = nullptr;
  QLabel* gain_note_ = nullptr;
  QLabel* sweep_note_ = nullptr;
  QStandardItemModel* steps_ = nullptr;
  QStandardItemModel* layers_ = nullptr;
  QStandardItemModel* within_ = nullptr;
  QWidget* within_panel_ = nullptr;
  QLabel* within_text_ = nullptr;
  QTableView* steps_table_ = nullptr;
  QTableView* layers_table_ = nullptr;
  QTableView* within_table_ = nullptr;
};

}  // namespace ridgeline::widgets
