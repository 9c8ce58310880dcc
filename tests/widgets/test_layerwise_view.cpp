// The layerwise step in the window and its figure: a real run of the bundled gmm-layerwise
// example; the chart's groups and bar heights are the result's barriers (loss and error, rest
// at A and at B, the whole path in both); the window has one tab per layerwise step with its
// numbers line, --view and chart export; the paper figure's bars are the same numbers.
#include <QComboBox>
#include <QImage>
#include <QtTest>
#include <cmath>

#include "figures/figure_views.h"
#include "gui/main_window/main_window.h"
#include "gui/results/layerwise_view.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/experiment/run.h"
#include "ridgeline/paths/layerwise.h"
#include "test_support.h"
#include "widgets/layerwise/layerwise_chart.h"

using namespace ridgeline;

namespace {

const LayerwiseResult* find(const RunSummary& run, const std::string& id) {
  for (const StepResult& r : run.results)
    if (r.id == id) return r.as<LayerwiseResult>();
  return nullptr;
}

}  // namespace

class TestLayerwiseView : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    RunOptions o;
    o.out_dir = ws_.file("run");
    o.device = "cpu";
    o.threads = 1;
    run_experiment(load_spec(test::source_path("resources/experiments/gmm-layerwise.json")), o);
    run_dir_ = QString::fromStdString(o.out_dir);
  }

  void chartShowsTheBarriers() {
    const RunSummary run = load_run(run_dir_.toStdString());
    const LayerwiseResult* r = find(run, "layerwise-naive");
    QVERIFY(r != nullptr);
    widgets::LayerwiseChart chart;
    chart.setResult(*r);
    QCOMPARE(chart.categories(), (QStringList{"fc0", "fc1", "fc2", "fc0..fc1", "whole path"}));
    const auto a = chart.values('a'), b = chart.values('b');
    for (const auto& p : r->paths) {
      const int g = chart.categories().indexOf(QString::fromStdString(
          p.cumulative ? p.layers.front() + ".." + p.layers.back() : p.layer));
      QVERIFY(g >= 0);
      QCOMPARE((p.base == "a" ? a : b)[g], p.curve.test->barriers.loss_lin);
    }
    QCOMPARE(a.back(), r->whole.test->barriers.loss_lin);
    QCOMPARE(b.back(), r->whole.test->barriers.loss_lin);
    chart.setResult(*r, true);
    QCOMPARE(chart.values('a')[0], r->paths[0].curve.test->barriers.error_lin);
    QVERIFY(chart.csv().startsWith("path,base,cumulative,loss_lin,loss_alpha,error_lin,error_alpha\n"));
    QCOMPARE(chart.csv().count('\n'), static_cast<int>(r->paths.size()) + 2);
  }

  void figureBarsAreTheBarriers() {
    ExperimentSpec spec;
    const RunSummary run = load_run(run_dir_.toStdString(), &spec);
    figures::FigureInput in{&run, &spec, "run", nullptr, nullptr, {}};
    const auto views = figures::available_views(in);
    QVERIFY(std::find(views.begin(), views.end(), "layerwise:layerwise-wm") != views.end());
    const figure::Figure f = figures::build_figure(in, "layerwise:layerwise-wm");
    QCOMPARE(f.panels.size(), size_t(2));
    QCOMPARE(f.panels[0].x.categories, (std::vector<std::string>{"0", "1", "2", "\u22641"}));
    const LayerwiseResult* r = find(run, "layerwise-wm");
    QCOMPARE(f.panels[0].series[0].y[1], r->paths[1].curve.test->barriers.loss_lin);
    QCOMPARE(f.panels[1].series[2].y.front(), r->whole.test->barriers.error_lin);  // the dashed line
    QVERIFY_THROWS_EXCEPTION(InputError, figures::build_figure(in, "layerwise:nope"));
  }

  void windowShowsEveryLayerwiseStep() {
    gui::GuiOptions o;
    o.workspace = QString::fromStdString(ws_.file("ws"));
    o.device = "cpu";
    o.threads = 1;
    gui::MainWindow w(o);
    w.setInteractive(false);
    w.resize(1400, 900);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QString why;
    QVERIFY2(w.openRunFolder(run_dir_, &why), qPrintable(why));
    auto* pages = w.results().get<gui::LayerwisePages>();
    QVERIFY(pages != nullptr);
    QCOMPARE(pages->ids(), (QStringList{"layerwise-naive", "layerwise-wm"}));
    QVERIFY2(pages->summary("layerwise-naive").contains("whole path +"),
             qPrintable(pages->summary("layerwise-naive")));
    QVERIFY2(w.showView("layerwise:layerwise-wm", &why), qPrintable(why));
    QVERIFY(!w.showView("layerwise:nope", &why));
    QVERIFY(why.contains("layerwise-naive, layerwise-wm"));
    // The measure choice switches the chart to error barriers.
    auto* measure = w.findChild<QComboBox*>("layerwise.measure");
    QVERIFY(measure != nullptr);
    measure->setCurrentIndex(1);
    QVERIFY(pages->chart("layerwise-naive")->showsError() || pages->chart("layerwise-wm")->showsError());
    const QString png = QString::fromStdString(ws_.file("lw.png"));
    QVERIFY2(w.exportView("layerwise:layerwise-wm", png, &why), qPrintable(why));
    QVERIFY(!QImage(png).isNull());
  }

 private:
  test::ScratchDir ws_{"layerwise-view"};
  QString run_dir_;
};

QTEST_MAIN(TestLayerwiseView)
#include "test_layerwise_view.moc"
