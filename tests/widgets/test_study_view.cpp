// The study view (widgets/study) and studies in the window: the chart drawn from an aggregate
// built by hand (lines, bands, log x, a second swept variable, picking a point), the progress
// estimate over cells, and the window running a study through the job queue, showing it,
// opening a cell from a point and coming back.
#include <QCategoryAxis>
#include <QComboBox>
#include <QDir>
#include <QLabel>
#include <QSignalSpy>
#include <QTableWidget>
#include <QtTest>
#include <cmath>
#include <filesystem>

#include "gui/editor/experiment_editor.h"
#include "gui/jobs/job_queue.h"
#include "gui/jobs/study_progress.h"
#include "gui/main_window/main_window.h"
#include "ridgeline/experiment/study.h"
#include "test_support.h"
#include "widgets/study/study_chart.h"
#include "widgets/study/study_view.h"

using namespace ridgeline;
using ridgeline::widgets::StudyChart;
using ridgeline::widgets::StudyView;

class TestStudyView : public QObject {
  Q_OBJECT

 private slots:
  void linesBandsAndLogX();
  void secondVariableSplitsLines();
  void attentionVariantsOnACategoryAxis();
  void clickingAPointNamesItsGroup();
  void progressOverCells();
  void windowRunsAStudyAndOpensItsCells();
};

namespace {

BarrierStats stats(double mean, double sd, double lo, double hi) { return {mean, sd, lo, hi}; }

// A group row: `values` as key=value pairs, the loss_lin stats given, error_lin = loss_lin / 10.
StudyGroupRow group(std::vector<std::pair<std::string, double>> values, const std::string& path,
                    int n, BarrierStats s) {
  StudyGroupRow g;
  std::string name;
  for (const auto& [k, v] : values) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", v);
    g.values.push_back({k, text, v});
    name += (name.empty() ? "" : ",") + k + "=" + text;
  }
  g.group = name;
  g.path = path;
  g.split = "test";
  g.n = n;
  g.stats[0] = s;
  g.stats[1] = s;
  g.stats[2] = {s.mean / 10, s.std / 10, s.min / 10, s.max / 10};
  g.stats[3] = g.stats[2];
  return g;
}

StudyAggregate width_study() {
  StudyAggregate a;
  a.study = "hand";
  a.keys = {"width"};
  a.paths = {"naive", "wm"};
  a.groups = {group({{"width", 8}}, "naive", 3, stats(0.9, 0.1, 0.8, 1.0)),
              group({{"width", 8}}, "wm", 3, stats(0.3, 0.05, 0.25, 0.36)),
              group({{"width", 32}}, "naive", 3, stats(0.5, 0.2, 0.3, 0.7)),
              group({{"width", 32}}, "wm", 2, stats(0.1, 0.02, 0.09, 0.12)),  // n = 2: min–max
              group({{"width", 128}}, "naive", 3, stats(0.2, 0.05, 0.15, 0.26)),
              group({{"width", 128}}, "wm", 3, stats(0.02, 0.01, 0.01, 0.03))};
  return a;
}

QList<QPointF> pts(std::initializer_list<std::pair<double, double>> xy) {
  QList<QPointF> out;
  for (const auto& [x, y] : xy) out.append({x, y});
  return out;
}

bool near(const QList<QPointF>& a, const QList<QPointF>& b) {
  if (a.size() != b.size()) return false;
  for (qsizetype i = 0; i < a.size(); ++i)
    if (std::abs(a[i].x() - b[i].x()) > 1e-9 || std::abs(a[i].y() - b[i].y()) > 1e-9) return false;
  return true;
}

}  // namespace

