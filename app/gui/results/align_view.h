#pragma once
/// @file align_view.h
/// The align step's pages: the "Alignment" dock (widgets::AlignmentView: per-layer gains, L2
/// before/after, sweeps and tables of every align step of the run; the permutations within
/// heads of the steps whose live result holds them), with right-click export of its charts and
/// their numbers.
#include "gui/results/result_views.h"

namespace ridgeline::widgets {
class AlignmentView;
}

namespace ridgeline::gui {

class AlignPages : public ResultPages {
 public:
  explicit AlignPages(const ResultHost& host);

  void show(const StepResult& result) override;
  void showAll(const std::vector<const StepResult*>& results) override;
  void clear() override;
  QList<ViewDock> docks() override;
  /// "alignment": the gain, L2 and sweep charts (empty without align results).
  QList<QChartView*> dockCharts(const QString& name) const override;

  widgets::AlignmentView* view() const { return view_; }

 private:
  widgets::AlignmentView* view_ = nullptr;  ///< owned by its dock once docks() is asked
};

}  // namespace ridgeline::gui
