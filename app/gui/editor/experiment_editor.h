#pragma once
/// @file gui_experiment_editor.h
/// The experiment editor: a form over an experiment spec (ridgeline/spec.h) and its JSON text,
/// kept in sync both ways, validated by the engine's parse_spec after every edit, with open,
/// save and "new from example" of spec files and a Run button.
///
/// Sync: the last edited side (form or JSON) is the document. A form edit rewrites the JSON
/// view after ~200 ms (spec_to_json of the form when valid, the form's raw document when not);
/// a JSON edit that parses updates the form, one that does not leaves the form as it is. Either
/// way the engine's one-line message shows under the editor and the field of the key path it
/// names is marked (a red tint and the message in its tooltip).
#include <QString>
#include <QStringList>
#include <QWidget>
#include <optional>

#include "ridgeline/experiment/spec.h"
#include "ridgeline/experiment/study.h"

class QAction;
class QLabel;
class QPlainTextEdit;
class QScrollArea;
class QSplitter;
class QStackedWidget;
class QTabWidget;
class QTimer;
class QToolBar;
class QToolButton;

namespace ridgeline::gui {

class ExperimentForm;

class ExperimentEditor : public QWidget {
  Q_OBJECT

 public:
  explicit ExperimentEditor(QWidget* parent = nullptr);
  ~ExperimentEditor() override;

  /// Shows `spec` as a new, unmodified document with no file (Save asks for a name). `source`
  /// starts the validation messages ("source: train.lr: …"), e.g. where the spec came from.
  void setSpec(const ExperimentSpec& spec, const QString& source);
  /// The current document as a spec, or nullopt with the engine's message in `error`. Pending
  /// (debounced) edits count: this parses the side last edited.
  std::optional<ExperimentSpec> spec(QString* error = nullptr) const;
  /// Whether the document is a study: a spec with a top-level "sweep" (docs/USER_GUIDE.md,
  /// "Studies"). The form edits its base spec; the sweep is edited in the JSON view and kept
  /// as it is through form edits.
  bool isStudy() const;
  /// The document as a study, or nullopt with the engine's message (also when it is none).
  std::optional<StudySpec> study(QString* error = nullptr) const;
  /// Whether the last validation passed, and its message (the engine's error, or "valid").
  bool isValid() const { return valid_; }
  QString message() const { return message_; }

  /// Shows the resolved spec of the run folder `run_dir` (its experiment.json) as a document
  /// with no file: the title names the run's experiment.json; Save asks for a new name, so the
  /// run folder keeps its own record.
  void showRunSpec(const ExperimentSpec& spec, const QString& run_dir);
  /// The experiment.json of the run shown by showRunSpec (empty otherwise).
  QString runSpecPath() const { return run_spec_; }
  /// Reads and validates a spec file; on success shows it with filePath() = `path`. On an
  /// unreadable or invalid file returns false with the engine's message and changes nothing.
  bool loadFile(const QString& path, QString* error = nullptr);
  /// Opens a spec file the engine rejects, to fix it: its text goes into the JSON view as it
  /// is (the form keeps its values until the text parses), filePath() = `path`, and the
  /// message names the problem. False only when the file cannot be read.
  bool openForRepair(const QString& path, QString* error = nullptr);
  /// After loadFile(`path`) failed with `error`: interactively, a readable file is offered for
  /// repair (openForRepair); otherwise the error is reported. True when it was opened.
  bool offerRepair(const QString& path, const QString& error);
  /// Writes the current spec (spec_to_json) to `path` atomically; then filePath() = `path`
  /// and the document is unmodified. False with the reason when the spec is invalid or the
  /// file cannot be written.
  bool saveFile(const QString& path, QString* error = nullptr);
  /// The file of the document; empty for a new one.
  QString filePath() const { return file_path_; }
  bool isModified() const { return modified_; }

  /// The bundled example specs (resources/experiments/*.json), from ../share/ridgeline/
  /// experiments next to the executable, resources/ above it, or the source tree; sorted.
  static QStringList exampleFiles();
  /// The bundled example studies (resources/studies/*.json), found like exampleFiles().
  static QStringList exampleStudies();
  /// Loads an example as a new document: like loadFile, but filePath() stays empty so that
  /// Save asks for a new name.
  bool newFromExample(const QString& path, QString* error = nullptr);

  /// Runs the pending debounced validation and sync now (tests; before a run).
  void validateNow();
  /// When false, failures go to the message line only: no dialogs (tests, screenshots).
  void setInteractive(bool interactive) { interactive_ = interactive; }

