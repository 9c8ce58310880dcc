// The first window: the interpolation chart and barrier table fed by hand-made results, and
// the main window running a tiny synthetic experiment end to end on the CPU.
#include <QImage>
#include <QPixmap>
#include <QtTest>
#include <fstream>
#include <sstream>

#include "widgets/paths/barrier_table.h"
#include "widgets/paths/quantity_text.h"
#include "gui/main_window/main_window.h"
#include "gui/results/interpolate_view.h"
#include "widgets/paths/interpolation_chart.h"
#include "widgets/paths/paths_chart.h"
#include "ridgeline/paths/interpolation.h"
#include "ridgeline/experiment/spec.h"
#include "test_support.h"
#include "widgets/training/training_monitor.h"

using namespace ridgeline;
using ridgeline::widgets::BarrierTable;
using ridgeline::widgets::InterpolationChart;
using ridgeline::widgets::TrainingMonitor;

namespace {

/// The interpolate view's pages of window `w` (gui/results/interpolate_view.h).
ridgeline::gui::PathsPages& pathPages(const ridgeline::gui::MainWindow& w) {
  return *w.results().get<ridgeline::gui::PathsPages>();
}

const char* kTinySpec = R"({
  "name": "tiny-gui",
  "description": "two tiny MLPs on a Gaussian mixture",
  "data": {"name": "gmm:600,200,8,3,7"},
  "model": {"arch": "mlp:8,16,3"},
  "train": {"optimizer": "adam", "lr": 0.01, "batch": 32, "epochs": 2},
  "models": [{"name": "seed0", "seed": 0}, {"name": "seed1", "seed": 1}],
  "steps": [{"type": "interpolate", "a": "seed0", "b": "seed1", "points": 5}]
})";

InterpolationResult handMade() {
  InterpolationResult r;
  r.alpha = {0.0, 0.5, 1.0};
  SplitCurve test;
  test.loss = {0.1, 0.5, 0.2};
  test.error = {0.01, 0.25, 0.02};
  test.barriers = curve_barriers(r.alpha, test.loss, test.error);  // 0.35, 0.35, 0.235, 0.235 at α = ½
  SplitCurve train;
  train.loss = {0.05, 0.4, 0.07};
  train.error = {0.0, 0.125, 0.005};
  train.barriers = curve_barriers(r.alpha, train.loss, train.error);  // 0.34, 0.34, 0.1225, 0.1225
  r.test = test;
  r.train = train;
  return r;
}

QList<QPointF> expected(const std::vector<double>& x, const std::vector<double>& y,
                        double scale = 1.0) {
  QList<QPointF> pts;
  for (size_t i = 0; i < x.size(); ++i) pts.append(QPointF(x[i], y[i] * scale));
  return pts;
}

std::string readText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

gui::GuiOptions cpuOptions(const std::string& out_dir) {
  gui::GuiOptions o;
  o.out_dir = QString::fromStdString(out_dir);
  o.device = "cpu";
  o.threads = 1;
  return o;
}

}  // namespace

class TestFirstWindow : public QObject {
  Q_OBJECT

 private slots:
  void chartShowsHandMadeResult();
  void chartErrorAxisAndTrainOnly();
  void barrierTableFormatsValues();
  void pathsChartOverlaysPaths();
  void windowRunsTinySpecEndToEnd();
  void windowReportsFailureWithoutCrashing();
  void windowCancels();
  void unreadableSpecIsRejected();
};

