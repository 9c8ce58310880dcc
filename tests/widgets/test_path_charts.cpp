// What the path charts, their legends and the editor told a reader wrongly (issue 10): a path
// whose loss only rises toward an endpoint was marked with a barrier at α = 1; a flat path
// zoomed to fill its chart looked bumpy; legends showed identical swatches for solid and
// dashed curves of one colour; an opened run's spec was titled "New experiment".
#include <QChart>
#include <QFile>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QPainter>
#include <QtTest>
#include <cmath>
#include <limits>

#include "gui/editor/experiment_editor.h"
#include "gui/main_window/main_window.h"
#include "gui/results/interpolate_view.h"
#include "ridgeline/experiment/run.h"
#include "ridgeline/experiment/spec.h"
#include "ridgeline/paths/interpolation.h"
#include "test_support.h"
#include "widgets/paths/barrier_table.h"
#include "widgets/paths/interpolation_chart.h"
#include "widgets/paths/paths_chart.h"
#include "widgets/paths/series_legend.h"
#include "widgets/training/training_monitor.h"

using namespace ridgeline;
using widgets::BarrierTable;
using widgets::InterpolationChart;
using widgets::PathsChart;
using widgets::SeriesLegend;

namespace {

InterpolationResult path(const std::vector<double>& test_loss) {
  InterpolationResult r;
  r.alpha = alpha_grid(static_cast<int>(test_loss.size()));
  SplitCurve c;
  c.loss = test_loss;
  c.error.assign(test_loss.size(), 0.1);
  c.barriers = curve_barriers(r.alpha, c.loss, c.error);
  r.test = c;
  return r;
}

/// The wm+repair path of the bundled study, in shape: flat, rising only toward θ_B.
InterpolationResult risingToEndpoint() { return path({0.3012, 0.3013, 0.3016, 0.3024, 0.3049}); }

bool anySeriesNamed(const QStringList& names, const QString& part) {
  for (const QString& n : names)
    if (n.contains(part)) return true;
  return false;
}

/// The legend swatch of `e` as drawn.
QImage swatch(const SeriesLegend::Entry& e) {
  QImage img(48, 16, QImage::Format_ARGB32);
  img.fill(Qt::white);
  QPainter p(&img);
  p.setRenderHint(QPainter::Antialiasing);
  SeriesLegend::paintSwatch(&p, QRectF(2, 0, 44, 16), e);
  return img;
}

const SeriesLegend::Entry* entry(const SeriesLegend* legend, const QString& name) {
  for (const auto& e : legend->entries())
    if (e.name == name) return &e;
  return nullptr;
}

const char* kTinySpec = R"({
  "name": "tiny-path-charts",
  "data": {"name": "gmm:600,200,8,3,7"},
  "model": {"arch": "mlp:8,16,3"},
  "train": {"optimizer": "adam", "lr": 0.01, "batch": 32, "epochs": 1},
  "models": [{"name": "seed0", "seed": 0}, {"name": "seed1", "seed": 1}],
  "steps": [{"type": "align", "id": "wm", "a": "seed0", "b": "seed1", "method": "wm"},
            {"type": "interpolate", "id": "naive", "a": "seed0", "b": "seed1", "points": 5},
            {"type": "interpolate", "id": "aligned", "a": "seed0", "b": "seed1@wm", "points": 5}]
})";

}  // namespace

class TestPathCharts : public QObject {
  Q_OBJECT

 private slots:
  void endpointMaximumIsNoInteriorBarrier();
  void barrierMarkedWhereTheLinearFormPeaks();
  void commonScaleAcrossPathTabs();
  void legendsTellSeriesApart();
  void openedRunSpecIsNamedByItsFile();
  void savedStepsHoldOnlyTheirKeys();
  void trainingMonitorShowsDistillation();
};

