// The interpolate step's page: a chart and barrier table per path (and the all-paths overlay).
#include "gui/results/result_views.h"

namespace ridgeline::gui {

ResultView interpolate_result_view() {
  return {"interpolate", [](MainWindow& w, const StepResult& r) {
            if (const auto* path = r.as<InterpolationResult>())
              ResultViewAccess::showPath(w, QString::fromStdString(r.id), *path);
          }};
}

}  // namespace ridgeline::gui
