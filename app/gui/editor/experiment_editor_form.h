#pragma once
/// @file gui_experiment_editor_form.h
/// Internal to the experiment editor: the form over the fields of an experiment spec, and the
/// helpers its parts share. The form holds no validation of its own: it turns its widgets into
/// a JSON document that the engine's parse_spec judges, and it marks the widget of a key path
/// the engine names.
#include <QColor>
#include <QString>
#include <QWidget>
#include <nlohmann/json.hpp>

#include "ridgeline/experiment/spec.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QSpinBox;
class QTableWidget;
class QToolButton;

namespace ridgeline::gui {

class ModelsTable;
class StepsEditor;

/// The background of a field or table cell an error names.
QColor errorTint();

/// Marks `w` as the field an error names: a red frame, and the message in front of its
/// tooltip. An empty message removes the mark and restores the tooltip.
void markField(QWidget* w, const QString& message);

/// The JSON value of a number field: the number when `text` is a finite one, else the text
/// itself, so that the engine's message names the key ("train.lr: expected number, got string").
nlohmann::json numberOrText(const QString& text);
/// The same for unsigned integers (seeds).
nlohmann::json unsignedOrText(const QString& text);
/// The shortest text that reads back as `v` ("0.001", "1e-8").
QString numberText(double v);

/// Field factories: the objectName is the field's key path, the tooltip says what it means.
QSpinBox* makeSpin(const char* key, int lo, int hi, const QString& tip);
QLineEdit* makeLine(const char* key, const QString& tip, const QString& placeholder = {});
QComboBox* makeCombo(const char* key, const QStringList& items, const QString& tip);
/// A line edit that takes digits only (seeds: unsigned 64-bit, beyond a QSpinBox's range).
QLineEdit* makeSeedLine(const char* key, const QString& tip);

/// Sets the height of a table in a scrolled form to show its rows: at least `min_rows`, at
/// most `max_rows` (then it scrolls).
void fitTableHeight(QTableWidget* table, int min_rows, int max_rows);

/// Spin boxes and combo boxes of a scrolled form take the wheel only when they have focus, so
/// that scrolling the form never changes a value by accident.
void guardWheel(QWidget* w);

/// The form: experiment, data, architecture, training recipe, models and steps. Every field's
/// objectName is its key path in the spec ("train.lr", "model.arch", "data.train_subset"); the
/// steps' detail fields are "step.<key>".
class ExperimentForm : public QWidget {
  Q_OBJECT

 public:
  explicit ExperimentForm(QWidget* parent = nullptr);

  /// Shows `spec` (every value, defaults included). Emits no edited().
  void setSpec(const ExperimentSpec& spec);
  /// The document the widgets describe, valid or not.
  nlohmann::json toJson() const;

  /// Marks the field of an engine key path ("train.lr", "models[1].name", "steps[2].a",
  /// "data"). Returns false when no field shows that key.
  bool markError(const QString& key_path, const QString& message);
  void clearErrors();

 signals:
  /// The user changed a field.
  void edited();

 private:
  QWidget* buildExperiment();
  QWidget* buildData();
  QWidget* buildArch();
  QWidget* buildTrain();
  void onChanged();
  void updateDependents();
  void setDataName(const std::string& name);
  std::string dataName() const;
  std::string archText() const;
  QWidget* fieldForKey(const QString& key) const;

  int loading_ = 0;
  QWidget* marked_ = nullptr;

  QLineEdit* name_ = nullptr;
  QPlainTextEdit* description_ = nullptr;

  QComboBox* data_kind_ = nullptr;
  QWidget* gmm_box_ = nullptr;
  QSpinBox *gmm_train_ = nullptr, *gmm_test_ = nullptr, *gmm_dim_ = nullptr,
           *gmm_classes_ = nullptr, *gmm_seed_ = nullptr;
  QWidget* idx_box_ = nullptr;
  QLineEdit* idx_dir_ = nullptr;
  QToolButton* idx_browse_ = nullptr;
  QLabel* fmnist_note_ = nullptr;
  QSpinBox *train_subset_ = nullptr, *test_subset_ = nullptr;
  QLineEdit* subset_seed_ = nullptr;
  QCheckBox* standardize_ = nullptr;

  QLineEdit* widths_ = nullptr;
  QComboBox* activation_ = nullptr;
  QCheckBox* layernorm_ = nullptr;
  QLabel* arch_note_ = nullptr;

  QComboBox *optimizer_ = nullptr, *schedule_ = nullptr;
  QLineEdit *lr_ = nullptr, *momentum_ = nullptr, *weight_decay_ = nullptr, *beta1_ = nullptr,
            *beta2_ = nullptr, *eps_ = nullptr, *warmup_ = nullptr, *step_gamma_ = nullptr;
  QSpinBox *batch_ = nullptr, *epochs_ = nullptr, *step_every_ = nullptr,
           *checkpoint_every_ = nullptr, *checkpoint_every_steps_ = nullptr;

  ModelsTable* models_ = nullptr;
  StepsEditor* steps_ = nullptr;
};

}  // namespace ridgeline::gui