void TestStudyView::linesBandsAndLogX() {
  StudyChart c;
  c.setAggregate(width_study());
  QCOMPARE(c.xKey(), QString("width"));
  QVERIFY(c.lineKey().isEmpty());
  QVERIFY(c.logX());
  QCOMPARE(c.seriesNames(), (QStringList{"naive", "wm"}));
  QVERIFY(near(c.seriesPoints("naive"), pts({{8, 0.9}, {32, 0.5}, {128, 0.2}})));
  // Auto band: ± std where n ≥ 3, min–max where n = 2.
  QVERIFY(near(c.bandLow("wm"), pts({{8, 0.25}, {32, 0.09}, {128, 0.01}})));
  QVERIFY(near(c.bandLow("naive"), pts({{8, 0.8}, {32, 0.3}, {128, 0.15}})));
  QVERIFY(near(c.bandHigh("naive"), pts({{8, 1.0}, {32, 0.7}, {128, 0.25}})));
  c.setBand(StudyChart::Band::MinMax);
  QVERIFY(near(c.bandHigh("naive"), pts({{8, 1.0}, {32, 0.7}, {128, 0.26}})));
  c.setBand(StudyChart::Band::None);
  QVERIFY(c.bandLow("naive").isEmpty());
  // Error barriers are drawn in %.
  c.setMeasure(2);
  QVERIFY(near(c.seriesPoints("naive"), pts({{8, 9}, {32, 5}, {128, 2}})));
  QVERIFY(c.chart()->title().contains("test error barrier (linear)"));
  // A study without the chosen split shows the other one.
  StudyAggregate train = width_study();
  for (StudyGroupRow& g : train.groups) g.split = "train";
  c.setAggregate(train);
  QCOMPARE(c.split(), QString("train"));
  QCOMPARE(c.seriesNames().size(), 2);
  // Learning rates that are not powers of two: log x still; depth: linear x.
  StudyAggregate depth = width_study();
  for (StudyGroupRow& g : depth.groups) g.values[0].key = "depth";
  depth.keys = {"depth"};
  c.setAggregate(depth);
  QVERIFY(!c.logX());
}

void TestStudyView::secondVariableSplitsLines() {
  StudyAggregate a;
  a.study = "two";
  a.keys = {"width", "depth"};
  a.paths = {"naive"};
  for (double d : {1.0, 2.0})
    for (double w : {8.0, 32.0})
      a.groups.push_back(group({{"width", w}, {"depth", d}}, "naive", 3, stats(d / w, 0.01, 0, 1)));
  StudyChart c;
  c.setAggregate(a);
  QCOMPARE(c.xKey(), QString("width"));
  QCOMPARE(c.lineKey(), QString("depth"));
  QCOMPARE(c.seriesNames(), (QStringList{"naive · depth=1", "naive · depth=2"}));
  QVERIFY(near(c.seriesPoints("naive · depth=2"), pts({{8, 0.25}, {32, 2.0 / 32}})));
  QVERIFY(c.lineStyle("naive · depth=1") != c.lineStyle("naive · depth=2"));
}