void TestFirstWindow::chartShowsHandMadeResult() {
  InterpolationChart chart;
  const InterpolationResult r = handMade();
  chart.setResult(r, "seed0 → seed1 (naive)");
  QCOMPARE(chart.title(), QString("seed0 → seed1 (naive)"));
  // test loss, train loss, the chord of the test endpoints, the barrier marker.
  QCOMPARE(chart.seriesCount(), 4);
  QCOMPARE(chart.seriesNames(), QStringList({"test loss", "train loss", "chord of the test endpoints",
                                             "test barrier (linear)"}));
  QCOMPARE(chart.seriesPoints("test loss"), expected(r.alpha, r.test->loss));
  QCOMPARE(chart.seriesPoints("train loss"), expected(r.alpha, r.train->loss));
  // The marker stands where the linear barrier occurs (α = 0.5), from the chord (0.15) to 0.5.
  QCOMPARE(chart.barrierSplit(), QString("test"));
  QCOMPARE(chart.barrierAlpha(), 0.5);
  QCOMPARE(chart.barrierValue(), 0.35);
  QVERIFY(chart.hasBarrierMarker());
  QCOMPARE(chart.barrierLabel(), QString("barrier +0.35 at α = 0.500"));
  QCOMPARE(chart.seriesPoints(3), QList<QPointF>({QPointF(0.5, 0.15), QPointF(0.5, 0.5)}));
  chart.resize(600, 400);
  QVERIFY(!chart.grab().isNull());
  chart.clear();
  QCOMPARE(chart.seriesCount(), 0);
}

void TestFirstWindow::chartErrorAxisAndTrainOnly() {
  InterpolationChart chart;
  InterpolationResult r = handMade();
  chart.setErrorVisible(true);
  chart.setResult(r, "a → b");
  QCOMPARE(chart.seriesCount(), 6);
  QCOMPARE(chart.seriesPoints("test error"), expected(r.alpha, r.test->error, 100.0));
  QCOMPARE(chart.seriesPoints("train error"), expected(r.alpha, r.train->error, 100.0));
  chart.setErrorVisible(false);
  QCOMPARE(chart.seriesCount(), 4);

  // Without a test split the barrier is the train one.
  r.test.reset();
  chart.setResult(r, "a → b");
  QCOMPARE(chart.seriesNames(), QStringList({"train loss", "chord of the train endpoints",
                                             "train barrier (linear)"}));
  QCOMPARE(chart.barrierSplit(), QString("train"));
  QCOMPARE(chart.barrierValue(), 0.34);
  QCOMPARE(chart.seriesPoints(2), QList<QPointF>({QPointF(0.5, 0.06), QPointF(0.5, 0.4)}));
}

void TestFirstWindow::barrierTableFormatsValues() {
  // The display rules of core/format.h.
  QCOMPARE(ridgeline::widgets::loss_text(0.0722374933), QString("0.07224"));
  QCOMPARE(ridgeline::widgets::loss_barrier_text(1.234567), QString("+1.235"));
  QCOMPARE(ridgeline::widgets::error_text(0.1234), QString("12.34%"));
  QCOMPARE(ridgeline::widgets::error_barrier_text(0.0025), QString("+0.25%"));

  BarrierTable table;
  table.setResult(handMade());
  QCOMPARE(table.rowCount(), 2);
  const int test = table.rowOf("test"), train = table.rowOf("train");
  QCOMPARE(test, 0);
  QCOMPARE(train, 1);
  QCOMPARE(table.cellText(test, BarrierTable::LossLinear), QString("+0.35"));
  QCOMPARE(table.cellText(test, BarrierTable::LossMid), QString("+0.35"));
  QCOMPARE(table.cellText(test, BarrierTable::ErrorMid), QString("+23.50%"));
  QCOMPARE(table.cellText(train, BarrierTable::ErrorLinear), QString("+12.25%"));
  QCOMPARE(table.cellText(test, BarrierTable::BarrierAlpha), QString("0.500"));
  QCOMPARE(table.cellText(test, BarrierTable::LossStart), QString("0.1"));
  QCOMPARE(table.cellText(train, BarrierTable::LossEnd), QString("0.07"));
}

