// The layerwise step in the window and its figure: a real run of the bundled gmm-layerwise
// example; the chart's groups and bar heights are the result's barriers (loss and error, rest
// at A and at B, the whole path in both); the window has one tab per layerwise step with its
// numbers line, --view and chart export; the paper figure's bars are the same numbers. Without a
// hessian step nothing is marked; with one along the same A → B per layer (the bundled
// gmm-hessian example), the loss chart and the figure mark its midpoint-form predictions on the
// rest-at-A bars of the single layers and the whole path, labelled with the Hessian batch.
#include <QChart>
#include <QComboBox>
#include <QScatterSeries>
#include <QImage>
#include <QtTest>
#include <cmath>

#include "figures/figure_views.h"
#include "gui/main_window/main_window.h"
#include "gui/results/layerwise_view.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/curvature/barrier_predictions.h"
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

const HessianReport* hessian_of(const RunSummary& run, const std::string& id) {
  for (const StepResult& r : run.results)
    if (r.id == id) return r.as<HessianReport>();
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
    o.out_dir = ws_.file("run-hessian");
    run_experiment(load_spec(test::source_path("resources/experiments/gmm-hessian.json")), o);
    hessian_dir_ = QString::fromStdString(o.out_dir);
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
    // No hessian step: no markers.
    QVERIFY(chart.predictionLabel().isEmpty());
    for (double x : chart.predicted()) QVERIFY(std::isnan(x));
    QCOMPARE(chart.chart()->series().size(), 1);
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

  void predictionsMarkTheSingleLayers() {
    const RunSummary run = load_run(hessian_dir_.toStdString());
    const LayerwiseResult* r = find(run, "layerwise-naive");
    const HessianReport* h = hessian_of(run, "hessian-naive");
    const HessianReport* wm = hessian_of(run, "hessian-wm");
    QVERIFY(r && h && wm);
    // The join takes the step of the same A and B, not the first one.
    const LayerwisePredictions p = layerwise_predictions(*r, {{"hessian-wm", wm}, {"hessian-naive", h}});
    QCOMPARE(p.step, std::string("hessian-naive"));
    widgets::LayerwiseChart chart;
    chart.setResult(*r);
    chart.setPredictions(p);
    QCOMPARE(chart.categories(), (QStringList{"fc0", "fc1", "fc2", "fc0..fc1", "whole path"}));
    const auto pred = chart.predicted();
    QCOMPARE(pred[0], h->paths[1].predicted_max);  // paths[0] is the whole model
    QCOMPARE(pred[2], h->paths[3].predicted_max);
    QVERIFY(std::isnan(pred[3]));  // a cumulative range has no prediction
    QCOMPARE(pred[4], h->paths[0].predicted_max);
    QCOMPARE(chart.predictionLabel(), QString("predicted, midpoint form (Hessian batch, 500 samples)"));
    // The markers sit on the rest-at-A bar of their group.
    QScatterSeries* marks = nullptr;
    for (QAbstractSeries* s : chart.chart()->series())
      if (s->name() == chart.predictionLabel()) marks = qobject_cast<QScatterSeries*>(s);
    QVERIFY(marks != nullptr);
    QCOMPARE(marks->count(), 4);
    QCOMPARE(marks->at(1).x(), 1 - 0.125);  // two bar sets over the default bar width 0.5
    QCOMPARE(marks->at(3).y(), h->paths[0].predicted_max);
    // The predictions are loss barriers: none on the error chart.
    chart.setResult(*r, true);
    for (double x : chart.predicted()) QVERIFY(std::isnan(x));
    QVERIFY(chart.predictionLabel().isEmpty());

    // The figure marks the same numbers on the loss panel only.
    ExperimentSpec spec;
    const RunSummary run2 = load_run(hessian_dir_.toStdString(), &spec);
    figures::FigureInput in{&run2, &spec, "run", nullptr, nullptr, {}};
    const figure::Figure f = figures::build_figure(in, "layerwise:layerwise-wm");
    const HessianReport* wm2 = hessian_of(run2, "hessian-wm");
    const figure::Series* m = nullptr;
    for (const auto& s : f.panels[0].series)
      if (s.label.rfind("predicted", 0) == 0) m = &s;
    QVERIFY(m != nullptr);
    QCOMPARE(m->y[1], wm2->paths[2].predicted_max);
    QVERIFY(std::isnan(m->y[3]));
    QCOMPARE(m->x[1], 1 - 0.4 + 0.2);  // the centre of slot 0 of 2
    for (const auto& s : f.panels[1].series) QVERIFY(s.label.rfind("predicted", 0) != 0);
  }

  void windowMarksTheHessianPredictions() {
    gui::GuiOptions o;
    o.workspace = QString::fromStdString(ws_.file("ws2"));
    o.device = "cpu";
    o.threads = 1;
    gui::MainWindow w(o);
    w.setInteractive(false);
    w.resize(1400, 900);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QString why;
    QVERIFY2(w.openRunFolder(hessian_dir_, &why), qPrintable(why));
    auto* pages = w.results().get<gui::LayerwisePages>();
    QVERIFY(pages != nullptr);
    const RunSummary run = load_run(hessian_dir_.toStdString());
    const HessianReport* wm = hessian_of(run, "hessian-wm");
    QCOMPARE(pages->chart("layerwise-wm")->predicted()[1], wm->paths[2].predicted_max);
    QCOMPARE(pages->chart("layerwise-wm")->predictions().step, std::string("hessian-wm"));
    QVERIFY2(pages->summary("layerwise-wm").contains("hessian step <b>hessian-wm</b>"),
             qPrintable(pages->summary("layerwise-wm")));
    QVERIFY2(w.exportView("layerwise:layerwise-wm", QString::fromStdString(ws_.file("lwp.png")), &why),
             qPrintable(why));
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
  QString run_dir_, hessian_dir_;
};

QTEST_MAIN(TestLayerwiseView)
#include "test_layerwise_view.moc"