// A swept variable without numeric values (attn): a category axis in the sweep's order, the
// lines' points side by side around each category with error bars, no line between them; a
// numeric variable that varies too takes the x axis and the variants split lines.
void TestStudyView::attentionVariantsOnACategoryAxis() {
  auto attn_group = [](const std::string& variant, const std::string& path, int n, BarrierStats s) {
    StudyGroupRow g = group({}, path, n, s);
    g.values = {{"attn", variant, NAN}};
    g.group = "attn=" + variant;
    return g;
  };
  StudyAggregate a;
  a.study = "attn";
  a.keys = {"attn"};
  a.paths = {"naive", "wm"};
  // The sweep's order (not alphabetical): softmax, linear_elu, inline.
  a.groups = {attn_group("softmax", "naive", 3, stats(0.7, 0.1, 0.6, 0.8)),
              attn_group("softmax", "wm", 3, stats(0.5, 0.1, 0.4, 0.6)),
              attn_group("linear_elu", "naive", 2, stats(0.4, 0.05, 0.3, 0.5)),
              attn_group("linear_elu", "wm", 2, stats(0.45, 0.05, 0.42, 0.48)),
              attn_group("inline", "naive", 3, stats(0.3, 0.1, 0.2, 0.4)),
              attn_group("inline", "wm", 3, stats(0.1, 0.02, 0.08, 0.12))};
  StudyChart c;
  c.resize(800, 500);
  c.setAggregate(a);
  QCOMPARE(c.xKey(), QString("attn"));
  QVERIFY(c.lineKey().isEmpty());
  QVERIFY(!c.logX());
  QVERIFY(c.note().isEmpty());  // every group drawn
  QCOMPARE(c.categories(), (QStringList{"softmax", "linear_elu", "inline"}));
  QCOMPARE(c.seriesNames(), (QStringList{"naive", "wm"}));
  // The axis names the categories, each centred on its slot.
  QCategoryAxis* ax = nullptr;
  for (QAbstractAxis* axis : c.chart()->axes(Qt::Horizontal)) ax = qobject_cast<QCategoryAxis*>(axis);
  QVERIFY(ax);
  QCOMPARE(ax->categoriesLabels(), (QStringList{"softmax", "linear_elu", "inline"}));
  QCOMPARE(ax->min(), -0.5);
  QCOMPARE(ax->max(), 2.5);
  // Points: category i, naive left of wm by the same small offset everywhere.
  const QList<QPointF> naive = c.seriesPoints("naive"), wm = c.seriesPoints("wm");
  QCOMPARE(naive.size(), 3);
  QCOMPARE(wm.size(), 3);
  for (int i = 0; i < 3; ++i) {
    QCOMPARE(std::round(naive[i].x()), double(i));
    QCOMPARE(std::round(wm[i].x()), double(i));
    QVERIFY(naive[i].x() < i && wm[i].x() > i && wm[i].x() - naive[i].x() < 0.4);
    QVERIFY(std::abs((naive[i].x() - i) + (wm[i].x() - i)) < 1e-12);  // symmetric
  }
  QVERIFY(near(naive, pts({{naive[0].x(), 0.7}, {naive[1].x(), 0.4}, {naive[2].x(), 0.3}})));
  // Error bars: ± std where n ≥ 3, min–max where n = 2, at the points' x.
  QVERIFY(near(c.bandLow("naive"), pts({{naive[0].x(), 0.6}, {naive[1].x(), 0.3}, {naive[2].x(), 0.2}})));
  QVERIFY(near(c.bandHigh("wm"), pts({{wm[0].x(), 0.6}, {wm[1].x(), 0.48}, {wm[2].x(), 0.12}})));
  QVERIFY(c.chart()->title().contains("error bars"));
  // A point picks its group.
  const auto hit = c.hitAt(naive[1]);
  QVERIFY(hit.has_value());
  QCOMPARE(hit->group, QString("attn=linear_elu"));
  QCOMPARE(hit->path, QString("naive"));

  // What is drawn: a marker of the path's colour at each point, and no line between the
  // categories (the pixels halfway between two naive points are not its colour).
  c.show();
  QVERIFY(QTest::qWaitForWindowExposed(&c));
  const QImage img = c.viewport()->grab().toImage();
  if (const QByteArray out = qgetenv("RIDGELINE_STUDY_CHART_PNG"); !out.isEmpty()) img.save(out);
  auto pixel_at = [&](const QPointF& value) {
    const QPointF scene = c.chart()->mapToScene(c.chart()->mapToPosition(value));
    const QPoint px = c.mapFromScene(scene);
    return img.pixelColor(px.x() * img.width() / c.viewport()->width(),
                          px.y() * img.height() / c.viewport()->height());
  };
  auto near_colour = [](const QColor& got, const QColor& want) {
    return std::abs(got.red() - want.red()) + std::abs(got.green() - want.green()) +
               std::abs(got.blue() - want.blue()) < 60;
  };
  const QColor blue(0, 114, 178), vermillion(213, 94, 0);  // naive, wm
  for (int i = 0; i < 3; ++i) {
    QVERIFY2(near_colour(pixel_at(naive[i]), blue), qPrintable(pixel_at(naive[i]).name()));
    QVERIFY2(near_colour(pixel_at(wm[i]), vermillion), qPrintable(pixel_at(wm[i]).name()));
  }
  for (int i = 0; i < 2; ++i) {
    const QPointF mid = (naive[i] + naive[i + 1]) / 2;
    QVERIFY2(!near_colour(pixel_at(mid), blue), qPrintable(pixel_at(mid).name()));
  }
  // The error bar's whisker above the point is drawn in its colour.
  const QPointF above(naive[0].x(), (0.7 + 0.8) / 2);
  QVERIFY2(near_colour(pixel_at(above), blue), qPrintable(pixel_at(above).name()));

  // A numeric variable that varies as well is the x axis; the variants split the lines.
  StudyAggregate b;
  b.study = "attn-lr";
  b.keys = {"attn", "lr"};
  b.paths = {"naive"};
  for (const char* v : {"softmax", "inline"})
    for (double lr : {0.001, 0.01}) {
      StudyGroupRow g = group({{"lr", lr}}, "naive", 2, stats(lr * 10, 0.01, lr * 10 - 0.01, lr * 10 + 0.01));
      g.values.insert(g.values.begin(), {"attn", v, NAN});
      g.group = std::string("attn=") + v + "," + g.group;
      b.groups.push_back(g);
    }
  c.setAggregate(b);
  QCOMPARE(c.xKey(), QString("lr"));
  QCOMPARE(c.lineKey(), QString("attn"));
  QVERIFY(c.categories().isEmpty());
  QVERIFY(c.logX());
  QCOMPARE(c.seriesNames(), (QStringList{"naive · attn=softmax", "naive · attn=inline"}));
  QVERIFY(near(c.seriesPoints("naive · attn=inline"), pts({{0.001, 0.01}, {0.01, 0.1}})));
  QVERIFY(c.lineStyle("naive · attn=softmax") != c.lineStyle("naive · attn=inline"));
}