  // For tests and the window that hosts the editor.
  QPlainTextEdit* jsonEdit() const { return json_; }
  /// A widget by objectName. Form fields are named by their key path: "name", "description",
  /// "data.name" (kind), "data.gmm.{n_train,n_test,dim,classes,seed}", "data.idx_folder",
  /// "data.train_subset", "data.test_subset", "data.subset_seed", "data.standardize",
  /// "model.arch" (widths), "model.activation", "model.layernorm", "train.<key>" for every
  /// TrainConfig key of the schema, "models.table", "models.add", "models.remove",
  /// "steps.table", "steps.add" (menu), "steps.remove", "steps.up", "steps.down", and the
  /// selected step's "step.<key>". Toolbar: "newFromExample", "open", "save", "saveAs", "run";
  /// "fileLabel", "validation" (the message line), "formScroll", "editorTabs".
  QWidget* field(const QString& object_name) const;
  ExperimentForm* form() const { return form_; }
  QLabel* messageLabel() const { return message_label_; }
  QAction* runAction() const { return act_run_; }
  QAction* saveAction() const { return act_save_; }
  QAction* saveAsAction() const { return act_save_as_; }
  QAction* openAction() const { return act_open_; }
  /// True when form and JSON sit side by side (wide), false when they are tabs (narrow).
  bool isSideBySide() const { return side_by_side_; }

  /// Empty, or the one line saying why the form is off ("the form edits MLP specs only ...").
  QString formNote() const { return form_note_; }

 signals:
  /// After a validation whose outcome or message differs from the previous one.
  void validityChanged(bool valid, const QString& message);
  void modifiedChanged(bool modified);
  void filePathChanged(const QString& path);
  /// The Run button: the document is valid; read it with spec().
  void runRequested();

 protected:
  void resizeEvent(QResizeEvent* event) override;

 private:
  enum class Origin { Form, Json };

  void buildActions();
  void buildLayout();
  void setSideBySide(bool wide);
  void rebuildExamplesMenu();
  /// Shows a spec (or, with `study`, a study whose base is `spec`) as the document.
  void showDocument(const ExperimentSpec& spec, const QString& source, const QString& path,
                    const QString& example, const StudySpec* study = nullptr);
  /// Reads a spec or study file and shows it (loadFile, newFromExample).
  bool loadDocument(const QString& path, const QString& source, const QString& file,
                    const QString& example, QString* error);
  /// Fills the form from `spec` when it can represent it (an MLP model); otherwise disables
  /// the form, shows the JSON view and keeps formNote(). Returns whether the form shows it.
  bool showInForm(const ExperimentSpec& spec);
  void onFormEdited();
  void onJsonEdited();
  void setModified(bool modified);
  void setMessage(bool valid, const QString& message);
  void markKeyPath(const QString& message);
  void updateFileLabel();
  std::string currentText() const;
  bool confirmDiscard();
  void onOpen();
  bool onSave();
  bool onSaveAs();
  void onRun();
  void report(const QString& title, const QString& message);

  ExperimentForm* form_ = nullptr;
  QScrollArea* form_scroll_ = nullptr;
  QWidget* json_panel_ = nullptr;
  QPlainTextEdit* json_ = nullptr;
  QStackedWidget* stack_ = nullptr;
  QTabWidget* tabs_ = nullptr;
  QSplitter* splitter_ = nullptr;
  QToolBar* toolbar_ = nullptr;
  QToolButton* examples_button_ = nullptr;
  QLabel* file_label_ = nullptr;
  QLabel* message_label_ = nullptr;
  QTimer* debounce_ = nullptr;
  QAction *act_open_ = nullptr, *act_save_ = nullptr, *act_save_as_ = nullptr, *act_run_ = nullptr;

  Origin origin_ = Origin::Form;
  int syncing_ = 0;  ///< > 0 while the editor itself writes into the form or the JSON view
  bool side_by_side_ = false;
  bool interactive_ = true;
  bool valid_ = false;
  bool modified_ = false;
  bool validated_once_ = false;
  QString message_;
  QString source_ = "untitled";
  QString file_path_;
  QString example_;  ///< the example a new document came from
  QString run_spec_;  ///< the run folder's experiment.json shown (showRunSpec)
  QString form_note_;  ///< why the form is off (a model kind it cannot edit); empty when on
  /// The study's "sweep" object as JSON text while the document is a study (kept through
  /// form edits); empty otherwise.
  std::string sweep_json_;
};

}  // namespace ridgeline::gui
