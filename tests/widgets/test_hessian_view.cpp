// The hessian step in the window and its figure: a real run of the bundled gmm-hessian
// example; the density chart has one curve per selection, the path chart's measured and
// predicted points are the report's, the quantity chooser draws λ_max(α); the window has one
// tab per hessian step (--view hessian:<id>, chart export); the paper figure's numbers are the
// report's.
#include <QImage>
#include <QtTest>

#include "figures/figure_views.h"
#include "gui/main_window/main_window.h"
#include "gui/results/hessian_view.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/curvature/hessian_report.h"
#include "ridgeline/experiment/run.h"
#include "test_support.h"
#include "widgets/curvature/curvature_charts.h"

using namespace ridgeline;

class TestHessianView : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    RunOptions o;
    o.out_dir = ws_.file("run");
    o.device = "cpu";
    o.threads = 1;
    run_experiment(load_spec(test::source_path("resources/experiments/gmm-hessian.json")), o);
    run_dir_ = QString::fromStdString(o.out_dir);
  }

  void chartsShowTheReport() {
    const RunSummary run = load_run(run_dir_.toStdString());
    const HessianReport* r = nullptr;
    for (const StepResult& s : run.results)
      if (s.id == "hessian-naive") r = s.as<HessianReport>();
    QVERIFY(r != nullptr);
    QCOMPARE(r->selections.size(), size_t(4));  // the whole model and its 3 layers
    widgets::HessianDensityChart density;
    density.setReport(*r);
    QCOMPARE(density.curveNames(), (QStringList{"whole model", "fc0", "fc1", "fc2"}));
    widgets::PathCurvatureChart path;
    path.setPath(r->paths[0], widgets::PathCurvatureChart::Quantity::Barrier, "whole model");
    const auto measured = path.points("measured b(α)");
    const auto predicted = path.points("midpoint form");
    QCOMPARE(measured.size(), r->paths[0].points.size());
    for (size_t i = 0; i < measured.size(); ++i) {
      QCOMPARE(measured[i].x(), r->paths[0].points[i].alpha);
      QCOMPARE(measured[i].y(), r->paths[0].points[i].barrier);
      QCOMPARE(predicted[i].y(), r->paths[0].points[i].predicted);
    }
    QCOMPARE(path.points("endpoint form b(½)").at(0).y(), r->paths[0].endpoint_prediction);
    path.setPath(r->paths[0], widgets::PathCurvatureChart::Quantity::LambdaMax, "whole model");
    QCOMPARE(path.points("λ_max(α)").at(2).y(), r->paths[0].points[2].lambda_max);
  }

  void figureAndWindow() {
    ExperimentSpec spec;
    const RunSummary run = load_run(run_dir_.toStdString(), &spec);
    figures::FigureInput in{&run, &spec, "run", nullptr, nullptr, {}};
    const auto views = figures::available_views(in);
    QVERIFY(std::find(views.begin(), views.end(), "hessian:hessian-wm") != views.end());
    const figure::Figure f = figures::build_figure(in, "hessian:hessian-wm");
    QCOMPARE(f.panels.size(), size_t(2));
    const HessianReport* r = nullptr;
    for (const StepResult& s : run.results)
      if (s.id == "hessian-wm") r = s.as<HessianReport>();
    QCOMPARE(f.panels[1].series[0].y[3], r->paths[0].points[3].barrier);
    QCOMPARE(f.panels[1].series[2].y[0], r->paths[0].endpoint_prediction);
    QVERIFY_THROWS_EXCEPTION(InputError, figures::build_figure(in, "hessian:nope"));

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
    auto* pages = w.results().get<gui::HessianPages>();
    QVERIFY(pages != nullptr);
    QCOMPARE(pages->ids(), (QStringList{"hessian-naive", "hessian-wm"}));
    QVERIFY2(pages->summary("hessian-wm").contains("path to seed1@wm, whole model: measured barrier"),
             qPrintable(pages->summary("hessian-wm")));
    QVERIFY2(w.showView("hessian:hessian-wm", &why), qPrintable(why));
    QVERIFY(!w.showView("hessian:nope", &why));
    pages->choose("hessian-wm", 1, 3);  // fc0, ΔᵀHΔ
    QVERIFY(pages->path("hessian-wm")->chart()->title().contains("fc0"));
    const QString png = QString::fromStdString(ws_.file("h.png"));
    QVERIFY2(w.exportView("hessian:hessian-wm", png, &why), qPrintable(why));
    QVERIFY(!QImage(png).isNull());
  }

 private:
  test::ScratchDir ws_{"hessian-view"};
  QString run_dir_;
};

QTEST_MAIN(TestHessianView)
#include "test_hessian_view.moc"
