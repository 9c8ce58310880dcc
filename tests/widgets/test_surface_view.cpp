// The surface view (widgets/surface): VTK inside a QOpenGLWidget, under xvfb-run (a real X
// server with GLX; without one the test exits 77, skipped). A synthetic two-basin surface is
// rendered and the framebuffer grabbed: not blank, its paths and markers drawn, the top-down
// map and the log scale change the picture, mouse drags rotate and R resets, the picker finds
// the grid point under the cursor. RIDGELINE_SURFACE_SHOTS=/tmp/surf- writes the screenshots
// (PREFIX3d.png, PREFIXmap.png, PREFIXlog.png) for a person to look at.
#include <QApplication>
#include <QTemporaryDir>
#include <QtTest>
#include <cmath>
#include <cstdio>
#include <set>

#include "figure/surface_fixture.h"
#include "ridgeline/core/format.h"
#include "widgets/surface/surface_view.h"

using namespace ridgeline;
using widgets::SurfaceScene;
using widgets::SurfaceView;

namespace {

using test::two_basin;
using test::two_basin_scene;

// Distinct colours after quantising to 5 bits per channel.
int distinct_colors(const QImage& img) {
  std::set<int> seen;
  const QImage c = img.convertToFormat(QImage::Format_RGB32);
  for (int y = 0; y < c.height(); ++y)
    for (int x = 0; x < c.width(); ++x) {
      const QRgb p = c.pixel(x, y);
      seen.insert(((qRed(p) >> 3) << 10) | ((qGreen(p) >> 3) << 5) | (qBlue(p) >> 3));
    }
  return static_cast<int>(seen.size());
}

// Fraction of pixels whose colour differs by more than `tol` in any channel.
double differing(const QImage& a, const QImage& b, int tol = 24) {
  if (a.size() != b.size()) return 1;
  const QImage x = a.convertToFormat(QImage::Format_RGB32),
               y = b.convertToFormat(QImage::Format_RGB32);
  long n = 0;
  for (int j = 0; j < x.height(); ++j)
    for (int i = 0; i < x.width(); ++i) {
      const QRgb p = x.pixel(i, j), q = y.pixel(i, j);
      if (std::abs(qRed(p) - qRed(q)) > tol || std::abs(qGreen(p) - qGreen(q)) > tol ||
          std::abs(qBlue(p) - qBlue(q)) > tol)
        ++n;
    }
  return static_cast<double>(n) / (static_cast<double>(x.width()) * x.height());
}

// Pixels of the lowest pass's red (viridis has none: r high, g and b low).
long red_pixels(const QImage& img) {
  const QImage c = img.convertToFormat(QImage::Format_RGB32);
  long n = 0;
  for (int y = 0; y < c.height(); ++y)
    for (int x = 0; x < c.width(); ++x) {
      const QRgb p = c.pixel(x, y);
      if (qRed(p) > 170 && qGreen(p) < 70 && qBlue(p) < 90) ++n;
    }
  return n;
}

double non_white(const QImage& img) {
  const QImage c = img.convertToFormat(QImage::Format_RGB32);
  long n = 0;
  for (int y = 0; y < c.height(); ++y)
    for (int x = 0; x < c.width(); ++x)
      if (c.pixel(x, y) != qRgb(255, 255, 255)) ++n;
  return static_cast<double>(n) / (static_cast<double>(c.width()) * c.height());
}

void shot(const QImage& img, const char* name) {
  const QString prefix = qEnvironmentVariable("RIDGELINE_SURFACE_SHOTS");
  if (prefix.isEmpty()) return;
  const QString path = prefix + name + ".png";
  if (img.save(path)) qInfo("wrote %s", qPrintable(path));
}

}  // namespace

class TestSurfaceView : public QObject {
  Q_OBJECT

  std::unique_ptr<SurfaceView> view_;

  QImage render(const SurfaceScene& scene) {
    view_->setScene(scene);
    QCoreApplication::processEvents();
    return view_->grabImage();
  }

 private slots:
  void init() {
    view_ = std::make_unique<SurfaceView>();
    view_->resize(960, 620);
    view_->show();
    QVERIFY(QTest::qWaitForWindowExposed(view_.get()));
  }
  void cleanup() { view_.reset(); }

