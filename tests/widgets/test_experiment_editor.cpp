// The experiment editor: the bundled examples round-trip through the form, form and JSON view
// follow each other, the engine's validation messages reach the field they name, files save
// atomically, and the layout fits a dock and a large window.
#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFileInfo>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPlainTextEdit>
#include <QScrollArea>
#include <QScrollBar>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTabWidget>
#include <QTableWidget>
#include <QToolButton>
#include <QtTest>
#include "ridgeline/experiment/steps/landscape_step.h"
#include "ridgeline/experiment/steps/layerwise_step.h"
#include <fstream>

#include "gui/editor/experiment_editor.h"
#include "gui/editor/experiment_editor_models.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/experiment/spec.h"
#include "ridgeline/experiment/steps/align_step.h"
#include "ridgeline/experiment/steps/interpolate_step.h"
#include "ridgeline/experiment/steps/merge_step.h"
#include "ridgeline/experiment/study.h"
#include "test_support.h"

using namespace ridgeline;
using ridgeline::gui::ExperimentEditor;

namespace {

const char* kTinySpec = R"({
  "name": "tiny-editor",
  "description": "every field off its default",
  "data": {"name": "gmm:600,200,8,3,7", "train_subset": 300, "test_subset": 150,
           "subset_seed": 9, "standardize": true},
  "model": {"arch": "mlp:8,16,3", "activation": "gelu", "layernorm": true},
  "train": {"optimizer": "sgd", "lr": 0.05, "momentum": 0.8, "weight_decay": 1e-4,
            "beta1": 0.85, "beta2": 0.99, "eps": 1e-7, "batch": 32, "epochs": 2,
            "schedule": "triangular", "warmup_epochs": 1.5, "step_every": 3,
            "step_gamma": 0.5, "checkpoint_every": 1},
  "models": [{"name": "seed0", "seed": 0}, {"name": "seed1", "seed": 18446744073709551615}],
  "steps": [{"type": "align", "a": "seed0", "b": "seed1", "method": "ste", "lr": 0.02,
             "epochs": 2, "seed": 3, "max_sweeps": 50},
            {"type": "interpolate", "id": "aligned", "a": "seed0", "b": "seed1@ste",
             "points": 5, "split": "test", "repair": true, "samples": 100},
            {"type": "merge", "id": "soup", "models": ["seed0", "seed1"], "max_sweeps": 7}]
})";

template <typename T>
T* fieldOf(const ExperimentEditor& e, const QString& name) {
  T* w = qobject_cast<T*>(e.field(name));
  if (!w) qFatal("no field %s", qPrintable(name));
  return w;
}

std::string textOf(const ExperimentEditor& e) {
  QString why;
  const auto s = e.spec(&why);
  if (!s) qFatal("invalid spec: %s", qPrintable(why));
  return spec_to_json(*s);
}

ExperimentSpec jsonViewSpec(const ExperimentEditor& e) {
  return parse_spec(e.jsonEdit()->toPlainText().toStdString(), "view");
}

}  // namespace

class TestExperimentEditor : public QObject {
  Q_OBJECT

 private slots:
  void examplesRoundTripThroughTheForm();
  void renamingAModelRenamesItsSteps();
  void renamingAParentRenamesItsSpawns();
  void studiesAreEditedWithTheirSweep();
  void invalidFileOpensForRepair();
  void formEditsReachTheJson();
  void stepsAreAddedReorderedRemoved();
  void changingAStepsTypeKeepsItsKeysApart();
  void jsonEditsReachTheForm();
  void invalidValuesNameTheirKey();
  void saveAndReload();
  void newFromExampleHasNoFile();
  void runNeedsAValidSpec();
  void layoutFitsDockAndWindow();
  void modelsTableKeepsEveryKind();
  void generatedFieldsFollowTheSchema();
};

void TestExperimentEditor::examplesRoundTripThroughTheForm() {
  const QStringList files = ExperimentEditor::exampleFiles();
  const QStringList expected =
      QDir(test::source_path("resources/experiments").c_str()).entryList({"*.json"}, QDir::Files);
  QCOMPARE(files.size(), expected.size());
  QVERIFY(files.size() >= 3);
  ExperimentEditor e;
  e.setInteractive(false);
  for (const QString& f : files) {
    QString why;
    QVERIFY2(e.loadFile(f, &why), qPrintable(why));
    const std::string want = spec_to_json(load_spec(f.toStdString()));
    QCOMPARE(textOf(e), want);  // the form's document, parsed
    QCOMPARE(e.jsonEdit()->toPlainText().toStdString(), want);
    QVERIFY2(e.isValid(), qPrintable(e.message()));
    QCOMPARE(e.filePath(), QFileInfo(f).absoluteFilePath());
    QVERIFY(!e.isModified());
  }
  // Every field off its default: SGD, triangular schedule, LayerNorm + GELU, a 64-bit seed,
  // ste / repair / merge steps.
  const ExperimentSpec tiny = parse_spec(kTinySpec, "tiny.json");
  e.setSpec(tiny, "tiny.json");
  QCOMPARE(textOf(e), spec_to_json(tiny));
  QCOMPARE(fieldOf<QComboBox>(e, "data.name")->currentIndex(), 1);  // gmm
  QCOMPARE(fieldOf<QSpinBox>(e, "data.gmm.dim")->value(), 8);
  QCOMPARE(fieldOf<QLineEdit>(e, "train.eps")->text(), QString("1e-7"));
  QCOMPARE(fieldOf<QLineEdit>(e, "train.weight_decay")->text(), QString("1e-4"));
  QCOMPARE(fieldOf<QLineEdit>(e, "data.subset_seed")->text(), QString("9"));
  QCOMPARE(fieldOf<QTableWidget>(e, "models.table")->item(1, 1)->text(),
           QString("18446744073709551615"));
  QVERIFY(e.filePath().isEmpty());
}

