// The landscape step in the window and its figure: a real run of the bundled gmm-landscape
// example, opened in the window (one tab per landscape step with the 3-D surface, the numbers
// line and the PNG export), the scene handed to the view (models, linear path, lowest pass)
// and the contour-map paper figure of `ridgeline figure --view landscape:<id>`.
#include <QFileInfo>
#include <QImage>
#include <QtTest>
#include <cmath>
#include <cstdio>
#include <set>

#include "figures/figure_views.h"
#include "figures/landscape_scene.h"
#include "gui/main_window/main_window.h"
#include "gui/results/landscape_view.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/experiment/run.h"
#include "test_support.h"
#include "widgets/figure/figure_render.h"
#include "widgets/surface/surface_view.h"

using namespace ridgeline;

class TestLandscapeView : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    RunOptions o;
    o.out_dir = ws_.file("run");
    o.device = "cpu";
    o.threads = 1;
    run_experiment(load_spec(test::source_path("resources/experiments/gmm-landscape.json")), o);
    run_dir_ = QString::fromStdString(o.out_dir);
  }

  void sceneHoldsModelsAndPaths() {
    ExperimentSpec spec;
    const RunSummary run = load_run(run_dir_.toStdString(), &spec);
    const LandscapeResult* plane = nullptr;
    for (const StepResult& r : run.results)
      if (r.id == "plane") plane = r.as<LandscapeResult>();
    QVERIFY(plane != nullptr);
    const widgets::SurfaceScene s = figures::landscape_scene(*plane, &spec, "plane");
    QVERIFY2(widgets::check_scene(s).empty(), widgets::check_scene(s).c_str());
    QCOMPARE(s.xs.size(), size_t(21));
    std::set<std::string> names;
    for (const auto& m : s.markers) names.insert(m.name);
    QVERIFY(names.count("seed0") && names.count("seed1") && names.count("seed1@wm"));
    QCOMPARE(s.markers[0].x, 0.0);
    QCOMPARE(s.markers[1].x, 1.0);
    int linear = 0, pass = 0;
    for (const auto& p : s.paths) {
      linear += p.kind == "linear";
      pass += p.kind == "pass";
    }
    // seed0 → seed1 along its grid row (the "naive" step is that same path: drawn once), and
    // the lowest pass.
    QCOMPARE(linear, 1);
    QCOMPARE(pass, 1);
    QVERIFY(s.paths[1].name.find("lowest pass (barrier +") == 0 ||
            s.paths[1].name.find("lowest pass (barrier 0") == 0);
  }

  void curveOnItsPlane() {
    // The plane through seed0, seed1 and the curve's bend holds the whole Bézier curve:
    // θ(½) = ¼A + ½C + ¼B in the plane's coordinates.
    ExperimentSpec spec;
    const RunSummary run = load_run(run_dir_.toStdString(), &spec);
    const LandscapeResult* plane = nullptr;
    for (const StepResult& r : run.results)
      if (r.id == "curve-plane") plane = r.as<LandscapeResult>();
    QVERIFY(plane != nullptr);
    const widgets::SurfaceScene s = figures::landscape_scene(*plane, &spec, "curve-plane");
    const widgets::SurfaceScene::Path* curve = nullptr;
    for (const auto& p : s.paths)
      if (p.kind == "curve") curve = &p;
    QVERIFY(curve != nullptr);
    QVERIFY2(curve->name.find("bend: Bézier curve seed0 → seed1") == 0, curve->name.c_str());
    QCOMPARE(curve->x.size(), size_t(41));
    const auto& c = plane->info.coordinates;  // seed0, seed1, bend
    QCOMPARE(c[2].name, std::string("bend"));
    QVERIFY(std::abs(curve->x[20] - (0.25 * c[0].x + 0.5 * c[2].x + 0.25 * c[1].x)) < 1e-12);
    QVERIFY(std::abs(curve->y[20] - (0.25 * c[0].y + 0.5 * c[2].y + 0.25 * c[1].y)) < 1e-12);
    QCOMPARE(curve->x.front(), 0.0);
    QCOMPARE(curve->x.back(), 1.0);
    // A bend placed in the slice from off the plane: the curve's projection, labelled so.
    LandscapeResult off = *plane;
    off.info.coordinates[2].off_plane = 1.0;
    bool projected = false;
    for (const auto& p : figures::landscape_scene(off, &spec, "curve-plane").paths)
      projected |= p.kind == "curve" && p.name.find("(projected)") != std::string::npos;
    QVERIFY(projected);
    // The curve is not drawn on a plane where its bend is not placed.
    for (const StepResult& r : run.results)
      if (r.id == "plane")
        for (const auto& p : figures::landscape_scene(*r.as<LandscapeResult>(), &spec, "plane").paths)
          QVERIFY(p.kind != "curve");
  }

  void figureIsTheContourMap() {
    ExperimentSpec spec;
    const RunSummary run = load_run(run_dir_.toStdString(), &spec);
    figures::FigureInput in{&run, &spec, "run", nullptr, nullptr, {}};
    const auto views = figures::available_views(in);
    QVERIFY(std::find(views.begin(), views.end(), "landscape:plane") != views.end());
    QVERIFY(std::find(views.begin(), views.end(), "landscape:around-seed0") != views.end());
    const figure::Figure f = figures::build_figure(in, "landscape:plane");
    const QImage img = figure::render_image(f, {});
    QVERIFY(!img.isNull());
    std::set<QRgb> colours;
    for (int y = 0; y < img.height(); y += 4)
      for (int x = 0; x < img.width(); x += 4) colours.insert(img.pixel(x, y));
    QVERIFY2(colours.size() > 50, "the contour map is nearly blank");
    QVERIFY_THROWS_EXCEPTION(InputError, figures::build_figure(in, "landscape:nope"));
  }

  void windowShowsEveryLandscape() {
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
    auto* pages = w.results().get<gui::LandscapePages>();
    QVERIFY(pages != nullptr);
    QCOMPARE(pages->ids(), (QStringList{"plane", "around-seed0", "saddle-seed0", "curve-plane"}));
    QVERIFY2(pages->summary("plane").contains("lowest pass: "), qPrintable(pages->summary("plane")));
    QVERIFY(pages->summary("plane").contains("linear seed0 → seed1: "));
    QVERIFY(!pages->summary("around-seed0").contains("lowest pass"));
    QVERIFY2(w.showView("landscape:plane", &why), qPrintable(why));
    QVERIFY(!w.showView("landscape:nope", &why));
    QVERIFY(why.contains("plane, around-seed0, saddle-seed0, curve-plane"));
    QVERIFY2(pages->summary("saddle-seed0").contains("Hessian eigenvectors (top_bottom, train, 500 samples)"),
             qPrintable(pages->summary("saddle-seed0")));
    QVERIFY(pages->surface("plane") != nullptr);
    QTest::qWait(200);
    const QString png = QString::fromStdString(ws_.file("plane.png"));
    QVERIFY2(w.exportView("landscape:plane", png, &why), qPrintable(why));
    const QImage img(png);
    QVERIFY(!img.isNull());
    std::set<QRgb> colours;
    for (int y = 0; y < img.height(); y += 3)
      for (int x = 0; x < img.width(); x += 3) colours.insert(img.pixel(x, y));
    QVERIFY2(colours.size() > 30, "the exported surface is nearly blank");
    QVERIFY(!w.exportView("landscape:plane", QString::fromStdString(ws_.file("plane.svg")), &why));
    QVERIFY(why.contains("PNG only"));
  }

 private:
  test::ScratchDir ws_{"landscape-view"};
  QString run_dir_;
};

int main(int argc, char** argv) {
  if (qEnvironmentVariableIsEmpty("DISPLAY")) {
    std::fprintf(stderr, "SKIP: the 3-D view needs an X display (run under xvfb-run)\n");
    return test::kSkipReturnCode;
  }
  ridgeline::widgets::SurfaceView::setDefaultSurfaceFormat();
  QApplication app(argc, argv);
  TestLandscapeView t;
  return QTest::qExec(&t, argc, argv);
}

#include "test_landscape_view.moc"
