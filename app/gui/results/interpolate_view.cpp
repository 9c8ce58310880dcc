// The interpolate step's pages (interpolate_view.h): the per-path tabs, their titles, the View
// actions and the registry entry. The overlays are in paths_overlay.cpp.
#include "gui/common/actions.h"
#include "gui/results/interpolate_view.h"

#include <QAction>
#include <QChartView>
#include <QKeySequence>
#include <QTabWidget>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

#include "gui/main_window/export.h"
#include "widgets/paths/barrier_table.h"
#include "widgets/paths/interpolation_chart.h"
#include "widgets/paths/paths_chart.h"

namespace ridgeline::gui {

namespace {

const QString kErrorTip =
    "Classification error (%): a second y axis on each path's chart; the overlay charts (all "
    "paths, compare) switch from loss to error";

}  // namespace

ResultView interpolate_result_view() {
  return {"interpolate", {"all-paths", "compare"}, [](const ResultHost& host) {
            return std::unique_ptr<ResultPages>(new PathsPages(host));
          }};
}

PathsPages::PathsPages(const ResultHost& host) : host_(host) {
  act_error_ = make_toggle(host_.window, "Error", QKeySequence("Ctrl+Shift+R"), kErrorTip);
  QObject::connect(act_error_, &QAction::toggled, act_error_, [this] {
    for (const Page& p : pages_) p.chart->setErrorVisible(showError());
    applyOptions();
  });
  act_train_split_ = make_toggle(host_.window, "Train split", QKeySequence("Ctrl+Shift+L"),
                            "Overlay charts (all paths, compare): show the train split "
                            "instead of the test split");
  QObject::connect(act_train_split_, &QAction::toggled, act_train_split_,
                   [this] { applyOptions(); });
  act_common_scale_ = make_toggle(
      host_.window, "Common y scale", QKeySequence("Ctrl+Shift+Y"),
      "Draw every path's tab on one y range (the union of their curves), so that a flat path "
      "looks flat next to a high one; off: each chart fits its own curves (the axis title "
      "names their range)");
  QObject::connect(act_common_scale_, &QAction::toggled, act_common_scale_,
                   [this] { applyCommonScale(); });
}

QList<QAction*> PathsPages::actions() { return {act_error_, act_train_split_, act_common_scale_}; }

void PathsPages::applyCommonScale() {
  const QPointF none(1, 0);
  QPointF loss = none, error = none;
  auto grow = [](QPointF& into, QPointF e) {
    if (e.x() > e.y()) return;
    into = into.x() > into.y() ? e : QPointF(std::min(into.x(), e.x()), std::max(into.y(), e.y()));
  };
  if (act_common_scale_->isChecked())
    for (const Page& p : pages_) {
      grow(loss, widgets::InterpolationChart::lossExtent(p.chart->result()));
      grow(error, widgets::InterpolationChart::errorExtent(p.chart->result()));
    }
  for (const Page& p : pages_) p.chart->setSharedRanges(loss, error);
}

bool PathsPages::hasError(const InterpolationResult& r) {
  for (const auto* split : {&r.test, &r.train})
    if (*split)
      for (double e : (*split)->error)
        if (std::isfinite(e)) return true;
  return false;
}

bool PathsPages::showError() const { return act_error_->isChecked() && act_error_->isEnabled(); }

void PathsPages::updateErrorAction() {
  bool any_path = false, any_error = false;
  for (const Page& p : pages_) {
    any_path = true;
    any_error |= hasError(p.chart->result());
  }
  for (const auto& [id, r] : compare_paths_) {
    any_path = true;
    any_error |= hasError(r);
  }
  const bool enable = !any_path || any_error;
  if (enable == act_error_->isEnabled()) return;
  act_error_->setEnabled(enable);
  const QString tip = enable ? kErrorTip
                             : "No accuracy for this model: its paths have loss only (no "
                               "classification error)";
  act_error_->setToolTip(tip);
  act_error_->setStatusTip(tip);
  for (const Page& p : pages_) p.chart->setErrorVisible(showError());
  applyOptions();
}

QString PathsPages::title(const QString& step_id) const {
  if (const ExperimentSpec* spec = host_.spec ? host_.spec() : nullptr) {
    for (const auto& s : spec->steps) {
      if (QString::fromStdString(s.id) != step_id) continue;
      const QString a = QString::fromStdString(s.a), b = QString::fromStdString(s.b);
      const qsizetype at = b.indexOf('@');
      QString kind = at >= 0 ? b.mid(at + 1) : (a.contains('@') ? "mixed" : "naive");
      if (const auto* p = std::any_cast<InterpolateParams>(&s.params); p && p->repair)
        kind += " + REPAIR";
      return QString("%1 → %2 (%3)").arg(a, b, kind);
    }
  }
  return step_id;
}

void PathsPages::show(const StepResult& result) {
  if (const auto* path = result.as<InterpolationResult>())
    showPath(QString::fromStdString(result.id), *path);
}

void PathsPages::showPath(const QString& step_id, const InterpolationResult& r) {
  auto it = pages_.find(step_id);
  if (it == pages_.end()) {
    Page p;
    p.widget = new QWidget;
    auto* lay = new QVBoxLayout(p.widget);
    lay->setContentsMargins(2, 2, 2, 2);
    p.chart = new widgets::InterpolationChart;
    p.chart->setErrorVisible(showError());
    p.chart->setToolTip("Loss along θ(α) = (1−α)·θ_A + α·θ_B; red: the linear barrier, from the "
                        "chord between the endpoint losses up to the curve, where it is highest");
    p.table = new widgets::BarrierTable;
    host_.add_chart_menu(p.chart, step_id, {});
    lay->addWidget(p.chart, 1);
    lay->addWidget(p.table);
    host_.tabs->addTab(p.widget, step_id);
    it = pages_.insert(step_id, p);
  }
  it->chart->setResult(r, title(step_id));
  it->table->setResult(r);
  if (!order_.contains(step_id)) order_ << step_id;
  // With two or more paths, an overlay of all of them and their barriers leads the tabs.
  if (!all_chart_ && pages_.size() >= 2) {
    all_page_ = overlayPage("all-paths", "every path", &all_chart_, &all_barriers_);
    host_.tabs->insertTab(0, all_page_, "all paths");
    host_.tabs->setCurrentIndex(0);
    for (const QString& id : order_)
      if (id != step_id) all_chart_->setPath(id, pages_.value(id).chart->result());
  }
  if (all_chart_) all_chart_->setPath(step_id, r);
  applyCommonScale();
  updateErrorAction();
  applyOptions();
  host_.show_tabs();
}

void PathsPages::clear() {
  // The window deletes the tabs themselves.
  pages_.clear();
  order_.clear();
  all_chart_ = compare_chart_ = nullptr;
  all_page_ = compare_page_ = nullptr;
  all_barriers_ = compare_barriers_ = nullptr;
  compare_paths_.clear();
  updateErrorAction();
}

widgets::InterpolationChart* PathsPages::chart(const QString& step_id) const {
  return pages_.value(step_id).chart;
}

widgets::BarrierTable* PathsPages::barrierTable(const QString& step_id) const {
  return pages_.value(step_id).table;
}

PathsPages::Paths PathsPages::runPaths() const {
  Paths out;
  for (const QString& id : order_)
    if (pages_.contains(id)) out.append({id, pages_.value(id).chart->result()});
  return out;
}

QWidget* PathsPages::page(const QString& name, QString* why) const {
  auto fail = [&](const QString& reason) {
    if (why) *why = reason;
    return nullptr;
  };
  if (name == "all-paths")
    return all_page_ ? all_page_ : fail("--view all-paths: this run has fewer than two paths");
  if (name == "compare")
    return compare_page_ ? compare_page_ : fail("--view compare: no two runs are compared");
  // "paths" is the first path's own tab (its curves and barriers); "all-paths" the overlay.
  if (name == "paths")
    return order_.isEmpty() ? fail("--view paths: no interpolation path is shown")
                            : pages_.value(order_.front()).widget;
  if (!name.startsWith("paths:")) return nullptr;
  const QString id = name.mid(6);
  for (int i = 0; i < host_.tabs->count(); ++i)
    if (host_.tabs->tabText(i) == id) return host_.tabs->widget(i);
  return fail("--view " + name + ": no path '" + id + "' (paths: " + ids().join(", ") + ")");
}

QChartView* PathsPages::chartOn(const QWidget* page) const {
  if (!page) return nullptr;
  if (all_chart_ && page == all_page_) return all_chart_;
  if (compare_chart_ && page == compare_page_) return compare_chart_;
  for (const Page& p : pages_)
    if (p.widget == page) return p.chart;
  return nullptr;
}

QString PathsPages::exportName(const QWidget* page) const {
  if (page && page == all_page_) return "all-paths";
  if (page && page == compare_page_) return "compare";
  return {};
}

}  // namespace ridgeline::gui