void TestExperimentEditor::formEditsReachTheJson() {
  ExperimentEditor e;
  QVERIFY(e.loadFile(ExperimentEditor::exampleFiles().first()));
  QSignalSpy modified(&e, &ExperimentEditor::modifiedChanged);
  fieldOf<QSpinBox>(e, "train.epochs")->setValue(7);
  fieldOf<QLineEdit>(e, "train.lr")->setText("0.0005");
  QCOMPARE(modified.count(), 1);
  QVERIFY(e.isModified());
  // spec() sees the pending edit at once; the JSON view follows after the debounce.
  QCOMPARE(e.spec()->train.epochs, 7);
  QCOMPARE(jsonViewSpec(e).train.epochs, 10);
  QTRY_COMPARE(jsonViewSpec(e).train.epochs, 7);
  QCOMPARE(jsonViewSpec(e).train.lr, 0.0005);

  fieldOf<QLineEdit>(e, "model.arch")->setText("784, 128,64 ,10");
  fieldOf<QComboBox>(e, "model.activation")->setCurrentText("gelu");
  fieldOf<QCheckBox>(e, "model.layernorm")->setChecked(true);
  // The example's hessian step needs Hessian-vector products: GELU/LayerNorm MLPs have them.
  e.validateNow();
  QVERIFY2(e.isValid(), qPrintable(e.message()));
  QCOMPARE(e.spec()->arch.activation, Activation::Gelu);
  QVERIFY(e.spec()->arch.layernorm);
  fieldOf<QComboBox>(e, "model.activation")->setCurrentText("relu");
  fieldOf<QCheckBox>(e, "model.layernorm")->setChecked(false);
  fieldOf<QComboBox>(e, "train.optimizer")->setCurrentText("sgd");
  fieldOf<QLineEdit>(e, "train.momentum")->setText("0.95");
  fieldOf<QComboBox>(e, "train.schedule")->setCurrentText("cosine");
  fieldOf<QComboBox>(e, "data.name")->setCurrentIndex(1);
  fieldOf<QSpinBox>(e, "data.gmm.n_train")->setValue(500);
  fieldOf<QSpinBox>(e, "data.gmm.dim")->setValue(784);
  fieldOf<QSpinBox>(e, "data.gmm.classes")->setValue(4);
  fieldOf<QSpinBox>(e, "data.train_subset")->setValue(250);
  fieldOf<QCheckBox>(e, "data.standardize")->setChecked(true);
  fieldOf<QLineEdit>(e, "name")->setText("edited-by-form");
  auto* models = fieldOf<QTableWidget>(e, "models.table");
  fieldOf<QToolButton>(e, "models.add")->click();
  QCOMPARE(models->rowCount(), 3);
  models->item(2, 1)->setText("42");
  e.validateNow();
  QVERIFY2(e.isValid(), qPrintable(e.message()));
  const ExperimentSpec s = jsonViewSpec(e);
  QCOMPARE(s.name, std::string("edited-by-form"));
  QCOMPARE(s.arch.widths, std::vector<int>({784, 128, 64, 10}));
  QCOMPARE(s.arch.activation, Activation::Relu);
  QVERIFY(!s.arch.layernorm);
  QCOMPARE(s.train.optimizer, OptimizerKind::Sgd);
  QCOMPARE(s.train.momentum, 0.95);
  QCOMPARE(s.train.schedule, Schedule::Cosine);
  QCOMPARE(s.data, std::string("gmm:500,2000,784,4,0"));  // test size and seed as first shown
  QCOMPARE(s.data_options.train_subset, 250);
  QVERIFY(s.data_options.standardize);
  QCOMPARE(s.models.size(), size_t(3));
  QCOMPARE(s.models[2].name, std::string("seed2"));
  QCOMPARE(s.models[2].seed, uint64_t(42));
  QCOMPARE(spec_to_json(s), textOf(e));
  // The JSON view shows the resolved spec, defaults filled in.
  QCOMPARE(e.jsonEdit()->toPlainText().toStdString(), spec_to_json(s));
}

