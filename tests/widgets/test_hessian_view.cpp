// The hessian step in the window and its figure: a real run of the bundled gmm-hessian
// example; the density chart has one curve per selection, the path chart's measured and
// predicted points are the report's, the quantity chooser draws λ_max(α); the window has one
// tab per hessian step (--view hessian:<id>, chart export); the paper figure's numbers are the
// report's. Per layer: the grouped bars of measured against predicted barriers have one group
// per path with the report's numbers (a constructed report: negative b(½) stays negative, a
// zero measured barrier gives no ratio), the window shows them for a per-layer step, and the
// hessian-layers figure draws the same numbers.
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QComboBox>
#include <QImage>
#include <QLineSeries>
#include <QTabWidget>
#include <QValueAxis>
#include <QtTest>
#include <cmath>

#include "figures/figure_views.h"
#include "gui/main_window/main_window.h"
#include "gui/results/hessian_view.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/curvature/hessian_report.h"
#include "ridgeline/experiment/run.h"
#include "test_support.h"
#include "widgets/curvature/curvature_charts.h"
#include "widgets/curvature/layer_prediction_chart.h"

using namespace ridgeline;

namespace {

// A path of `sel` on α = 0, ¼, ½, ¾, 1 whose b(½) is `m` measured and `p` by the midpoint form.
PathCurvature path_of(const std::string& sel, double m, double p, double endpoint) {
  PathCurvature c;
  c.selection = sel;
  c.size = 100;
  c.delta_norm = 3;
  for (double a : {0.0, 0.25, 0.5, 0.75, 1.0}) {
    PathCurvaturePoint q;
    q.alpha = a;
    q.barrier = m * 4 * a * (1 - a);
    q.predicted = p * 4 * a * (1 - a);
    c.points.push_back(q);
  }
  c.endpoint_prediction = endpoint;
  c.measured_max = std::max(m, 0.0);
  c.measured_alpha = m > 0 ? 0.5 : 0;
  c.predicted_max = std::max(p, 0.0);
  c.predicted_alpha = p > 0 ? 0.5 : 0;
  return c;
}

HessianReport constructed() {
  HessianReport r;
  r.model = "s0";
  r.path_to = "s1";
  r.rows = 500;
  r.paths = {path_of("", 0.91, 3.122, 0.736), path_of("fc0", -2.549, -2.295, -3.742),
             path_of("fc1", 0.0, 0.2, -0.1)};
  return r;
}

const HessianReport* report_of(const RunSummary& run, const std::string& id) {
  for (const StepResult& s : run.results)
    if (s.id == id) return s.as<HessianReport>();
  return nullptr;
}

}  // namespace

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

  void layerChartHasOneGroupPerPath() {
    widgets::LayerPredictionChart chart;
    chart.setReport(constructed());
    QCOMPARE(chart.categories(), (QStringList{"whole model", "fc0", "fc1"}));
    QCOMPARE(chart.setNames(), (QStringList{"measured b(½)", "midpoint form", "endpoint form"}));
    QCOMPARE(chart.values("measured b(½)"), (std::vector<double>{0.91, -2.549, 0.0}));
    QCOMPARE(chart.values("midpoint form"), (std::vector<double>{3.122, -2.295, 0.2}));
    QCOMPARE(chart.values("endpoint form"), (std::vector<double>{0.736, -3.742, -0.1}));
    // The bars are the values, negative ones included, above and below a dashed zero line.
    auto* bars = qobject_cast<QBarSeries*>(chart.chart()->series().at(0));
    QVERIFY(bars != nullptr);
    QCOMPARE(bars->barSets().at(2)->at(1), -3.742);
    QCOMPARE(bars->barSets().at(0)->count(), 3);
    auto* zero = qobject_cast<QLineSeries*>(chart.chart()->series().at(1));
    QVERIFY(zero != nullptr);
    QCOMPARE(zero->at(0).y(), 0.0);
    QCOMPARE(zero->pen().style(), Qt::DashLine);
    auto* y = qobject_cast<QValueAxis*>(chart.chart()->axes(Qt::Vertical).at(0));
    QVERIFY(y->min() <= -3.742 && y->max() >= 3.122);
    // Hover: the formatted values, no barrier below the chord, the ratio to the measured value.
    QVERIFY2(chart.hoverText(1, 0).contains("-2.549 (not above the chord: no barrier)"),
             qPrintable(chart.hoverText(1, 0)));
    QVERIFY2(chart.hoverText(0, 1).contains("+3.122") && chart.hoverText(0, 1).contains("÷ measured 3.43"),
             qPrintable(chart.hoverText(0, 1)));
    QVERIFY2(chart.hoverText(2, 1).contains("measured ≈ 0: no ratio"), qPrintable(chart.hoverText(2, 1)));
    const QString line = chart.taylorLine();
    QVERIFY2(line.contains("<b>whole model</b> 3.43 | 0.81") && line.contains("<b>fc0</b> 0.90 | 1.47") &&
                 line.contains("<b>fc1</b> — | —"),
             qPrintable(line));
    QCOMPARE(chart.csv().count('\n'), 4);
    // The largest b(α): never below 0 (the ends are on the chord), no endpoint form.
    chart.setReport(constructed(), widgets::LayerPredictionChart::Form::Largest);
    QCOMPARE(chart.setNames().size(), 2);
    QCOMPARE(chart.values("measured, largest b(α)"), (std::vector<double>{0.91, 0.0, 0.0}));
    QCOMPARE(chart.values("midpoint form, largest b(α)"), (std::vector<double>{3.122, 0.0, 0.2}));
    QVERIFY2(chart.hoverText(1, 0).contains("(no interior barrier)"), qPrintable(chart.hoverText(1, 0)));
  }

  void layerChartOnlyWithLayerPaths() {
    QTabWidget tabs;
    gui::ResultHost host;
    host.tabs = &tabs;
    host.show_tabs = [] {};
    host.add_chart_menu = [](QChartView*, const QString&, std::function<QString()>) {};
    gui::HessianPages pages(host);
    HessianReport whole_only = constructed();
    whole_only.paths.resize(1);
    pages.show(StepResult{"w", "hessian", whole_only});
    pages.show(StepResult{"l", "hessian", constructed()});
    QVERIFY(!pages.layers("w")->isVisibleTo(&tabs));
    QVERIFY(pages.taylorLine("w").isEmpty());
    tabs.setCurrentIndex(1);
    QVERIFY(pages.layers("l")->isVisibleTo(&tabs));
    QCOMPARE(pages.layers("l")->categories(), (QStringList{"whole model", "fc0", "fc1"}));
    QVERIFY(pages.taylorLine("l").contains("<b>fc0</b> 0.90 | 1.47"));
    // The same id again without layer paths hides it.
    pages.show(StepResult{"l", "hessian", whole_only});
    QVERIFY(!pages.layers("l")->isVisibleTo(&tabs));
    QVERIFY(pages.taylorLine("l").isEmpty());
  }

  void layersFigureFromAReport() {
    RunSummary run;
    run.results.push_back(StepResult{"h", "hessian", constructed()});
    HessianReport whole_only = constructed();
    whole_only.paths.resize(1);
    run.results.push_back(StepResult{"h-whole", "hessian", whole_only});
    figures::FigureInput in{&run, nullptr, "run", nullptr, nullptr, {}};
    const auto views = figures::available_views(in);
    QVERIFY(std::find(views.begin(), views.end(), "hessian-layers:h") != views.end());
    QVERIFY(std::find(views.begin(), views.end(), "hessian-layers:h-whole") == views.end());
    const figure::Figure f = figures::build_figure(in, "hessian-layers:h");
    QCOMPARE(f.panels.size(), size_t(1));
    QCOMPARE(f.panels[0].x.categories, (std::vector<std::string>{"whole", "fc0", "fc1"}));
    QCOMPARE(f.panels[0].series[0].y, (std::vector<double>{0.91, -2.549, 0.0}));
    QCOMPARE(f.panels[0].series[1].y, (std::vector<double>{3.122, -2.295, 0.2}));
    QCOMPARE(f.panels[0].series[2].y, (std::vector<double>{0.736, -3.742, -0.1}));
    QCOMPARE(f.panels[0].series[2].slot, 2);
    QCOMPARE(f.panels[0].series[3].y, (std::vector<double>{0.0, 0.0}));  // the zero line
    QVERIFY(f.panels[0].y.include_zero);
    QVERIFY_THROWS_EXCEPTION(InputError, figures::build_figure(in, "hessian-layers:h-whole"));
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
    // The per-layer figure of the real run: the report's b(½) per path.
    const figure::Figure fl = figures::build_figure(in, "hessian-layers:hessian-wm");
    QCOMPARE(fl.panels[0].x.categories, (std::vector<std::string>{"whole", "fc0", "fc1", "fc2"}));
    QCOMPARE(fl.panels[0].series[0].y[2], r->paths[2].points[4].barrier);  // α = ½ of 9 points
    QCOMPARE(fl.panels[0].series[1].y[2], r->paths[2].points[4].predicted);
    QCOMPARE(fl.panels[0].series[2].y[3], r->paths[3].endpoint_prediction);

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
    // Per layer: one group per path, the report's measured and predicted b(½).
    const RunSummary run2 = load_run(run_dir_.toStdString());
    const HessianReport* wm = report_of(run2, "hessian-wm");
    QVERIFY(wm != nullptr);
    widgets::LayerPredictionChart* layers = pages->layers("hessian-wm");
    QVERIFY(layers != nullptr && layers->isVisible());
    QCOMPARE(layers->categories(), (QStringList{"whole model", "fc0", "fc1", "fc2"}));
    for (size_t g = 0; g < 4; ++g) {
      QCOMPARE(layers->values("measured b(½)")[g], wm->paths[g].points[4].barrier);
      QCOMPARE(layers->values("endpoint form")[g], wm->paths[g].endpoint_prediction);
    }
    QVERIFY2(pages->taylorLine("hessian-wm").startsWith("Where the Taylor picture holds"),
             qPrintable(pages->taylorLine("hessian-wm")));
    auto* form = pages->layers("hessian-wm")->parentWidget()->findChild<QComboBox*>("hessian.form");
    QVERIFY(form != nullptr);
    form->setCurrentIndex(1);
    QCOMPARE(layers->values("measured, largest b(α)")[1], wm->paths[1].measured_max);
    QVERIFY2(w.exportView("hessian:hessian-wm", QString::fromStdString(ws_.file("h0.png")), &why), qPrintable(why));
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
