// The experiment editor's form: experiment, data, architecture and training recipe; the models
// table and the steps are in gui_experiment_editor_steps.cpp.
#include "gui/editor/experiment_editor_form.h"

#include <QCheckBox>
#include <QComboBox>
#include <QCoreApplication>
#include <QDir>
#include <QFileDialog>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPlainTextEdit>
#include <QRegularExpression>
#include <QRegularExpressionValidator>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>
#include <climits>
#include <cmath>

#include "gui/editor/experiment_editor_models.h"
#include "gui/editor/experiment_editor_steps.h"

namespace ridgeline::gui {

using nlohmann::json;

ExperimentForm::ExperimentForm(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(6, 6, 6, 6);
  layout->setSpacing(8);
  layout->addWidget(buildExperiment());
  layout->addWidget(buildData());
  layout->addWidget(buildArch());
  layout->addWidget(buildTrain());

  auto* models_box = new QGroupBox("Models");
  models_box->setToolTip(
      "The networks to train: one per row, all with the same data, "
      "architecture and recipe, each from its own seed");
  auto* ml = new QVBoxLayout(models_box);
  models_ = new ModelsTable;
  ml->addWidget(models_);
  layout->addWidget(models_box);

  auto* steps_box = new QGroupBox("Analysis steps");
  steps_box->setToolTip("Run in order after training: align, interpolate, merge");
  auto* sl = new QVBoxLayout(steps_box);
  steps_ = new StepsEditor;
  sl->addWidget(steps_);
  layout->addWidget(steps_box);
  layout->addStretch(1);

  connect(models_, &ModelsTable::renamed, steps_, &StepsEditor::renameModel);
  connect(models_, &ModelsTable::edited, this, [this] {
    steps_->setModelNames(models_->names());
    onChanged();
  });
  connect(steps_, &StepsEditor::edited, this, &ExperimentForm::onChanged);
  for (auto* e : {name_, idx_dir_, subset_seed_, widths_, lr_, momentum_, weight_decay_, beta1_,
                  beta2_, eps_, warmup_, step_gamma_})
    connect(e, &QLineEdit::textChanged, this, &ExperimentForm::onChanged);
  connect(description_, &QPlainTextEdit::textChanged, this, &ExperimentForm::onChanged);
  for (auto* s : {gmm_train_, gmm_test_, gmm_dim_, gmm_classes_, gmm_seed_, train_subset_,
                  test_subset_, batch_, epochs_, step_every_, checkpoint_every_, checkpoint_every_steps_})
    connect(s, &QSpinBox::valueChanged, this, &ExperimentForm::onChanged);
  for (auto* c : {data_kind_, activation_, optimizer_, schedule_})
    connect(c, &QComboBox::currentIndexChanged, this, &ExperimentForm::onChanged);
  for (auto* c : {standardize_, layernorm_})
    connect(c, &QCheckBox::toggled, this, &ExperimentForm::onChanged);
  updateDependents();
}

QWidget* ExperimentForm::buildExperiment() {
  auto* box = new QGroupBox("Experiment");
  auto* f = new QFormLayout(box);
  name_ = makeLine("name",
                   "Name of the experiment, used in the run folder's name: 1 to 64 "
                   "letters, digits, '.', '_' or '-'",
                   "e.g. fmnist-mlp-lmc");
  description_ = new QPlainTextEdit;
  description_->setObjectName("description");
  description_->setToolTip("Free text: what the experiment asks and how (kept in the run folder)");
  description_->setPlaceholderText("What this experiment asks");
  description_->setTabChangesFocus(true);
  description_->setFixedHeight(description_->fontMetrics().lineSpacing() * 4 + 12);
  f->addRow("Name", name_);
  f->addRow("Description", description_);
  return box;
}

QWidget* ExperimentForm::buildData() {
  auto* box = new QGroupBox("Data");
  auto* f = new QFormLayout(box);
  data_kind_ =
      makeCombo("data.name", {"Fashion-MNIST", "Gaussian mixture (synthetic)", "IDX folder"},
                "The data set: Fashion-MNIST (Debian package), a seeded synthetic Gaussian "
                "mixture, or a folder of MNIST-format IDX files");
  f->addRow("Data set", data_kind_);

  fmnist_note_ = new QLabel;
  fmnist_note_->setWordWrap(true);
  fmnist_note_->setToolTip("Where the engine reads Fashion-MNIST from");
  f->addRow(fmnist_note_);

  gmm_box_ = new QWidget;
  auto* g = new QGridLayout(gmm_box_);
  g->setContentsMargins(0, 0, 0, 0);
  gmm_train_ = makeSpin("data.gmm.n_train", 1, INT_MAX, "Training samples of the mixture");
  gmm_test_ = makeSpin("data.gmm.n_test", 0, INT_MAX, "Test samples of the mixture");
  gmm_dim_ =
      makeSpin("data.gmm.dim", 1, INT_MAX, "Features per sample (the architecture's input width)");
  gmm_classes_ =
      makeSpin("data.gmm.classes", 2, INT_MAX, "Classes (mixture components), at least 2");
  gmm_seed_ = makeSpin("data.gmm.seed", 0, INT_MAX, "Seed of the class means and the samples");
  // First shown: a mixture the size of Fashion-MNIST's inputs and classes.
  gmm_train_->setValue(10000);
  gmm_test_->setValue(2000);
  gmm_dim_->setValue(784);
  gmm_classes_->setValue(10);
  const std::pair<const char*, QSpinBox*> gmm[] = {{"Train", gmm_train_},
                                                   {"Test", gmm_test_},
                                                   {"Dim", gmm_dim_},
                                                   {"Classes", gmm_classes_},
                                                   {"Seed", gmm_seed_}};
  for (int i = 0; i < 5; ++i) {
    auto* l = new QLabel(gmm[i].first);
    l->setToolTip(gmm[i].second->toolTip());
    g->addWidget(l, i / 2, (i % 2) * 2);
    g->addWidget(gmm[i].second, i / 2, (i % 2) * 2 + 1);
  }
  g->setColumnStretch(1, 1);
  g->setColumnStretch(3, 1);
  f->addRow(gmm_box_);

  idx_box_ = new QWidget;
  auto* il = new QHBoxLayout(idx_box_);
  il->setContentsMargins(0, 0, 0, 0);
  idx_dir_ = makeLine("data.idx_folder",
                      "Folder holding {train,t10k}-{images-idx3,labels-idx1}-ubyte"
                      "[.gz]",
                      "/path/to/idx-folder");
  idx_browse_ = new QToolButton;
  idx_browse_->setObjectName("data.idx_browse");
  idx_browse_->setText("Browse…");
  idx_browse_->setToolTip("Choose the folder of IDX files");
  il->addWidget(idx_dir_, 1);
  il->addWidget(idx_browse_);
  f->addRow("Folder", idx_box_);
  connect(idx_browse_, &QToolButton::clicked, this, [this] {
    const QString dir =
        QFileDialog::getExistingDirectory(this, "IDX data folder", idx_dir_->text());
    if (!dir.isEmpty()) idx_dir_->setText(dir);
  });

  train_subset_ =
      makeSpin("data.train_subset", 0, INT_MAX,
               "Train on a seeded random subset of this many samples (all: every sample)");
  test_subset_ =
      makeSpin("data.test_subset", 0, INT_MAX,
               "Evaluate on a seeded random subset of this many test samples (all: every "
               "sample)");
  for (auto* s : {train_subset_, test_subset_}) s->setSpecialValueText("all");
  subset_seed_ = makeSeedLine("data.subset_seed", "Seed of the random subsets");
  standardize_ = new QCheckBox("Standardise features (training mean and std)");
  standardize_->setObjectName("data.standardize");
  standardize_->setToolTip("Per-feature (x − mean_train) / std_train; off: pixel / 255 only");
  auto* subsets = new QHBoxLayout;
  subsets->addWidget(new QLabel("train"));
  subsets->addWidget(train_subset_, 1);
  subsets->addWidget(new QLabel("test"));
  subsets->addWidget(test_subset_, 1);
  f->addRow("Subsets", subsets);
  f->addRow("Subset seed", subset_seed_);
  f->addRow(standardize_);
  return box;
}

QWidget* ExperimentForm::buildArch() {
  auto* box = new QGroupBox("Architecture (MLP)");
  auto* f = new QFormLayout(box);
  widths_ = makeLine("model.arch",
                     "Layer widths: input, hidden layers…, classes (e.g. "
                     "784,512,512,10)",
                     "784,512,512,10");
  activation_ = makeCombo("model.activation", {"relu", "gelu"},
                          "Activation after each hidden layer: ReLU, or GELU (exact erf form)");
  layernorm_ = new QCheckBox("LayerNorm after each hidden layer");
  layernorm_->setObjectName("model.layernorm");
  layernorm_->setToolTip(
      "Affine LayerNorm (eps 1e-5) after each hidden Linear, before the "
      "activation");
  arch_note_ = new QLabel;
  arch_note_->setWordWrap(true);
  arch_note_->setToolTip("The network these widths describe, and whether it fits the data");
  f->addRow("Widths", widths_);
  f->addRow("Activation", activation_);
  f->addRow(layernorm_);
  f->addRow(arch_note_);
  return box;
}

QWidget* ExperimentForm::buildTrain() {
  auto* box = new QGroupBox("Training");
  box->setToolTip("The recipe every model is trained with");
  auto* g = new QGridLayout(box);
  optimizer_ = makeCombo("train.optimizer", {"adam", "sgd"}, "Adam, or SGD with momentum");
  lr_ = makeLine("train.lr", "Peak learning rate (> 0)", "0.001");
  batch_ = makeSpin("train.batch", 1, INT_MAX, "Mini-batch size");
  epochs_ = makeSpin("train.epochs", 1, INT_MAX, "Passes over the training data");
  weight_decay_ = makeLine("train.weight_decay", "L2 weight decay (≥ 0)", "0");
  checkpoint_every_ = makeSpin("train.checkpoint_every", 0, INT_MAX,
                               "Also keep a checkpoint every N epochs (final only: just the last)");
  checkpoint_every_->setSpecialValueText("final only");
  checkpoint_every_steps_ = makeSpin("train.checkpoint_every_steps", 0, INT_MAX,
                                     "Also keep a checkpoint every N optimizer steps ('<model>@step<N>')");
  checkpoint_every_steps_->setSpecialValueText("none");
  momentum_ = makeLine("train.momentum", "SGD momentum, in [0, 1)", "0.9");
  beta1_ = makeLine("train.beta1", "Adam β1, in [0, 1)", "0.9");
  beta2_ = makeLine("train.beta2", "Adam β2, in [0, 1)", "0.999");
  eps_ = makeLine("train.eps", "Adam ε (> 0)", "1e-8");
  schedule_ = makeCombo("train.schedule", {"constant", "step", "cosine", "triangular"},
                        "Learning-rate schedule: constant, step decay, cosine to 0, or triangular "
                        "(linear warm-up, then linear decay to 0)");
  warmup_ = makeLine("train.warmup_epochs", "Triangular schedule: epochs of linear warm-up", "5");
  step_every_ = makeSpin("train.step_every", 1, INT_MAX, "Step schedule: decay every N epochs");
  step_gamma_ =
      makeLine("train.step_gamma", "Step schedule: factor applied at each decay (> 0)", "0.1");
  const std::pair<const char*, QWidget*> cells[] = {{"Optimizer", optimizer_},
                                                    {"Learning rate", lr_},
                                                    {"Batch size", batch_},
                                                    {"Epochs", epochs_},
                                                    {"Weight decay", weight_decay_},
                                                    {"Checkpoints", checkpoint_every_},
                                                    {"Momentum", momentum_},
                                                    {"β1", beta1_},
                                                    {"β2", beta2_},
                                                    {"ε", eps_},
                                                    {"Schedule", schedule_},
                                                    {"Warm-up", warmup_},
                                                    {"Step every", step_every_},
                                                    {"Step γ", step_gamma_},
                                                    {"Checkpoints (steps)", checkpoint_every_steps_}};
  int i = 0;
  for (const auto& [label, w] : cells) {
    auto* l = new QLabel(label);
    l->setBuddy(w);
    l->setToolTip(w->toolTip());
    g->addWidget(l, i / 2, (i % 2) * 2);
    g->addWidget(w, i / 2, (i % 2) * 2 + 1);
    ++i;
  }
  g->setColumnStretch(1, 1);
  g->setColumnStretch(3, 1);
  g->setColumnMinimumWidth(2, 8);
  return box;
}

void ExperimentForm::onChanged() {
  updateDependents();
  if (loading_ == 0) emit edited();
}

void ExperimentForm::updateDependents() {
  const int kind = data_kind_->currentIndex();
  if (auto* f = qobject_cast<QFormLayout*>(idx_box_->parentWidget()->layout())) {
    f->setRowVisible(fmnist_note_, kind == 0);
    f->setRowVisible(gmm_box_, kind == 1);
    f->setRowVisible(idx_box_, kind == 2);
  }
  if (kind == 0) {
    const QString dir = QString::fromStdString(fashion_mnist_dir());
    const bool found = QDir(dir).exists();
    fmnist_note_->setText(found ? "Read from " + dir
                                : "<span style='color:#b26a00'>Not found at " + dir +
                                      " (install the Debian package dataset-fashion-mnist)</span>");
  }

  const bool sgd = optimizer_->currentText() == "sgd";
  momentum_->setEnabled(sgd);
  for (auto* w : {beta1_, beta2_, eps_}) w->setEnabled(!sgd);
  warmup_->setEnabled(schedule_->currentText() == "triangular");
  step_every_->setEnabled(schedule_->currentText() == "step");
  step_gamma_->setEnabled(schedule_->currentText() == "step");
  for (auto* w : {momentum_, beta1_, beta2_, eps_, warmup_, step_gamma_})
    if (w->property("rl_marked").toBool()) w->setEnabled(true);
  if (step_every_->property("rl_marked").toBool()) step_every_->setEnabled(true);

  // What the widths describe. Whether they fit the data is the engine's check (parse_spec:
  // model.arch), shown and marked like every other validation error.
  QString note;
  try {
    MlpArch arch = parse_arch(archText());
    arch.layernorm = layernorm_->isChecked() && arch.num_hidden() > 0;
    const QString params = QLocale(QLocale::English).toString(qulonglong(ParamLayout(arch).total));
    note = QString("%1 hidden layer%2 · %3 parameters")
               .arg(arch.num_hidden())
               .arg(arch.num_hidden() == 1 ? "" : "s")
               .arg(params);
  } catch (const std::exception&) {
  }
  arch_note_->setText("<span style='color:gray'>" + note + "</span>");
  if (auto* f = qobject_cast<QFormLayout*>(arch_note_->parentWidget()->layout()))
    f->setRowVisible(arch_note_, !note.isEmpty());
}

}  // namespace ridgeline::gui
