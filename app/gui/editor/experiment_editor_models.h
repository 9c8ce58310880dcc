#pragma once
/// @file gui_experiment_editor_models.h
/// Internal to the experiment editor: the models table (name, seed).
#include <QStringList>
#include <QWidget>
#include <nlohmann/json.hpp>

class QTableWidget;
class QToolButton;

namespace ridgeline::gui {

/// The models to train: one row per model, its name and seed ("models" in the spec).
class ModelsTable : public QWidget {
  Q_OBJECT

 public:
  explicit ModelsTable(QWidget* parent = nullptr);
  /// Shows the spec's "models" array. Emits no edited().
  void setModels(const nlohmann::json& models);
  nlohmann::json toJson() const;
  QStringList names() const;
  QTableWidget* table() const { return table_; }
  /// Marks a cell (column 0 name, 1 seed), a row (column −1) or, for row −1, the table.
  void markError(int row, int column, const QString& message);
  void clearErrors();

 signals:
  void edited();
  /// A model's name was edited from `from` to `to`, no other model has `to` and none has
  /// `from` any more (emitted before edited()).
  void renamed(const QString& from, const QString& to);

 private:
  void addModel();
  void removeSelected();
  void updateControls();
  /// Remembers each name cell's text, to tell renames from other edits.
  void rememberNames();
  /// Points every spawn of `from` ("from@epoch2") at `to` after a clean rename.
  void renameSpawnSources(const QString& from, const QString& to);

  int loading_ = 0;
  QTableWidget* table_ = nullptr;
  QToolButton *add_ = nullptr, *remove_ = nullptr;
};

}  // namespace ridgeline::gui