  void rendersANonBlankSurface() {
    const QImage img = render(two_basin_scene(true, true));
    shot(img, "3d");
    QCOMPARE(img.size(), view_->size() * view_->devicePixelRatio());
    const int colors = distinct_colors(img);
    const double covered = non_white(img);
    qInfo("distinct colours %d, non-white %.3f", colors, covered);
    QVERIFY2(colors > 300,
             qPrintable(QString("only %1 distinct colours: blank or black").arg(colors)));
    QVERIFY2(covered > 0.1 && covered < 0.95,
             qPrintable(QString("non-white share %1").arg(covered)));
  }

  void pathsAndMarkersAreDrawn() {
    const QImage bare = render(two_basin_scene(false, false));
    const QImage paths = render(two_basin_scene(true, false));
    const QImage both = render(two_basin_scene(true, true));
    const double by_paths = differing(bare, paths), by_markers = differing(paths, both);
    const long red_bare = red_pixels(bare), red_paths = red_pixels(paths);
    qInfo("paths change %.4f of pixels, markers %.4f; red pixels %ld → %ld", by_paths, by_markers,
          red_bare, red_paths);
    QVERIFY2(by_paths > 0.005, "drawing the paths changed (almost) nothing");
    QVERIFY2(by_markers > 0.001, "drawing the markers changed (almost) nothing");
    QCOMPARE(red_bare, 0L);
    QVERIFY2(red_paths > 300, "the lowest pass (red) is not visible");
    // The legend (the right strip) shows each path's colour, not only its dark halo.
    const int strip = static_cast<int>(paths.width() * 0.77);
    const QImage legend = paths.copy(strip, 0, paths.width() - strip, paths.height());
    QVERIFY2(red_pixels(legend) > 30, "the legend's lowest-pass sample is not red");
    QCOMPARE(red_pixels(bare.copy(strip, 0, bare.width() - strip, bare.height())), 0L);
  }

  void topDownMapChangesTheImage() {
    const QImage three_d = render(two_basin_scene(true, true));
    view_->setTopDown(true);
    QVERIFY(view_->topDown());
    const QImage map = view_->grabImage();
    const double changed = differing(three_d, map);
    qInfo("top-down changes %.3f of pixels", changed);
    QVERIFY(changed > 0.2);
    QVERIFY(red_pixels(map) > 300);  // the lowest pass is on the map too
    QVERIFY(distinct_colors(map) > 300);
    shot(map, "map");
    view_->setTopDown(false);
    QVERIFY(differing(three_d, view_->grabImage()) < 0.01);  // back to the same 3-D view
  }

  void logScaleChangesTheColours() {
    const QImage lin = render(two_basin_scene(true, true));
    shot(lin, "lin");
    QVERIFY(view_->setLogScale(true));
    const QImage log = view_->grabImage();
    QVERIFY(differing(lin, log) > 0.05);
    shot(log, "log");
    // The paper figure follows the view's scale.
    QVERIFY(view_->contourFigure().panels.at(0).field.log);
    QCOMPARE(view_->contourFigure().panels.at(0).field.z, view_->scene().loss);
    SurfaceScene negative = two_basin_scene(false, false);
    for (double& v : negative.loss) v -= 1;  // some losses ≤ 0: no log scale
    view_->setScene(negative);
    QVERIFY(!view_->logScale());
    QVERIFY(!view_->setLogScale(true));
  }

  void dragRotatesAndResetRestores() {
    const QImage before = render(two_basin_scene(true, true));
    const QPoint c(view_->width() / 3, view_->height() / 2);
    QTest::mousePress(view_.get(), Qt::LeftButton, {}, c);
    for (int k = 1; k <= 8; ++k) {
      QMouseEvent move(QEvent::MouseMove, QPointF(c + QPoint(15 * k, 4 * k)),
                       view_->mapToGlobal(QPointF(c + QPoint(15 * k, 4 * k))), Qt::NoButton,
                       Qt::LeftButton, Qt::NoModifier);
      QApplication::sendEvent(view_.get(), &move);
    }
    QTest::mouseRelease(view_.get(), Qt::LeftButton, {}, c + QPoint(120, 32));
    const QImage rotated = view_->grabImage();
    const double moved = differing(before, rotated);
    qInfo("a drag changed %.3f of pixels", moved);
    QVERIFY2(moved > 0.1, "a left drag did not rotate the view");
    QTest::keyClick(view_.get(), Qt::Key_R);
    QVERIFY2(differing(before, view_->grabImage()) < 0.01, "R did not restore the initial view");
  }

