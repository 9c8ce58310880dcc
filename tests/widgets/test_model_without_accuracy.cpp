// A model without accuracy (the quadratic oracle: its errors are NaN, null in the results
// JSON) through the window: a run folder opened in MainWindow shows its loss barriers and
// "n/a" for the error barriers — never "nan" nor a made-up 0 — exports empty CSV fields for
// them, turns the "Error" toggle off with the reason, plots no NaN in the training monitor,
// and the experiment editor shows the spec as JSON without rewriting it as an MLP.
#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>
#include <cmath>

#include "gui/editor/experiment_editor.h"
#include "gui/main_window/export.h"
#include "gui/main_window/main_window.h"
#include "gui/results/interpolate_view.h"
#include "ridgeline/experiment/run.h"
#include "ridgeline/experiment/spec.h"
#include "widgets/paths/barrier_table.h"
#include "widgets/paths/quantity_text.h"
#include "widgets/paths/interpolation_chart.h"
#include "widgets/training/training_monitor.h"

using namespace ridgeline;
using ridgeline::widgets::BarrierTable;

namespace {

const char* kQuadraticSpec = R"({
  "name": "quadratic-oracle",
  "model": {"kind": "quadratic", "arch": "quadratic:dim=16,seed=3"},
  "train": {"optimizer": "sgd", "lr": 0.05, "momentum": 0, "epochs": 5},
  "models": [{"name": "seed0", "seed": 0}, {"name": "seed1", "seed": 1}],
  "steps": [{"type": "interpolate", "a": "seed0", "b": "seed1", "points": 9}]
})";

QString readAll(const QString& path) {
  QFile f(path);
  return f.open(QIODevice::ReadOnly | QIODevice::Text) ? QString::fromUtf8(f.readAll()) : QString();
}

}  // namespace

class TestModelWithoutAccuracy : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    RunOptions ro;
    ro.out_dir = QDir(dir_.path()).filePath("qrun").toStdString();
    ro.workspace = dir_.path().toStdString();
    ro.device = "cpu";
    ro.threads = 1;
    const RunSummary live = run_experiment(parse_spec(kQuadraticSpec, "quad.json"), ro);
    summary_ = load_run(live.run_dir);  // the record the window opens
    QCOMPARE(summary_.interpolations().size(), size_t(1));
    const InterpolationResult path = summary_.interpolations()[0].second;
    QVERIFY(path.test || path.train);
  }

  void openedRunIsHonest() {
    gui::GuiOptions options;
    options.workspace = dir_.path();
    gui::MainWindow w(options);
    w.setInteractive(false);
    QString why;
    QVERIFY2(w.openRunFolder(QString::fromStdString(summary_.run_dir), &why), qPrintable(why));
    gui::PathsPages* paths = w.results().get<gui::PathsPages>();
    QVERIFY(paths);
    QCOMPARE(paths->count(), 1);
    const QString id = paths->ids().front();
    QVERIFY(!gui::PathsPages::hasError(paths->chart(id)->result()));

    // Barrier table: loss barriers are the engine's numbers, error barriers "n/a".
    BarrierTable* table = paths->barrierTable(id);
    QVERIFY(table && table->rowCount() >= 1);
    const InterpolationResult r = summary_.interpolations()[0].second;
    const SplitCurve& c = r.test ? *r.test : *r.train;
    QVERIFY(std::isnan(c.barriers.error_mid));
    QVERIFY(std::isfinite(c.barriers.loss_mid));
    for (int row = 0; row < table->rowCount(); ++row) {
      QCOMPARE(table->cellText(row, BarrierTable::ErrorLinear), QString("n/a"));
      QCOMPARE(table->cellText(row, BarrierTable::ErrorMid), QString("n/a"));
      for (int col = 0; col < BarrierTable::ColumnCount; ++col)
        QVERIFY2(!table->cellText(row, col).contains("nan", Qt::CaseInsensitive),
                 qPrintable(table->cellText(row, col)));
    }
    QCOMPARE(table->cellText(table->rowOf(r.test ? "test" : "train"), BarrierTable::LossMid),
             ridgeline::widgets::loss_barrier_text(c.barriers.loss_mid));

    // "Error" is off and says why; the chart draws no error axis.
    QVERIFY(!paths->errorAction()->isEnabled());
    QVERIFY2(paths->errorAction()->toolTip().contains("No accuracy"),
             qPrintable(paths->errorAction()->toolTip()));

    // CSV: empty fields where the error is undefined, no "nan" anywhere.
    QVERIFY(w.showView("paths:" + id, &why));
    const QString csv = QDir(dir_.path()).filePath("q.csv");
    QVERIFY2(w.exportCurrentNumbers(csv, &why), qPrintable(why));
    const QString curves = readAll(csv), barriers = readAll(gui::barriers_path_for(csv));
    QVERIFY(!curves.isEmpty() && !barriers.isEmpty());
    QVERIFY2(!curves.contains("nan", Qt::CaseInsensitive), qPrintable(curves));
    QVERIFY2(!barriers.contains("nan", Qt::CaseInsensitive), qPrintable(barriers));
    const QStringList row = barriers.split('\n').at(1).split(',');
    QCOMPARE(row.size(), 10);
    QCOMPARE(row.at(4), QString());  // error_lin
    QCOMPARE(row.at(5), QString());  // error_mid
    QCOMPARE(row.at(7), QString());  // error_alpha
    QCOMPARE(row.at(3).toDouble(), c.barriers.loss_mid);

    // The training monitor plots no NaN.
    for (const QString& name : w.trainingMonitor()->seriesNames())
      for (const QPointF& p : w.trainingMonitor()->seriesPoints(name))
        QVERIFY2(std::isfinite(p.x()) && std::isfinite(p.y()), qPrintable(name));

    // The editor keeps the quadratic spec (JSON view) and says why the form is off.
    gui::ExperimentEditor* editor = w.editor();
    QVERIFY2(editor->formNote().contains("MLP specs only"), qPrintable(editor->formNote()));
    const std::optional<ExperimentSpec> spec = editor->spec(&why);
    QVERIFY2(spec.has_value(), qPrintable(why));
    QCOMPARE(QString::fromStdString(spec->model_kind), QString("quadratic"));
    QVERIFY(!editor->isModified());
  }

 private:
  QTemporaryDir dir_;
  RunSummary summary_;
};

QTEST_MAIN(TestModelWithoutAccuracy)
#include "test_model_without_accuracy.moc"
