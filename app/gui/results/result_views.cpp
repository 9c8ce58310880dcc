// The GUI's registry of result views and the window's ResultArea (result_views.h).
#include "gui/results/result_views.h"

namespace ridgeline::gui {

const std::vector<ResultView>& result_views() {
  // The train stage first: its Training dock is the one the other left docks tab with.
  static const std::vector<ResultView> views = {train_result_view(), interpolate_result_view(),
                                                align_result_view(), landscape_result_view(),
                                                layerwise_result_view(), spectra_result_view(),
                                                hessian_result_view(), attention_result_view()};
  return views;
}

// ---- ResultPages defaults: a view without tabs, docks or comparisons ----------------------

void ResultPages::showAll(const std::vector<const StepResult*>& results) {
  for (const StepResult* r : results) show(*r);
}
QWidget* ResultPages::page(const QString&, QString*) const { return nullptr; }
QChartView* ResultPages::chartOn(const QWidget*) const { return nullptr; }
bool ResultPages::numbersOn(const QWidget*, QString*, QString*) const { return false; }
QString ResultPages::exportName(const QWidget*) const { return {}; }
QImage ResultPages::imageOn(QWidget*) { return {}; }
QList<QChartView*> ResultPages::dockCharts(const QString&) const { return {}; }
bool ResultPages::compare(const std::vector<std::pair<QString, RunSummary>>&) { return false; }

// ---- ResultArea ----------------------------------------------------------------------------

ResultArea::ResultArea(const ResultHost& host) {
  for (const ResultView& v : result_views()) pages_.emplace_back(v.type, v.make(host));
}

ResultArea::~ResultArea() = default;

void ResultArea::show(const StepResult& result) {
  for (auto& [type, pages] : pages_)
    if (type == result.type) pages->show(result);
    else pages->observe(result);
}

void ResultArea::showAll(const std::vector<StepResult>& results) {
  for (auto& [type, pages] : pages_) {
    std::vector<const StepResult*> mine;
    for (const StepResult& r : results)
      if (r.type == type) mine.push_back(&r);
      else pages->observe(r);
    pages->showAll(mine);
  }
}

void ResultArea::clear() {
  for (auto& p : pages_) p.second->clear();
}

QList<ViewDock> ResultArea::docks() const {
  QList<ViewDock> out;
  for (const auto& p : pages_) out += p.second->docks();
  return out;
}

QList<QAction*> ResultArea::actions() const {
  QList<QAction*> out;
  for (const auto& p : pages_) out += p.second->actions();
  return out;
}

QWidget* ResultArea::page(const QString& name, QString* why) const {
  for (const auto& p : pages_) {
    QString reason;
    if (QWidget* w = p.second->page(name, &reason)) return w;
    if (!reason.isEmpty()) {
      if (why) *why = reason;
      return nullptr;
    }
  }
  return nullptr;
}

QChartView* ResultArea::chartOn(const QWidget* page) const {
  for (const auto& p : pages_)
    if (QChartView* c = p.second->chartOn(page)) return c;
  return nullptr;
}

bool ResultArea::numbersOn(const QWidget* page, QString* csv, QString* companion) const {
  for (const auto& p : pages_)
    if (p.second->numbersOn(page, csv, companion)) return true;
  return false;
}

QString ResultArea::exportName(const QWidget* page) const {
  for (const auto& p : pages_)
    if (QString n = p.second->exportName(page); !n.isEmpty()) return n;
  return {};
}

QImage ResultArea::imageOn(QWidget* page) const {
  for (const auto& p : pages_)
    if (QImage i = p.second->imageOn(page); !i.isNull()) return i;
  return {};
}

QList<QChartView*> ResultArea::dockCharts(const QString& name) const {
  for (const auto& p : pages_)
    if (QList<QChartView*> c = p.second->dockCharts(name); !c.isEmpty()) return c;
  return {};
}

bool ResultArea::compare(const std::vector<std::pair<QString, RunSummary>>& runs, QString* why) {
  bool any = false;
  for (auto& p : pages_) any |= p.second->compare(runs);
  if (!any && why) *why = "the runs have no results that can be compared";
  return any;
}

}  // namespace ridgeline::gui
