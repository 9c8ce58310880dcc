// The experiment editor's validation and sync: the engine's parse_spec judges the side last
// edited (form or JSON), the other side follows, the message and the marks show the verdict.
#include <QAction>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLabel>
#include <QPlainTextEdit>
#include <QScrollArea>
#include <QTabWidget>
#include <QTimer>

#include "gui/editor/experiment_editor.h"
#include "gui/editor/experiment_editor_form.h"
#include "gui/editor/experiment_editor_json.h"
#include "ridgeline/io/fileio.h"

namespace ridgeline::gui {

std::string ExperimentEditor::currentText() const {
  if (origin_ == Origin::Json) return json_->toPlainText().toStdString();
  nlohmann::json doc = form_->toJson();
  if (!sweep_json_.empty()) doc["sweep"] = nlohmann::json::parse(sweep_json_);  // the form keeps it
  return doc.dump(2) + "\n";
}

bool ExperimentEditor::isStudy() const { return has_sweep(currentText()); }

std::optional<ExperimentSpec> ExperimentEditor::spec(QString* error) const {
  try {
    const std::string text = currentText();
    // A study's spec is its base (what the form shows); run it with study().
    if (has_sweep(text)) return parse_study(text, source_.toStdString()).base;
    return parse_spec(text, source_.toStdString());
  } catch (const std::exception& e) {
    if (error) *error = QString::fromStdString(e.what());
  }
  return std::nullopt;
}

std::optional<StudySpec> ExperimentEditor::study(QString* error) const {
  try {
    const std::string text = currentText();
    if (!has_sweep(text)) {
      if (error) *error = source_ + ": not a study (it has no \"sweep\")";
      return std::nullopt;
    }
    return parse_study(text, source_.toStdString());
  } catch (const std::exception& e) {
    if (error) *error = QString::fromStdString(e.what());
  }
  return std::nullopt;
}

void ExperimentEditor::onFormEdited() {
  if (syncing_) return;
  origin_ = Origin::Form;
  setModified(true);
  debounce_->start();
}

void ExperimentEditor::onJsonEdited() {
  if (syncing_) return;
  origin_ = Origin::Json;
  setModified(true);
  debounce_->start();
}

void ExperimentEditor::validateNow() {
  debounce_->stop();
  std::optional<ExperimentSpec> parsed;
  std::optional<StudySpec> study;
  QString error;
  std::string text;
  try {
    text = currentText();
    if (has_sweep(text)) {
      study = parse_study(text, source_.toStdString());
      parsed = study->base;
    } else {
      parsed = parse_spec(text, source_.toStdString());
    }
  } catch (const std::exception& e) {
    error = QString::fromStdString(e.what());
  }
  // The sweep the form carries along: the JSON view's, once it parses.
  if (origin_ == Origin::Json && parsed)
    sweep_json_ = study ? nlohmann::json::parse(study_to_json(*study))["sweep"].dump() : std::string();
  ++syncing_;
  if (origin_ == Origin::Form)
    replaceJsonText(json_, QString::fromStdString(study    ? study_to_json(*study)
                                                  : parsed ? spec_to_json(*parsed)
                                                           : text));
  else if (parsed)
    showInForm(*parsed);
  --syncing_;

  form_->clearErrors();
  markJsonErrorLine(json_, parsed ? QString() : error);
  if (!parsed) markKeyPath(error);
  setMessage(parsed.has_value(), parsed ? QString() : error);
  if (parsed) {
    const int m = static_cast<int>(parsed->models.size());
    const int s = static_cast<int>(parsed->steps.size());
    QString text = QString("<span style='color:#2e7d32'>✔ <b>Valid</b> — %1 model%2, "
                           "%3 step%4</span>")
                       .arg(m)
                       .arg(m == 1 ? "" : "s")
                       .arg(s)
                       .arg(s == 1 ? "" : "s");
    if (study) {
      QStringList axes;
      for (const SweepAxis& a : study->axes)
        axes << QString("%1 %2").arg(QString::fromStdString(a.key)).arg(a.values.size());
      size_t cells = 0;
      try {
        cells = expand_study(*study).size();
      } catch (const std::exception&) {
      }
      text = QString("<span style='color:#2e7d32'>✔ <b>Valid study</b> — %1 cells (sweep %2; "
                     "edit the sweep in the JSON view), each %3 model%4, %5 step%6</span>")
                 .arg(cells)
                 .arg(axes.join(" × ").toHtmlEscaped())
                 .arg(m)
                 .arg(m == 1 ? "" : "s")
                 .arg(s)
                 .arg(s == 1 ? "" : "s");
    }
    if (!form_note_.isEmpty())
      text += " <span style='color:gray'>· " + form_note_.toHtmlEscaped() + "</span>";
    message_label_->setText(text);
  } else {
    message_label_->setText("<span style='color:#c62828'>✖ " + error.toHtmlEscaped() + "</span>");
  }
}

void ExperimentEditor::markKeyPath(const QString& message) {
  // The engine's messages read "<source>: <key path>: <problem>".
  QString rest = message;
  if (rest.startsWith(source_ + ": ")) rest = rest.mid(source_.size() + 2);
  const qsizetype colon = rest.indexOf(": ");
  if (colon <= 0) return;
  const QString key = rest.left(colon);
  if (key == "invalid JSON" || key == "(top level)") return;  // the JSON view marks the line
  form_->markError(key, message);
}

void ExperimentEditor::setMessage(bool valid, const QString& message) {
  const QString text = valid ? QString("valid") : message;
  const bool changed = !validated_once_ || valid != valid_ || text != message_;
  validated_once_ = true;
  valid_ = valid;
  message_ = text;
  act_run_->setEnabled(valid);
  if (changed) emit validityChanged(valid_, message_);
}

void ExperimentEditor::setModified(bool modified) {
  if (modified == modified_) return;
  modified_ = modified;
  updateFileLabel();
  emit modifiedChanged(modified_);
}

void ExperimentEditor::showDocument(const ExperimentSpec& spec, const QString& source,
                                    const QString& path, const QString& example,
                                    const StudySpec* study) {
  debounce_->stop();
  const bool path_changed = path != file_path_;
  source_ = source;
  file_path_ = path;
  example_ = example;
  run_spec_.clear();
  sweep_json_ = study ? nlohmann::json::parse(study_to_json(*study))["sweep"].dump() : std::string();
  ++syncing_;
  const bool in_form = showInForm(spec);
  // A new undo history.
  json_->setPlainText(QString::fromStdString(study ? study_to_json(*study) : spec_to_json(spec)));
  --syncing_;
  // A spec the form cannot hold is judged (and run) from its JSON, never rewritten by the form.
  origin_ = in_form ? Origin::Form : Origin::Json;
  validateNow();
  setModified(false);
  updateFileLabel();
  if (path_changed) emit filePathChanged(file_path_);
}

bool ExperimentEditor::showInForm(const ExperimentSpec& spec) {
  const bool mlp = spec.model_kind == "mlp";
  form_note_ = mlp ? QString()
                   : QString("the form edits MLP specs only: this '%1' model is edited as JSON")
                         .arg(QString::fromStdString(spec.model_kind));
  form_scroll_->setEnabled(mlp);
  form_scroll_->setToolTip(mlp ? QString() : "Off: " + form_note_);
  if (mlp) {
    form_->setSpec(spec);
    return true;
  }
  if (auto* tabs = findChild<QTabWidget*>("editorTabs"))
    for (int i = 0; i < tabs->count(); ++i)
      if (tabs->widget(i)->isAncestorOf(json_) || tabs->widget(i) == json_) tabs->setCurrentIndex(i);
  return false;
}

void ExperimentEditor::setSpec(const ExperimentSpec& spec, const QString& source) {
  showDocument(spec, source.isEmpty() ? QString("untitled") : source, {}, {});
}

void ExperimentEditor::showRunSpec(const ExperimentSpec& spec, const QString& run_dir) {
  const QString file = QDir(run_dir).filePath("experiment.json");
  showDocument(spec, file, {}, {});
  run_spec_ = file;
  updateFileLabel();
}

bool ExperimentEditor::loadDocument(const QString& path, const QString& source,
                                    const QString& file, const QString& example, QString* error) {
  try {
    std::string text;
    if (QFile f(path); f.open(QIODevice::ReadOnly)) text = f.readAll().toStdString();
    if (has_sweep(text)) {
      const StudySpec st = load_study(path.toStdString());
      showDocument(st.base, source, file, example, &st);
    } else {
      showDocument(load_spec(path.toStdString()), source, file, example);
    }
    return true;
  } catch (const std::exception& e) {
    if (error) *error = QString::fromStdString(e.what());
  }
  return false;
}

bool ExperimentEditor::loadFile(const QString& path, QString* error) {
  const QFileInfo fi(path);
  return loadDocument(path, fi.fileName(), fi.absoluteFilePath(), {}, error);
}

bool ExperimentEditor::openForRepair(const QString& path, QString* error) {
  QFile file(path);
  if (!file.open(QIODevice::ReadOnly | QIODevice::Text)) {
    if (error) *error = path + ": cannot read the file (" + file.errorString() + ")";
    return false;
  }
  const QString text = QString::fromUtf8(file.readAll());
  const QFileInfo fi(path);
  debounce_->stop();
  const bool path_changed = fi.absoluteFilePath() != file_path_;
  source_ = fi.fileName();
  file_path_ = fi.absoluteFilePath();
  example_.clear();
  run_spec_.clear();
  sweep_json_.clear();  // the text decides once it parses
  ++syncing_;
  json_->setPlainText(text);
  --syncing_;
  origin_ = Origin::Json;
  validateNow();
  setModified(false);
  updateFileLabel();
  if (auto* tabs = findChild<QTabWidget*>("editorTabs"))
    for (int i = 0; i < tabs->count(); ++i)
      if (tabs->widget(i)->isAncestorOf(json_) || tabs->widget(i) == json_) tabs->setCurrentIndex(i);
  if (path_changed) emit filePathChanged(file_path_);
  return true;
}

bool ExperimentEditor::newFromExample(const QString& path, QString* error) {
  return loadDocument(path, "untitled", {}, QFileInfo(path).fileName(), error);
}

bool ExperimentEditor::saveFile(const QString& path, QString* error) {
  QString why;
  const std::optional<ExperimentSpec> s = spec(&why);
  if (!s) {
    if (error) *error = path + ": not saved, the spec is invalid: " + why;
    return false;
  }
  try {
    std::optional<StudySpec> st;
    if (isStudy()) st = study();
    write_file_atomic(path.toStdString(), st ? study_to_json(*st) : spec_to_json(*s));
  } catch (const std::exception& e) {
    if (error) *error = QString::fromStdString(e.what());
    return false;
  }
  const QFileInfo fi(path);
  const bool path_changed = fi.absoluteFilePath() != file_path_;
  file_path_ = fi.absoluteFilePath();
  source_ = fi.fileName();
  example_.clear();
  run_spec_.clear();
  modified_ = true;  // so that setModified(false) announces the change
  setModified(false);
  if (path_changed) emit filePathChanged(file_path_);
  return true;
}

}  // namespace ridgeline::gui
