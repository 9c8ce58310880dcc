// The interpolate step's overlays (interpolate_view.h): "all paths" of a run and "compare" of
// two runs, their barrier tables, the options they follow, and the numbers they export.
#include <QAction>
#include <QChart>
#include <QTabWidget>
#include <QVBoxLayout>

#include "gui/main_window/export.h"
#include "gui/results/interpolate_view.h"
#include "widgets/paths/barrier_table.h"
#include "widgets/paths/interpolation_chart.h"
#include "widgets/paths/paths_chart.h"

namespace ridgeline::gui {

QWidget* PathsPages::overlayPage(const QString& name, const QString& what,
                                 widgets::PathsChart** chart, widgets::BarrierTable** table) {
  *chart = new widgets::PathsChart;
  host_.add_chart_menu(*chart, name, {});
  *table = new widgets::BarrierTable;
  (*table)->setToolTip("The barriers of " + what +
                       " (the split the chart shows); hover a column header for its definition");
  auto* page = new QWidget;
  auto* lay = new QVBoxLayout(page);
  lay->setContentsMargins(2, 2, 2, 2);
  lay->addWidget(*chart, 1);
  lay->addWidget(*table);
  return page;
}

void PathsPages::applyOptions() {
  using widgets::PathsChart;
  const bool train = act_train_split_->isChecked();
  for (PathsChart* c : {all_chart_, compare_chart_}) {
    if (!c) continue;
    c->setSplit(train ? PathsChart::Split::Train : PathsChart::Split::Test);
    c->setQuantity(showError() ? PathsChart::Quantity::Error : PathsChart::Quantity::Loss);
  }
  if (all_barriers_) all_barriers_->setResults(runPaths(), train);
  if (compare_barriers_) compare_barriers_->setResults(compare_paths_, train);
}

bool PathsPages::numbersOn(const QWidget* page, QString* csv, QString* companion) const {
  Paths paths;
  const bool train = act_train_split_->isChecked();
  if (!page) return false;
  if (all_chart_ && page == all_page_) {
    paths = runPaths();
    *csv = paths_csv(paths, train, showError());
  } else if (compare_chart_ && page == compare_page_) {
    paths = compare_paths_;  // "<run>: <step id>", as the chart's series
    *csv = paths_csv(paths, train, showError());
  } else {
    for (auto p = pages_.begin(); p != pages_.end(); ++p)
      if (p->widget == page) paths.append({p.key(), p->chart->result()});
    if (paths.isEmpty()) return false;
    *csv = interpolation_csv(paths.front().second);
  }
  *companion = barriers_csv(paths);
  return true;
}

bool PathsPages::compare(const std::vector<std::pair<QString, RunSummary>>& runs) {
  if (runs.size() != 2) return false;
  if (!compare_chart_) {
    compare_page_ = overlayPage("compare", "every path of both runs", &compare_chart_,
                                &compare_barriers_);
    host_.tabs->addTab(compare_page_, "compare");
  } else {
    compare_chart_->clear();
  }
  // Series "A: <step>" / "B: <step>" (run ids are long and alike); a step keeps its colour in
  // both runs, B is dashed. The title (set after the options, which retitle) names A and B.
  compare_paths_.clear();
  QStringList steps;
  for (size_t k = 0; k < runs.size(); ++k) {
    const QString tag = k == 0 ? "A" : "B";
    for (const auto& [step, r] : runs[k].second.interpolations()) {
      const QString sid = QString::fromStdString(step);
      if (!steps.contains(sid)) steps << sid;
      compare_paths_.append({tag + ": " + sid, r});
      compare_chart_->setPath(compare_paths_.back().first, r, static_cast<int>(steps.indexOf(sid)),
                              k == 0 ? Qt::SolidLine : Qt::DashLine,
                              k == 0 ? widgets::SeriesMarker::Circle : widgets::SeriesMarker::Square);
    }
  }
  updateErrorAction();
  applyOptions();
  // Run ids are long: they go on plain lines of their own (one each when long), so that the
  // title is not cut off; the legend shows which line style and marker is which run.
  const QString a = runs[0].first.toHtmlEscaped(), b = runs[1].first.toHtmlEscaped();
  compare_chart_->chart()->setTitle(
      QString("<div align='center'>Compare two runs<br><span style='font-weight:normal'>A = "
              "%1%2B = %3</span></div>")
          .arg(a, a.size() + b.size() > 56 ? "<br>" : " · ", b));
  host_.tabs->setCurrentWidget(compare_page_);
  host_.show_tabs();
  return true;
}

}  // namespace ridgeline::gui
