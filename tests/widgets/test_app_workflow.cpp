// The application as a new user drives it: a window, "New from example" with the bundled
// one-minute re-basin study, the form shrunk to a tiny version (1,000 training images, one
// epoch), Run, and then every view checked against the run folder: the paths (series counts,
// curve values, barrier labels), the alignment view, the training monitor, the jobs and runs
// docks.
#include <QAction>
#include <QDir>
#include <QFileInfo>
#include <QPlainTextEdit>
#include <QSignalSpy>
#include <QSpinBox>
#include <QtTest>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "widgets/alignment/alignment_view.h"
#include "widgets/paths/barrier_table.h"
#include "widgets/paths/quantity_text.h"
#include "gui/editor/experiment_editor.h"
#include "gui/jobs/jobs_panel.h"
#include "gui/main_window/main_window.h"
#include "gui/results/interpolate_view.h"
#include "gui/results/align_view.h"
#include "widgets/paths/interpolation_chart.h"
#include "widgets/paths/paths_chart.h"
#include "ridgeline/experiment/run.h"
#include "ridgeline/experiment/run_catalog.h"
#include "widgets/runs/run_browser.h"
#include "test_support.h"
#include "widgets/training/training_monitor.h"

using namespace ridgeline;
using namespace ridgeline::gui;

namespace {

/// The interpolate view's pages of window `w` (gui/results/interpolate_view.h).
ridgeline::gui::PathsPages& pathPages(const ridgeline::gui::MainWindow& w) {
  return *w.results().get<ridgeline::gui::PathsPages>();
}

/// The align view's widget of window `w` (gui/results/align_view.h).
ridgeline::widgets::AlignmentView* alignmentOf(const ridgeline::gui::MainWindow& w) {
  return w.results().get<ridgeline::gui::AlignPages>()->view();
}

std::string readText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

QList<QPointF> points(const std::vector<double>& x, const std::vector<double>& y) {
  QList<QPointF> pts;
  for (size_t i = 0; i < x.size(); ++i) pts.append(QPointF(x[i], y[i]));
  return pts;
}

}  // namespace

class TestAppWorkflow : public QObject {
  Q_OBJECT

 private slots:
  void bundledExampleRunsFromTheEditor();
  void invalidEditorSpecIsReportedNotRun();
  void compareCheckpointsRunsFilesAsModels();

 private:
  test::ScratchDir ws_{"app-workflow"};
};

