#pragma once
/// @file gui_experiment_editor_steps.h
/// Internal to the experiment editor: the analysis steps, a list to add, remove and reorder,
/// and the selected step's fields below it.
#include <QPointer>
#include <QStringList>
#include <QWidget>
#include <nlohmann/json.hpp>
#include <vector>

class QComboBox;
class QCheckBox;
class QFormLayout;
class QGroupBox;
class QLineEdit;
class QSpinBox;
class QTableWidget;
class QToolButton;

namespace ridgeline::gui {

/// A string value of a step's JSON object ("" when absent or not a string).
QString stepString(const nlohmann::json& step, const char* key);
/// A step of a registered `type` with the engine's defaults, its id left automatic.
nlohmann::json defaultStep(const std::string& type);
/// A number of a step's JSON object as the form shows it ("0.01", "3"; "" when absent).
QString stepNumber(const nlohmann::json& value);

/// The analysis steps. Each step is kept as its JSON object, so that values a step's type
/// does not use survive editing; the fields shown are those of the step's type and method.
class StepsEditor : public QWidget {
  Q_OBJECT

 public:
  explicit StepsEditor(QWidget* parent = nullptr);
  /// Shows the spec's "steps" array, keeping the selected row where it still exists.
  void setSteps(const nlohmann::json& steps);
  nlohmann::json toJson() const;
  /// Names offered for a and b: the trained models (earlier steps' outputs are added).
  void setModelNames(const QStringList& names);
  /// A model was renamed: every step's a, b and merge models naming `from` (or an alignment of
  /// it, "from@wm") now name `to`. Emits edited() when a step changed.
  void renameModel(const QString& from, const QString& to);
  QTableWidget* table() const { return table_; }
  void selectStep(int row);
  int currentStep() const { return current_; }
  /// Marks step `row` in the list and, while it is selected, the field of `key` ("a",
  /// "models", "lr"; empty: the step as a whole).
  void markError(int row, const QString& key, const QString& message);
  void clearErrors();

 signals:
  void edited();

 private:
  QWidget* buildDetail();
  void addStep(const QString& type);
  void removeCurrent();
  void moveCurrent(int delta);
  void onSelection();
  void showDetail();
  void updateVisibility();
  void refreshRow(int row);
  void refreshSuggestions();
  void applyMarks();
  void fieldEdited(const char* key, const nlohmann::json& value);
  QStringList availableBefore(int row) const;
  /// interpolate, align and merge have a hand-made form; every other kind's keys get fields
  /// generated from its schema fragment (experiment_editor_generic_fields.cpp).
  static bool hasHandMadeForm(const QString& type);
  static bool fragmentHas(const QString& type, const char* key);
  void buildGenericFields();

  int loading_ = 0;
  int current_ = -1;
  std::vector<nlohmann::json> rows_;
  QStringList model_names_;
  int error_row_ = -1;
  QString error_key_, error_message_;
  /// The field an error marks; a QPointer because generated fields are deleted when another
  /// step is selected.
  QPointer<QWidget> marked_;

  QTableWidget* table_ = nullptr;
  QToolButton *add_ = nullptr, *remove_ = nullptr, *up_ = nullptr, *down_ = nullptr;
  QGroupBox* detail_ = nullptr;
  QFormLayout* form_ = nullptr;
  QComboBox *type_ = nullptr, *a_ = nullptr, *b_ = nullptr, *method_ = nullptr, *split_ = nullptr;
  QLineEdit *id_ = nullptr, *models_ = nullptr, *seed_ = nullptr, *lr_ = nullptr;
  QSpinBox *points_ = nullptr, *samples_ = nullptr, *max_sweeps_ = nullptr, *epochs_ = nullptr;
  QCheckBox* repair_ = nullptr;
  QWidget* generic_ = nullptr;  ///< the generated fields of a kind without a hand-made form
  QFormLayout* generic_form_ = nullptr;
  QString generic_built_for_;
};

}  // namespace ridgeline::gui
