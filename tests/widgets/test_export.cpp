// Export of charts (PNG, SVG) and numbers (CSV) from hand-made results, the recent-files
// settings, and the window's export entry points. Settings go to a scratch folder only.
#include <QChart>
#include <QFile>
#include <QImage>
#include <QSettings>
#include <QTemporaryDir>
#include <QXmlStreamReader>
#include <QtTest>

#include "gui/main_window/export.h"
#include "gui/main_window/main_window.h"
#include "gui/main_window/settings.h"
#include "widgets/paths/interpolation_chart.h"
#include "widgets/paths/paths_chart.h"
#include "ridgeline/paths/interpolation.h"
#include "widgets/training/training_monitor.h"

using namespace ridgeline;
using namespace ridgeline::gui;
using ridgeline::widgets::InterpolationChart;
using ridgeline::widgets::PathsChart;

namespace {

InterpolationResult handMade() {
  InterpolationResult r;
  r.alpha = {0.0, 0.25, 0.5, 0.75, 1.0};
  SplitCurve test;
  test.loss = {0.1, 1.0 / 3.0, 0.5, 0.30000000000000004, 0.2};
  test.error = {0.01, 0.125, 0.25, 0.1, 0.02};
  test.barriers = {0.35, 0.35, 0.235, 0.235, 0.5, 0.5};
  SplitCurve train;
  train.loss = {0.05, 0.2, 0.4, 0.15, 0.07};
  train.error = {0.0, 0.0625, 0.125, 0.03, 0.005};
  train.barriers = {0.34, 0.34, 0.1225, 0.1225, 0.5, 0.5};
  r.test = test;
  r.train = train;
  return r;
}

QStringList readLines(const QString& path) {
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly | QIODevice::Text)) return {};
  QStringList lines = QString::fromUtf8(f.readAll()).split('\n');
  if (!lines.isEmpty() && lines.back().isEmpty()) lines.removeLast();
  return lines;
}

/// Pixels that are not (near) white: a blank render has none.
int inkPixels(const QImage& img) {
  int n = 0;
  for (int y = 0; y < img.height(); y += 4)
    for (int x = 0; x < img.width(); x += 4)
      if (qGray(img.pixel(x, y)) < 200) ++n;
  return n;
}

}  // namespace

class TestExport : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase();
  void pngHasRequestedSizeAndInk();
  void pngCustomSizeAndChartRestored();
  void svgIsWellFormedWithPaths();
  void exportRejectsBadNames();
  void interpolationCsvExact();
  void pathsAndBarriersCsv();
  void alignmentAndTrainingCsv();
  void recentFilesRoundTrip();
  void windowExportsAndAbout();

 private:
  QTemporaryDir scratch_;
  QString tmp(const QString& name) const { return scratch_.filePath(name); }
};

void TestExport::initTestCase() {
  QVERIFY(scratch_.isValid());
  // Every QSettings of this process (the window's included) lives in the scratch folder.
  QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, tmp("settings"));
  QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, tmp("settings"));
}

void TestExport::pngHasRequestedSizeAndInk() {
  InterpolationChart chart;
  chart.resize(700, 450);
  chart.setResult(handMade(), "seed0 → seed1 (naive)");
  const QString path = tmp("chart.png");
  QString error;
  QVERIFY2(export_chart_png(&chart, path, kExportPixels, &error), qPrintable(error));
  QImage img;
  QVERIFY(img.load(path));
  QCOMPARE(img.size(), QSize(1800, 1200));
  QCOMPARE(img.devicePixelRatio(), 1.0);
  QVERIFY2(inkPixels(img) > 500, "the exported chart is blank");
  // Corner is the white page background.
  QCOMPARE(qGray(img.pixel(2, 2)), 255);
  // export_chart picks PNG by suffix, case-insensitively.
  QVERIFY2(export_chart(&chart, tmp("upper.PNG"), &error), qPrintable(error));
  QVERIFY(QImage(tmp("upper.PNG")).size() == QSize(1800, 1200));
}

