// The experiment editor's form and the spec: widgets from a spec, a JSON document from the
// widgets, and the widget of an engine key path.
#include <QCheckBox>
#include <QComboBox>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QRegularExpression>
#include <QSpinBox>

#include "gui/editor/experiment_editor_form.h"
#include "gui/editor/experiment_editor_models.h"
#include "gui/editor/experiment_editor_steps.h"

namespace ridgeline::gui {

using nlohmann::json;

std::string ExperimentForm::dataName() const {
  switch (data_kind_->currentIndex()) {
    case 0:
      return "fashion-mnist";
    case 1:
      return QString("gmm:%1,%2,%3,%4,%5")
          .arg(gmm_train_->value())
          .arg(gmm_test_->value())
          .arg(gmm_dim_->value())
          .arg(gmm_classes_->value())
          .arg(gmm_seed_->value())
          .toStdString();
    default:
      return idx_dir_->text().toStdString();
  }
}

void ExperimentForm::setDataName(const std::string& name) {
  const QString n = QString::fromStdString(name);
  if (n == "fashion-mnist") {
    data_kind_->setCurrentIndex(0);
    return;
  }
  static const QRegularExpression gmm("^gmm:(\\d+),(\\d+),(\\d+),(\\d+),(\\d+)$");
  if (const auto m = gmm.match(n); m.hasMatch()) {
    QSpinBox* boxes[] = {gmm_train_, gmm_test_, gmm_dim_, gmm_classes_, gmm_seed_};
    for (int i = 0; i < 5; ++i) boxes[i]->setValue(m.captured(i + 1).toInt());
    data_kind_->setCurrentIndex(1);
    if (dataName() == name) return;  // else out of the boxes' ranges: keep the text as is
  }
  idx_dir_->setText(n);
  data_kind_->setCurrentIndex(2);
}

void ExperimentForm::setSpec(const ExperimentSpec& spec) {
  const json doc = json::parse(spec_to_json(spec));
  ++loading_;
  name_->setText(QString::fromStdString(doc["name"]));
  description_->setPlainText(QString::fromStdString(doc["description"]));
  const json& d = doc["data"];
  setDataName(d["name"]);
  train_subset_->setValue(d["train_subset"].get<int>());
  test_subset_->setValue(d["test_subset"].get<int>());
  subset_seed_->setText(QString::number(d["subset_seed"].get<uint64_t>()));
  standardize_->setChecked(d["standardize"].get<bool>());
  const json& m = doc["model"];
  widths_->setText(QString::fromStdString(m["arch"].get<std::string>()).mid(4));  // drop "mlp:"
  activation_->setCurrentText(QString::fromStdString(m["activation"]));
  layernorm_->setChecked(m["layernorm"].get<bool>());
  const json& t = doc["train"];
  optimizer_->setCurrentText(QString::fromStdString(t["optimizer"]));
  schedule_->setCurrentText(QString::fromStdString(t["schedule"]));
  const std::pair<QLineEdit*, const char*> numbers[] = {{lr_, "lr"},
                                                        {momentum_, "momentum"},
                                                        {weight_decay_, "weight_decay"},
                                                        {beta1_, "beta1"},
                                                        {beta2_, "beta2"},
                                                        {eps_, "eps"},
                                                        {warmup_, "warmup_epochs"},
                                                        {step_gamma_, "step_gamma"}};
  for (const auto& [edit, key] : numbers) edit->setText(numberText(t[key].get<double>()));
  batch_->setValue(t["batch"].get<int>());
  epochs_->setValue(t["epochs"].get<int>());
  step_every_->setValue(t["step_every"].get<int>());
  checkpoint_every_->setValue(t["checkpoint_every"].get<int>());
  checkpoint_every_steps_->setValue(t["checkpoint_every_steps"].get<int>());
  models_->setModels(doc["models"]);
  steps_->setModelNames(models_->names());
  steps_->setSteps(doc["steps"]);
  --loading_;
  updateDependents();
}

std::string ExperimentForm::archText() const {
  QString widths = widths_->text();
  widths.remove(QRegularExpression("\\s"));
  if (!widths.startsWith("mlp:")) widths.prepend("mlp:");
  return widths.toStdString();
}

json ExperimentForm::toJson() const {
  return json{{"name", name_->text().toStdString()},
              {"description", description_->toPlainText().toStdString()},
              {"data",
               {{"name", dataName()},
                {"train_subset", train_subset_->value()},
                {"test_subset", test_subset_->value()},
                {"subset_seed", unsignedOrText(subset_seed_->text())},
                {"standardize", standardize_->isChecked()}}},
              {"model",
               {{"arch", archText()},
                {"activation", activation_->currentText().toStdString()},
                {"layernorm", layernorm_->isChecked()}}},
              {"train",
               {{"optimizer", optimizer_->currentText().toStdString()},
                {"lr", numberOrText(lr_->text())},
                {"momentum", numberOrText(momentum_->text())},
                {"weight_decay", numberOrText(weight_decay_->text())},
                {"beta1", numberOrText(beta1_->text())},
                {"beta2", numberOrText(beta2_->text())},
                {"eps", numberOrText(eps_->text())},
                {"batch", batch_->value()},
                {"epochs", epochs_->value()},
                {"schedule", schedule_->currentText().toStdString()},
                {"warmup_epochs", numberOrText(warmup_->text())},
                {"step_every", step_every_->value()},
                {"step_gamma", numberOrText(step_gamma_->text())},
                {"checkpoint_every", checkpoint_every_->value()},
                {"checkpoint_every_steps", checkpoint_every_steps_->value()}}},
              {"models", models_->toJson()},
              {"steps", steps_->toJson()}};
}

QWidget* ExperimentForm::fieldForKey(const QString& key) const {
  if (key == "data.name")
    return data_kind_->currentIndex() == 2 ? static_cast<QWidget*>(idx_dir_) : data_kind_;
  if (key == "data" || key == "model" || key == "train") return nullptr;
  return findChild<QWidget*>(key);
}

bool ExperimentForm::markError(const QString& key_path, const QString& message) {
  clearErrors();
  static const QRegularExpression model_key("^models\\[(\\d+)\\](?:\\.(name|seed))?$");
  static const QRegularExpression step_key("^steps\\[(\\d+)\\](?:\\.([a-z_]+)(?:\\[\\d+\\])?)?$");
  if (const auto m = model_key.match(key_path); m.hasMatch()) {
    models_->markError(m.captured(1).toInt(),
                       m.captured(2).isEmpty()   ? -1
                       : m.captured(2) == "name" ? 0
                                                 : 1,
                       message);
    return true;
  }
  if (key_path == "models") {
    models_->markError(-1, -1, message);
    return true;
  }
  if (const auto m = step_key.match(key_path); m.hasMatch()) {
    steps_->markError(m.captured(1).toInt(), m.captured(2), message);
    return true;
  }
  QWidget* w = fieldForKey(key_path);
  if (!w) return false;
  markField(w, message);
  marked_ = w;
  return true;
}

void ExperimentForm::clearErrors() {
  markField(marked_, {});
  marked_ = nullptr;
  models_->clearErrors();
  steps_->clearErrors();
  updateDependents();
}

}  // namespace ridgeline::gui