void TestStudyView::clickingAPointNamesItsGroup() {
  StudyView v;
  v.resize(900, 600);
  v.setAggregate(width_study());
  v.show();
  QVERIFY(QTest::qWaitForWindowExposed(&v));
  StudyChart* c = v.chart();
  const auto hit = c->hitAt({32, 0.5});
  QVERIFY(hit.has_value());
  QCOMPARE(hit->group, QString("width=32"));
  QCOMPARE(hit->path, QString("naive"));
  QCOMPARE(hit->n, 3);
  QVERIFY2(c->hitText(*hit).contains("+0.5 ± 0.2 (std)"), qPrintable(c->hitText(*hit)));
  QVERIFY(!c->hitAt({16, 0.7}).has_value());  // between points, off the lines
  // A real click on the point's pixel.
  QSignalSpy clicked(&v, &StudyView::cellsRequested);
  const QPointF scene = c->chart()->mapToScene(c->chart()->mapToPosition({128, 0.02}));
  QTest::mouseClick(c->viewport(), Qt::LeftButton, {}, c->mapFromScene(scene));
  QCOMPARE(clicked.count(), 1);
  QCOMPARE(clicked.at(0).at(0).toString(), QString("width=128"));
  QCOMPARE(clicked.at(0).at(1).toString(), QString("wm"));
  // The table follows the measure; its CSV keeps full precision and errors as fractions.
  QCOMPARE(v.table()->rowCount(), 6);
  v.measureBox()->setCurrentIndex(2);
  QVERIFY(v.table()->item(0, 3)->text().endsWith("%"));
  const QString csv = v.tableCsv();
  const QStringList lines = csv.split('\n');
  QCOMPARE(lines[0], QString("width,group,path,split,n,error_lin_mean,error_lin_std,error_lin_min,"
                             "error_lin_max"));
  const QStringList first = lines[1].split(',');
  QCOMPARE(first.mid(0, 5), (QStringList{"8", "width=8", "naive", "test", "3"}));
  QCOMPARE(first[5].toDouble(), 0.9 / 10);  // a fraction, every digit kept
}

void TestStudyView::progressOverCells() {
  const StudySpec study = load_study(test::source_path("resources/studies/gmm-width-study.json"));
  const std::vector<StudyCell> cells = expand_study(study);
  QCOMPARE(cells.size(), size_t(9));
  gui::StudyProgress p(cells);
  QCOMPARE(p.etaText(0), QString("starting"));
  p.cellStarted(0, true, 0.0);  // reused: no time
  p.cellStarted(1, false, 0.0);
  QCOMPARE(p.etaText(0.5), QString("cell 2 of 9 · estimating…"));
  RunProgress t;
  t.kind = StageKind::Train;
  t.model = "seed0";
  t.total = 100;
  t.done = 0;
  p.report(t, 0.0);
  t.done = 50;
  p.report(t, 5.0);  // seed0: 10 s; seed1 the same; the steps untimed in the first cell
  QVERIFY(p.secondsLeft(5.0) > 0);
  p.cellStarted(2, false, 30.0);  // cell 2 took 30 s: every later cell is timed by it
  QCOMPARE(p.cellsDone(), 2);
  QCOMPARE(p.secondsLeft(30.0), 30.0 * 7);
  QCOMPARE(p.etaText(30.0), QString("cell 3 of 9 · about 3 min 30 s left"));
  QCOMPARE(p.fraction(30.0), 30.0 / (30.0 + 210.0));
  p.cellStarted(1, false, 31.0);  // a late, earlier cell: ignored
  QCOMPARE(p.cellsDone(), 2);
  p.finish(40.0);
  QCOMPARE(p.fraction(40.0), 1.0);
  QCOMPARE(p.etaText(40.0), QString("done"));
}