void TestFirstWindow::windowRunsTinySpecEndToEnd() {
  test::ScratchDir dir("gui-window");
  const std::string spec_path = dir.file("tiny.json");
  std::ofstream(spec_path) << kTinySpec;
  const std::string run_dir = dir.file("run");

  gui::MainWindow w(cpuOptions(run_dir));
  w.setInteractive(false);
  w.show();
  QVERIFY(QTest::qWaitForWindowExposed(&w));
  QSignalSpy ended(&w, &gui::MainWindow::runEnded);
  QString error;
  QVERIFY2(w.runSpecFile(QString::fromStdString(spec_path), &error), qPrintable(error));
  QVERIFY(w.isRunning());
  QTRY_VERIFY_WITH_TIMEOUT(!w.isRunning(), 300000);
  QCOMPARE(ended.count(), 1);
  QCOMPARE(ended.at(0).at(0).toBool(), true);
  QVERIFY2(w.state() == gui::MainWindow::State::Finished, qPrintable(w.lastError()));

  // One interpolation step, shown in its own chart with exactly the summary's values.
  const RunSummary& s = w.lastSummary();
  QCOMPARE(s.status, std::string("finished"));
  QCOMPARE(s.interpolations().size(), size_t(1));
  const auto [id, r] = s.interpolations().front();
  QCOMPARE(pathPages(w).ids(), QStringList({QString::fromStdString(id)}));
  InterpolationChart* chart = pathPages(w).chart(QString::fromStdString(id));
  QVERIFY(chart);
  QCOMPARE(chart->title(), QString("seed0 → seed1 (naive)"));
  // The curves, and the chord and marker when the barrier is interior.
  QCOMPARE(chart->seriesCount(), chart->hasBarrierMarker() ? 4 : 2);
  QCOMPARE(chart->hasBarrierMarker(),
           has_interior_barrier(r.test->barriers.loss_lin, r.test->barriers.loss_alpha));
  QVERIFY(r.test && r.train);
  QCOMPARE(r.alpha.size(), size_t(5));
  QCOMPARE(chart->seriesPoints("test loss"), expected(r.alpha, r.test->loss));
  QCOMPARE(chart->seriesPoints("train loss"), expected(r.alpha, r.train->loss));
  QCOMPARE(chart->barrierValue(), r.test->barriers.loss_lin);

  // The run folder's results file holds the same numbers.
  const std::string result_file = run_dir + "/results/" + id + ".json";
  const InterpolationResult from_file =
      interpolation_from_json(readText(result_file), result_file);
  QCOMPARE(chart->seriesPoints("test loss"), expected(from_file.alpha, from_file.test->loss));
  QCOMPARE(from_file.test->barriers.loss_mid, r.test->barriers.loss_mid);

  // The barrier table shows the barrier; the monitor saw both epochs of both models.
  BarrierTable* table = pathPages(w).barrierTable(QString::fromStdString(id));
  QVERIFY(table);
  QCOMPARE(table->cellText(table->rowOf("test"), BarrierTable::LossMid),
           ridgeline::widgets::loss_barrier_text(r.test->barriers.loss_mid));
  QCOMPARE(table->cellText(table->rowOf("train"), BarrierTable::ErrorLinear),
           ridgeline::widgets::error_barrier_text(r.train->barriers.error_lin));
  for (const char* model : {"seed0", "seed1"}) {
    const auto pts = w.trainingMonitor()->seriesPoints(QString(model) + " train");
    QCOMPARE(pts.size(), 2);
    QCOMPARE(pts.back().x(), 2.0);
  }
  // The monitor's error view: 100·error of the same epochs (the one vocabulary: error, in %
  // on screen); back to loss unchanged.
  QCOMPARE(s.training().size(), size_t(2));
  const auto loss_points = w.trainingMonitor()->seriesPoints("seed0 train");
  w.trainingMonitor()->setMetric(TrainingMonitor::Metric::Error);
  for (const auto& [model, epochs] : s.training()) {
    QList<QPointF> train_acc, test_acc;
    for (const auto& e : epochs) {
      train_acc.append(QPointF(e.epoch, 100.0 * e.train_error));
      test_acc.append(QPointF(e.epoch, 100.0 * e.test_error));
    }
    const QString m = QString::fromStdString(model);
    QCOMPARE(w.trainingMonitor()->seriesPoints(m + " train"), train_acc);
    QCOMPARE(w.trainingMonitor()->seriesPoints(m + " test"), test_acc);
    QVERIFY(!w.trainingMonitor()->seriesPoints(m + " batches").isEmpty());
    for (const QPointF& p : w.trainingMonitor()->seriesPoints(m + " batches"))
      QVERIFY(p.y() >= 0 && p.y() <= 100);
  }
  w.trainingMonitor()->setMetric(TrainingMonitor::Metric::Loss);
  QCOMPARE(w.trainingMonitor()->seriesPoints("seed0 train"), loss_points);
  QVERIFY(w.deviceText().contains("CPU"));
  QVERIFY(w.logText().contains("interpolate"));

  const QPixmap pix = w.grab();
  QVERIFY(!pix.isNull());

  // A screenshot written to PNG loads back with the window's size.
  const QString png = QString::fromStdString(dir.file("shot.png"));
  QVERIFY2(w.saveScreenshot(png, &error), qPrintable(error));
  const QImage img(png);
  QVERIFY(!img.isNull());
  QCOMPARE(img.size(), pix.size());

  // Every view can be raised by name and captured alone (--view NAME --screenshot FILE).
  for (const QString& view : gui::MainWindow::viewNames()) {
    // all-paths and compare need two paths / two runs; study needs a study folder.
    if (view == "all-paths" || view == "compare" || view == "study") continue;
    QVERIFY2(w.showView(view, &error), qPrintable(view + ": " + error));
    QWidget* target = w.viewWidget(view);
    QVERIFY2(target, qPrintable(view));
    QVERIFY2(target->isVisible(), qPrintable(view));
    const QString view_png = QString::fromStdString(dir.file("view-" + view.toStdString() + ".png"));
    QVERIFY2(w.saveScreenshot(view_png, &error, target), qPrintable(error));
    QCOMPARE(QImage(view_png).size(), target->grab().size());
  }
  QVERIFY(w.showView("paths:" + QString::fromStdString(id), &error));
  QVERIFY(!w.showView("all-paths", &error));
  QVERIFY2(error.contains("fewer than two paths"), qPrintable(error));
  QVERIFY(!w.showView("paths:nope", &error));
  QVERIFY2(error.contains("no path 'nope'"), qPrintable(error));
  QVERIFY(!w.showView("surface", &error));
  QVERIFY2(error.contains("unknown view 'surface'"), qPrintable(error));

  // Reopening the finished run folder shows the same values.
  gui::MainWindow reopened(cpuOptions({}));
  QVERIFY2(reopened.openRunFolder(QString::fromStdString(run_dir), &error), qPrintable(error));
  QCOMPARE(pathPages(reopened).ids(), QStringList({QString::fromStdString(id)}));
  QCOMPARE(pathPages(reopened).chart(QString::fromStdString(id))->seriesPoints("test loss"),
           expected(r.alpha, r.test->loss));
  // ...and the per-epoch training curves recorded in the folder, equal to the live ones.
  for (const char* model : {"seed0", "seed1"})
    QCOMPARE(reopened.trainingMonitor()->seriesPoints(QString(model) + " train"),
             w.trainingMonitor()->seriesPoints(QString(model) + " train"));
}

