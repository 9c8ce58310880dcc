// The align step's page: its report joins the alignment view (gains, L2, sweeps, tables).
#include "gui/results/result_views.h"

namespace ridgeline::gui {

ResultView align_result_view() {
  return {"align", [](MainWindow& w, const StepResult& r) {
            if (const auto* a = r.as<AlignStepResult>())
              ResultViewAccess::addAlignment(w, QString::fromStdString(r.id), a->report);
          }};
}

}  // namespace ridgeline::gui