void TestStudyView::windowRunsAStudyAndOpensItsCells() {
  const test::ScratchDir ws("study-window");
  gui::GuiOptions o;
  o.workspace = QString::fromStdString(ws.path().string());
  o.out_dir = QString::fromStdString(ws.file("study"));
  o.device = "cpu";
  o.threads = 1;
  gui::MainWindow w(o);
  w.setInteractive(false);
  QSignalSpy ended(&w, &gui::MainWindow::runEnded);
  QSignalSpy cells(&w.jobQueue().runner(), &gui::JobRunner::cellStarted);
  QString why;
  QVERIFY2(w.runSpecFile(QString::fromStdString(test::source_path("resources/studies/gmm-width-study.json")), &why),
           qPrintable(why));
  const gui::Job* job = w.jobQueue().running();
  QVERIFY(job && job->study);
  QVERIFY(job->name.contains("study, 9 cells"));
  const int id = job->id;
  QVERIFY(ended.wait(120000));
  QCOMPARE(ended.at(0).at(0).toBool(), true);
  QCOMPARE(cells.count(), 9);
  QVERIFY2(w.studyView() != nullptr, qPrintable(w.lastError()));
  const StudyAggregate& agg = w.studyView()->aggregate();
  QCOMPARE(agg.paths, (std::vector<std::string>{"naive", "wm"}));
  QVERIFY(agg.missing.empty());
  QCOMPARE(w.studyView()->chart()->seriesNames(), (QStringList{"naive", "wm"}));
  QVERIFY(w.showView("study"));
  QVERIFY(w.jobQueue().job(id)->run_dir == o.out_dir);

  // Exports of the study view: the chart and its table.
  const QString png = QString::fromStdString(ws.file("study.png"));
  QVERIFY2(w.exportView("study", png, &why), qPrintable(why));
  QVERIFY(QFileInfo(png).size() > 1000);
  const QString csv = QString::fromStdString(ws.file("study.csv"));
  QVERIFY2(w.exportCurrentNumbers(csv, &why), qPrintable(why));

  // A point stands for a group of three cells (seed pairs); one opens on its path's tab.
  QCOMPARE(w.studyCells("width=16"),
           (QStringList{"width=16,pair=0", "width=16,pair=1", "width=16,pair=2"}));
  QVERIFY2(w.openStudyCell("width=16,pair=1", "wm", &why), qPrintable(why));
  QVERIFY(w.studyView() == nullptr);
  QCOMPARE(w.lastSummary().run_dir, ws.file("study/cells/width=16,pair=1"));
  QLabel* back = nullptr;
  for (QLabel* l : w.findChildren<QLabel*>())
    if (l->text().contains("Back to study")) back = l;
  QVERIFY(back != nullptr);
  emit back->linkActivated("ridgeline-study:back");
  QVERIFY(w.studyView() != nullptr);
  QVERIFY(!w.openStudyCell("width=99,pair=0", "wm", &why));
  QVERIFY(why.contains("no cell"));

  // Opening the folder again (File ▸ Open run folder… takes study folders too).
  QVERIFY2(w.openRunFolder(o.out_dir, &why), qPrintable(why));
  QVERIFY(w.studyView() != nullptr);

  // Run from the editor: a study document queues a study job.
  QVERIFY2(w.editor()->loadFile(QString::fromStdString(test::source_path("resources/studies/gmm-width-study.json")), &why),
           qPrintable(why));
  ended.clear();
  cells.clear();
  QVERIFY2(w.runEditorSpec(&why), qPrintable(why));
  QVERIFY(w.jobQueue().jobs().back().study.has_value());
  QVERIFY(ended.wait(120000));
  // The same study into the same folder: every finished cell is reused, none rerun.
  QCOMPARE(cells.count(), 9);
  for (const auto& c : cells) QVERIFY(c.at(3).toBool());
  QVERIFY(w.studyView() != nullptr);
}

QTEST_MAIN(TestStudyView)
#include "test_study_view.moc"
