// The attention step's pages (attention_view.h).
#include "gui/results/attention_view.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPainter>
#include <QSplitter>
#include <QTabWidget>
#include <QTableWidget>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

#include "ridgeline/core/format.h"
#include "widgets/attention/accuracy_curve_chart.h"
#include "widgets/attention/attention_grid.h"
#include "widgets/attention/attention_metric_chart.h"
#include "widgets/attention/qk_embedding_plot.h"

namespace ridgeline::gui {

namespace {

QString num(double v) {
  return std::isfinite(v) ? QString::number(v, 'g', 4) : QString::fromUtf8("—");
}

// The metrics columns of the table and of the CSV.
const QStringList kColumns = {"layer", "head", "entropy", "monotonicity", "effective rank",
                              "locality r=1", "locality 3×3 patches", "KL to softmax",
                              "collision rate"};

QStringList row_of(const HeadMetrics& h) {
  const MapMetrics& m = h.metrics;
  return {QString::number(h.layer), QString::number(h.head), num(m.entropy), num(m.monotonicity),
          num(m.effective_rank), num(m.locality.empty() ? NAN : m.locality.front()),
          num(m.locality_grid), num(m.kl), num(h.collision_rate)};
}

// The maps of shown input `input` of model `model`, titled; with `tag` after the title (the
// live page's epoch).
widgets::AttentionMaps maps_of(const AttentionStepResult& r, int model, int input) {
  const AttentionAnalysis& a = r.analyses[model];
  widgets::AttentionMaps m;
  m.title = QString::fromStdString(r.models[model] + " · " + a.variant) +
            QString(" · test input %1").arg(a.shown[input]) +
            (r.epoch > 0 ? QString(" · epoch %1").arg(r.epoch) : QString());
  m.layers = a.layers;
  m.heads = a.heads;
  m.n = a.tokens;
  const size_t per = static_cast<size_t>(a.layers) * a.heads * a.tokens * a.tokens;
  m.values.assign(a.maps.begin() + per * input, a.maps.begin() + per * (input + 1));
  for (const std::string& t : a.token_labels[input]) m.tokens.push_back(QString::fromStdString(t));
  return m;
}

}  // namespace

ResultView attention_result_view() {
  return {"attention", {}, [](const ResultHost& host) {
            return std::unique_ptr<ResultPages>(new AttentionPages(host));
          }};
}

AttentionPages::AttentionPages(const ResultHost& host) : host_(host) {}

void AttentionPages::show(const StepResult& result) {
  const auto* r = result.as<AttentionStepResult>();
  if (!r || r->analyses.empty()) return;
  const QString id = QString::fromStdString(result.id);
  Page p = pages_.value(id);
  if (!p.widget) {
    p.widget = new QWidget;
    p.widget->setObjectName("attention:" + id);
    auto* layout = new QVBoxLayout(p.widget);
    auto* controls = new QHBoxLayout;
    p.model = new QComboBox;
    p.model->setObjectName("attention.model");
    p.input = new QComboBox;
    p.input->setObjectName("attention.input");
    p.model->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    p.input->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    controls->addWidget(new QLabel("Model:"));
    controls->addWidget(p.model);
    controls->addWidget(new QLabel("Input:"));
    controls->addWidget(p.input);
    controls->addStretch(1);
    layout->addLayout(controls);
    p.summary = new QLabel;
    p.summary->setObjectName("attention.summary");
    p.summary->setWordWrap(true);
    layout->addWidget(p.summary);
    auto* split = new QSplitter(Qt::Vertical);
    p.grid = new widgets::AttentionGrid;
    p.table = new QTableWidget;
    p.table->setObjectName("attention.metrics");
    p.table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    p.table->verticalHeader()->hide();
    split->addWidget(p.grid);
    auto* below = new QTabWidget;
    below->setObjectName("attention.below");
    below->addTab(p.table, "Per-head metrics");
    p.metrics = new widgets::AttentionMetricChart;
    below->addTab(p.metrics, "Metrics by layer");
    auto* qk_page = new QWidget;
    auto* qk_layout = new QVBoxLayout(qk_page);
    auto* qk_controls = new QHBoxLayout;
    p.head = new QComboBox;
    p.head->setObjectName("attention.head");
    p.head->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    qk_controls->addWidget(new QLabel("Head:"));
    qk_controls->addWidget(p.head);
    qk_controls->addStretch(1);
    qk_layout->addLayout(qk_controls);
    p.qk = new widgets::QkEmbeddingPlot;
    qk_layout->addWidget(p.qk, 1);
    below->addTab(qk_page, "Query/key embedding");
    p.curves = new widgets::AccuracyCurveChart;
    below->addTab(p.curves, "Accuracy during training");
    // Two models of the step side by side on the input chosen above, one colour scale.
    auto* cmp_page = new QWidget;
    cmp_page->setObjectName("attention.comparePage");
    auto* cmp_layout = new QVBoxLayout(cmp_page);
    auto* cmp_controls = new QHBoxLayout;
    p.left = new QComboBox;
    p.left->setObjectName("attention.compareLeft");
    p.right = new QComboBox;
    p.right->setObjectName("attention.compareRight");
    for (QComboBox* c : {p.left, p.right}) c->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    cmp_controls->addWidget(new QLabel("Left:"));
    cmp_controls->addWidget(p.left);
    cmp_controls->addWidget(new QLabel("Right:"));
    cmp_controls->addWidget(p.right);
    p.compare_note = new QLabel;
    p.compare_note->setObjectName("attention.compareNote");
    cmp_controls->addWidget(p.compare_note);
    cmp_controls->addStretch(1);
    cmp_layout->addLayout(cmp_controls);
    p.compare = new widgets::AttentionComparison;
    p.compare->setObjectName("attention.compare");
    cmp_layout->addWidget(p.compare, 1);
    p.compare_tab = below->addTab(cmp_page, "Compare two models");
    p.below = below;
    split->addWidget(below);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    layout->addWidget(split, 1);
    host_.tabs->addTab(p.widget, id);
    order_ << id;
    host_.show_tabs();
    QComboBox* model = p.model;
    QComboBox* input = p.input;
    QObject::connect(model, &QComboBox::currentIndexChanged, p.widget,
                     [this, id, input](int m) { select(id, m, input->currentIndex()); });
    QObject::connect(input, &QComboBox::currentIndexChanged, p.widget,
                     [this, id, model](int i) { select(id, model->currentIndex(), i); });
    for (QComboBox* c : {p.left, p.right})
      QObject::connect(c, &QComboBox::currentIndexChanged, p.widget, [this, id] {
        auto it = pages_.find(id);
        if (it != pages_.end()) refreshCompare(*it);
      });
    QComboBox* head = p.head;
    QObject::connect(head, &QComboBox::currentIndexChanged, p.widget, [this, id, head](int k) {
      const int heads = head->property("heads").toInt();
      if (k >= 0 && heads > 0) selectHead(id, k / heads, k % heads);
    });
  }
  p.result = *r;
  pages_.insert(id, p);
  // Metrics by layer: one bar per model of the step, each layer the mean of its heads.
  std::vector<widgets::VariantLayerMetrics> by_model;
  for (size_t k = 0; k < r->analyses.size(); ++k) {
    const AttentionAnalysis& a = r->analyses[k];
    widgets::VariantLayerMetrics v;
    v.variant = r->models[k] + " (" + a.variant + ")";
    for (int l = 0; l < a.layers; ++l) {
      std::vector<MapMetrics> heads;
      for (const HeadMetrics& h : a.per_head)
        if (h.layer == l) heads.push_back(h.metrics);
      v.layers.push_back(mean_metrics(heads));
      double rate = 0;
      int counted = 0;
      for (const HeadMetrics& h : a.per_head)
        if (h.layer == l && std::isfinite(h.collision_rate)) {
          rate += h.collision_rate;
          ++counted;
        }
      v.collision_rate.push_back(counted > 0 ? rate / counted : NAN);
    }
    by_model.push_back(std::move(v));
  }
  p.metrics->setMetrics(std::move(by_model));
  refreshCurves(pages_[id]);
  const int keep_model = std::max(0, p.model->currentIndex()),
            keep_input = std::max(0, p.input->currentIndex());
  {
    const QSignalBlocker block(p.model);
    p.model->clear();
    for (size_t k = 0; k < r->models.size(); ++k)
      p.model->addItem(QString::fromStdString(r->models[k] + " (" + r->analyses[k].variant + ")"));
  }
  {
    const int keep_left = p.left->currentIndex(), keep_right = p.right->currentIndex();
    const QSignalBlocker b1(p.left), b2(p.right);
    p.left->clear();
    p.right->clear();
    for (int k = 0; k < p.model->count(); ++k) {
      p.left->addItem(p.model->itemText(k));
      p.right->addItem(p.model->itemText(k));
    }
    const int n = p.model->count();
    p.left->setCurrentIndex(keep_left >= 0 && keep_left < n ? keep_left : 0);
    p.right->setCurrentIndex(keep_right >= 0 && keep_right < n ? keep_right : std::min(1, n - 1));
    p.below->setTabEnabled(p.compare_tab, n > 1);
    p.below->setTabToolTip(p.compare_tab, n > 1 ? QString() : "the step has one model");
  }
  // A live page (maps after every epoch) keeps the model and input being looked at.
  select(id, std::min(keep_model, static_cast<int>(r->models.size()) - 1), keep_input);
}

void AttentionPages::refreshCompare(Page& p) {
  const int l = p.left->currentIndex(), r = p.right->currentIndex();
  const int n = static_cast<int>(p.result.analyses.size());
  if (l < 0 || r < 0 || l >= n || r >= n) return;
  const AttentionAnalysis &a = p.result.analyses[l], &b = p.result.analyses[r];
  const int input = std::max(0, p.input->currentIndex());
  if (a.tokens != b.tokens || a.shown != b.shown || input >= static_cast<int>(a.shown.size())) {
    p.compare_note->setText("not comparable: the two models saw different inputs");
    p.compare->hide();
    return;
  }
  p.compare_note->setText(QString("test input %1").arg(a.shown[input]));
  p.compare->setMaps(maps_of(p.result, l, input), maps_of(p.result, r, input));
  p.compare->show();
}

void AttentionPages::compare(const QString& id, int left, int right) {
  auto it = pages_.find(id);
  if (it == pages_.end()) return;
  it->left->setCurrentIndex(left);
  it->right->setCurrentIndex(right);
  refreshCompare(*it);
}

void AttentionPages::select(const QString& id, int model, int input) {
  auto it = pages_.find(id);
  if (it == pages_.end()) return;
  Page& p = *it;
  if (model < 0 || model >= static_cast<int>(p.result.analyses.size())) return;
  const AttentionAnalysis& a = p.result.analyses[model];
  {
    const QSignalBlocker b1(p.model), b2(p.input);
    p.model->setCurrentIndex(model);
    p.input->clear();
    for (int s : a.shown) p.input->addItem(QString("test input %1").arg(s));
    if (input >= static_cast<int>(a.shown.size()) || input < 0) input = 0;
    p.input->setCurrentIndex(input);
  }
  const QString acc = std::isfinite(a.accuracy)
                          ? QString::fromStdString(format_error(a.accuracy)) : QString::fromUtf8("—");
  QString line = QString("<b>%1</b> attention (%2 layers × %3 heads, %4 tokens%5): test accuracy "
                         "<b>%6</b> on %7; over %8 inputs: row entropy %9, effective rank %10")
                     .arg(QString::fromStdString(a.variant)).arg(a.layers).arg(a.heads)
                     .arg(a.tokens).arg(a.causal ? ", causal" : "")
                     .arg(acc, QString::fromStdString(a.data).toHtmlEscaped())
                     .arg(a.examples).arg(num(a.overall.entropy), num(a.overall.effective_rank));
  if (std::isfinite(a.overall.kl)) line += ", KL to softmax " + num(a.overall.kl);
  if (p.result.epoch > 0)
    line = QString("<b>While training: after epoch %1</b> (updated every epoch; first %2 test "
                   "inputs) · ").arg(p.result.epoch).arg(a.examples) + line;
  p.summary->setText(line);
  if (!a.shown.empty()) {
    p.grid->setMaps(maps_of(p.result, model, input));
    // Image models: the input picture under the patch grid (the selected row's weights on it).
    const size_t pixels = static_cast<size_t>(a.image_h) * a.image_w;
    if (pixels > 0 && a.inputs.size() == pixels * a.shown.size()) {
      QImage pic(a.image_w, a.image_h, QImage::Format_Grayscale8);
      for (int y = 0; y < a.image_h; ++y)
        for (int x = 0; x < a.image_w; ++x) {
          const float v = a.inputs[pixels * input + static_cast<size_t>(y) * a.image_w + x];
          pic.scanLine(y)[x] = static_cast<uchar>(std::clamp(v, 0.0f, 1.0f) * 255.0f + 0.5f);
        }
      p.grid->setPatchPicture(pic, a.grid_h, a.grid_w, a.class_token);
    } else {
      p.grid->setPatchPicture(QImage(), 0, 0, false);
    }
  }
  p.table->clear();
  p.table->setColumnCount(kColumns.size());
  p.table->setHorizontalHeaderLabels(kColumns);
  p.table->setRowCount(static_cast<int>(a.per_head.size()));
  for (int r = 0; r < static_cast<int>(a.per_head.size()); ++r) {
    const QStringList cells = row_of(a.per_head[r]);
    for (int c = 0; c < cells.size(); ++c) p.table->setItem(r, c, new QTableWidgetItem(cells[c]));
  }
  p.table->resizeColumnsToContents();
  {
    const QSignalBlocker b(p.head);
    const int keep = std::max(0, p.head->currentIndex());
    p.head->clear();
    p.head->setProperty("heads", a.heads);
    for (int l = 0; l < a.layers; ++l)
      for (int h = 0; h < a.heads; ++h) p.head->addItem(QString("layer %1, head %2").arg(l).arg(h));
    p.head->setCurrentIndex(std::min(keep, p.head->count() - 1));
  }
  const int k = std::max(0, p.head->currentIndex());
  selectHead(id, k / std::max(1, a.heads), k % std::max(1, a.heads));
  refreshCompare(p);
}

void AttentionPages::selectHead(const QString& id, int layer, int head) {
  auto it = pages_.find(id);
  if (it == pages_.end()) return;
  Page& p = *it;
  const int model = std::max(0, p.model->currentIndex());
  if (model >= static_cast<int>(p.result.analyses.size())) return;
  const AttentionAnalysis& a = p.result.analyses[model];
  const int k = layer * a.heads + head;
  if (k < 0 || k >= static_cast<int>(a.embeddings.size()) || a.embeddings[k].size() == 0) {
    p.qk->setEmbedding({}, "no query/key embedding in this result");
    return;
  }
  p.qk->setEmbedding(a.embeddings[k],
                     QString::fromStdString(p.result.models[model] + ", " + a.variant) +
                         QString(", layer %1, head %2 (test inputs)").arg(layer).arg(head));
}

void AttentionPages::observe(const StepResult& result) {
  const auto* t = result.as<TrainStageResult>();
  if (!t) return;
  trained_[t->model] = t->epochs;
  for (Page& p : pages_) refreshCurves(p);
}

void AttentionPages::refreshCurves(Page& p) {
  std::vector<widgets::TrainingCurve> curves;
  for (size_t k = 0; k < p.result.models.size(); ++k) {
    const auto it = trained_.find(p.result.models[k]);
    if (it == trained_.end()) continue;
    widgets::TrainingCurve c;
    c.variant = p.result.models[k] + " (" + p.result.analyses[k].variant + ")";
    for (const EpochMetrics& e : it->second) {
      if (!std::isfinite(e.test_error)) continue;
      c.step.push_back(e.epoch);
      c.accuracy.push_back(1.0 - e.test_error);
      c.loss.push_back(e.test_loss);
    }
    if (!c.step.empty()) curves.push_back(std::move(c));
  }
  p.curves->setCurves(std::move(curves),
                      p.result.analyses.empty()
                          ? QString()
                          : QString::fromStdString(p.result.analyses.front().data) + ", by epoch");
}

QString AttentionPages::summary(const QString& id) const {
  const auto it = pages_.find(id);
  return it == pages_.end() ? QString() : it->summary->text();
}

void AttentionPages::clear() {
  pages_.clear();
  trained_.clear();
  order_.clear();
}

QWidget* AttentionPages::page(const QString& name, QString* why) const {
  if (!name.startsWith("attention:")) return nullptr;
  const QString id = name.mid(10);
  if (const auto it = pages_.find(id); it != pages_.end()) return it->widget;
  if (why) *why = "no attention step '" + id + "' in this run";
  return nullptr;
}

bool AttentionPages::numbersOn(const QWidget* page, QString* csv, QString*) const {
  for (const Page& p : pages_) {
    if (p.widget != page) continue;
    const int model = std::max(0, p.model->currentIndex());
    QString out = "model,variant," + kColumns.join(',') + "\n";
    const AttentionAnalysis& a = p.result.analyses[model];
    for (const HeadMetrics& h : a.per_head) {
      QStringList cells = row_of(h);
      for (QString& c : cells)
        if (c == QString::fromUtf8("—")) c.clear();
      out += QString::fromStdString(p.result.models[model] + "," + a.variant + ",") +
             cells.join(',') + "\n";
    }
    *csv = out;
    return true;
  }
  return false;
}

QImage AttentionPages::imageOn(QWidget* page) {
  for (const Page& p : pages_) {
    if (p.widget != page) continue;
    const QSize size = p.grid->size().isEmpty() ? p.grid->sizeHint() : p.grid->size();
    QImage img(size * 2, QImage::Format_ARGB32);
    img.setDevicePixelRatio(2);
    img.fill(Qt::white);
    QPainter painter(&img);
    p.grid->render(painter, size);
    return img;
  }
  return {};
}

QString AttentionPages::exportName(const QWidget* page) const {
  for (auto it = pages_.begin(); it != pages_.end(); ++it)
    if (it->widget == page) return "attention-" + it.key();
  return {};
}

}  // namespace ridgeline::gui