  void wheelZooms() {
    const QImage before = render(two_basin_scene(true, true));
    const QPoint c(view_->width() / 3, view_->height() / 2);
    for (int k = 0; k < 3; ++k) {
      QWheelEvent wheel(c, view_->mapToGlobal(c), QPoint(), QPoint(0, 120), Qt::NoButton,
                        Qt::NoModifier, Qt::NoScrollPhase, false);
      QApplication::sendEvent(view_.get(), &wheel);
    }
    const double zoomed = differing(before, view_->grabImage());
    qInfo("three wheel notches changed %.3f of pixels", zoomed);
    QVERIFY(zoomed > 0.05);
  }

  void hoverLookupFindsTheGridPoint() {
    const SurfaceScene s = two_basin_scene(true, true);
    const double dx = s.xs[1] - s.xs[0];
    const widgets::GridPoint p =
        widgets::nearest_grid_point(s, s.xs[7] + 0.3 * dx, s.ys[5] - 0.2 * dx);
    QCOMPARE(p.ix, size_t{7});
    QCOMPARE(p.iy, size_t{5});
    QCOMPARE(p.x, s.xs[7]);
    QCOMPARE(p.y, s.ys[5]);
    QCOMPARE(p.loss, two_basin(s.xs[7], s.ys[5]));
    QCOMPARE(p.error, s.error[5 * s.nx() + 7]);
    const std::string text = widgets::hover_text(s, p);
    QVERIFY2(text.find(format_loss(p.loss)) != std::string::npos, text.c_str());
    QVERIFY2(text.find(format_error(p.error)) != std::string::npos, text.c_str());
    // Outside the grid: clamped to the nearest edge point.
    const widgets::GridPoint corner = widgets::nearest_grid_point(s, 99, -99);
    QCOMPARE(corner.ix, s.nx() - 1);
    QCOMPARE(corner.iy, size_t{0});
    // No error values: the text leaves the error out.
    SurfaceScene no_error = s;
    no_error.error.clear();
    QVERIFY(widgets::hover_text(no_error, widgets::grid_point(no_error, 7, 5)).find("error") ==
            std::string::npos);
  }

  void pickerFindsThePointUnderTheCursor() {
    const SurfaceScene s = two_basin_scene(false, false);
    view_->setScene(s);
    view_->setTopDown(true);
    view_->grabImage();
    // The map's centre is the grid's centre, in the middle of the left (surface) part.
    const QPoint centre(static_cast<int>(view_->width() * 0.76 / 2), view_->height() / 2);
    const std::optional<widgets::GridPoint> p = view_->pickAt(centre);
    QVERIFY(p.has_value());
    const double dx = s.xs[1] - s.xs[0], dy = s.ys[1] - s.ys[0];
    qInfo("picked (%g, %g), centre (%g, %g)", p->x, p->y, 0.5 * (s.xs.front() + s.xs.back()),
          0.5 * (s.ys.front() + s.ys.back()));
    QVERIFY(std::abs(p->x - 0.5 * (s.xs.front() + s.xs.back())) <= 1.5 * dx);
    QVERIFY(std::abs(p->y - 0.5 * (s.ys.front() + s.ys.back())) <= 1.5 * dy);
    QCOMPARE(p->loss, two_basin(p->x, p->y));
    QVERIFY(!view_->pickAt(QPoint(view_->width() - 5, 5)).has_value());  // the legend strip
    // A hover over the surface shows the point's text.
    QSignalSpy spy(view_.get(), &SurfaceView::hovered);
    QTest::mouseMove(view_.get(), centre);
    QTRY_VERIFY(!view_->hoverText().isEmpty());
    const std::optional<widgets::GridPoint> under =
        view_->pickAt(view_->mapFromGlobal(QCursor::pos()));
    qInfo("hover: %s", qPrintable(view_->hoverText()));
    QVERIFY(under.has_value());
    QCOMPARE(view_->hoverText(), QString::fromStdString(widgets::hover_text(s, *under)));
    QVERIFY(spy.count() >= 1);
  }

