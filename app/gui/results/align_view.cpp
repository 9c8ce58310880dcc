// The align step's pages (align_view.h): its reports join the alignment view.
#include "gui/results/align_view.h"

#include <QChartView>

#include "gui/main_window/export.h"
#include "widgets/alignment/alignment_view.h"

namespace ridgeline::gui {

ResultView align_result_view() {
  return {"align", {"alignment"}, [](const ResultHost& host) {
            return std::unique_ptr<ResultPages>(new AlignPages(host));
          }};
}

AlignPages::AlignPages(const ResultHost& host) : view_(new widgets::AlignmentView) {
  const QStringList names = {"alignment-gains", "alignment-l2", "alignment-sweeps"};
  const QList<QChartView*> charts = view_->chartViews();
  for (int i = 0; i < charts.size(); ++i)
    host.add_chart_menu(charts[i], i < names.size() ? names[i] : "alignment",
                        [v = view_] { return alignment_csv(v->reports()); });
  // The view's charts and tables would otherwise claim ~1000 px of the window's width.
  view_->setMinimumSize(320, 240);
}

QList<ViewDock> AlignPages::docks() {
  return {{"alignment", "Alignment", view_,
           "per-layer gains, distance before/after and sweeps of the align steps"}};
}

namespace {

// The permutations within heads of a step, when it made them (a live result's report and one
// read back from a run folder both hold them).
void add_within_heads(const StepResult& result, const AlignStepResult& a,
                      widgets::AlignmentView::WithinHeadsRows& rows) {
  if (a.report.within_heads) rows.emplace_back(result.id, *a.report.within_heads);
}

}  // namespace

void AlignPages::show(const StepResult& result) {
  const auto* a = result.as<AlignStepResult>();
  if (!a) return;
  auto reports = view_->reports();  // the running job's steps so far
  auto within = view_->withinHeads();
  for (auto& row : a->rows(result.id)) reports.push_back(std::move(row));
  add_within_heads(result, *a, within);
  view_->setReports(reports, within);
}

void AlignPages::showAll(const std::vector<const StepResult*>& results) {
  // The record of a run replaces what the live job showed.
  std::vector<std::pair<std::string, AlignmentReport>> reports;
  widgets::AlignmentView::WithinHeadsRows within;
  for (const StepResult* r : results)
    if (const auto* a = r->as<AlignStepResult>()) {
      for (auto& row : a->rows(r->id)) reports.push_back(std::move(row));
      add_within_heads(*r, *a, within);
    }
  view_->clear();
  if (!reports.empty()) view_->setReports(reports, within);
}

void AlignPages::clear() { view_->clear(); }

QList<QChartView*> AlignPages::dockCharts(const QString& name) const {
  if (name != "alignment" || view_->reports().empty()) return {};
  return view_->chartViews();
}

}  // namespace ridgeline::gui