// Each kind has its own keys (the schema's $defs/step.<type>): a step whose type changes gets
// the new kind's defaults, the spec holds the current kind's keys only, and switching back
// restores what the step had.
void TestExperimentEditor::changingAStepsTypeKeepsItsKeysApart() {
  ExperimentEditor e;
  e.setSpec(parse_spec(kTinySpec, "tiny.json"), "tiny.json");
  auto* table = fieldOf<QTableWidget>(e, "steps.table");
  int interp = -1;
  for (int r = 0; r < table->rowCount(); ++r)
    if (table->item(r, 1)->text() == "interpolate") interp = r;
  QVERIFY(interp >= 0);
  table->selectRow(interp);
  fieldOf<QSpinBox>(e, "step.points")->setValue(7);
  fieldOf<QComboBox>(e, "step.type")->setCurrentText("align");
  e.validateNow();
  QVERIFY2(e.isValid(), qPrintable(e.message()));
  ExperimentSpec s = jsonViewSpec(e);
  QCOMPARE(s.steps[interp].type, std::string("align"));
  QCOMPARE(s.steps[interp].as<AlignParams>().method, std::string("wm"));
  QCOMPARE(fieldOf<QComboBox>(e, "step.method")->currentText(), QString("wm"));
  fieldOf<QComboBox>(e, "step.type")->setCurrentText("interpolate");
  e.validateNow();
  QVERIFY2(e.isValid(), qPrintable(e.message()));
  s = jsonViewSpec(e);
  QCOMPARE(s.steps[interp].as<InterpolateParams>().points, 7);
}

void TestExperimentEditor::stepsAreAddedReorderedRemoved() {
  ExperimentEditor e;
  e.setSpec(parse_spec(kTinySpec, "tiny.json"), "tiny.json");
  auto* table = fieldOf<QTableWidget>(e, "steps.table");
  QCOMPARE(table->rowCount(), 3);
  // Add an align step from the menu: it comes last, selected, from the engine's defaults.
  QMenu* add = fieldOf<QToolButton>(e, "steps.add")->menu();
  QAction* align = nullptr;
  for (QAction* a : add->actions())
    if (a->text() == "align") align = a;
  QVERIFY(align);
  align->trigger();
  QCOMPARE(table->rowCount(), 4);
  fieldOf<QComboBox>(e, "step.method")->setCurrentText("am");
  fieldOf<QSpinBox>(e, "step.samples")->setValue(123);
  e.validateNow();
  QVERIFY2(e.isValid(), qPrintable(e.message()));
  ExperimentSpec s = jsonViewSpec(e);
  QCOMPARE(s.steps.size(), size_t(4));
  QCOMPARE(s.steps[3].type, std::string("align"));
  QCOMPARE(s.steps[3].as<AlignParams>().method, std::string("am"));
  QCOMPARE(s.steps[3].as<AlignParams>().samples, 123);
  QCOMPARE(s.steps[3].a, std::string("seed0"));
  QCOMPARE(s.steps[3].b, std::string("seed1"));
  QCOMPARE(s.steps[3].id, std::string("align-seed1@am"));  // automatic id
  // Move it up twice: it becomes step 2 (index 1) and the merge stays last.
  fieldOf<QToolButton>(e, "steps.up")->click();
  fieldOf<QToolButton>(e, "steps.up")->click();
  e.validateNow();
  s = jsonViewSpec(e);
  QCOMPARE(s.steps[1].as<AlignParams>().method, std::string("am"));
  QCOMPARE(s.steps[2].id, std::string("aligned"));
  QCOMPARE(s.steps[3].id, std::string("soup"));
  // Moving the interpolate step above the align step it depends on is the engine's error.
  table->selectRow(2);
  fieldOf<QToolButton>(e, "steps.up")->click();
  fieldOf<QToolButton>(e, "steps.up")->click();
  e.validateNow();
  QVERIFY(!e.isValid());
  QVERIFY2(e.message().contains("steps[0].b: unknown model 'seed1@ste'"), qPrintable(e.message()));
  QCOMPARE(table->item(0, 0)->background().color(), QColor(0xff, 0xdc, 0xdc));
  fieldOf<QToolButton>(e, "steps.remove")->click();  // the selected (first) step
  e.validateNow();
  QVERIFY2(e.isValid(), qPrintable(e.message()));
  QCOMPARE(table->rowCount(), 3);
  QCOMPARE(table->item(0, 0)->background().style(), Qt::NoBrush);
  s = jsonViewSpec(e);
  QCOMPARE(s.steps[0].type, std::string("align"));
  QCOMPARE(s.steps[2].type, std::string("merge"));
  QCOMPARE(s.steps[2].models, std::vector<std::string>({"seed0", "seed1"}));
  QCOMPARE(s.steps[2].as<MergeParams>().max_sweeps, 7);
}