void TestExport::pngCustomSizeAndChartRestored() {
  PathsChart chart;
  chart.resize(640, 400);
  chart.show();
  QVERIFY(QTest::qWaitForWindowExposed(&chart));
  chart.setPath("naive", handMade());
  const QSizeF before = chart.chart()->size();
  QString error;
  QVERIFY2(export_chart_png(&chart, tmp("small.png"), QSize(600, 300), &error),
           qPrintable(error));
  QCOMPARE(QImage(tmp("small.png")).size(), QSize(600, 300));
  QCOMPARE(chart.chart()->size(), before);  // the on-screen chart is laid out as before
}

void TestExport::svgIsWellFormedWithPaths() {
  InterpolationChart chart;
  chart.resize(700, 450);
  chart.setResult(handMade(), "seed0 → seed1 (naive)");
  const QString path = tmp("chart.svg");
  QString error;
  QVERIFY2(export_chart(&chart, path, &error), qPrintable(error));
  QFile f(path);
  QVERIFY(f.open(QIODevice::ReadOnly));
  QXmlStreamReader xml(&f);
  int svg = 0, paths = 0, texts = 0;
  QString width, height, view_box, all_text;
  while (!xml.atEnd()) {
    if (xml.readNext() != QXmlStreamReader::StartElement) continue;
    if (xml.name() == u"svg") {
      if (svg++ == 0) {
        width = xml.attributes().value("width").toString();
        height = xml.attributes().value("height").toString();
        view_box = xml.attributes().value("viewBox").toString();
      }
    } else if (xml.name() == u"path" || xml.name() == u"polyline") {
      ++paths;
    } else if (xml.name() == u"text") {
      ++texts;
      all_text += xml.readElementText(QXmlStreamReader::IncludeChildElements) + "\n";
    }
  }
  QVERIFY2(!xml.hasError(), qPrintable(xml.errorString()));
  QCOMPARE(svg, 1);
  QVERIFY2(paths >= 1, "no <path> in the SVG");
  QCOMPARE(width, QString("180mm"));
  QCOMPARE(height, QString("120mm"));
  QCOMPARE(view_box, QString("0 0 900 600"));
  // Text stays text (editable in a vector editor): the legend names the curves.
  QVERIFY2(texts > 0 && all_text.contains("test loss"), qPrintable(all_text));
}

void TestExport::exportRejectsBadNames() {
  InterpolationChart chart;
  chart.setResult(handMade(), "p");
  QString error;
  QVERIFY(!export_chart(&chart, tmp("figure.jpg"), &error));
  QVERIFY2(error.contains("figure.jpg") && error.contains(".svg"), qPrintable(error));
  error.clear();
  QVERIFY(!export_chart_png(&chart, tmp("missing-dir/figure.png"), kExportPixels, &error));
  QVERIFY2(error.contains("missing-dir/figure.png"), qPrintable(error));
  error.clear();
  QVERIFY(!export_chart_svg(&chart, tmp("missing-dir/figure.svg"), kExportMillimetres, &error));
  QVERIFY2(error.contains("missing-dir/figure.svg"), qPrintable(error));
  QVERIFY(!export_chart(nullptr, tmp("x.png"), &error));
  QVERIFY(!write_text_file(tmp("missing-dir/x.csv"), "a\n", &error));
}

void TestExport::interpolationCsvExact() {
  const InterpolationResult r = handMade();
  const QString path = tmp("path.csv");
  QString error;
  QVERIFY2(write_text_file(path, interpolation_csv(r), &error), qPrintable(error));
  const QStringList lines = readLines(path);
  QCOMPARE(lines.size(), 1 + static_cast<int>(r.alpha.size()));
  QCOMPARE(lines[0], QString("alpha,train_loss,train_error,test_loss,test_error"));
  for (size_t i = 0; i < r.alpha.size(); ++i) {
    const QStringList f = lines[static_cast<int>(i) + 1].split(',');
    QCOMPARE(f.size(), 5);
    const double want[5] = {r.alpha[i], r.train->loss[i], r.train->error[i], r.test->loss[i],
                            r.test->error[i]};
    for (int c = 0; c < 5; ++c) {
      bool ok = false;
      QCOMPARE(f[c].toDouble(&ok), want[c]);  // exact: 17 significant digits round-trip
      QVERIFY(ok);
    }
  }
  QVERIFY(lines[2].contains("0.33333333333333331"));
  QVERIFY(lines[4].contains("0.30000000000000004"));
  // Train only: only its columns.
  InterpolationResult t = r;
  t.test.reset();
  QCOMPARE(interpolation_csv(t).section('\n', 0, 0), QString("alpha,train_loss,train_error"));
}