void TestPathCharts::endpointMaximumIsNoInteriorBarrier() {
  const InterpolationResult r = risingToEndpoint();
  // The engine's argmax of the linear form is an endpoint (first on ties: 0).
  QVERIFY(r.test->barriers.loss_alpha == 0.0 || r.test->barriers.loss_alpha == 1.0);
  InterpolationChart chart;
  chart.resize(700, 450);
  chart.setResult(r, "seed0 → seed1@wm (wm + REPAIR)");
  // No marker (it was drawn at α = 1, half clipped, as "barrier 0.002518"); the label says so.
  QVERIFY2(!anySeriesNamed(chart.seriesNames(), "barrier"), qPrintable(chart.seriesNames().join(", ")));
  QVERIFY(!chart.hasBarrierMarker());
  QCOMPARE(chart.barrierLabel(), QString("test loss: no interior barrier"));
  // The y range is named: zoomed in, this flat path must not pass for a bumpy one.
  QCOMPARE(chart.rangeNote(), QString("loss range 0.3012–0.3049"));
  QVERIFY(!chart.grab().isNull());

  BarrierTable table;
  table.setResult(r);
  QCOMPARE(table.cellText(table.rowOf("test"), BarrierTable::BarrierAlpha),
           QString("no interior barrier"));
  QCOMPARE(table.horizontalHeaderItem(BarrierTable::BarrierAlpha)->text(),
           QString("barrier at α\n(linear, loss)"));
}

void TestPathCharts::barrierMarkedWhereTheLinearFormPeaks() {
  // The highest loss is at α = 1, but the loss rises furthest above the chord at α = 0.25.
  const InterpolationResult r = path({1.0, 1.6, 1.7, 1.9, 2.0});
  QCOMPARE(r.test->barriers.loss_alpha, 0.25);
  InterpolationChart chart;
  chart.setResult(r, "a → b");
  QVERIFY(chart.hasBarrierMarker());
  QCOMPARE(chart.barrierAlpha(), 0.25);
  QCOMPARE(chart.barrierValue(), r.test->barriers.loss_lin);
  QCOMPARE(chart.seriesPoints("test barrier (linear)"),
           QList<QPointF>({QPointF(0.25, 1.25), QPointF(0.25, 1.6)}));
  QCOMPARE(chart.barrierLabel(), QString("barrier +0.35 at α = 0.250"));
  BarrierTable table;
  table.setResult(r);
  QCOMPARE(table.cellText(0, BarrierTable::BarrierAlpha), QString("0.250"));
}

void TestPathCharts::commonScaleAcrossPathTabs() {
  test::ScratchDir ws("path-charts-scale");
  gui::GuiOptions o;
  o.workspace = QString::fromStdString(ws.path().string());
  gui::MainWindow w(o);
  w.setInteractive(false);
  auto* pages = w.results().get<gui::PathsPages>();
  QVERIFY(pages);
  pages->showPath("flat", risingToEndpoint());
  pages->showPath("high", path({0.3, 1.2, 2.0, 1.1, 0.31}));
  InterpolationChart* flat = pages->chart("flat");
  InterpolationChart* high = pages->chart("high");
  // Each fits its own curves by default: the flat one is zoomed in.
  QVERIFY(flat->lossAxisRange().y() - flat->lossAxisRange().x() < 0.1);
  QVERIFY(pages->commonScaleAction());
  QVERIFY(w.findChildren<QAction*>().contains(pages->commonScaleAction()));
  pages->commonScaleAction()->setChecked(true);
  QCOMPARE(flat->lossAxisRange(), high->lossAxisRange());
  QVERIFY(flat->lossAxisRange().x() <= 0.3 && flat->lossAxisRange().y() >= 2.0);
  QCOMPARE(flat->rangeNote(), QString("loss range 0.3012–0.3049 · common scale"));
  pages->commonScaleAction()->setChecked(false);
  QVERIFY(flat->lossAxisRange().y() - flat->lossAxisRange().x() < 0.1);
}

