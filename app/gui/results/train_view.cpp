// The train stage's page: the Training dock (train_view.h).
#include "gui/results/train_view.h"

#include <algorithm>

#include "gui/common/actions.h"
#include "gui/main_window/export.h"

namespace ridgeline::gui {

TrainPages::TrainPages(const ResultHost& host) : host_(host) {
  monitor_ = new widgets::TrainingMonitor;
  error_toggle_ = make_toggle(host.window, "Training error", QKeySequence("Ctrl+Shift+A"),
                          "Show the error (%) instead of the loss in the training monitor");
  QObject::connect(error_toggle_, &QAction::toggled, monitor_, [m = monitor_](bool on) {
    m->setMetric(on ? widgets::TrainingMonitor::Metric::Error
                    : widgets::TrainingMonitor::Metric::Loss);
  });
  host_.add_chart_menu(monitor_, "training", [this] { return csv(); });
}

QList<ViewDock> TrainPages::docks() {
  return {{"training", "Training", monitor_,
           "the training monitor: loss per epoch and mini-batch"}};
}

QList<QChartView*> TrainPages::dockCharts(const QString& name) const {
  if (name != "training") return {};
  return {monitor_};
}

void TrainPages::clear() {
  const ExperimentSpec* spec = host_.spec ? host_.spec() : nullptr;
  monitor_->reset(spec ? spec->train.epochs : 0);
  monitor_->chart()->setTitle("Training");
  shown_.clear();
  live_ = false;
}

void TrainPages::addRecord(const std::string& model, const EpochMetrics& e) {
  auto it = std::find_if(shown_.begin(), shown_.end(), [&](const auto& p) { return p.first == model; });
  if (it == shown_.end()) it = shown_.insert(shown_.end(), {model, {}});
  it->second.push_back(e);
  monitor_->addEpoch(QString::fromStdString(model), e);
}

void TrainPages::show(const StepResult& result) {
  const auto* t = result.as<TrainStageResult>();
  if (!t) return;
  for (const auto& [model, epochs] : shown_)
    if (model == t->model) return;  // already shown (live)
  for (const EpochMetrics& e : t->epochs) addRecord(t->model, e);
}

void TrainPages::showAll(const std::vector<const StepResult*>& results) {
  if (live_) return;  // a finished job: its epochs arrived live
  for (const StepResult* r : results) show(*r);
  monitor_->chart()->setTitle(shown_.empty() ? "Training (no per-epoch records in this run folder)"
                                             : "Training (per epoch, from the run folder)");
}

void TrainPages::addStep(const QString& model, const StepMetrics& m) {
  const ExperimentSpec* spec = host_.spec ? host_.spec() : nullptr;
  if (!spec || m.total_steps <= 0) return;
  live_ = true;
  const double per_epoch = static_cast<double>(m.total_steps) / std::max(1, spec->train.epochs);
  monitor_->addStepSample(model, static_cast<double>(m.step) / per_epoch, m.loss, m.error);
}

void TrainPages::addEpoch(const QString& model, const EpochMetrics& m) {
  live_ = true;
  addRecord(model.toStdString(), m);
}

QString TrainPages::csv() const { return training_csv(shown_); }

ResultView train_result_view() {
  return {"train", {"training"}, [](const ResultHost& host) -> std::unique_ptr<ResultPages> {
            return std::make_unique<TrainPages>(host);
          }};
}

}  // namespace ridgeline::gui
