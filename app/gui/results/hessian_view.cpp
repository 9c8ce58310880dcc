// The hessian step's pages (hessian_view.h).
#include "gui/results/hessian_view.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QSplitter>
#include <QTabWidget>
#include <QVBoxLayout>
#include <cmath>

#include "ridgeline/core/format.h"
#include "ridgeline/paths/interpolation.h"
#include "ridgeline/curvature/barrier_predictions.h"
#include "widgets/curvature/curvature_charts.h"
#include "widgets/curvature/layer_prediction_chart.h"

namespace ridgeline::gui {

namespace {

QString sig(double x) { return QString::fromStdString(format_loss(x)); }

// One line per selection: "whole model (932,362 parameters): λ 12.3, 8.1, 5.0 · tr H 140 ± 9 ·
// GD-stable at η = 0.01 (λ_max ≤ 2/η = 200)".
QString numbers(const HessianReport& r) {
  QStringList lines;
  lines << QString("Hessian of <b>%1</b> on %2 (%3 rows)")
               .arg(QString::fromStdString(r.model), QString::fromStdString(r.batch))
               .arg(r.rows);
  for (const auto& s : r.selections) {
    QString t = widgets::selection_label(s.name) + QString(" (%1 parameters): ").arg(s.size);
    QStringList ev;
    for (double v : s.eigen.values) ev << sig(v);
    if (!ev.isEmpty()) t += "λ " + ev.join(", ");
    if (s.trace) t += " · tr H " + sig(s.trace->mean) + " ± " + sig(s.trace->se);
    if (s.stability)
      t += QString(" · at η = %1: GD %2 (λ_max vs 2/η = %3), SGD %4 (tr H vs 2/η)")
               .arg(s.stability->lr)
               .arg(s.stability->gd_stable ? "stable" : "unstable")
               .arg(sig(s.stability->threshold))
               .arg(s.stability->sgd_stable ? "stable" : "unstable");
    lines << t;
  }
  for (const auto& p : r.paths) {
    const QString where = has_interior_barrier(p.measured_max, p.measured_alpha)
                              ? " at α = " + QString::fromStdString(format_alpha(p.measured_alpha))
                              : QString(" (no interior barrier)");
    lines << QString("path to %1, %2: measured barrier %3%4 · midpoint form −½α(1−α)ΔᵀH(θ(α))Δ, "
                     "largest %5 · endpoint form ¼(g_A − g_B)·Δ + (1/16)Δᵀ(H_A + H_B)Δ = %6")
                 .arg(QString::fromStdString(r.path_to), widgets::selection_label(p.selection),
                      QString::fromStdString(format_loss_barrier(p.measured_max)), where,
                      QString::fromStdString(format_loss_barrier(p.predicted_max)),
                      QString::fromStdString(format_loss_barrier(p.endpoint_prediction)));
  }
  return lines.join("<br>");
}

}  // namespace

ResultView hessian_result_view() {
  return {"hessian", {}, [](const ResultHost& host) {
            return std::unique_ptr<ResultPages>(new HessianPages(host));
          }};
}

HessianPages::HessianPages(const ResultHost& host) : host_(host) {}

void HessianPages::show(const StepResult& result) {
  const auto* r = result.as<HessianReport>();
  if (!r) return;
  const QString id = QString::fromStdString(result.id);
  Page p = pages_.value(id);
  if (!p.widget) {
    p.widget = new QWidget;
    p.widget->setObjectName("hessian:" + id);
    auto* layout = new QVBoxLayout(p.widget);
    p.summary = new QLabel;
    p.summary->setObjectName("hessian.summary");
    p.summary->setWordWrap(true);
    p.summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(p.summary);
    auto* controls = new QHBoxLayout;
    p.selection = new QComboBox;
    p.selection->setObjectName("hessian.selection");
    p.selection->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    p.quantity = new QComboBox;
    p.quantity->setObjectName("hessian.quantity");
    p.quantity->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    p.quantity->addItems(widgets::PathCurvatureChart::quantityNames());
    controls->addWidget(new QLabel("Path of:"));
    controls->addWidget(p.selection);
    controls->addWidget(new QLabel("Show:"));
    controls->addWidget(p.quantity);
    controls->addStretch(1);
    layout->addLayout(controls);
    auto* split = new QSplitter(Qt::Horizontal);
    p.density = new widgets::HessianDensityChart;
    p.path = new widgets::PathCurvatureChart;
    split->addWidget(p.density);
    split->addWidget(p.path);
    // Below: per layer, the measured barrier next to both predictions.
    p.layer_box = new QWidget;
    auto* box = new QVBoxLayout(p.layer_box);
    box->setContentsMargins(0, 0, 0, 0);
    auto* form_row = new QHBoxLayout;
    p.form = new QComboBox;
    p.form->setObjectName("hessian.form");
    p.form->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    p.form->addItems(widgets::LayerPredictionChart::formNames());
    form_row->addWidget(new QLabel("Per layer, compare:"));
    form_row->addWidget(p.form);
    form_row->addStretch(1);
    box->addLayout(form_row);
    p.layers = new widgets::LayerPredictionChart;
    box->addWidget(p.layers, 1);
    p.taylor = new QLabel;
    p.taylor->setObjectName("hessian.taylor");
    p.taylor->setWordWrap(true);
    p.taylor->setTextInteractionFlags(Qt::TextSelectableByMouse);
    box->addWidget(p.taylor);
    auto* rows = new QSplitter(Qt::Vertical);
    rows->addWidget(split);
    rows->addWidget(p.layer_box);
    rows->setStretchFactor(0, 3);
    rows->setStretchFactor(1, 2);
    layout->addWidget(rows, 1);
    QObject::connect(p.form, &QComboBox::currentIndexChanged, p.widget, [this, id] { refreshLayers(id); });
    widgets::LayerPredictionChart* layers = p.layers;
    host_.add_chart_menu(p.layers, "hessian-layers-" + id, [layers] { return layers->csv(); });
    QObject::connect(p.selection, &QComboBox::currentIndexChanged, p.widget, [this, id] { refreshPath(id); });
    QObject::connect(p.quantity, &QComboBox::currentIndexChanged, p.widget, [this, id] { refreshPath(id); });
    host_.add_chart_menu(p.density, "hessian-density-" + id, {});
    host_.add_chart_menu(p.path, "hessian-path-" + id, {});
    host_.tabs->addTab(p.widget, id);
    order_ << id;
    host_.show_tabs();
  }
  p.report = *r;
  p.summary->setText(numbers(*r));
  p.density->setReport(*r);
  {
    const QSignalBlocker block(p.selection);
    p.selection->clear();
    for (const auto& path : r->paths) p.selection->addItem(widgets::selection_label(path.selection));
  }
  p.selection->setEnabled(!r->paths.empty());
  p.quantity->setEnabled(!r->paths.empty());
  p.path->setVisible(!r->paths.empty());
  p.layer_box->setVisible(has_selection_paths(*r));
  pages_.insert(id, p);
  refreshPath(id);
  refreshLayers(id);
}

void HessianPages::refreshLayers(const QString& id) {
  const auto it = pages_.find(id);
  if (it == pages_.end()) return;
  if (!has_selection_paths(it->report)) {
    it->taylor->clear();
    return;
  }
  it->layers->setReport(it->report, it->form->currentIndex() == 1
                                        ? widgets::LayerPredictionChart::Form::Largest
                                        : widgets::LayerPredictionChart::Form::AtHalf);
  it->taylor->setText(it->layers->taylorLine());
}

QString HessianPages::taylorLine(const QString& id) const {
  const Page p = pages_.value(id);
  return p.taylor ? p.taylor->text() : QString();
}

void HessianPages::refreshPath(const QString& id) {
  const auto it = pages_.find(id);
  if (it == pages_.end() || it->report.paths.empty()) return;
  const int s = std::max(0, it->selection->currentIndex());
  if (s >= static_cast<int>(it->report.paths.size())) return;
  const PathCurvature& path = it->report.paths[static_cast<size_t>(s)];
  it->path->setPath(path, static_cast<widgets::PathCurvatureChart::Quantity>(it->quantity->currentIndex()),
                    widgets::selection_label(path.selection) + " → " +
                        QString::fromStdString(it->report.path_to));
}

void HessianPages::choose(const QString& id, int selection, int quantity) {
  const auto it = pages_.find(id);
  if (it == pages_.end()) return;
  it->selection->setCurrentIndex(selection);
  it->quantity->setCurrentIndex(quantity);
  refreshPath(id);
}

void HessianPages::clear() {
  pages_.clear();
  order_.clear();
}

QWidget* HessianPages::page(const QString& name, QString* why) const {
  if (!name.startsWith("hessian:")) return nullptr;
  const QString id = name.mid(8);
  if (const auto it = pages_.find(id); it != pages_.end()) return it->widget;
  if (why) *why = "--view " + name + ": no hessian step '" + id + "' (hessian steps: " + order_.join(", ") + ")";
  return nullptr;
}

QChartView* HessianPages::chartOn(const QWidget* page) const {
  for (const Page& p : pages_)
    if (p.widget == page) return p.report.paths.empty() ? static_cast<QChartView*>(p.density) : p.path;
  return nullptr;
}

QString HessianPages::exportName(const QWidget* page) const {
  for (auto it = pages_.begin(); it != pages_.end(); ++it)
    if (it->widget == page) return "hessian-" + it.key();
  return {};
}

QString HessianPages::summary(const QString& id) const {
  const Page p = pages_.value(id);
  return p.summary ? p.summary->text() : QString();
}

}  // namespace ridgeline::gui