  // A run's real names are long: five paths, long axis names and title stay inside the view
  // (the legend's text shrinks to fit its strip) and the lowest pass stays red.
  void longNamesAndManyPaths() {
    SurfaceScene s = two_basin_scene(true, true);
    s.title = "plane through seed0, seed1, seed1@wm — fmnist-quick-rebasin";
    s.x_label = "seed0 → seed1";
    s.y_label = "seed1@wm (orthogonal part)";
    s.markers = {{"seed0", 0, 0}, {"seed1", 1, 0}, {"seed1@wm", 0.3, 0.85}};
    s.paths[0].name = "seed0 → seed1 (linear)";
    s.paths[1].name = "seed0 → seed1 (Bézier, trained)";
    s.paths[2].name = "lowest pass seed0 → seed1";
    s.paths.push_back({"seed0 → seed1@wm (linear)", "linear", {0, 0.3}, {0, 0.85}});
    s.paths.push_back({"seed1 → seed1@wm (linear)", "linear", {1, 0.3}, {0, 0.85}});
    const QImage img = render(s);
    shot(img, "names");
    QVERIFY(red_pixels(img) > 300);
    view_->setTopDown(true);
    shot(view_->grabImage(), "names-map");
  }

  // Points without a value (NaN: a grid still being computed) leave a hole in 3-D, are grey on
  // the map, skipped by the contours, and their hover text says "n/a".
  void undefinedPointsAreGrey() {
    SurfaceScene s = two_basin_scene(true, true);
    for (size_t iy = 20; iy < 26; ++iy)
      for (size_t ix = 5; ix < 12; ++ix) s.loss[iy * s.nx() + ix] = NAN;
    const QImage img = render(s);
    shot(img, "nan-3d");
    QVERIFY(distinct_colors(img) > 300);
    view_->setTopDown(true);
    const QImage map = view_->grabImage();
    shot(map, "nan-map");
    long grey = 0;
    const QImage c = map.convertToFormat(QImage::Format_RGB32);
    for (int y = 0; y < c.height(); ++y)
      for (int x = 0; x < c.width(); ++x) {
        const QRgb p = c.pixel(x, y);
        grey += std::abs(qRed(p) - 191) < 6 && std::abs(qGreen(p) - 191) < 6 && std::abs(qBlue(p) - 191) < 6;
      }
    qInfo("grey pixels %ld", grey);
    QVERIFY(grey > 500);
    const std::string text = widgets::hover_text(s, widgets::grid_point(s, 7, 22));
    QVERIFY2(text.find("n/a") != std::string::npos, text.c_str());
  }

  void exportsAPng() {
    render(two_basin_scene(true, true));
    QTemporaryDir dir;
    const QString path = dir.filePath("surface.png");
    QString error;
    QVERIFY2(view_->exportPng(path, &error), qPrintable(error));
    const QImage back(path);
    QCOMPARE(back.size(), view_->size() * view_->devicePixelRatio());
    QVERIFY(!view_->exportPng(dir.filePath("no/such/dir/x.png"), &error));
    QVERIFY(error.contains("x.png"));
  }

  void rejectsAMalformedScene() {
    SurfaceScene s = two_basin_scene(false, false);
    s.loss.pop_back();
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, view_->setScene(s));
    s = two_basin_scene(true, false);
    s.paths[0].kind = "spline";
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, view_->setScene(s));
  }
};

int main(int argc, char** argv) {
  SurfaceView::setDefaultSurfaceFormat();  // before the QApplication, as VTK needs
  QApplication app(argc, argv);
  if (QGuiApplication::platformName() != "xcb") {
    std::fprintf(
        stderr,
        "SKIP: the surface view needs an X server (xcb; run under xvfb-run), platform is %s\n",
        qPrintable(QGuiApplication::platformName()));
    return 77;
  }
  TestSurfaceView test;
  return QTest::qExec(&test, argc, argv);
}

#include "test_surface_view.moc"
