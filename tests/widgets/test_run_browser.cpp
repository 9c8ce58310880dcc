// The run browser: two tiny runs in a scratch workspace, listed from the run catalog, and the
// main window's "Runs" dock and "compare" tab fed by them.
#include <QDir>
#include <QFile>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableWidget>
#include <QGraphicsTextItem>
#include <QChartView>
#include <QtTest>
#include <fstream>

#include "widgets/paths/barrier_table.h"
#include "widgets/paths/quantity_text.h"
#include "gui/main_window/main_window.h"
#include "gui/results/interpolate_view.h"
#include "widgets/paths/paths_chart.h"
#include "ridgeline/experiment/run.h"
#include "ridgeline/experiment/run_catalog.h"
#include "ridgeline/experiment/spec.h"
#include "widgets/runs/run_browser.h"
#include "test_support.h"

using namespace ridgeline;
using ridgeline::widgets::RunBrowser;

namespace {

/// The interpolate view's pages of window `w` (gui/results/interpolate_view.h).
ridgeline::gui::PathsPages& pathPages(const ridgeline::gui::MainWindow& w) {
  return *w.results().get<ridgeline::gui::PathsPages>();
}

const char* kTinySpec = R"({
  "name": "tiny-browser",
  "data": {"name": "gmm:600,200,8,3,7"},
  "model": {"arch": "mlp:8,16,3"},
  "train": {"optimizer": "adam", "lr": 0.01, "batch": 32, "epochs": 1},
  "models": [{"name": "seed0", "seed": 0}, {"name": "seed1", "seed": 1}],
  "steps": [{"type": "interpolate", "a": "seed0", "b": "seed1", "points": 5}]
})";

QString runId(const RunSummary& s) {
  return QDir(QDir::cleanPath(QString::fromStdString(s.run_dir))).dirName();
}

}  // namespace

class TestRunBrowser : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase();
  void browserListsRuns();
  void windowListsAndComparesRuns();
  void catalogErrorDoesNotCrash();
  void killedRunShowsInterrupted();

 private:
  test::ScratchDir ws_{"run-browser"};
  std::vector<RunSummary> runs_;
};

void TestRunBrowser::initTestCase() {
  const ExperimentSpec spec = parse_spec(kTinySpec, "tiny.json");
  RunOptions o;
  o.workspace = ws_.path().string();
  o.device = "cpu";
  o.threads = 1;
  for (int i = 0; i < 2; ++i) runs_.push_back(run_experiment(spec, o));
  QCOMPARE(runs_.size(), size_t(2));
  QVERIFY(runs_[0].run_dir != runs_[1].run_dir);
  for (const auto& s : runs_) {
    QCOMPARE(s.status, std::string("finished"));
    QCOMPARE(s.interpolations().size(), size_t(1));
    QVERIFY(s.interpolations()[0].second.test.has_value());
  }
}