void TestExport::pathsAndBarriersCsv() {
  InterpolationResult a = handMade();
  InterpolationResult b = handMade();
  b.test.reset();  // drawn (and exported) with its train loss
  const QList<QPair<QString, InterpolationResult>> paths{{"naive", a}, {"wm, repaired", b}};
  const QStringList lines = paths_csv(paths).split('\n', Qt::SkipEmptyParts);
  QCOMPARE(lines.size(), 6);
  QCOMPARE(lines[0], QString("alpha,naive:test_loss,\"wm, repaired:train_loss\""));
  QCOMPARE(lines[3], QString("0.5,0.5,0.40000000000000002"));
  QCOMPARE(lines[2].split(',')[1].toDouble(), 1.0 / 3.0);
  // As the overlay draws them with "Train split" and "Error": a's train errors; b has only
  // its train split anyway.
  const QStringList train_err = paths_csv(paths, true, true).split('\n', Qt::SkipEmptyParts);
  QCOMPARE(train_err[0], QString("alpha,naive:train_error,\"wm, repaired:train_error\""));
  QCOMPARE(train_err[2], QString("0.25,0.0625,0.0625"));
  const QStringList test_err = paths_csv({{"a", a}}, false, true).split('\n', Qt::SkipEmptyParts);
  QCOMPARE(test_err[0], QString("alpha,a:test_error"));
  QCOMPARE(test_err[3], QString("0.5,0.25"));

  const QStringList rows = barriers_csv(paths).split('\n', Qt::SkipEmptyParts);
  QCOMPARE(rows.size(), 4);  // header, naive test + train, repaired train
  // One vocabulary with the run folder's results/barriers.csv, α of the barrier included.
  QCOMPARE(rows[0], QString("path,split,loss_lin,loss_mid,error_lin,error_mid,loss_alpha,"
                            "error_alpha,loss_a,loss_b"));
  QCOMPARE(rows[1], QString("naive,test,0.34999999999999998,0.34999999999999998,"
                            "0.23499999999999999,0.23499999999999999,0.5,0.5,"
                            "0.10000000000000001,0.20000000000000001"));
  QVERIFY(rows[2].startsWith("naive,train,0.34000000000000002,"));
  QVERIFY(rows[3].startsWith("\"wm, repaired\",train,"));
  QCOMPARE(barriers_path_for("/a/b/fig.csv"), QString("/a/b/fig-barriers.csv"));
  QCOMPARE(barriers_path_for("/a/b/fig"), QString("/a/b/fig-barriers.csv"));
}

void TestExport::recentFilesRoundTrip() {
  const QString ini = tmp("recent.ini");
  {
    QSettings s(ini, QSettings::IniFormat);
    for (int i = 0; i < 10; ++i) add_recent_file(s, kRecentSpecsKey, tmp(QString("s%1.json").arg(i)));
    add_recent_file(s, kRecentSpecsKey, tmp("s5.json"));  // moves to the front, no duplicate
    add_recent_file(s, kRecentRunsKey, tmp("runs/r0"));
  }
  QSettings s(ini, QSettings::IniFormat);
  const QStringList specs = recent_files(s, kRecentSpecsKey);
  QCOMPARE(specs.size(), kMaxRecent);
  QCOMPARE(specs.front(), tmp("s5.json"));
  QCOMPARE(specs[1], tmp("s9.json"));
  QCOMPARE(specs.count(tmp("s5.json")), 1);
  QVERIFY(!specs.contains(tmp("s0.json")));  // the oldest fell off
  QCOMPARE(recent_files(s, kRecentRunsKey), QStringList{tmp("runs/r0")});
  QCOMPARE(remove_recent_file(s, kRecentRunsKey, tmp("runs/r0")), QStringList{});
}