void TestExperimentEditor::jsonEditsReachTheForm() {
  ExperimentEditor e;
  e.setSpec(parse_spec(kTinySpec, "tiny.json"), "tiny.json");
  QSignalSpy validity(&e, &ExperimentEditor::validityChanged);
  ExperimentSpec s = parse_spec(kTinySpec, "tiny.json");
  s.train.epochs = 4;
  s.train.lr = 0.125;
  s.arch = parse_arch("mlp:8,32,32,3");
  s.data = "/data/my-idx";
  s.models[1].name = "other";
  s.steps[0].b = "other";
  s.steps[1].b = "other@ste";
  s.steps[2].models = {"seed0", "other", "other@ste"};
  QString typed = QString::fromStdString(spec_to_json(s));
  typed.replace("\n  ", "\n    ");  // the user's own indentation
  e.jsonEdit()->setPlainText(typed);
  QVERIFY(e.isModified());
  QCOMPARE(fieldOf<QSpinBox>(e, "train.epochs")->value(), 2);  // debounced
  QTRY_COMPARE(fieldOf<QSpinBox>(e, "train.epochs")->value(), 4);
  QCOMPARE(fieldOf<QLineEdit>(e, "train.lr")->text(), QString("0.125"));
  QCOMPARE(fieldOf<QLineEdit>(e, "model.arch")->text(), QString("8,32,32,3"));
  QCOMPARE(fieldOf<QComboBox>(e, "model.activation")->currentText(), QString("relu"));
  QCOMPARE(fieldOf<QComboBox>(e, "data.name")->currentIndex(), 2);  // IDX folder
  QCOMPARE(fieldOf<QLineEdit>(e, "data.idx_folder")->text(), QString("/data/my-idx"));
  QCOMPARE(fieldOf<QTableWidget>(e, "models.table")->item(1, 0)->text(), QString("other"));
  QCOMPARE(fieldOf<QTableWidget>(e, "steps.table")->item(2, 3)->text(),
           QString("seed0 + other + other@ste"));
  // No feedback: the user's text stays as typed, and the form's document equals it.
  QCOMPARE(e.jsonEdit()->toPlainText(), typed);
  QCOMPARE(textOf(e), spec_to_json(s));
  QVERIFY(e.isValid());

  // Broken JSON: the message says where, the form keeps the last valid values.
  QString broken = typed;
  broken.replace("\"epochs\": 4", "\"epochs\": 4,,");
  e.jsonEdit()->setPlainText(broken);
  e.validateNow();
  QVERIFY(!e.isValid());
  QVERIFY2(e.message().startsWith("tiny.json: invalid JSON: "), qPrintable(e.message()));
  QVERIFY(!validity.isEmpty());
  QCOMPARE(validity.last().at(0).toBool(), false);
  QCOMPARE(validity.last().at(1).toString(), e.message());
  QCOMPARE(fieldOf<QSpinBox>(e, "train.epochs")->value(), 4);
  QVERIFY(!e.jsonEdit()->extraSelections().isEmpty());  // the broken line is marked
  QVERIFY(!e.spec());
  // Valid JSON with an invalid value: the form still keeps its values, and marks the key.
  broken = typed;
  broken.replace("\"lr\": 0.125", "\"lr\": -1");
  e.jsonEdit()->setPlainText(broken);
  e.validateNow();
  QVERIFY2(e.message() == "tiny.json: train.lr: must be > 0, got -1", qPrintable(e.message()));
  QCOMPARE(fieldOf<QLineEdit>(e, "train.lr")->text(), QString("0.125"));
  QVERIFY(fieldOf<QLineEdit>(e, "train.lr")->toolTip().startsWith(e.message()));
}

void TestExperimentEditor::invalidValuesNameTheirKey() {
  ExperimentEditor e;
  e.setSpec(parse_spec(kTinySpec, "tiny.json"), "tiny.json");
  QVERIFY(e.isValid());
  QSignalSpy validity(&e, &ExperimentEditor::validityChanged);
  auto* lr = fieldOf<QLineEdit>(e, "train.lr");
  const QString tip = lr->toolTip();
  const QColor base = lr->palette().color(QPalette::Base);

  lr->setText("0");
  QTRY_VERIFY(!e.isValid());
  QCOMPARE(e.message(), QString("tiny.json: train.lr: must be > 0, got 0.0"));
  QCOMPARE(validity.count(), 1);
  QCOMPARE(validity.at(0).at(1).toString(), e.message());
  QVERIFY(e.messageLabel()->text().contains("train.lr: must be &gt; 0"));
  QVERIFY(lr->toolTip().startsWith(e.message()));
  QVERIFY(lr->palette().color(QPalette::Base) != base);
  QVERIFY(!e.runAction()->isEnabled());
  // Invalid form: the JSON view shows the form's document as it is.
  QVERIFY(e.jsonEdit()->toPlainText().contains("\"lr\": 0.0"));
  QString why;
  QVERIFY(!e.spec(&why));
  QCOMPARE(why, e.message());

  lr->setText("1e-3");
  e.validateNow();
  QVERIFY(e.isValid());
  QCOMPARE(e.message(), QString("valid"));
  QCOMPARE(lr->toolTip(), tip);
  QCOMPARE(lr->palette().color(QPalette::Base), base);
  QVERIFY(e.runAction()->isEnabled());
  QCOMPARE(validity.count(), 2);

  lr->setText("fast");
  e.validateNow();
  QCOMPARE(e.message(), QString("tiny.json: train.lr: expected number, got string"));
  lr->setText("0.01");

  auto* widths = fieldOf<QLineEdit>(e, "model.arch");
  widths->setText("");
  e.validateNow();
  QVERIFY(!e.isValid());
  QVERIFY2(e.message().startsWith("tiny.json: model.arch: "), qPrintable(e.message()));
  QVERIFY(widths->toolTip().startsWith(e.message()));
  widths->setText("8,3");  // no hidden layer, but LayerNorm and GELU are on
  e.validateNow();
  QVERIFY2(e.message().startsWith("tiny.json: model.layernorm: mlp:8,3 has no hidden layer"),
           qPrintable(e.message()));
  QVERIFY(fieldOf<QCheckBox>(e, "model.layernorm")->toolTip().startsWith(e.message()));
  widths->setText("9,16,3");  // the gmm data has 8 features: the engine says so, by key
  e.validateNow();
  QVERIFY2(e.message().startsWith("tiny.json: model.arch: mlp:9,16,3 takes 9 inputs but "
                                  "gmm:600,200,8,3,7 has 8 features"),
           qPrintable(e.message()));
  QVERIFY(widths->toolTip().startsWith(e.message()));
  widths->setText("8,16,3");

  auto* models = fieldOf<QTableWidget>(e, "models.table");
  models->item(1, 0)->setText("seed0");
  e.validateNow();
  QCOMPARE(e.message(), QString("tiny.json: models[1].name: duplicate name 'seed0'"));
  QCOMPARE(models->item(1, 0)->background().color(), QColor(0xff, 0xdc, 0xdc));
  QCOMPARE(models->item(1, 0)->toolTip(), e.message());
  QCOMPARE(models->item(1, 1)->background().style(), Qt::NoBrush);
  models->item(1, 0)->setText("seed1");
  e.validateNow();
  QVERIFY(e.isValid());
  QCOMPARE(models->item(1, 0)->background().style(), Qt::NoBrush);

  // A step naming an unknown model: the step's row and, while it is selected, its field.
  fieldOf<QTableWidget>(e, "steps.table")->selectRow(1);
  auto* b = fieldOf<QComboBox>(e, "step.b");
  QCOMPARE(b->currentText(), QString("seed1@ste"));
  b->setCurrentText("seed7");
  e.validateNow();
  QVERIFY2(e.message().startsWith("tiny.json: steps[1].b: unknown model 'seed7'"),
           qPrintable(e.message()));
  QVERIFY(b->toolTip().startsWith(e.message()));
  QCOMPARE(fieldOf<QTableWidget>(e, "steps.table")->item(1, 2)->toolTip(), e.message());
  b->setCurrentText("seed1@ste");
  e.validateNow();
  QVERIFY(e.isValid());
  QVERIFY(!b->toolTip().startsWith("tiny.json"));
}

