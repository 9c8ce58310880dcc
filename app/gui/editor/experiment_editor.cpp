// The experiment editor: layout (form and JSON as tabs when narrow, side by side when wide),
// toolbar actions and spec files. Validation and sync are in gui_experiment_editor_sync.cpp.
#include "gui/editor/experiment_editor.h"

#include <QAction>
#include <QCoreApplication>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QLabel>
#include <QMenu>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QResizeEvent>
#include <QScrollArea>
#include <QSplitter>
#include <QStackedWidget>
#include <QStyle>
#include <QTabWidget>
#include <QTimer>
#include <QToolBar>
#include <QToolButton>
#include <QVBoxLayout>

#include "gui/editor/experiment_editor_form.h"
#include "gui/editor/experiment_editor_json.h"
#include "ridgeline/io/fileio.h"

namespace ridgeline::gui {

namespace {

// The document a new editor starts with: two small MLPs on Fashion-MNIST and their path.
const char* kStartSpec = R"({
  "name": "untitled",
  "data": {"name": "fashion-mnist"},
  "model": {"arch": "mlp:784,512,10"},
  "models": [{"name": "seed0", "seed": 0}, {"name": "seed1", "seed": 1}],
  "steps": [{"type": "interpolate", "a": "seed0", "b": "seed1"}]
})";

// Wide enough for the form and the JSON side by side; the gap avoids flapping at the edge.
constexpr int kSideBySideFrom = 1000;
constexpr int kTabsBelow = 940;

}  // namespace

ExperimentEditor::ExperimentEditor(QWidget* parent) : QWidget(parent) {
  debounce_ = new QTimer(this);
  debounce_->setSingleShot(true);
  debounce_->setInterval(200);
  connect(debounce_, &QTimer::timeout, this, &ExperimentEditor::validateNow);
  buildActions();
  buildLayout();
  connect(form_, &ExperimentForm::edited, this, &ExperimentEditor::onFormEdited);
  connect(json_, &QPlainTextEdit::textChanged, this, &ExperimentEditor::onJsonEdited);
  showDocument(parse_spec(kStartSpec, "untitled"), "untitled", {}, {});
}

ExperimentEditor::~ExperimentEditor() = default;

void ExperimentEditor::buildActions() {
  QStyle* st = style();
  examples_button_ = new QToolButton;
  examples_button_->setObjectName("newFromExample");
  examples_button_->setText("New from example ▾");
  examples_button_->setToolButtonStyle(Qt::ToolButtonTextOnly);
  examples_button_->setPopupMode(QToolButton::InstantPopup);
  examples_button_->setStyleSheet("QToolButton::menu-indicator { image: none; width: 0; }");
  examples_button_->setToolTip("Start a new experiment from one of the bundled examples");
  auto* menu = new QMenu(examples_button_);
  menu->setToolTipsVisible(true);
  examples_button_->setMenu(menu);
  connect(menu, &QMenu::aboutToShow, this, &ExperimentEditor::rebuildExamplesMenu);

  act_open_ = new QAction("Open…", this);
  act_open_->setToolTip("Open an experiment spec (JSON)");
  connect(act_open_, &QAction::triggered, this, &ExperimentEditor::onOpen);
  act_save_ = new QAction("Save", this);
  act_save_->setShortcut(QKeySequence::Save);
  act_save_->setShortcutContext(Qt::WidgetWithChildrenShortcut);
  act_save_->setToolTip("Save the spec to its file (Ctrl+S); asks for a name for a new one");
  connect(act_save_, &QAction::triggered, this, &ExperimentEditor::onSave);
  act_save_as_ = new QAction("Save As…", this);
  act_save_as_->setToolTip("Save the spec to a new file");
  connect(act_save_as_, &QAction::triggered, this, &ExperimentEditor::onSaveAs);
  act_run_ = new QAction(st->standardIcon(QStyle::SP_MediaPlay), "Run", this);
  act_run_->setToolTip("Run this experiment (enabled while the spec is valid)");
  connect(act_run_, &QAction::triggered, this, &ExperimentEditor::onRun);
  addAction(act_save_);  // for the shortcut while the focus is inside the editor
}