void TestFirstWindow::windowReportsFailureWithoutCrashing() {
  test::ScratchDir dir("gui-fail");
  const std::string blocker = dir.file("not-a-folder");
  std::ofstream(blocker) << "x";
  // The run folder would have to live inside a regular file: the engine cannot create it.
  gui::MainWindow w(cpuOptions(blocker + "/run"));
  w.setInteractive(false);
  QSignalSpy ended(&w, &gui::MainWindow::runEnded);
  QVERIFY(w.startRun(parse_spec(kTinySpec, "tiny.json"), "tiny.json"));
  QTRY_VERIFY_WITH_TIMEOUT(!w.isRunning(), 60000);
  QCOMPARE(ended.count(), 1);
  QCOMPARE(ended.at(0).at(0).toBool(), false);
  QVERIFY(w.state() == gui::MainWindow::State::Failed);
  QVERIFY(!w.lastError().isEmpty());
  QVERIFY2(w.stageText().contains(w.lastError()), qPrintable(w.stageText()));
  QCOMPARE(pathPages(w).count(), 0);
}

void TestFirstWindow::windowCancels() {
  test::ScratchDir dir("gui-cancel");
  gui::MainWindow w(cpuOptions(dir.file("run")));
  w.setInteractive(false);
  // Enough epochs that the run cannot finish before the cancel lands, however the two threads
  // are scheduled on a loaded machine (the tiny spec alone can end within a time slice).
  ExperimentSpec spec = parse_spec(kTinySpec, "tiny.json");
  spec.train.epochs = 100000;
  QVERIFY(w.startRun(spec, "tiny.json"));
  w.cancelRun();  // the engine stops at its next check
  QTRY_VERIFY_WITH_TIMEOUT(!w.isRunning(), 60000);
  QVERIFY(w.state() == gui::MainWindow::State::Cancelled);
  QCOMPARE(pathPages(w).count(), 0);
  QVERIFY(w.stageText().startsWith("Cancelled"));
}

