#pragma once
/// @file attention_view.h
/// The attention step's pages: one result tab per step ("attention:<id>"): a choice of model
/// and of shown input, a line with the variant, the test accuracy and the overall map metrics,
/// the layers × heads grid of the input's maps (widgets/attention/AttentionGrid: token labels,
/// hover, row/column selection, head mean, log scale, exports), and below it three tabs: the
/// per-head metrics table, the metrics by layer with one bar per model of the step
/// (AttentionMetricChart), the joint query/key embedding of a chosen head (QkEmbeddingPlot),
/// the test accuracy per epoch of the step's models that the run trained
/// (AccuracyCurveChart), and two of the step's models side by side on the chosen input, on one
/// colour scale (AttentionComparison).
#include <QMap>
#include <map>

#include "gui/results/result_views.h"
#include "ridgeline/experiment/steps/attention_step.h"

class QComboBox;
class QLabel;
class QTabWidget;
class QTableWidget;

namespace ridgeline::widgets {
class AttentionGrid;
class AttentionComparison;
class AccuracyCurveChart;
class AttentionMetricChart;
class QkEmbeddingPlot;
}

namespace ridgeline::gui {

class AttentionPages : public ResultPages {
 public:
  explicit AttentionPages(const ResultHost& host);

  void show(const StepResult& result) override;
  /// Training results: the test accuracy per epoch of the step's trained models.
  void observe(const StepResult& result) override;
  void clear() override;
  QWidget* page(const QString& name, QString* why) const override;
  bool numbersOn(const QWidget* page, QString* csv, QString* companion) const override;
  QImage imageOn(QWidget* page) override;
  QString exportName(const QWidget* page) const override;

  QStringList ids() const { return order_; }
  widgets::AttentionGrid* grid(const QString& id) const { return pages_.value(id).grid; }
  QTableWidget* table(const QString& id) const { return pages_.value(id).table; }
  widgets::AttentionMetricChart* metricChart(const QString& id) const {
    return pages_.value(id).metrics;
  }
  widgets::QkEmbeddingPlot* embedding(const QString& id) const { return pages_.value(id).qk; }
  widgets::AccuracyCurveChart* curves(const QString& id) const { return pages_.value(id).curves; }
  /// Shows the query/key embedding of (layer, head) of the chosen model.
  void selectHead(const QString& id, int layer, int head);
  QString summary(const QString& id) const;
  /// Shows model `model` (index into the step's models) and shown input `input`.
  void select(const QString& id, int model, int input);
  /// The "Compare two models" tab: models `left` and `right` on the input chosen above.
  void compare(const QString& id, int left, int right);
  widgets::AttentionComparison* comparison(const QString& id) const {
    return pages_.value(id).compare;
  }

 private:
  struct Page {
    QWidget* widget = nullptr;
    QComboBox *model = nullptr, *input = nullptr;
    QLabel* summary = nullptr;
    widgets::AttentionGrid* grid = nullptr;
    QTableWidget* table = nullptr;
    widgets::AttentionMetricChart* metrics = nullptr;
    QComboBox* head = nullptr;
    widgets::QkEmbeddingPlot* qk = nullptr;
    widgets::AccuracyCurveChart* curves = nullptr;
    QTabWidget* below = nullptr;
    int compare_tab = -1;
    QComboBox *left = nullptr, *right = nullptr;
    QLabel* compare_note = nullptr;
    widgets::AttentionComparison* compare = nullptr;
    AttentionStepResult result;
  };
  void refreshCurves(Page& p);
  void refreshCompare(Page& p);
  std::map<std::string, std::vector<EpochMetrics>> trained_;  ///< by model name
  ResultHost host_;
  QMap<QString, Page> pages_;
  QStringList order_;
};

}  // namespace ridgeline::gui