void TestExperimentEditor::invalidFileOpensForRepair() {
  test::ScratchDir dir("editor-repair");
  const std::string path = dir.file("broken.json");
  std::string text = kTinySpec;
  const std::string good = "\"lr\": 0.05";
  QVERIFY(text.find(good) != std::string::npos);
  text.replace(text.find(good), good.size(), "\"lr\": -1");
  std::ofstream(path) << text;
  ExperimentEditor e;
  e.setInteractive(false);
  QString why;
  QVERIFY(!e.loadFile(QString::fromStdString(path), &why));  // the engine refuses it
  QVERIFY2(why.contains("train.lr"), qPrintable(why));
  QVERIFY(!e.offerRepair(QString::fromStdString(path), why));  // no dialogs here: reported
  QVERIFY2(e.openForRepair(QString::fromStdString(path), &why), qPrintable(why));
  QCOMPARE(e.filePath(), QFileInfo(QString::fromStdString(path)).absoluteFilePath());
  QCOMPARE(e.jsonEdit()->toPlainText().toStdString(), text);  // as it is on disk
  QVERIFY(!e.isValid());
  QVERIFY2(e.message().startsWith("broken.json: train.lr:"), qPrintable(e.message()));
  QVERIFY(!e.isModified());
  // Fixed in the JSON view, it saves back to its file and loads.
  QString fixed = e.jsonEdit()->toPlainText();
  fixed.replace("\"lr\": -1", "\"lr\": 0.05");
  e.jsonEdit()->setPlainText(fixed);
  e.validateNow();
  QVERIFY2(e.isValid(), qPrintable(e.message()));
  QVERIFY2(e.saveFile(e.filePath(), &why), qPrintable(why));
  QCOMPARE(load_spec(path).train.lr, 0.05);
  QVERIFY(!e.openForRepair("/nonexistent/broken.json", &why));
  QVERIFY2(why.contains("/nonexistent/broken.json"), qPrintable(why));
}

void TestExperimentEditor::saveAndReload() {
  test::ScratchDir dir("editor-save");
  ExperimentEditor e;
  e.setInteractive(false);
  e.setSpec(parse_spec(kTinySpec, "tiny.json"), "tiny.json");
  fieldOf<QSpinBox>(e, "train.epochs")->setValue(3);
  QVERIFY(e.isModified());
  QSignalSpy path_changed(&e, &ExperimentEditor::filePathChanged);
  const QString path = QString::fromStdString(dir.file("sub/tiny.json"));
  QString why;
  QVERIFY2(e.saveFile(path, &why), qPrintable(why));
  QCOMPARE(e.filePath(), QFileInfo(path).absoluteFilePath());
  QCOMPARE(path_changed.count(), 1);
  QVERIFY(!e.isModified());
  const ExperimentSpec saved = load_spec(path.toStdString());
  QCOMPARE(saved.train.epochs, 3);
  QCOMPARE(spec_to_json(saved), textOf(e));
  QVERIFY(QDir(QString::fromStdString(dir.file("sub"))).entryList(QDir::Files).size() == 1);

  // Unwritable: a regular file stands where the folder should be. Nothing changes.
  std::ofstream(dir.file("plain")) << "x";
  const QString bad = QString::fromStdString(dir.file("plain/spec.json"));
  fieldOf<QSpinBox>(e, "train.epochs")->setValue(5);
  QVERIFY(!e.saveFile(bad, &why));
  QVERIFY2(why.contains("plain/spec.json"), qPrintable(why));
  QCOMPARE(e.filePath(), QFileInfo(path).absoluteFilePath());
  QVERIFY(e.isModified());
  // Invalid spec: refused, the file on disk keeps the last good version.
  fieldOf<QLineEdit>(e, "train.lr")->setText("0");
  QVERIFY(!e.saveFile(path, &why));
  QVERIFY2(why.contains("the spec is invalid: tiny.json: train.lr"), qPrintable(why));
  QCOMPARE(load_spec(path.toStdString()).train.epochs, 3);

  ExperimentEditor other;
  QVERIFY(other.loadFile(path));
  QCOMPARE(textOf(other), spec_to_json(saved));
  QString load_error;
  QVERIFY(!other.loadFile(bad, &load_error));
  QVERIFY2(load_error.contains("cannot read"), qPrintable(load_error));
  QCOMPARE(other.filePath(), QFileInfo(path).absoluteFilePath());
}