void TestRunBrowser::browserListsRuns() {
  RunCatalog catalog(ws_.path().string());
  catalog.rescan();
  const std::vector<RunRecord> records = catalog.list();
  QCOMPARE(records.size(), size_t(2));

  RunBrowser b;
  b.setRecords(records);
  QCOMPARE(b.rowCount(), 2);
  QStringList ids;
  for (int row = 0; row < 2; ++row) {
    ids << b.cellText(row, RunBrowser::Id);
    QCOMPARE(b.cellText(row, RunBrowser::Status), QString("finished"));
    QCOMPARE(b.cellText(row, RunBrowser::Data), QString("gmm:600,200,8,3,7"));
    QVERIFY(b.cellText(row, RunBrowser::Arch).contains("mlp"));
    QVERIFY(!b.table()->item(row, RunBrowser::Barrier)->toolTip().isEmpty());
  }
  QCOMPARE(ids.size(), 2);
  for (const auto& s : runs_) {
    const int row = static_cast<int>(ids.indexOf(runId(s)));
    QVERIFY2(row >= 0, qPrintable(runId(s)));
    const double barrier = s.interpolations()[0].second.test->barriers.loss_mid;
    QCOMPARE(b.cellText(row, RunBrowser::Barrier),
             QString::fromStdString(s.interpolations()[0].first) + " " +
                 ridgeline::widgets::loss_barrier_text(barrier));
    QCOMPARE(QDir::cleanPath(b.runDir(row)),
             QDir::cleanPath(QDir(QString::fromStdString(s.run_dir)).absolutePath()));
  }

  // Compare needs exactly two selected rows.
  QVERIFY(!b.compareButton()->isEnabled());
  b.selectRows({0});
  QVERIFY(!b.compareButton()->isEnabled());
  b.selectRows({0, 1});
  QVERIFY(b.compareButton()->isEnabled());
  QSignalSpy compare(&b, &RunBrowser::compareRequested);
  b.compareButton()->click();
  QCOMPARE(compare.count(), 1);
  QCOMPARE(compare.at(0).at(0).toStringList(), QStringList({b.runDir(0), b.runDir(1)}));

  QSignalSpy open(&b, &RunBrowser::openRequested);
  emit b.table()->cellDoubleClicked(1, 2);
  QCOMPARE(open.count(), 1);
  QCOMPARE(open.at(0).at(0).toString(), b.runDir(1));

  // Sorting: by barrier (numerically; a run without one sorts last), then newest first.
  std::vector<RunRecord> three = records;
  three.push_back(records[0]);
  three.back().id = "no-barrier";
  three.back().dir = "/nowhere/no-barrier";
  three.back().barriers.clear();
  three.back().started = "1999-01-01T00:00:00Z";
  three[0].barriers.at(0).loss_mid = 10.5;  // sorts after 9.x only numerically
  three[1].barriers.at(0).loss_mid = 9.25;
  // A run with aligned paths shows the best of them, named, next to the first (issue 10: the
  // column showed the naive path only).
  three[0].barriers.push_back({"wm", "test", 0.75, 0.1});
  three[0].barriers.push_back({"wm+repair", "test", 0.0025, 0.01});
  three[0].barriers.push_back({"wm+repair", "train", 0.0001, 0.0});
  const QString first = QString::fromStdString(three[0].barriers.at(0).step);
  b.table()->sortByColumn(RunBrowser::Barrier, Qt::AscendingOrder);
  b.setRecords(three);
  QCOMPARE(b.cellText(0, RunBrowser::Barrier), first + " +9.25");
  QCOMPARE(b.cellText(1, RunBrowser::Barrier), first + " +10.5 · best wm+repair +0.0025");
  QVERIFY2(b.table()->item(1, RunBrowser::Barrier)->toolTip().contains("wm: +0.75, +10.00%"),
           qPrintable(b.table()->item(1, RunBrowser::Barrier)->toolTip()));
  QCOMPARE(b.cellText(2, RunBrowser::Id), QString("no-barrier"));
  QCOMPARE(b.runDir(2), QString("/nowhere/no-barrier"));
  b.table()->sortByColumn(RunBrowser::Started, Qt::DescendingOrder);
  QCOMPARE(b.cellText(2, RunBrowser::Id), QString("no-barrier"));
  b.table()->sortByColumn(RunBrowser::Started, Qt::AscendingOrder);
  QCOMPARE(b.cellText(0, RunBrowser::Id), QString("no-barrier"));
  QCOMPARE(b.runDir(0), QString("/nowhere/no-barrier"));

  b.setRecords({});
  QCOMPARE(b.rowCount(), 0);
  QVERIFY(!b.compareButton()->isEnabled());
}