void ExperimentEditor::buildLayout() {
  toolbar_ = new QToolBar;
  toolbar_->setObjectName("editorToolbar");
  toolbar_->setIconSize(QSize(16, 16));
  toolbar_->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
  toolbar_->addWidget(examples_button_);
  toolbar_->addAction(act_open_);
  toolbar_->addAction(act_save_);
  toolbar_->addAction(act_save_as_);
  auto* spacer = new QWidget;
  spacer->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
  toolbar_->addWidget(spacer);
  toolbar_->addAction(act_run_);
  const std::pair<QAction*, const char*> names[] = {
      {act_open_, "open"}, {act_save_, "save"}, {act_save_as_, "saveAs"}, {act_run_, "run"}};
  for (const auto& [a, name] : names) toolbar_->widgetForAction(a)->setObjectName(name);
  if (auto* run = toolbar_->widgetForAction(act_run_)) {
    QFont f = run->font();
    f.setBold(true);
    run->setFont(f);
  }

  file_label_ = new QLabel;
  file_label_->setObjectName("fileLabel");
  file_label_->setTextFormat(Qt::RichText);
  file_label_->setContentsMargins(6, 0, 6, 2);
  file_label_->setWordWrap(true);

  form_ = new ExperimentForm;
  form_scroll_ = new QScrollArea;
  form_scroll_->setObjectName("formScroll");
  form_scroll_->setWidget(form_);
  form_scroll_->setWidgetResizable(true);
  form_scroll_->setFrameShape(QFrame::NoFrame);
  form_scroll_->setHorizontalScrollBarPolicy(Qt::ScrollBarAsNeeded);

  json_ = new QPlainTextEdit;
  json_->setObjectName("json");
  json_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
  json_->setLineWrapMode(QPlainTextEdit::WidgetWidth);
  json_->setTabChangesFocus(false);
  json_->setTabStopDistance(json_->fontMetrics().horizontalAdvance(' ') * 2);
  json_->setToolTip(
      "The spec as JSON, every default filled in. Edit it freely: when it parses, "
      "the form follows; when not, the message below says why");
  new JsonHighlighter(json_->document());
  json_panel_ = new QWidget;
  json_panel_->setObjectName("jsonPanel");
  auto* jl = new QVBoxLayout(json_panel_);
  jl->setContentsMargins(0, 0, 0, 0);
  auto* caption = new QLabel(
      "Experiment spec (JSON) — what Save writes and "
      "<tt>ridgeline run</tt> reads");
  caption->setStyleSheet("color: gray;");
  caption->setContentsMargins(4, 2, 4, 2);
  caption->setWordWrap(true);
  caption->setToolTip(json_->toolTip());
  jl->addWidget(caption);
  jl->addWidget(json_, 1);

  tabs_ = new QTabWidget;
  tabs_->setObjectName("editorTabs");
  tabs_->setDocumentMode(true);
  splitter_ = new QSplitter(Qt::Horizontal);
  splitter_->setObjectName("editorSplitter");
  splitter_->setChildrenCollapsible(false);
  stack_ = new QStackedWidget;
  stack_->addWidget(tabs_);
  stack_->addWidget(splitter_);

  message_label_ = new QLabel;
  message_label_->setObjectName("validation");
  message_label_->setWordWrap(true);
  message_label_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  message_label_->setContentsMargins(6, 3, 6, 3);
  message_label_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Minimum);
  message_label_->setToolTip("The engine's verdict on the spec (parse_spec), after every edit");

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->setSpacing(2);
  layout->addWidget(toolbar_);
  layout->addWidget(file_label_);
  layout->addWidget(stack_, 1);
  layout->addWidget(message_label_);
  setSideBySide(false);
}

void ExperimentEditor::setSideBySide(bool wide) {
  side_by_side_ = wide;
  if (wide) {
    splitter_->addWidget(form_scroll_);
    splitter_->addWidget(json_panel_);
    form_scroll_->show();
    json_panel_->show();
    const int w = std::max(width(), kSideBySideFrom);
    splitter_->setSizes({w * 11 / 20, w * 9 / 20});
    stack_->setCurrentWidget(splitter_);
  } else {
    tabs_->addTab(form_scroll_, "Form");
    tabs_->addTab(json_panel_, "JSON");
    tabs_->setTabToolTip(0, "The spec as a form");
    tabs_->setTabToolTip(1, "The spec as JSON text, kept in sync with the form");
    stack_->setCurrentWidget(tabs_);
  }
}

void ExperimentEditor::resizeEvent(QResizeEvent* event) {
  QWidget::resizeEvent(event);
  const int w = event->size().width();
  if (!side_by_side_ && w >= kSideBySideFrom)
    setSideBySide(true);
  else if (side_by_side_ && w < kTabsBelow)
    setSideBySide(false);
}

QWidget* ExperimentEditor::field(const QString& object_name) const {
  return findChild<QWidget*>(object_name);
}

namespace {
/// The bundled *.json of resources/<folder>: next to the executable (installed or in the build
/// tree) or in the source tree; sorted.
QStringList bundled_files(const QString& folder) {
  const QString exe = QCoreApplication::applicationDirPath();
  const QStringList dirs = {exe + "/../share/ridgeline/" + folder,
                            exe + "/../resources/" + folder, exe + "/../../resources/" + folder,
                            QStringLiteral(RIDGELINE_SOURCE_DIR "/resources/") + folder};
  for (const QString& d : dirs) {
    const QDir dir(d);
    const QStringList names = dir.entryList({"*.json"}, QDir::Files, QDir::Name);
    if (names.isEmpty()) continue;
    QStringList out;
    for (const QString& n : names) out << QFileInfo(dir.filePath(n)).canonicalFilePath();
    return out;
  }
  return {};
}
}  // namespace

QStringList ExperimentEditor::exampleFiles() { return bundled_files("experiments"); }

QStringList ExperimentEditor::exampleStudies() { return bundled_files("studies"); }

