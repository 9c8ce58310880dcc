// The spectra page's widget (spectra_view.h).
#include "widgets/spectra/spectra_view.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

#include "ridgeline/core/format.h"
#include "widgets/spectra/overlap_heatmaps.h"
#include "widgets/spectra/spectra_charts.h"
#include "widgets/spectra/spectra_training_chart.h"

namespace ridgeline::widgets {

namespace {
QString q(const std::string& s) { return QString::fromStdString(s); }
}  // namespace

SpectraView::SpectraView(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  summary_ = new QLabel;
  summary_->setObjectName("spectra.summary");
  summary_->setWordWrap(true);
  summary_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  layout->addWidget(summary_);
  auto* controls = new QHBoxLayout;
  layer_box_ = new QComboBox;
  layer_box_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
  layer_box_->setObjectName("spectra.layer");
  layer_box_->setToolTip("The weight matrix drawn in the singular values, the ESD and the heatmaps");
  esd_box_ = new QComboBox;
  esd_box_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
  esd_box_->setObjectName("spectra.esdModel");
  esd_box_->setToolTip("The model whose ESD is drawn (a permuted copy has the same ESD as its original)");
  pair_box_ = new QComboBox;
  pair_box_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
  pair_box_->setObjectName("spectra.pair");
  pair_box_->setToolTip("The model B (before) and its permuted copy π(B) (after) of the heatmaps");
  controls->addWidget(new QLabel("Layer:"));
  controls->addWidget(layer_box_);
  controls->addSpacing(16);
  controls->addWidget(new QLabel("ESD of:"));
  controls->addWidget(esd_box_);
  controls->addSpacing(16);
  controls->addWidget(new QLabel("Heatmaps:"));
  controls->addWidget(pair_box_);
  controls->addStretch(1);
  layout->addLayout(controls);

  auto* vertical = new QSplitter(Qt::Vertical);
  auto* charts = new QSplitter(Qt::Horizontal);
  spectrum_ = new SingularValueChart;
  spectrum_->setObjectName("spectra.singularValues");
  esd_ = new EsdChart;
  esd_->setObjectName("spectra.esd");
  r_chart_ = new RGammaChart;
  r_chart_->setObjectName("spectra.rGamma");
  charts->addWidget(spectrum_);
  charts->addWidget(esd_);
  charts->addWidget(r_chart_);
  // Over training: R per epoch, or one layer's α / ranks / spikes per epoch.
  training_panel_ = new QWidget;
  training_panel_->setObjectName("spectra.trainingPanel");
  auto* tl = new QVBoxLayout(training_panel_);
  tl->setContentsMargins(0, 0, 0, 0);
  training_box_ = new QComboBox;
  training_box_->setObjectName("spectra.trainingQuantity");
  training_box_->addItems(SpectraTrainingChart::quantityNames());
  training_box_->setToolTip("What the over-training chart draws against the epoch (layer: the one chosen above)");
  tl->addWidget(training_box_);
  training_ = new SpectraTrainingChart;
  training_->setObjectName("spectra.training");
  tl->addWidget(training_, 1);
  training_panel_->setVisible(false);
  charts->addWidget(training_panel_);
  heatmaps_ = new OverlapHeatmaps;
  heatmaps_->setObjectName("spectra.heatmaps");
  table_ = new QTableWidget;
  table_->setObjectName("spectra.table");
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->verticalHeader()->setVisible(false);
  table_->setAlternatingRowColors(true);
  vertical->addWidget(charts);
  auto* maps = new QWidget;
  auto* maps_row = new QHBoxLayout(maps);
  maps_row->setContentsMargins(0, 0, 0, 0);
  maps_row->addWidget(heatmaps_, 1);
  auto* howto = new QLabel(
      "<b>Reading the heatmaps.</b> Cell (i, j) is |cos| between A's i-th and B's j-th singular "
      "vector (σ descending), on one colour scale [0, 1]. A bright diagonal: the two matrices "
      "share those directions in the same order. A permutation moves U's rows (the layer's "
      "units, P) and V's rows (the previous layer's units, Q); the first layer's inputs are "
      "never permuted, so its V can match before alignment. Weight matching should light up "
      "the diagonal for the large singular values (Ito et al. 2024).");
  howto->setObjectName("spectra.howto");
  howto->setWordWrap(true);
  howto->setAlignment(Qt::AlignTop | Qt::AlignLeft);
  howto->setStyleSheet("color: #444");
  howto->setMaximumWidth(330);
  maps_row->addWidget(howto);
  vertical->addWidget(maps);
  vertical->addWidget(table_);
  vertical->setStretchFactor(0, 4);
  vertical->setStretchFactor(1, 3);
  vertical->setStretchFactor(2, 2);
  vertical->setSizes({330, 280, 150});
  layout->addWidget(vertical, 1);

  connect(layer_box_, &QComboBox::currentIndexChanged, this, [this] { refreshLayer(); });
  connect(esd_box_, &QComboBox::currentIndexChanged, this, [this] { refreshLayer(); });
  connect(pair_box_, &QComboBox::currentIndexChanged, this, [this] { refreshLayer(); });
  connect(training_box_, &QComboBox::currentIndexChanged, this, [this] { refreshTraining(); });
}

void SpectraView::setTrainingQuantity(int index) { training_box_->setCurrentIndex(index); }

void SpectraView::refreshTraining() {
  training_panel_->setVisible(!result_.over_training.empty());
  if (result_.over_training.empty()) return;
  training_->setData(result_, static_cast<SpectraTrainingChart::Quantity>(training_box_->currentIndex()),
                     layer().toStdString());
}

void SpectraView::setResult(const SpectraResult& r, const std::vector<PermutedCopy>& copies) {
  result_ = r;
  copies_ = copies;
  pairs_.clear();
  // B before and π(B) after: every alignment whose B has a permuted copy that is aligned too.
  std::vector<std::string> used;
  for (const SpectraAlignment& al : result_.alignments) {
    const PermutedCopy* cp = copy_of(copies_, al.b);
    if (cp && find_alignment(result_, cp->of)) {
      pairs_.push_back({cp->of, al.b, cp->how});
      used.push_back(cp->of);
      used.push_back(al.b);
    }
  }
  for (const SpectraAlignment& al : result_.alignments)
    if (std::find(used.begin(), used.end(), al.b) == used.end()) {
      const PermutedCopy* cp = copy_of(copies_, al.b);
      pairs_.push_back(cp ? Pair{"", al.b, cp->how} : Pair{al.b, "", ""});
    }
  const QSignalBlocker b1(layer_box_), b2(esd_box_), b3(pair_box_);
  layer_box_->clear();
  for (const std::string& l : layer_names(result_)) {
    const MatrixSpectrum* s = result_.models.empty() ? nullptr : find_layer(result_.models.front(), l);
    layer_box_->addItem(s ? QString("%1 (%2×%3)").arg(q(l)).arg(s->rows).arg(s->cols) : q(l), q(l));
  }
  esd_box_->clear();
  for (const ModelSpectra& m : result_.models) esd_box_->addItem(q(m.model));
  pair_box_->clear();
  for (const Pair& p : pairs_)
    pair_box_->addItem(p.before.empty() ? q(p.after)
                       : p.after.empty() ? q(p.before)
                                         : QString("%1 → %2 (%3)").arg(q(p.before), q(p.after),
                                                                       q(p.how.empty() ? "aligned" : p.how)));
  pair_box_->setEnabled(!pairs_.empty());

  // The summary: what was analysed and the numbers that answer "did alignment align?".
  QStringList models;
  for (const ModelSpectra& m : result_.models) {
    const PermutedCopy* cp = copy_of(copies_, m.model);
    models << (cp && find_model(result_, cp->of) ? QString("%1 = π(%2)").arg(q(m.model), q(cp->of)) : q(m.model));
  }
  QString text = QString("Spectra of %1 · %2 weight matri%3")
                     .arg(models.join(", "))
                     .arg(layer_box_->count())
                     .arg(layer_box_->count() == 1 ? "x" : "ces");
  if (!result_.aligned_to.empty()) {
    QStringList rs, shares;
    for (const SpectraAlignment& al : result_.alignments) {
      rs << QString("%1 %2").arg(q(al.b), q(format_alignment_score(r_at(al, 0.3))));
      shares << QString("%1 %2").arg(q(al.b), al.inner_product != 0
                                                  ? q(format_error(al.inner_top_k / al.inner_product))
                                                  : QString("—"));
    }
    text += QString(" · aligned to %1<br>R(γ = 0.3): %2 · top-%3 pairs' share of ⟨W_A, W_B⟩: %4")
                .arg(q(result_.aligned_to), rs.join(", "))
                .arg(result_.top_k)
                .arg(shares.join(", "));
  }
  summary_->setText(text);
  r_chart_->setData(result_, copies_);
  fillTable();
  refreshLayer();
}

QStringList SpectraView::layers() const {
  QStringList out;
  for (int i = 0; i < layer_box_->count(); ++i) out << layer_box_->itemData(i).toString();
  return out;
}

QString SpectraView::layer() const { return layer_box_->currentData().toString(); }

bool SpectraView::setLayer(const QString& name) {
  const int i = layer_box_->findData(name);
  if (i < 0) return false;
  layer_box_->setCurrentIndex(i);
  return true;
}

bool SpectraView::setEsdModel(const QString& model) {
  const int i = esd_box_->findText(model);
  if (i < 0) return false;
  esd_box_->setCurrentIndex(i);
  return true;
}

QStringList SpectraView::pairs() const {
  QStringList out;
  for (int i = 0; i < pair_box_->count(); ++i) out << pair_box_->itemText(i);
  return out;
}

bool SpectraView::setPair(int index) {
  if (index < 0 || index >= pair_box_->count()) return false;
  pair_box_->setCurrentIndex(index);
  return true;
}

QString SpectraView::summary() const { return summary_->text(); }

QString SpectraView::csv() const { return q(spectra_csv(result_)); }

void SpectraView::refreshLayer() {
  const std::string layer = layer_box_->currentData().toString().toStdString();
  spectrum_->setData(result_, copies_, layer);
  refreshTraining();
  const ModelSpectra* m = find_model(result_, esd_box_->currentText().toStdString());
  if (m)
    if (const MatrixSpectrum* l = find_layer(*m, layer)) esd_->setData(*l, q(m->model));
  const int pi = pair_box_->currentIndex();
  if (pi < 0 || pi >= static_cast<int>(pairs_.size())) {
    heatmaps_->setData(q(result_.aligned_to), {}, nullptr, {}, nullptr,
                       result_.aligned_to.empty() ? "This step has no reference model (aligned_to): no alignment to show"
                                                  : "No model is aligned to the reference");
    return;
  }
  const Pair& p = pairs_[static_cast<size_t>(pi)];
  auto layer_of = [&](const std::string& b) -> const LayerAlignment* {
    const SpectraAlignment* al = b.empty() ? nullptr : find_alignment(result_, b);
    return al ? find_layer(*al, layer) : nullptr;
  };
  const LayerAlignment* before = layer_of(p.before);
  const LayerAlignment* after = layer_of(p.after);
  QString note = QString("A = %1 · %2").arg(q(result_.aligned_to), q(layer));
  if (const LayerAlignment* any = before ? before : after)
    note += QString(", top %1 of %2").arg(any->k).arg(std::min(any->rows, any->cols));
  QStringList rs;
  for (const auto& [b, l] : {std::pair{p.before, before}, std::pair{p.after, after}})
    if (l) rs << QString("%1 %2").arg(q(b), q(format_alignment_score(layer_r(*find_alignment(result_, b), *l, 0.3))));
  if (!rs.isEmpty()) note += " · R_ℓ(0.3): " + rs.join(" → ");
  if (!p.before.empty() && !p.after.empty())
    note = QString("Before: B = %1 · after: π(B) = %2 (%3) · ")
               .arg(q(p.before), q(p.after), q(p.how.empty() ? "aligned" : p.how)) + note;
  heatmaps_->setData(q(result_.aligned_to), p.before.empty() ? QString() : "B = " + q(p.before), before,
                     p.after.empty() ? QString() : "π(B) = " + q(p.after), after, note);
}

void SpectraView::fillTable() {
  const std::vector<std::string> cols = spectra_columns();
  const std::vector<SpectraRow> rows = spectra_rows(result_);
  table_->clear();
  table_->setColumnCount(static_cast<int>(cols.size()));
  table_->setRowCount(static_cast<int>(rows.size()));
  QStringList headers;
  for (const std::string& c : cols) headers << q(c);
  table_->setHorizontalHeaderLabels(headers);
  for (size_t r = 0; r < rows.size(); ++r) {
    const std::vector<std::string> cells = spectra_cells(rows[r]);
    for (size_t c = 0; c < cells.size(); ++c) {
      auto* item = new QTableWidgetItem(q(cells[c]));
      if (c >= 3) item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
      if (c == 7 && !rows[r].spectrum->fit.ok) item->setForeground(QColor(170, 40, 0));
      if (c >= 11 && rows[r].alignment)
        item->setToolTip(QString("layer term of R: r_sum / r_count at γ; ⟨W_A, W_B⟩ = %1, top-%2 part %3")
                             .arg(q(sig4(rows[r].alignment->inner_product)))
                             .arg(rows[r].alignment->k)
                             .arg(q(sig4(rows[r].alignment->inner_top_k))));
      table_->setItem(static_cast<int>(r), static_cast<int>(c), item);
    }
  }
  table_->resizeColumnsToContents();
  table_->horizontalHeader()->setStretchLastSection(false);
}

}  // namespace ridgeline::widgets
