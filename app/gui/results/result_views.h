#pragma once
/// @file result_views.h
/// The GUI side of the step registry (docs/ARCHITECTURE.md, "Step kinds"): for each step type,
/// how its typed result (StepResult::payload) is shown. MainWindow holds no per-kind code: it
/// hands every result, live or loaded from a run folder, to show_step_result(). Adding a kind's
/// page: one gui/results/<kind>_view.cpp, listed in result_views().
#include <QString>
#include <string>
#include <vector>

#include "ridgeline/experiment/run.h"

namespace ridgeline::gui {

class MainWindow;

struct ResultView {
  std::string type;  ///< the step type it shows
  void (*show)(MainWindow& window, const StepResult& result);
};

/// Every kind's view (a kind without one, such as merge, shows only its log lines).
const std::vector<ResultView>& result_views();
/// Shows `result` with its kind's view; nothing when the kind has none.
void show_step_result(MainWindow& window, const StepResult& result);

// One per kind (gui/results/<kind>_view.cpp).
ResultView interpolate_result_view();
ResultView align_result_view();

/// The window's pages the views fill (MainWindow befriends it).
struct ResultViewAccess {
  static void showPath(MainWindow& w, const QString& step_id, const InterpolationResult& r);
  static void addAlignment(MainWindow& w, const QString& step_id, const AlignmentReport& r);
};

}  // namespace ridgeline::gui