void TestExperimentEditor::renamingAModelRenamesItsSteps() {
  ExperimentEditor e;
  e.setSpec(parse_spec(kTinySpec, "tiny.json"), "tiny.json");
  auto* models = fieldOf<QTableWidget>(e, "models.table");
  models->item(1, 0)->setText("wide");
  e.validateNow();
  QVERIFY2(e.isValid(), qPrintable(e.message()));
  const ExperimentSpec s = *e.spec();
  QCOMPARE(s.models[1].name, std::string("wide"));
  QCOMPARE(s.steps[0].b, std::string("wide"));                  // align seed0 ← wide
  QCOMPARE(s.steps[1].b, std::string("wide@ste"));              // its output
  QCOMPARE(s.steps[2].models, (std::vector<std::string>{"seed0", "wide"}));
  QCOMPARE(s.steps[0].a, std::string("seed0"));                 // the other model untouched
  // A rename into another model's name is an error to fix, not a rename of the steps.
  models->item(1, 0)->setText("seed0");
  e.validateNow();
  QVERIFY(!e.isValid());
  models->item(1, 0)->setText("wide");
  e.validateNow();
  QVERIFY2(e.isValid(), qPrintable(e.message()));
  QCOMPARE(e.spec()->steps[0].a, std::string("seed0"));
  QCOMPARE(e.spec()->steps[1].b, std::string("wide@ste"));
}

void TestExperimentEditor::renamingAParentRenamesItsSpawns() {
  // A spawned model's "from" names its parent's checkpoint; renaming the parent follows there.
  const char* spec = R"({
    "name": "spawns", "data": {"name": "gmm:600,200,8,3,7"}, "model": {"arch": "mlp:8,16,3"},
    "train": {"optimizer": "adam", "lr": 0.01, "batch": 32, "epochs": 2, "checkpoint_every": 1},
    "models": [{"name": "parent", "seed": 0}, {"name": "c1", "from": "parent@epoch1", "seed": 1},
               {"name": "c2", "from": "parent@epoch1", "seed": 2}],
    "steps": [{"type": "interpolate", "id": "spawned", "a": "c1", "b": "c2", "points": 5}]})";
  ExperimentEditor e;
  e.setSpec(parse_spec(spec, "spawns.json"), "spawns.json");
  auto* models = fieldOf<QTableWidget>(e, "models.table");
  models->item(0, 0)->setText("trunk");
  e.validateNow();
  QVERIFY2(e.isValid(), qPrintable(e.message()));
  const ExperimentSpec s = *e.spec();
  QCOMPARE(s.models[0].name, std::string("trunk"));
  QCOMPARE(models->item(1, 2)->text(), QString("trunk@epoch1"));
  QCOMPARE(models->item(2, 2)->text(), QString("trunk@epoch1"));
  QVERIFY(textOf(e).find("\"from\": \"trunk@epoch1\"") != std::string::npos);
}