void ExperimentEditor::rebuildExamplesMenu() {
  QMenu* menu = examples_button_->menu();
  menu->clear();
  const QStringList files = exampleFiles(), studies = exampleStudies();
  if (files.isEmpty() && studies.isEmpty())
    menu->addAction("No bundled examples found")->setEnabled(false);
  for (const QStringList* list : {&files, &studies}) {
    if (list == &studies && !studies.isEmpty()) menu->addSection("Studies (sweeps)");
    for (const QString& path : *list) {
      QString title = QFileInfo(path).completeBaseName(), tip = path;
      try {
        const ExperimentSpec s = list == &studies ? load_study(path.toStdString()).base
                                                  : load_spec(path.toStdString());
        tip = QString::fromStdString(s.description);
      } catch (const std::exception& e) {
        tip = QString::fromStdString(e.what());
      }
      QAction* a = menu->addAction(title, this, [this, path] {
        if (!confirmDiscard()) return;
        QString error;
        if (!newFromExample(path, &error)) report("Cannot open the example", error);
      });
      a->setToolTip(tip);
    }
  }
}

bool ExperimentEditor::confirmDiscard() {
  if (!modified_ || !interactive_) return true;
  const auto answer = QMessageBox::question(
      this, "Discard changes?", "The experiment has unsaved changes. Discard them?",
      QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Cancel);
  return answer == QMessageBox::Discard;
}

void ExperimentEditor::onOpen() {
  if (!confirmDiscard()) return;
  QString dir = file_path_.isEmpty() ? QString() : QFileInfo(file_path_).path();
  if (dir.isEmpty() && !exampleFiles().isEmpty()) dir = QFileInfo(exampleFiles().first()).path();
  const QString path = QFileDialog::getOpenFileName(this, "Open experiment spec", dir,
                                                    "Experiment specs (*.json);;All files (*)");
  if (path.isEmpty()) return;
  QString error;
  if (!loadFile(path, &error)) offerRepair(path, error);
}

bool ExperimentEditor::onSave() {
  if (file_path_.isEmpty()) return onSaveAs();
  QString error;
  if (saveFile(file_path_, &error)) return true;
  report("Cannot save the spec", error);
  return false;
}

bool ExperimentEditor::onSaveAs() {
  validateNow();
  if (!valid_) {
    report("Cannot save the spec", "Not saved: the spec is invalid: " + message_);
    return false;
  }
  QString name = QString::fromStdString(spec()->name) + ".json";
  QString dir = file_path_.isEmpty() ? QDir::homePath() : QFileInfo(file_path_).path();
  QString path = QFileDialog::getSaveFileName(this, "Save experiment spec", dir + "/" + name,
                                              "Experiment specs (*.json)");
  if (path.isEmpty()) return false;
  if (QFileInfo(path).suffix().isEmpty()) path += ".json";
  QString error;
  if (saveFile(path, &error)) return true;
  report("Cannot save the spec", error);
  return false;
}

void ExperimentEditor::onRun() {
  validateNow();
  if (valid_) emit runRequested();
}

bool ExperimentEditor::offerRepair(const QString& path, const QString& error) {
  if (!interactive_) return false;
  if (!QFileInfo(path).isReadable()) {
    report("Cannot open the spec", error);
    return false;
  }
  const auto answer = QMessageBox::question(
      this, "The spec is not valid", error + "\n\nOpen it in the editor to fix it?",
      QMessageBox::Open | QMessageBox::Cancel, QMessageBox::Open);
  if (answer != QMessageBox::Open) return false;
  QString why;
  if (openForRepair(path, &why)) return true;
  report("Cannot open the spec", why);
  return false;
}

void ExperimentEditor::report(const QString& title, const QString& message) {
  if (!interactive_) return;
  auto* box = new QMessageBox(QMessageBox::Warning, title, message, QMessageBox::Ok, this);
  box->setAttribute(Qt::WA_DeleteOnClose);
  box->open();
}

void ExperimentEditor::updateFileLabel() {
  // The folder goes to the tooltip: a long path would make a docked editor wider.
  QString text;
  if (!file_path_.isEmpty())
    text = "<b>" + QFileInfo(file_path_).fileName().toHtmlEscaped() + "</b>";
  else if (!run_spec_.isEmpty())
    text = "<b>experiment.json</b> <span style='color:gray'>of run " +
           QFileInfo(QFileInfo(run_spec_).absolutePath()).fileName().toHtmlEscaped() + "</span>";
  else if (!example_.isEmpty())
    text = "<b>New experiment</b> <span style='color:gray'>from " + example_.toHtmlEscaped() +
           ", not saved yet</span>";
  else
    text = "<b>New experiment</b> <span style='color:gray'>not saved yet</span>";
  if (modified_) text += " <span style='color:#b26a00'>● modified</span>";
  file_label_->setText(text);
  file_label_->setToolTip(
      !file_path_.isEmpty()  ? QDir::toNativeSeparators(file_path_)
      : !run_spec_.isEmpty() ? QDir::toNativeSeparators(run_spec_) +
                                   "\nThe run's resolved spec; Save asks for a new file (the run "
                                   "folder keeps its own)"
                             : QString("Save asks for a file name"));
}

}  // namespace ridgeline::gui