void TestPathCharts::legendsTellSeriesApart() {
  // Compare: one colour per step, run B dashed. Qt's legend drew the same swatch for both.
  PathsChart compare;
  compare.resize(700, 450);
  const InterpolationResult r = path({0.3, 1.2, 2.0, 1.1, 0.31});
  compare.setPath("A: naive", r, 0, Qt::SolidLine, widgets::SeriesMarker::Circle);
  compare.setPath("B: naive", r, 0, Qt::DashLine, widgets::SeriesMarker::Square);
  QVERIFY(!compare.chart()->legend()->isVisible());  // ours replaces it
  const auto* a = entry(compare.legend(), "A: naive");
  const auto* b = entry(compare.legend(), "B: naive");
  QVERIFY(a && b);
  QCOMPARE(a->pen.color(), b->pen.color());
  QVERIFY(a->pen.style() != b->pen.style() || a->marker != b->marker);
  QVERIFY2(swatch(*a) != swatch(*b), "A and B have identical legend swatches");

  // The training monitor: train and test of one model share a colour.
  widgets::TrainingMonitor monitor;
  EpochMetrics m;
  m.epoch = 1;
  m.train_loss = 0.5;
  m.test_loss = 0.6;
  m.train_error = 0.1;
  m.test_error = 0.12;
  monitor.addEpoch("seed0", m);
  const auto* train = entry(monitor.legend(), "seed0 train");
  const auto* test = entry(monitor.legend(), "seed0 test");
  QVERIFY(train && test);
  QVERIFY(!entry(monitor.legend(), "seed0 batches"));  // the thin trace stays out
  QCOMPARE(train->pen.style(), Qt::DashLine);  // the paths' convention: train dashed
  QCOMPARE(test->pen.style(), Qt::SolidLine);
  QVERIFY2(swatch(*train) != swatch(*test), "train and test have identical legend swatches");

  // The per-path chart: four curves, four swatches.
  InterpolationChart chart;
  chart.setErrorVisible(true);
  InterpolationResult both = r;
  both.train = both.test;
  chart.setResult(both, "a → b");
  QList<QImage> seen;
  for (const QString name : {"test loss", "train loss", "test error", "train error"}) {
    const auto* e = entry(chart.legend(), name);
    QVERIFY2(e, qPrintable(name));
    const QImage img = swatch(*e);
    QVERIFY2(!seen.contains(img), qPrintable(name + " looks like another entry"));
    seen << img;
  }
}

void TestPathCharts::openedRunSpecIsNamedByItsFile() {
  test::ScratchDir ws("path-charts-run");
  RunOptions ro;
  ro.workspace = ws.path().string();
  ro.device = "cpu";
  ro.threads = 1;
  const RunSummary s = run_experiment(parse_spec(kTinySpec, "tiny.json"), ro);
  QCOMPARE(s.status, std::string("finished"));
  gui::GuiOptions o;
  o.workspace = QString::fromStdString(ws.path().string());
  gui::MainWindow w(o);
  w.setInteractive(false);
  QString why;
  const QString dir = QString::fromStdString(s.run_dir);
  QVERIFY2(w.openRunFolder(dir, &why), qPrintable(why));
  auto* label = qobject_cast<QLabel*>(w.editor()->field("fileLabel"));
  QVERIFY(label);
  QVERIFY2(!label->text().contains("New experiment"), qPrintable(label->text()));
  QVERIFY2(label->text().contains("experiment.json") &&
               label->text().contains(QDir(QDir::cleanPath(dir)).dirName()),
           qPrintable(label->text()));
  QCOMPARE(w.editor()->runSpecPath(), QDir(dir).filePath("experiment.json"));
  QVERIFY(w.editor()->filePath().isEmpty());  // Save asks for a new file: the run keeps its own
}

void TestPathCharts::savedStepsHoldOnlyTheirKeys() {
  test::ScratchDir dir("path-charts-save");
  gui::ExperimentEditor e;
  e.setInteractive(false);
  e.setSpec(parse_spec(kTinySpec, "tiny.json"), "tiny.json");
  const QString file = QString::fromStdString(dir.file("saved.json"));
  QString why;
  QVERIFY2(e.saveFile(file, &why), qPrintable(why));
  QFile f(file);
  QVERIFY(f.open(QIODevice::ReadOnly));
  const QJsonArray steps = QJsonDocument::fromJson(f.readAll()).object()["steps"].toArray();
  QCOMPARE(steps.size(), 3);
  for (const auto& v : steps) {
    const QJsonObject st = v.toObject();
    const QString type = st["type"].toString();
    QStringList keys = st.keys();
    std::vector<std::string> allowed = step_keys(type.toStdString());
    for (const QString& k : keys)
      QVERIFY2(std::find(allowed.begin(), allowed.end(), k.toStdString()) != allowed.end(),
               qPrintable(type + " step saved with key '" + k + "'"));
    if (type == "align") QVERIFY(!st.contains("points"));
    if (type == "interpolate") QVERIFY(!st.contains("method"));
  }
}