void TestRunBrowser::windowListsAndComparesRuns() {
  gui::GuiOptions o;
  o.workspace = QString::fromStdString(ws_.path().string());
  o.device = "cpu";
  o.threads = 1;
  gui::MainWindow w(o);
  w.setInteractive(false);
  QVERIFY(w.runBrowser());
  QCOMPARE(w.runBrowser()->rowCount(), 2);
  QVERIFY(w.refreshRuns());
  QCOMPARE(w.runBrowser()->rowCount(), 2);

  QVERIFY(!pathPages(w).compareChart());
  QString why;
  QVERIFY(!w.compareRuns({QString::fromStdString(runs_[0].run_dir)}, &why));
  QVERIFY(!why.isEmpty());
  QVERIFY2(w.compareRuns({QString::fromStdString(runs_[0].run_dir),
                          QString::fromStdString(runs_[1].run_dir)},
                         &why),
           qPrintable(why));
  QVERIFY(pathPages(w).compareChart());
  QCOMPARE(w.currentChart(), static_cast<QChartView*>(pathPages(w).compareChart()));
  QStringList names;
  for (size_t run = 0; run < runs_.size(); ++run)
    for (const auto& [step, r] : runs_[run].interpolations()) {
      const QString name = QString(run == 0 ? "A: " : "B: ") + QString::fromStdString(step);
      names << name;
      QList<QPointF> pts;
      for (size_t k = 0; k < r.alpha.size(); ++k) pts.append(QPointF(r.alpha[k], r.test->loss[k]));
      QCOMPARE(pathPages(w).compareChart()->seriesPoints(name), pts);
    }
  QCOMPARE(pathPages(w).compareChart()->seriesNames(), names);
  QCOMPARE(names.size(), 2);
  // The compare tab's barrier table: a row per path of both runs.
  QVERIFY(pathPages(w).compareBarriers());
  QCOMPARE(pathPages(w).compareBarriers()->rowCount(), 2);
  for (size_t run = 0; run < 2; ++run) {
    const auto [step, r] = runs_[run].interpolations()[0];
    const int row = pathPages(w).compareBarriers()->rowOf(QString(run == 0 ? "A: " : "B: ") +
                                               QString::fromStdString(step) + " · test");
    QCOMPARE(row, int(run));
    QCOMPARE(pathPages(w).compareBarriers()->cellText(row, widgets::BarrierTable::LossMid),
             ridgeline::widgets::loss_barrier_text(r.test->barriers.loss_mid));
  }
  const QString title = pathPages(w).compareChart()->chart()->title();
  QVERIFY2(title.contains("A = " + runId(runs_[0])) && title.contains("B = " + runId(runs_[1])),
           qPrintable(title));
  // Drawn whole at a narrow width (issue 10: the one-line title was cut off with "...").
  {
    QChartView* view = pathPages(w).compareChart();
    view->chart()->resize(QSizeF(620, 420));  // laid out on the next event loop turn
    QTest::qWait(50);
    QString drawn;
    for (QGraphicsItem* item : view->chart()->childItems())
      if (auto* text = dynamic_cast<QGraphicsTextItem*>(item))
        if (text->toPlainText().contains("ompare")) drawn = text->toPlainText();
    QVERIFY2(drawn.contains(runId(runs_[0])) && drawn.contains(runId(runs_[1])) &&
                 !drawn.contains("..."),
             qPrintable("drawn title: " + QString(drawn).replace(QChar(0x2029), " | ").replace("\n", " | ")));
  }

  // The compare tab's numbers: one loss column per path, the values of the runs' results.
  const QString csv = QString::fromStdString(ws_.file("compare.csv"));
  QVERIFY2(w.exportCurrentNumbers(csv, &why), qPrintable(why));
  QFile f(csv);
  QVERIFY(f.open(QIODevice::ReadOnly | QIODevice::Text));
  const QStringList lines = QString::fromUtf8(f.readAll()).trimmed().split('\n');
  const auto r0 = runs_[0].interpolations()[0].second;
  QCOMPARE(lines.size(), int(r0.alpha.size()) + 1);
  QCOMPARE(lines[0], "alpha," + names[0] + ":test_loss," + names[1] + ":test_loss");
  for (size_t k = 0; k < r0.alpha.size(); ++k) {
    const QStringList cells = lines[int(k) + 1].split(',');
    QCOMPARE(cells.size(), 3);
    QCOMPARE(cells[0].toDouble(), r0.alpha[k]);
    for (int run = 0; run < 2; ++run)
      QCOMPARE(cells[run + 1].toDouble(), runs_[size_t(run)].interpolations()[0].second.test->loss[k]);
  }

  // Comparing again replaces the series; opening a run from the browser drops the tab.
  QVERIFY(w.compareRuns({QString::fromStdString(runs_[1].run_dir),
                         QString::fromStdString(runs_[0].run_dir)}));
  QCOMPARE(pathPages(w).compareChart()->seriesNames().size(), 2);
  emit w.runBrowser()->openRequested(w.runBrowser()->runDir(0));
  QCOMPARE(pathPages(w).count(), 1);
  QVERIFY(!pathPages(w).compareChart());
}

void TestRunBrowser::catalogErrorDoesNotCrash() {
  test::ScratchDir bad("run-browser-bad");
  {
    std::ofstream out(bad.file("catalog.sqlite"));
    out << "this is not a sqlite database, just some text that is long enough to matter\n";
  }
  gui::GuiOptions o;
  o.workspace = QString::fromStdString(bad.path().string());
  o.device = "cpu";
  gui::MainWindow w(o);
  w.setInteractive(false);
  QCOMPARE(w.runBrowser()->rowCount(), 0);
  QString why;
  QVERIFY(!w.refreshRuns(&why));
  QVERIFY2(why.contains("catalog.sqlite"), qPrintable(why));
}

QTEST_MAIN(TestRunBrowser)

// A run killed mid-way (its catalog row and provenance still say "running", nobody holds its
// folder's lock) is listed as "interrupted", with how to resume it in the tooltip.
void TestRunBrowser::killedRunShowsInterrupted() {
  test::ScratchDir ws("run-browser-killed");
  const std::string killed = ws.file("runs/killed-run");
  std::filesystem::create_directories(killed);
  std::filesystem::copy(runs_[0].run_dir, killed, std::filesystem::copy_options::recursive);
  QVERIFY(std::filesystem::exists(killed + "/.owner"));
  RunRecord r = RunCatalog(ws_.path().string()).find(runId(runs_[0]).toStdString()).value();
  r.id = "killed-run";
  r.dir = killed;
  r.status = "running";
  RunCatalog catalog(ws.path().string());
  catalog.upsert(r);
  RunBrowser b;
  b.setRecords(catalog.list());
  QCOMPARE(b.rowCount(), 1);
  QCOMPARE(b.cellText(0, RunBrowser::Status), QString("interrupted"));
  const QString tip = b.table()->item(0, RunBrowser::Status)->toolTip();
  QVERIFY2(tip.contains("Resume: ridgeline run " + QString::fromStdString(killed)),
           qPrintable(tip));
}

#include "test_run_browser.moc"
