// The layerwise step's pages (layerwise_view.h).
#include "gui/results/layerwise_view.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QTabWidget>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

#include "ridgeline/core/format.h"
#include "ridgeline/curvature/barrier_predictions.h"
#include "ridgeline/paths/layerwise.h"
#include "widgets/layerwise/layerwise_chart.h"

namespace ridgeline::gui {

namespace {

// "Highest single layer: fc1 (rest at A) +0.012 · whole path +0.84 (test loss)".
QString numbers_line(const LayerwiseResult& r) {
  const bool train = !r.whole.test;
  auto loss = [&](const InterpolationResult& c) { return layerwise_loss_barrier(c, train); };
  const LayerwisePath* worst = highest_single_layer(r, train);
  QString t;
  if (worst && !(loss(worst->curve) > 0))
    t = "No single layer has a loss barrier  ·  ";
  else if (worst)
    t = "Highest single-layer barrier: " + QString::fromStdString(layerwise_path_label(*worst)) + " " +
        QString::fromStdString(format_loss_barrier(loss(worst->curve))) + "  ·  ";
  t += "whole path " + QString::fromStdString(format_loss_barrier(loss(r.whole))) +
       QString(" <span style='color:gray'>(%1 loss, linear form; Adilova et al. 2024 find single "
               "layers connected where whole networks are not)</span>")
           .arg(train ? "train" : "test");
  return t;
}

}  // namespace

ResultView layerwise_result_view() {
  return {"layerwise", {}, [](const ResultHost& host) {
            return std::unique_ptr<ResultPages>(new LayerwisePages(host));
          }};
}

LayerwisePages::LayerwisePages(const ResultHost& host) : host_(host) {}

void LayerwisePages::show(const StepResult& result) {
  const auto* r = result.as<LayerwiseResult>();
  if (!r) return;
  const QString id = QString::fromStdString(result.id);
  Page p = pages_.value(id);
  if (!p.widget) {
    p.widget = new QWidget;
    p.widget->setObjectName("layerwise:" + id);
    auto* layout = new QVBoxLayout(p.widget);
    p.summary = new QLabel;
    p.summary->setObjectName("layerwise.summary");
    p.summary->setWordWrap(true);
    layout->addWidget(p.summary);
    auto* controls = new QHBoxLayout;
    p.measure = new QComboBox;
    p.measure->setObjectName("layerwise.measure");
    p.measure->addItems({"Loss barrier", "Error barrier"});
    controls->addWidget(new QLabel("Show:"));
    controls->addWidget(p.measure);
    controls->addStretch(1);
    layout->addLayout(controls);
    p.chart = new widgets::LayerwiseChart;
    layout->addWidget(p.chart, 1);
    widgets::LayerwiseChart* chart = p.chart;
    QObject::connect(p.measure, &QComboBox::currentIndexChanged, chart, [chart](int i) {
      chart->setResult(chart->result(), i == 1);
    });
    host_.add_chart_menu(chart, "layerwise-" + id, [chart] { return chart->csv(); });
    host_.tabs->addTab(p.widget, id);
    order_ << id;
    host_.show_tabs();
  }
  p.result = *r;
  p.chart->setResult(*r, p.measure->currentIndex() == 1);
  p.summary->setText(numbers_line(*r));
  refreshPredictions(p);
  pages_.insert(id, p);
}

void LayerwisePages::observe(const StepResult& result) {
  const auto* h = result.as<HessianReport>();
  if (!h) return;
  HessianReport slim;
  slim.model = h->model;
  slim.path_to = h->path_to;
  slim.batch = h->batch;
  slim.rows = h->rows;
  slim.paths = h->paths;
  for (PathCurvature& pc : slim.paths) pc.points.clear();
  auto it = std::find_if(hessians_.begin(), hessians_.end(),
                         [&](const auto& e) { return e.first == result.id; });
  if (it != hessians_.end()) it->second = std::move(slim);
  else hessians_.emplace_back(result.id, std::move(slim));
  for (Page& p : pages_) refreshPredictions(p);
}

void LayerwisePages::refreshPredictions(Page& p) {
  std::vector<std::pair<std::string, const HessianReport*>> hs;
  for (const auto& [id, h] : hessians_) hs.emplace_back(id, &h);
  const LayerwisePredictions pred = layerwise_predictions(p.result, hs);
  if (pred.empty() && p.chart->predictions().empty()) return;
  p.chart->setPredictions(pred);
  QString line = numbers_line(p.result);
  if (!pred.empty())
    line += QString("<br>◆ the midpoint form's largest b(α) from hessian step <b>%1</b> along the "
                    "same paths, on its own batch (%2, %3 samples; loss chart only). A ◆ at 0: the "
                    "second-order picture predicts no barrier")
                .arg(QString::fromStdString(pred.step).toHtmlEscaped(),
                     QString::fromStdString(pred.batch).toHtmlEscaped())
                .arg(pred.rows);
  p.summary->setText(line);
}

void LayerwisePages::clear() {
  pages_.clear();
  hessians_.clear();
  order_.clear();
}

QWidget* LayerwisePages::page(const QString& name, QString* why) const {
  if (!name.startsWith("layerwise:")) return nullptr;
  const QString id = name.mid(10);
  if (const auto it = pages_.find(id); it != pages_.end()) return it->widget;
  if (why) *why = "--view " + name + ": no layerwise step '" + id + "' (layerwise steps: " + order_.join(", ") + ")";
  return nullptr;
}

QChartView* LayerwisePages::chartOn(const QWidget* page) const {
  for (const Page& p : pages_)
    if (p.widget == page) return p.chart;
  return nullptr;
}

bool LayerwisePages::numbersOn(const QWidget* page, QString* csv, QString* companion) const {
  for (const Page& p : pages_)
    if (p.widget == page) {
      if (csv) *csv = p.chart->csv();
      if (companion) companion->clear();
      return true;
    }
  return false;
}

QString LayerwisePages::exportName(const QWidget* page) const {
  for (auto it = pages_.begin(); it != pages_.end(); ++it)
    if (it->widget == page) return "layerwise-" + it.key();
  return {};
}

QString LayerwisePages::summary(const QString& id) const {
  const Page p = pages_.value(id);
  return p.summary ? p.summary->text() : QString();
}

}  // namespace ridgeline::gui