// The training monitor: a model trained with attention distillation gets a dotted curve of its
// distillation loss per epoch, in its own colour; other models none; the error view leaves it
// empty. And from a real run folder (a tiny Hedgehog transformer with train.distill), the
// window's monitor shows the epochs' recorded distillation losses.
void TestPathCharts::trainingMonitorShowsDistillation() {
  widgets::TrainingMonitor monitor;
  EpochMetrics m;
  m.train_loss = 1.5;
  m.train_error = 0.5;
  for (int e = 1; e <= 2; ++e) {
    m.epoch = e;
    m.distill_loss = 0.8 / e;
    monitor.addEpoch("hh", m);
  }
  m.distill_loss = std::numeric_limits<double>::quiet_NaN();
  monitor.addEpoch("plain", m);
  QVERIFY(monitor.seriesNames().contains("hh distillation"));
  QVERIFY(!anySeriesNamed(monitor.seriesNames(), "plain distillation"));
  QCOMPARE(monitor.seriesPoints("hh distillation"), (QList<QPointF>{{1, 0.8}, {2, 0.4}}));
  const auto* train = entry(monitor.legend(), "hh train");
  const auto* distill = entry(monitor.legend(), "hh distillation");
  QVERIFY(train && distill);
  QCOMPARE(distill->pen.color(), train->pen.color());
  QCOMPARE(distill->pen.style(), Qt::DotLine);
  QVERIFY2(swatch(*distill) != swatch(*train), "distillation looks like train");
  QVERIFY(monitor.toolTip().contains("distillation"));
  monitor.setMetric(widgets::TrainingMonitor::Metric::Error);
  QVERIFY(monitor.seriesPoints("hh distillation").isEmpty());
  QCOMPARE(monitor.seriesPoints("hh train"), (QList<QPointF>{{1, 50}, {2, 50}}));
  monitor.setMetric(widgets::TrainingMonitor::Metric::Loss);
  QCOMPARE(monitor.seriesPoints("hh distillation").size(), 2);

  test::ScratchDir ws("path-charts-distill");
  RunOptions ro;
  ro.workspace = ws.path().string();
  ro.device = "cpu";
  ro.threads = 1;
  const RunSummary s = run_experiment(parse_spec(R"({
    "name": "tiny-distill",
    "data": {"name": "task:mqar,vocab=16,length=8,pairs=2,train=96,test=32,seed=3"},
    "model": {"kind": "transformer",
              "arch": "transformer:tokens=16,seq=8,d=16,heads=2,layers=1,ff=32,attn=hedgehog,causal"},
    "train": {"optimizer": "adam", "lr": 0.01, "batch": 32, "epochs": 2, "distill": 0.5},
    "models": [{"name": "seed0", "seed": 0}],
    "steps": []})", "tiny-distill.json"), ro);
  QCOMPARE(s.status, std::string("finished"));
  gui::GuiOptions o;
  o.workspace = QString::fromStdString(ws.path().string());
  gui::MainWindow w(o);
  w.setInteractive(false);
  QString why;
  QVERIFY2(w.openRunFolder(QString::fromStdString(s.run_dir), &why), qPrintable(why));
  const RunSummary on_disk = load_run(s.run_dir);
  QList<QPointF> want;
  for (const StepResult& r : on_disk.results)
    if (const auto* t = r.as<TrainStageResult>())
      for (const EpochMetrics& e : t->epochs) want << QPointF(e.epoch, e.distill_loss);
  QCOMPARE(want.size(), 2);
  QVERIFY(want[0].y() > 0 && std::isfinite(want[1].y()));
  QCOMPARE(w.trainingMonitor()->seriesPoints("seed0 distillation"), want);
}

QTEST_MAIN(TestPathCharts)
#include "test_path_charts.moc"
