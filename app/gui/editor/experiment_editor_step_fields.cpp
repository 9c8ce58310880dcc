// The experiment editor's selected step: its fields, those of its type and method only.
#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QLabel>
#include <QLineEdit>
#include <QSpinBox>
#include <QTableWidget>
#include <QToolButton>
#include <climits>

#include "gui/editor/experiment_editor_form.h"
#include "gui/editor/experiment_editor_steps.h"
#include "ridgeline/experiment/spec.h"

namespace ridgeline::gui {

using nlohmann::json;

namespace {

// The allowed values of a step key, as the schema lists them (step_key_choices).
QStringList choices(const char* key) {
  QStringList out;
  for (const auto& v : step_key_choices(key)) out << QString::fromStdString(v);
  return out;
}

}  // namespace

QWidget* StepsEditor::buildDetail() {
  detail_ = new QGroupBox;
  detail_->setObjectName("step");
  form_ = new QFormLayout(detail_);
  type_ = makeCombo("step.type", choices("type"),
                    "interpolate: the linear path from a to b; align: permute b's hidden units "
                    "to match a (produces b@method); merge: MergeMany over several models; "
                    "landscape, curve, spectra, layerwise: see the user guide (their fields "
                    "come from the schema)");
  id_ = makeLine("step.id",
                 "Unique name of the step (its results file); a merge step's id "
                 "is the name of the merged model",
                 "automatic");
  const QString model_tip =
      "A model of the Models table, or one an earlier step produces "
      "(an align step's 'seed1@wm', a merge step's id)";
  a_ = makeCombo("step.a", {}, "Model a: " + model_tip);
  b_ = makeCombo("step.b", {}, "Model b: " + model_tip);
  for (auto* c : {a_, b_}) c->setEditable(true), c->setInsertPolicy(QComboBox::NoInsert);
  models_ = makeLine("step.models", "merge: the models to merge, comma-separated (at least 2)",
                     "seed0, seed1, seed2");
  method_ = makeCombo("step.method", choices("method"),
                      "wm: weight matching; am: activation matching by cross-moment (Git "
                      "Re-Basin); am-pearson: by Pearson correlation (REPAIR); ste: "
                      "straight-through estimator");
  points_ = makeSpin("step.points", 2, 1001, "Number of α values from 0 to 1");
  split_ = makeCombo("step.split", {"both", "train", "test"}, "Data splits evaluated on the path");
  repair_ = new QCheckBox("REPAIR every interpolated network");
  repair_->setObjectName("step.repair");
  repair_->setToolTip(
      "Reset the interpolated networks' activation statistics (REPAIR), from "
      "training data");
  samples_ = makeSpin("step.samples", 0, INT_MAX,
                      "Training samples for activation statistics (all: every sample)");
  samples_->setSpecialValueText("all");
  seed_ = makeSeedLine("step.seed", "Seed of weight matching's sweep order");
  max_sweeps_ = makeSpin("step.max_sweeps", 1, INT_MAX, "Cap on weight matching's sweeps");
  epochs_ = makeSpin("step.epochs", 1, INT_MAX, "Epochs of straight-through training");
  lr_ = makeLine("step.lr", "Straight-through training's SGD learning rate (momentum 0.9)", "0.01");

  form_->addRow("Type", type_);
  form_->addRow("ID", id_);
  form_->addRow("a", a_);
  form_->addRow("b", b_);
  form_->addRow("Models", models_);
  form_->addRow("Method", method_);
  form_->addRow("Points", points_);
  form_->addRow("Split", split_);
  form_->addRow(repair_);
  form_->addRow("Samples", samples_);
  form_->addRow("Seed", seed_);
  form_->addRow("Max sweeps", max_sweeps_);
  form_->addRow("Epochs", epochs_);
  form_->addRow("LR", lr_);
  generic_ = new QWidget;
  generic_->setObjectName("step.generic");
  generic_form_ = new QFormLayout(generic_);
  generic_form_->setContentsMargins(0, 0, 0, 0);
  form_->addRow(generic_);
  for (int r = 0; r < form_->rowCount(); ++r)
    if (auto* l = form_->itemAt(r, QFormLayout::LabelRole))
      if (auto* label = qobject_cast<QLabel*>(l->widget()))
        label->setToolTip(form_->itemAt(r, QFormLayout::FieldRole)->widget()->toolTip());

  connect(type_, &QComboBox::currentTextChanged, this, [this](const QString& t) {
    if (loading_ || current_ < 0) return;
    json& row = rows_[current_];
    // The new type's keys start at their defaults unless the row had them before.
    if (choices("type").contains(t)) {
      const json defaults = defaultStep(t.toStdString());
      for (const auto& [key, value] : defaults.items())
        if (!row.contains(key)) row[key] = value;
    }
    const QStringList avail = availableBefore(current_);
    if (t == "merge" && (!row.contains("models") || row["models"].empty())) {
      row["models"] = json::array();
      for (const auto& n : model_names_) row["models"].push_back(n.toStdString());
    }
    if (t != "merge" && stepString(row, "a").isEmpty() && !avail.isEmpty()) {
      row["a"] = avail.first().toStdString();
      row["b"] = avail.value(1, avail.first()).toStdString();
    }
    fieldEdited("type", t.toStdString());
    showDetail();
  });
  connect(id_, &QLineEdit::textChanged, this,
          [this](const QString& t) { fieldEdited("id", t.toStdString()); });
  connect(a_, &QComboBox::currentTextChanged, this,
          [this](const QString& t) { fieldEdited("a", t.toStdString()); });
  connect(b_, &QComboBox::currentTextChanged, this,
          [this](const QString& t) { fieldEdited("b", t.toStdString()); });
  connect(models_, &QLineEdit::textChanged, this, [this](const QString& t) {
    json list = json::array();
    for (const QString& n : t.split(',', Qt::SkipEmptyParts))
      if (!n.trimmed().isEmpty()) list.push_back(n.trimmed().toStdString());
    fieldEdited("models", list);
  });
  connect(method_, &QComboBox::currentTextChanged, this,
          [this](const QString& t) { fieldEdited("method", t.toStdString()); });
  connect(split_, &QComboBox::currentTextChanged, this,
          [this](const QString& t) { fieldEdited("split", t.toStdString()); });
  connect(repair_, &QCheckBox::toggled, this, [this](bool on) { fieldEdited("repair", on); });
  connect(seed_, &QLineEdit::textChanged, this,
          [this](const QString& t) { fieldEdited("seed", unsignedOrText(t)); });
  connect(lr_, &QLineEdit::textChanged, this,
          [this](const QString& t) { fieldEdited("lr", numberOrText(t)); });
  const std::pair<QSpinBox*, const char*> spins[] = {
      {points_, "points"}, {samples_, "samples"}, {max_sweeps_, "max_sweeps"}, {epochs_, "epochs"}};
  for (const auto& [s, key] : spins)
    connect(s, &QSpinBox::valueChanged, this, [this, key = key](int v) { fieldEdited(key, v); });
  return detail_;
}

void StepsEditor::fieldEdited(const char* key, const json& value) {
  if (loading_ || current_ < 0) return;
  rows_[current_][key] = value;
  refreshRow(current_);
  updateVisibility();
  emit edited();
}

void StepsEditor::refreshSuggestions() {
  if (current_ < 0) return;
  ++loading_;
  const QStringList avail = availableBefore(current_);
  for (auto [combo, key] : {std::pair{a_, "a"}, std::pair{b_, "b"}}) {
    combo->clear();
    combo->addItems(avail);
    combo->setCurrentText(stepString(rows_[current_], key));
  }
  --loading_;
}

void StepsEditor::showDetail() {
  fitTableHeight(table_, 3, 8);
  const bool has = current_ >= 0 && current_ < static_cast<int>(rows_.size());
  detail_->setEnabled(has);
  remove_->setEnabled(has);
  up_->setEnabled(has && current_ > 0);
  down_->setEnabled(has && current_ + 1 < static_cast<int>(rows_.size()));
  if (!has) {
    detail_->setTitle(rows_.empty() ? "No steps: add one above" : "Select a step above");
    for (int r = 2; r < form_->rowCount(); ++r) form_->setRowVisible(r, false);
    return;
  }
  const json& s = rows_[current_];
  ++loading_;
  detail_->setTitle(QString("Step %1").arg(current_ + 1));
  type_->setCurrentText(stepString(s, "type"));
  id_->setText(stepString(s, "id"));
  QStringList names;
  for (const auto& n : s.value("models", json::array()))
    if (n.is_string()) names << QString::fromStdString(n);
  models_->setText(names.join(", "));
  method_->setCurrentText(stepString(s, "method"));
  split_->setCurrentText(stepString(s, "split"));
  repair_->setChecked(s.value("repair", false));
  seed_->setText(stepNumber(s.value("seed", json())));
  lr_->setText(stepNumber(s.value("lr", json())));
  const std::pair<QSpinBox*, const char*> spins[] = {
      {points_, "points"}, {samples_, "samples"}, {max_sweeps_, "max_sweeps"}, {epochs_, "epochs"}};
  for (const auto& [box, key] : spins)
    if (s.contains(key) && s[key].is_number_integer()) box->setValue(s[key].get<int>());
  buildGenericFields();
  --loading_;
  refreshSuggestions();
  updateVisibility();
  applyMarks();
}

void StepsEditor::updateVisibility() {
  if (current_ < 0) return;
  const json& s = rows_[current_];
  const QString type = stepString(s, "type"), method = stepString(s, "method");
  const bool interp = type == "interpolate", align = type == "align", merge = type == "merge";
  const bool repair = s.value("repair", false);
  const bool wm_like = (align && (method == "wm" || method == "ste")) || merge;
  const bool generated = !hasHandMadeForm(type);
  // A kind with generated fields: the hand-made a, b and models where its fragment has them.
  const std::pair<QWidget*, bool> rows[] = {
      {a_, generated ? fragmentHas(type, "a") : !merge},
      {b_, generated ? fragmentHas(type, "b") : !merge},
      {models_, generated ? fragmentHas(type, "models") : merge},
      {generic_, generated},
      {method_, align},
      {points_, interp},
      {split_, interp},
      {repair_, interp},
      {samples_, (interp && repair) || (align && method.startsWith("am"))},
      {seed_, wm_like},
      {max_sweeps_, wm_like},
      {epochs_, align && method == "ste"},
      {lr_, align && method == "ste"}};
  for (const auto& [w, visible] : rows) form_->setRowVisible(w, visible || w == marked_);
  auto label = [this](QWidget* w, const QString& t) {
    if (auto* l = qobject_cast<QLabel*>(form_->labelForField(w))) l->setText(t);
  };
  label(a_, align ? "Reference (a)" : "From (a)");
  label(b_, align ? "Permuted (b)" : "To (b)");
  if (generated) label(models_, "Models");
  id_->setPlaceholderText(generated ? QString("automatic")
                          : merge   ? "automatic: merged"
                          : align ? "automatic: align-" + stepString(s, "b") + "@" + method
                                  : "automatic: interpolate-" + stepString(s, "a") + "-" +
                                        stepString(s, "b"));
}

}  // namespace ridgeline::gui