void TestAppWorkflow::bundledExampleRunsFromTheEditor() {
  GuiOptions o;
  o.workspace = QString::fromStdString(ws_.path().string());
  o.device = "cpu";
  o.threads = 2;
  MainWindow w(o);
  w.setInteractive(false);
  w.show();
  QVERIFY(QTest::qWaitForWindowExposed(&w));

  // New from example: the bundled quick study.
  QString example;
  for (const QString& f : ExperimentEditor::exampleFiles())
    if (QFileInfo(f).fileName() == "fmnist-quick-rebasin.json") example = f;
  QVERIFY2(!example.isEmpty(), qPrintable(ExperimentEditor::exampleFiles().join(", ")));
  ExperimentEditor* editor = w.editor();
  QString error;
  QVERIFY2(editor->newFromExample(example, &error), qPrintable(error));
  QVERIFY(editor->filePath().isEmpty());

  // A tiny version through the form: 1,000 training and 500 test images, one epoch.
  auto spin = [&](const char* name) { return qobject_cast<QSpinBox*>(editor->field(name)); };
  QVERIFY(spin("data.train_subset") && spin("data.test_subset") && spin("train.epochs"));
  spin("data.train_subset")->setValue(1000);
  spin("data.test_subset")->setValue(500);
  spin("train.epochs")->setValue(1);
  editor->validateNow();
  QVERIFY2(editor->isValid(), qPrintable(editor->message()));

  QSignalSpy ended(&w.jobQueue(), &JobQueue::jobEnded);
  editor->runAction()->trigger();
  QVERIFY(w.isRunning());
  QTRY_COMPARE_WITH_TIMEOUT(ended.count(), 1, 300000);
  QVERIFY2(w.state() == MainWindow::State::Finished, qPrintable(w.lastError()));

  const RunSummary& s = w.lastSummary();
  ExperimentSpec spec;
  const RunSummary disk = load_run(s.run_dir, &spec);
  // The run folder's spec is the edited one.
  QCOMPARE(spec.data_options.train_subset, 1000);
  QCOMPARE(spec.data_options.test_subset, 500);
  QCOMPARE(spec.train.epochs, 1);

  // Paths: one tab per interpolate step, "all paths" with one series each, values and barrier
  // labels equal to the results files.
  QCOMPARE(pathPages(w).ids(), QStringList({"naive", "wm", "wm+repair"}));
  QVERIFY(pathPages(w).allPathsChart());
  QCOMPARE(pathPages(w).allPathsChart()->seriesNames(), QStringList({"naive", "wm", "wm+repair"}));
  QCOMPARE(disk.interpolations().size(), size_t(3));
  for (const auto& [id, r] : disk.interpolations()) {
    const QString qid = QString::fromStdString(id);
    const std::string file = s.run_dir + "/results/" + id + ".json";
    const InterpolationResult from_file = interpolation_from_json(readText(file), file);
    QVERIFY(from_file.test && from_file.train);
    QCOMPARE(from_file.alpha.size(), size_t(25));
    widgets::InterpolationChart* chart = pathPages(w).chart(qid);
    QVERIFY(chart);
    // test loss, train loss, and the chord and barrier marker when the barrier is interior
    QCOMPARE(chart->seriesCount(), chart->hasBarrierMarker() ? 4 : 2);
    QCOMPARE(chart->seriesPoints("test loss"), points(from_file.alpha, from_file.test->loss));
    QCOMPARE(chart->seriesPoints("train loss"), points(from_file.alpha, from_file.train->loss));
    QCOMPARE(chart->barrierValue(), from_file.test->barriers.loss_lin);
    QCOMPARE(pathPages(w).allPathsChart()->seriesPoints(qid), points(from_file.alpha, from_file.test->loss));
    widgets::BarrierTable* table = pathPages(w).barrierTable(qid);
    QCOMPARE(table->cellText(table->rowOf("test"), widgets::BarrierTable::LossMid),
             ridgeline::widgets::loss_barrier_text(from_file.test->barriers.loss_mid));
  }
  // The all-paths tab's table: one row per path (test split), in step order.
  widgets::BarrierTable* all = pathPages(w).allPathsBarriers();
  QVERIFY(all);
  QCOMPARE(all->rowCount(), 3);
  for (const auto& [id, r] : disk.interpolations()) {
    const int row = all->rowOf(QString::fromStdString(id) + " · test");
    QVERIFY2(row >= 0, id.c_str());
    QCOMPARE(all->cellText(row, widgets::BarrierTable::LossMid),
             ridgeline::widgets::loss_barrier_text(r.test->barriers.loss_mid));
  }
  QCOMPARE(all->rowOf("naive · test"), 0);

  // The re-basin result itself: the aligned paths' barriers are far below the naive one.
  const double naive = disk.interpolations()[0].second.test->barriers.loss_mid;
  QVERIFY2(naive > 0.1, qPrintable(QString::number(naive)));
  QVERIFY(disk.interpolations()[1].second.test->barriers.loss_mid < 0.5 * naive);

  // Alignment view: the align step's report, as its results file holds it.
  QCOMPARE(disk.alignment_reports().size(), size_t(1));
  QVERIFY(alignmentOf(w)->reports() == disk.alignment_reports());
  QCOMPARE(alignmentOf(w)->l2Values(false).size(), 1);
  QCOMPARE(alignmentOf(w)->l2Values(false).at(0), qreal(disk.alignment_reports()[0].second.l2_before));
  QCOMPARE(alignmentOf(w)->l2Values(true).at(0), qreal(disk.alignment_reports()[0].second.l2_after));

  // Training monitor: one epoch per model, the run's records.
  for (const auto& [model, epochs] : disk.training()) {
    QCOMPARE(epochs.size(), size_t(1));
    QCOMPARE(w.trainingMonitor()->seriesPoints(QString::fromStdString(model) + " train"),
             QList<QPointF>({QPointF(1, epochs[0].train_loss)}));
  }

  // Jobs dock: the job finished; Runs dock: the catalog row with the naive test barrier.
  const Job& job = w.jobQueue().jobs().back();
  QCOMPARE(w.jobsPanel()->cellText(job.id, JobsPanel::State), QString("finished"));
  QCOMPARE(job.run_dir, QString::fromStdString(s.run_dir));
  const QString run_id = QDir(QString::fromStdString(s.run_dir)).dirName();
  bool listed = false;
  for (int row = 0; row < w.runBrowser()->rowCount(); ++row) {
    if (w.runBrowser()->cellText(row, widgets::RunBrowser::Id) != run_id) continue;
    listed = true;
    QCOMPARE(w.runBrowser()->cellText(row, widgets::RunBrowser::Status), QString("finished"));
    // The first (naive) path's test barrier, then the best other path's, named.
    const QString barrier = w.runBrowser()->cellText(row, widgets::RunBrowser::Barrier);
    QVERIFY2(barrier.startsWith("naive " + ridgeline::widgets::loss_barrier_text(naive) + " · best "),
             qPrintable(barrier));
  }
  QVERIFY(listed);
}