void TestExperimentEditor::studiesAreEditedWithTheirSweep() {
  // A study: the form edits its base spec, the sweep stays (edited in the JSON view).
  const QStringList studies = ExperimentEditor::exampleStudies();
  QVERIFY(!studies.isEmpty());
  QString path;
  for (const QString& f : studies)
    if (f.endsWith("gmm-width-study.json")) path = f;
  QVERIFY(!path.isEmpty());
  ExperimentEditor e;
  e.setInteractive(false);
  QString why;
  QVERIFY2(e.loadFile(path, &why), qPrintable(why));
  QVERIFY(e.isStudy());
  QVERIFY2(e.isValid(), qPrintable(e.message()));
  QVERIFY2(e.messageLabel()->text().contains("Valid study") && e.messageLabel()->text().contains("9 cells"),
           qPrintable(e.messageLabel()->text()));
  fieldOf<QSpinBox>(e, "train.epochs")->setValue(4);
  e.validateNow();
  QVERIFY2(e.isValid(), qPrintable(e.message()));
  const std::optional<StudySpec> st = e.study(&why);
  QVERIFY2(st.has_value(), qPrintable(why));
  QCOMPARE(st->base.train.epochs, 4);
  QCOMPARE(expand_study(*st).size(), size_t(9));
  QVERIFY(e.jsonEdit()->toPlainText().contains("\"sweep\""));  // the form's edit kept it
  // Saved, it is the same study.
  test::ScratchDir dir("editor-study");
  const QString out = QString::fromStdString(dir.file("study.json"));
  QVERIFY2(e.saveFile(out, &why), qPrintable(why));
  QCOMPARE(study_to_json(load_study(out.toStdString())), study_to_json(*st));
  // An invalid sweep is the engine's message, naming its key.
  std::string text = e.jsonEdit()->toPlainText().toStdString();
  QVERIFY(text.find("\"width\": [") != std::string::npos);
  text.replace(text.find("\"width\": ["), 10, "\"width\": [0, ");
  e.jsonEdit()->setPlainText(QString::fromStdString(text));
  e.validateNow();
  QVERIFY(!e.isValid());
  QVERIFY2(e.message().contains("sweep.width"), qPrintable(e.message()));
  // Without its sweep the document is a plain spec again.
  e.setSpec(st->base, "base.json");
  QVERIFY(!e.isStudy());
  QVERIFY(!e.study(&why).has_value());
  QVERIFY(why.contains("not a study"));
}

void TestExperimentEditor::newFromExampleHasNoFile() {
  const QStringList files = ExperimentEditor::exampleFiles();
  ExperimentEditor e;
  QVERIFY(e.loadFile(files.first()));
  QCOMPARE(e.filePath(), QFileInfo(files.first()).absoluteFilePath());
  QSignalSpy path_changed(&e, &ExperimentEditor::filePathChanged);
  QString why;
  QVERIFY2(e.newFromExample(files.last(), &why), qPrintable(why));
  QVERIFY(e.filePath().isEmpty());
  QCOMPARE(path_changed.count(), 1);
  QVERIFY(!e.isModified());
  e.show();  // painting and highlighting the JSON view are no edits
  QVERIFY(QTest::qWaitForWindowExposed(&e));
  QTest::qWait(300);
  QVERIFY(!e.isModified());
  QCOMPARE(textOf(e), spec_to_json(load_spec(files.last().toStdString())));
  QVERIFY(fieldOf<QLabel>(e, "fileLabel")->text().contains(QFileInfo(files.last()).fileName()));
  QVERIFY(!e.newFromExample("/nonexistent/example.json", &why));
  QVERIFY(why.contains("/nonexistent/example.json"));
}

void TestExperimentEditor::runNeedsAValidSpec() {
  ExperimentEditor e;
  e.setSpec(parse_spec(kTinySpec, "tiny.json"), "tiny.json");
  QSignalSpy run(&e, &ExperimentEditor::runRequested);
  e.runAction()->trigger();
  QCOMPARE(run.count(), 1);
  fieldOf<QLineEdit>(e, "name")->setText("has a space");
  e.runAction()->trigger();  // validates the pending edit first: refused
  QCOMPARE(run.count(), 1);
  QVERIFY(e.message().startsWith("tiny.json: name: "));
  QVERIFY(!e.runAction()->isEnabled());
}

// Trained, external-file and spawned entries (docs/USER_GUIDE.md, "Models") survive the table.
// A kind without a hand-made form (layerwise, landscape) gets fields generated from its
// schema fragment: a check box for a boolean, a spin box for an integer, JSON text for an
// array; edits reach the spec, and a bad value names its key and marks the generated field.
void TestExperimentEditor::generatedFieldsFollowTheSchema() {
  ExperimentEditor e;
  e.setSpec(parse_spec(kTinySpec, "tiny.json"), "tiny.json");
  QMenu* add = fieldOf<QToolButton>(e, "steps.add")->menu();
  auto trigger = [&](const QString& kind) {
    for (QAction* a : add->actions())
      if (a->text() == kind) return a->trigger(), true;
    return false;
  };
  QVERIFY(trigger("layerwise"));
  auto* cumulative = fieldOf<QCheckBox>(e, "step.cumulative");
  QVERIFY(cumulative->isChecked());  // the schema's default
  cumulative->setChecked(false);
  fieldOf<QSpinBox>(e, "step.subset")->setValue(500);
  e.validateNow();
  QVERIFY2(e.isValid(), qPrintable(e.message()));
  ExperimentSpec s = jsonViewSpec(e);
  QCOMPARE(s.steps.back().type, std::string("layerwise"));
  QCOMPARE(s.steps.back().a, std::string("seed0"));
  QVERIFY(!s.steps.back().as<LayerwiseParams>().cumulative);
  QCOMPARE(s.steps.back().as<LayerwiseParams>().subset, 500);

  QVERIFY(trigger("landscape"));
  auto* grid = fieldOf<QLineEdit>(e, "step.grid");
  grid->setText("[5, 4]");
  e.validateNow();
  QVERIFY2(e.isValid(), qPrintable(e.message()));
  s = jsonViewSpec(e);
  QCOMPARE(s.steps.back().type, std::string("landscape"));
  QCOMPARE(s.steps.back().as<LandscapeParams>().grid.nx, 5);
  QCOMPARE(s.steps.back().as<LandscapeParams>().grid.ny, 4);
  grid->setText("[5]");
  e.validateNow();
  QVERIFY(!e.isValid());
  QVERIFY2(e.message().contains(".grid"), qPrintable(e.message()));
  // Every kind of the Add menu makes a step from the engine's defaults (a landscape step made
  // this way once crashed the window: its default has no models yet).
  const int before = fieldOf<QTableWidget>(e, "steps.table")->rowCount();
  for (QAction* a : add->actions()) a->trigger();
  QCOMPARE(fieldOf<QTableWidget>(e, "steps.table")->rowCount(), before + int(add->actions().size()));
}