void TestFirstWindow::unreadableSpecIsRejected() {
  test::ScratchDir dir("gui-badspec");
  const std::string bad = dir.file("bad.json");
  std::ofstream(bad) << R"({"name": "x", "model": {"arch": "mlp:8,3"}, "models": [], )";
  gui::MainWindow w(cpuOptions(dir.file("run")));
  w.setInteractive(false);
  QString error;
  QVERIFY(!w.runSpecFile(QString::fromStdString(bad), &error));
  QVERIFY2(error.contains("bad.json"), qPrintable(error));
  QVERIFY(!w.isRunning());
  QVERIFY(!w.runSpecFile(QString::fromStdString(dir.file("missing.json")), &error));
  QVERIFY2(error.contains("missing.json"), qPrintable(error));
}

void TestFirstWindow::pathsChartOverlaysPaths() {
  InterpolationResult naive, aligned;
  naive.alpha = aligned.alpha = {0, 0.5, 1};
  SplitCurve c;
  c.loss = {0.3, 1.8, 0.32};
  c.error = {0.1, 0.6, 0.1};
  naive.test = c;
  c.loss = {0.3, 0.31, 0.32};
  aligned.train = c;  // no test split: the overlay falls back to train
  widgets::PathsChart chart;
  chart.setPath("naive", naive);
  chart.setPath("wm", aligned);
  QCOMPARE(chart.seriesNames(), QStringList({"naive", "wm"}));
  QCOMPARE(chart.seriesPoints("naive"), QList<QPointF>({{0, 0.3}, {0.5, 1.8}, {1, 0.32}}));
  QCOMPARE(chart.seriesPoints("wm")[1], QPointF(0.5, 0.31));
  // Replacing a path keeps one series for it.
  naive.test->loss[1] = 1.5;
  chart.setPath("naive", naive);
  QCOMPARE(chart.seriesNames().size(), 2);
  QCOMPARE(chart.seriesPoints("naive")[1], QPointF(0.5, 1.5));
  // Train split: wm as before, naive (no train split) falls back to test; error in percent.
  chart.setSplit(widgets::PathsChart::Split::Train);
  QCOMPARE(chart.seriesPoints("naive")[1], QPointF(0.5, 1.5));
  QCOMPARE(chart.seriesPoints("wm")[1], QPointF(0.5, 0.31));
  chart.setQuantity(widgets::PathsChart::Quantity::Error);
  QCOMPARE(chart.seriesPoints("naive"), QList<QPointF>({{0, 10.0}, {0.5, 60.0}, {1, 10.0}}));
  QCOMPARE(chart.seriesPoints("wm"), QList<QPointF>({{0, 10.0}, {0.5, 60.0}, {1, 10.0}}));
  QVERIFY(chart.chart()->title().contains("error"));
  chart.setQuantity(widgets::PathsChart::Quantity::Loss);
  QCOMPARE(chart.seriesPoints("wm")[1], QPointF(0.5, 0.31));
}

QTEST_MAIN(TestFirstWindow)
#include "test_first_window.moc"