void TestAppWorkflow::invalidEditorSpecIsReportedNotRun() {
  GuiOptions o;
  o.workspace = QString::fromStdString(ws_.path().string());
  o.device = "cpu";
  MainWindow w(o);
  w.setInteractive(false);
  ExperimentEditor* editor = w.editor();
  editor->jsonEdit()->setPlainText(
      R"({"name": "bad", "data": {"name": "gmm:600,200,8,3,7"}, "model": {"arch": "mlp:8,16,3"},
          "train": {"lr": 0, "epochs": 1}, "models": [{"name": "seed0", "seed": 0}], "steps": []})");
  QString error;
  QVERIFY(!w.runEditorSpec(&error));
  QVERIFY2(error.contains("train.lr"), qPrintable(error));
  QVERIFY(!w.isRunning());
  QVERIFY(w.jobQueue().jobs().empty());
  QVERIFY2(w.lastError().contains("train.lr"), qPrintable(w.lastError()));
}

void TestAppWorkflow::compareCheckpointsRunsFilesAsModels() {
  // File ▸ Compare checkpoints… after its dialogs: two trained files and a data set become a
  // spec of file models (shown in the editor) whose naive and weight-matched paths run.
  const test::ScratchDir dir("compare-checkpoints");
  RunOptions ro;
  ro.out_dir = dir.file("train");
  ro.device = "cpu";
  ro.threads = 1;
  run_experiment(parse_spec(R"({"name": "pair", "data": {"name": "gmm:400,150,6,3,1"},
      "model": {"arch": "mlp:6,12,3"}, "train": {"optimizer": "adam", "lr": 0.01, "batch": 32, "epochs": 2},
      "models": [{"name": "left", "seed": 0}, {"name": "right", "seed": 1}], "steps": []})",
                            "pair.json"),
                 ro);
  const QString ck = QString::fromStdString(dir.file("train/checkpoints/"));
  GuiOptions o;
  o.workspace = QString::fromStdString(ws_.path().string());
  o.device = "cpu";
  o.threads = 1;
  MainWindow w(o);
  w.setInteractive(false);
  QSignalSpy ended(&w, &MainWindow::runEnded);
  QString why;
  QCOMPARE(w.compareCheckpoints({ck + "left.safetensors"}, "gmm:400,150,6,3,1", &why), 0);
  QVERIFY2(why.contains("two or more"), qPrintable(why));
  QCOMPARE(w.compareCheckpoints({ck + "left.safetensors", ck + "missing.safetensors"}, "gmm:400,150,6,3,1", &why), 0);
  QVERIFY2(why.contains("missing.safetensors"), qPrintable(why));
  QCOMPARE(w.compareCheckpoints({ck + "left.safetensors", ck + "right.safetensors"}, "gmm:400,150,8,3,1", &why), 0);
  QVERIFY2(why.contains("takes 6 inputs but gmm:400,150,8,3,1 has 8"), qPrintable(why));
  QVERIFY(w.jobQueue().jobs().empty());

  QVERIFY2(w.compareCheckpoints({ck + "left.safetensors", ck + "right.safetensors"}, "gmm:400,150,6,3,1", &why) > 0,
           qPrintable(why));
  QVERIFY(ended.wait(120000));
  QVERIFY2(ended.at(0).at(0).toBool(), qPrintable(w.lastError()));
  // The editor shows the generated spec; the run's models are the files, not trained.
  const std::optional<ExperimentSpec> shown = w.editor()->spec();
  QVERIFY(shown.has_value());
  QCOMPARE(shown->models.size(), size_t(2));
  QCOMPARE(shown->models[0].path, std::filesystem::absolute(dir.file("train/checkpoints/left.safetensors")).lexically_normal().string());
  const RunSummary& r = w.lastSummary();
  QVERIFY(r.training().empty() || r.training().front().second.empty());
  QCOMPARE(r.interpolations().size(), size_t(2));
  auto* pages = w.results().get<PathsPages>();
  QVERIFY(pages != nullptr);
  QCOMPARE(pages->ids().size(), 2);
}

QTEST_MAIN(TestAppWorkflow)
#include "test_app_workflow.moc"