void TestExport::windowExportsAndAbout() {
  GuiOptions o;
  o.device = "cpu";
  o.threads = 3;
  MainWindow w(o);
  w.setInteractive(false);
  QVERIFY(!w.settingsEnabled());
  w.enableSettings();
  QSettings s("Ridgeline", "Ridgeline");
  QVERIFY2(s.fileName().startsWith(tmp("settings")), qPrintable(s.fileName()));
  w.show();
  QVERIFY(QTest::qWaitForWindowExposed(&w));
  // No results yet: the chart is the training monitor; numbers need a result.
  QCOMPARE(w.currentChart(), static_cast<QChartView*>(w.trainingMonitor()));
  QString error;
  QVERIFY2(w.exportCurrentChart(tmp("monitor.svg"), &error), qPrintable(error));
  QVERIFY(QFile::exists(tmp("monitor.svg")));
  QVERIFY(!w.exportCurrentNumbers(tmp("none.csv"), &error));
  QVERIFY2(error.contains("no interpolation results"), qPrintable(error));
  QCOMPARE(w.threadsText(), QString("Threads: 3"));
  const QString about = w.aboutText();
  QVERIFY2(about.contains(QString::fromLatin1(qVersion())), qPrintable(about));
  QVERIFY2(about.contains("CUDA"), qPrintable(about));
  QVERIFY2(about.contains("Ridgeline "), qPrintable(about));
  // Geometry and state are kept on close, in the scratch settings.
  w.close();
  s.sync();
  QVERIFY(!s.value(kGeometryKey).toByteArray().isEmpty());
  QVERIFY(!s.value(kStateKey).toByteArray().isEmpty());
}

void TestExport::alignmentAndTrainingCsv() {
  AlignmentReport r;
  r.method = "wm";
  r.sweeps = 3;
  r.seconds = 0.5;
  r.objective_before = 1.25;
  r.objective_after = 7.5;
  r.l2_before = 20.0;
  r.l2_after = 0.1;
  r.function_max_diff = 1e-6;
  r.function_passed = true;
  r.layers = {{"P0", 4, 2.5, 3}, {"P1, second", 2, 0.1, 0}};
  const QStringList a = alignment_csv({{"align-seed1@wm", r}}).split('\n', Qt::SkipEmptyParts);
  QCOMPARE(a.size(), 3);
  QCOMPARE(a[0], QString("step,method,sweeps,seconds,objective_before,objective_after,l2_before,"
                         "l2_after,max_abs_logit_diff,function_passed,layer,size,moved,gain"));
  QCOMPARE(a[1], QString("align-seed1@wm,wm,3,0.5,1.25,7.5,20,0.10000000000000001,"
                         "9.9999999999999995e-07,true,P0,4,3,2.5"));
  QVERIFY(a[2].endsWith(",\"P1, second\",2,0,0.10000000000000001"));

  EpochMetrics e1;
  e1.epoch = 1;
  e1.train_loss = 0.5;
  e1.train_error = 0.25;
  e1.test_loss = 0.75;
  e1.test_error = 0.125;
  e1.lr = 0.01;
  e1.seconds = 2;
  EpochMetrics e2 = e1;
  e2.epoch = 2;
  e2.test_loss = e2.test_error = -1;  // not evaluated
  const QStringList t = training_csv({{"seed0", {e1, e2}}}).split('\n', Qt::SkipEmptyParts);
  QCOMPARE(t.size(), 3);
  QCOMPARE(t[0], QString("model,epoch,train_loss,train_error,test_loss,test_error,lr,seconds"));
  QCOMPARE(t[1], QString("seed0,1,0.5,0.25,0.75,0.125,0.01,2"));
  QCOMPARE(t[2], QString("seed0,2,0.5,0.25,,,0.01,2"));
  // A distilled model adds its distillation loss, a column the other models leave empty.
  EpochMetrics d = e1;
  d.distill_loss = 0.375;
  const QStringList td =
      training_csv({{"seed0", {e1}}, {"hh", {d}}}).split('\n', Qt::SkipEmptyParts);
  QCOMPARE(td.size(), 3);
  QCOMPARE(td[0], QString("model,epoch,train_loss,train_error,test_loss,test_error,lr,seconds,"
                          "distill_loss"));
  QCOMPARE(td[1], QString("seed0,1,0.5,0.25,0.75,0.125,0.01,2,"));
  QCOMPARE(td[2], QString("hh,1,0.5,0.25,0.75,0.125,0.01,2,0.375"));
}

QTEST_MAIN(TestExport)
#include "test_export.moc"