void TestExperimentEditor::modelsTableKeepsEveryKind() {
  const nlohmann::json models = nlohmann::json::parse(R"([
    {"name": "seed0", "seed": 0},
    {"name": "ext", "path": "/data/x.safetensors"},
    {"name": "sp", "from": "seed0@epoch2", "seed": 7},
    {"name": "sq", "from": "seed0@step40", "seed": 8}])");
  ridgeline::gui::ModelsTable t;
  t.setModels(models);
  QCOMPARE(t.table()->item(1, 2)->text(), QString("/data/x.safetensors"));
  QCOMPARE(t.table()->item(1, 1)->text(), QString());
  QCOMPARE(t.toJson(), models);
}

void TestExperimentEditor::layoutFitsDockAndWindow() {
  // RIDGELINE_SCREENSHOT_DIR keeps the images for a look.
  const QString shots = qEnvironmentVariable("RIDGELINE_SCREENSHOT_DIR");
  ExperimentEditor e;
  QVERIFY(e.loadFile(ExperimentEditor::exampleFiles().first()));
  e.resize(460, 860);
  e.show();
  QVERIFY(QTest::qWaitForWindowExposed(&e));
  QVERIFY(!e.isSideBySide());
  auto* scroll = fieldOf<QScrollArea>(e, "formScroll");
  QTRY_VERIFY(scroll->viewport()->width() > 0);
  if (!shots.isEmpty()) {
    QTest::qWait(50);
    QVERIFY(e.grab().save(shots + "/editor-dock-valid.png"));
  }
  fieldOf<QLineEdit>(e, "train.lr")->setText("0");  // show an error in the screenshots
  e.validateNow();
  QTest::qWait(50);  // let the layout settle
  if (!shots.isEmpty()) QVERIFY(e.grab().save(shots + "/editor-dock.png"));
  if (!shots.isEmpty()) {
    QVERIFY(scroll->widget()->grab().save(shots + "/editor-form.png"));
    auto* tabs = e.findChild<QTabWidget*>("editorTabs");
    tabs->setCurrentIndex(1);
    QTest::qWait(50);
    QVERIFY(e.grab().save(shots + "/editor-dock-json.png"));
    tabs->setCurrentIndex(0);
  }
  // Docked: the form fits the width (no sideways scrolling), the toolbar shows every action.
  QVERIFY2(
      !scroll->horizontalScrollBar()->isVisible(),
      qPrintable(QString("form needs %1 px").arg(scroll->widget()->minimumSizeHint().width())));
  for (const char* name : {"newFromExample", "open", "save", "saveAs", "run"})
    QVERIFY2(e.field(name)->isVisible(), name);
  // The wheel over an unfocused spin box scrolls the form and leaves the value alone.
  auto* epochs = fieldOf<QSpinBox>(e, "train.epochs");
  scroll->ensureWidgetVisible(epochs);
  const int scrolled = scroll->verticalScrollBar()->value();
  QVERIFY(scrolled < scroll->verticalScrollBar()->maximum());
  const QPointF at(epochs->width() / 2.0, epochs->height() / 2.0);
  QWheelEvent wheel(at, epochs->mapToGlobal(at), QPoint(), QPoint(0, -120), Qt::NoButton,
                    Qt::NoModifier, Qt::NoScrollPhase, false);
  QApplication::sendEvent(epochs, &wheel);
  QCOMPARE(epochs->value(), 10);
  QVERIFY(scroll->verticalScrollBar()->value() > scrolled);
  e.resize(1400, 900);
  QTRY_VERIFY(e.isSideBySide());
  QTRY_VERIFY(e.jsonEdit()->isVisible() && scroll->isVisible());
  QVERIFY(e.jsonEdit()->width() > 450);
  QTest::qWait(50);
  if (!shots.isEmpty()) QVERIFY(e.grab().save(shots + "/editor-wide.png"));
  e.resize(700, 860);
  QTRY_VERIFY(!e.isSideBySide());
  QVERIFY(scroll->isVisible());
  if (!shots.isEmpty()) {  // a step's error, docked
    e.resize(460, 860);
    e.setSpec(parse_spec(kTinySpec, "tiny.json"), "tiny.json");
    fieldOf<QTableWidget>(e, "steps.table")->selectRow(2);
    fieldOf<QLineEdit>(e, "step.models")->setText("seed0, seed9");
    e.validateNow();
    QTest::qWait(50);
    scroll->ensureWidgetVisible(e.field("step.models"));
    QTest::qWait(50);
    QVERIFY(e.grab().save(shots + "/editor-step-error.png"));
  }
}

QTEST_MAIN(TestExperimentEditor)
#include "test_experiment_editor.moc"
