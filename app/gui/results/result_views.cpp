// The GUI's registry of result views (result_views.h).
#include "gui/results/result_views.h"

#include "gui/main_window/main_window.h"

namespace ridgeline::gui {

const std::vector<ResultView>& result_views() {
  static const std::vector<ResultView> views = {interpolate_result_view(), align_result_view()};
  return views;
}

void show_step_result(MainWindow& window, const StepResult& result) {
  for (const ResultView& v : result_views())
    if (v.type == result.type) v.show(window, result);
}

void ResultViewAccess::showPath(MainWindow& w, const QString& step_id, const InterpolationResult& r) {
  w.showResult(step_id, r);
}

void ResultViewAccess::addAlignment(MainWindow& w, const QString& step_id, const AlignmentReport& r) {
  w.onAlignment(step_id, r);
}

}  // namespace ridgeline::gui
