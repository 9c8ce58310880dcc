// The contour-map paper figure (widgets/figure: contour.h, colormap.h, contour_figure.h, the
// Field and PointLabel marks): marching squares against a closed form, the levels and the
// colormap, the figure model of a surface scene, its rendering, a golden image (SSIM, as
// test_figure_golden; scripts/update-golden.sh regenerates it) and the Python redraw
// (figure.test_contour_python runs only that, with RIDGELINE_PYTHON set: exit 77 without
// matplotlib).
#include <QDir>
#include <QGuiApplication>
#include <QImage>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>
#include <cmath>
#include <cstdlib>

#include "figure/surface_fixture.h"
#include "widgets/figure/colormap.h"
#include "widgets/figure/contour.h"
#include "widgets/figure/contour_figure.h"
#include "widgets/figure/figure_python.h"
#include "widgets/figure/figure_render.h"

using namespace ridgeline;

namespace {

constexpr double kMinSsim = 0.99;  // the golden images' tolerance (test_figure_golden.cpp)
const figure::FigureSize kSize{120, 90, 8, 150};

std::vector<double> gray(const QImage& img) {
  const QImage g = img.convertToFormat(QImage::Format_Grayscale8);
  std::vector<double> out(static_cast<size_t>(g.width()) * g.height());
  for (int y = 0; y < g.height(); ++y)
    for (int x = 0; x < g.width(); ++x)
      out[static_cast<size_t>(y) * g.width() + x] = g.constScanLine(y)[x];
  return out;
}

// Mean SSIM (Wang et al. 2004) over 8×8 windows (stride 4) holding something in either image —
// the metric of test_figure_golden.cpp.
double ssim(const QImage& a, const QImage& b) {
  if (a.size() != b.size()) return -1;
  const int w = a.width(), h = a.height(), win = 8, step = 4;
  const std::vector<double> x = gray(a), y = gray(b);
  const double c1 = std::pow(0.01 * 255, 2), c2 = std::pow(0.03 * 255, 2);
  double sum = 0;
  long count = 0;
  for (int y0 = 0; y0 + win <= h; y0 += step)
    for (int x0 = 0; x0 + win <= w; x0 += step) {
      double mx = 0, my = 0;
      bool blank = true;
      for (int j = 0; j < win; ++j)
        for (int i = 0; i < win; ++i) {
          const size_t k = static_cast<size_t>(y0 + j) * w + x0 + i;
          mx += x[k];
          my += y[k];
          blank &= x[k] == 255 && y[k] == 255;
        }
      if (blank) continue;
      const double n = win * win;
      mx /= n;
      my /= n;
      double vx = 0, vy = 0, cxy = 0;
      for (int j = 0; j < win; ++j)
        for (int i = 0; i < win; ++i) {
          const size_t k = static_cast<size_t>(y0 + j) * w + x0 + i;
          vx += (x[k] - mx) * (x[k] - mx);
          vy += (y[k] - my) * (y[k] - my);
          cxy += (x[k] - mx) * (y[k] - my);
        }
      vx /= n - 1;
      vy /= n - 1;
      cxy /= n - 1;
      sum += ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2));
      ++count;
    }
  return count ? sum / static_cast<double>(count) : 1.0;
}

// Pixels within `tol` of colour c in every channel.
long pixels_near(const QImage& img, figure::Rgb c, int tol) {
  const QImage rgb = img.convertToFormat(QImage::Format_RGB32);
  long n = 0;
  for (int y = 0; y < rgb.height(); ++y)
    for (int x = 0; x < rgb.width(); ++x) {
      const QRgb p = rgb.pixel(x, y);
      n += std::abs(qRed(p) - c.r) <= tol && std::abs(qGreen(p) - c.g) <= tol &&
           std::abs(qBlue(p) - c.b) <= tol;
    }
  return n;
}

const figure::Rgb kPass{213, 94, 0};  // the lowest pass's vermillion (contour_figure.cpp)

}  // namespace

class TestContourFigure : public QObject {
  Q_OBJECT

 private slots:
  // z = x² + y²: the contour at level c is the circle of radius √c. Linear interpolation along
  // cell edges of h = 0.05 puts crossings within h²/(8r) + rounding of it: 0.002 at r ≥ 0.5.
  void paraboloidContoursAreCircles() {
    std::vector<double> xs, ys, z;
    for (int i = 0; i <= 60; ++i) xs.push_back(-1.5 + 0.05 * i);
    ys = xs;
    for (double y : ys)
      for (double x : xs) z.push_back(x * x + y * y);
    for (double c : {0.25, 0.5, 1.0, 2.0}) {
      const auto segs = figure::contour_segments(xs, ys, z, c);
      QVERIFY(!segs.empty());
      double length = 0;
      std::vector<bool> octant(36, false);
      for (const auto& s : segs) {
        for (auto [x, y] : {std::pair{s.x0, s.y0}, std::pair{s.x1, s.y1}}) {
          QVERIFY2(
              std::abs(std::hypot(x, y) - std::sqrt(c)) < 0.002,
              qPrintable(QString("level %1: point (%2, %3) off the circle").arg(c).arg(x).arg(y)));
          const double a = std::atan2(y, x) + M_PI;
          octant[std::min<size_t>(35, static_cast<size_t>(a / (2 * M_PI) * 36))] = true;
        }
        length += std::hypot(s.x1 - s.x0, s.y1 - s.y0);
      }
      QVERIFY2(std::count(octant.begin(), octant.end(), true) == 36,
               "the contour does not go all around");
      QVERIFY2(std::abs(length - 2 * M_PI * std::sqrt(c)) < 0.01 * 2 * M_PI * std::sqrt(c),
               qPrintable(QString("level %1: length %2").arg(c).arg(length)));
    }
    // Outside the range: nothing; a NaN corner drops its cell only.
    QVERIFY(figure::contour_segments(xs, ys, z, 100).empty());
    const size_t full = figure::contour_segments(xs, ys, z, 0.25).size();
    z[30 * 61 + 40] = NAN;  // the node (0.5, 0) lies on the circle of level 0.25
    const size_t with_nan = figure::contour_segments(xs, ys, z, 0.25).size();
    QVERIFY2(with_nan < full && with_nan + 4 >= full,
             qPrintable(QString("%1 of %2").arg(with_nan).arg(full)));
  }

  // A saddle cell (high corners on a diagonal) is split by the mean of its corners.
  void saddleFollowsTheCentre() {
    const std::vector<double> xs{0, 1}, ys{0, 1};
    // Corners (0,0) = 1, (1,0) = 0, (1,1) = 1, (0,1) = 0: mean 0.5.
    const std::vector<double> z{1, 0, 0, 1};
    auto segs = figure::contour_segments(xs, ys, z, 0.6);  // centre low: the high corners cut off
    QCOMPARE(segs.size(), size_t{2});
    for (const auto& s : segs) {  // each segment separates one high corner: both ends near it
      const double cx = (s.x0 + s.x1) / 2, cy = (s.y0 + s.y1) / 2;
      QVERIFY((cx < 0.5 && cy < 0.5) || (cx > 0.5 && cy > 0.5));
    }
    segs = figure::contour_segments(xs, ys, z, 0.4);  // centre high: the low corners cut off
    QCOMPARE(segs.size(), size_t{2});
    for (const auto& s : segs) {
      const double cx = (s.x0 + s.x1) / 2, cy = (s.y0 + s.y1) / 2;
      QVERIFY((cx > 0.5 && cy < 0.5) || (cx < 0.5 && cy > 0.5));
    }
  }

  void levelsAreRoundAndInside() {
    QCOMPARE(figure::contour_levels(0.11, 4.59, 10, false),
             (std::vector<double>{0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5}));
    QCOMPARE(figure::contour_levels(0.1, 10, 3, true), (std::vector<double>{0.2, 0.5, 1, 2, 5}));
    QCOMPARE(figure::contour_levels(0.11, 4.59, 5, true), (std::vector<double>{0.2, 0.5, 1, 2}));
    // Too few round values inside: a geometric sequence, 2 significant digits.
    QCOMPARE(figure::contour_levels(1, 3, 5, true), (std::vector<double>{1.2, 1.4, 1.7, 2.1, 2.5}));
    QCOMPARE(figure::contour_levels(1e-3, 1e3, 4, true).size(), size_t{9});  // every other of 17
    QVERIFY(figure::contour_levels(1, 1, 5, false).empty());
    QVERIFY(figure::contour_levels(-1, 1, 5, true).empty());
    const auto lv = figure::contour_levels(-0.37, 0.81, 6, false);
    QVERIFY(lv.size() >= 4);
    for (double v : lv) QVERIFY(v > -0.37 && v < 0.81);
  }

  // viridis: its first and last entries, and lightness rising all along (perceptually uniform).
  void colormapIsViridis() {
    QCOMPARE(std::string(figure::colormap_name()), std::string("viridis"));
    QCOMPARE(figure::colormap(0), (figure::Rgb{68, 1, 84}));
    QCOMPARE(figure::colormap(1), (figure::Rgb{253, 231, 37}));
    QCOMPARE(figure::colormap(128 / 255.0), (figure::Rgb{33, 145, 140}));  // entry 128
    double last = -1;
    for (int k = 0; k <= 20; ++k) {
      const figure::Rgb c = figure::colormap(k / 20.0);
      const double light = 0.2126 * c.r + 0.7152 * c.g + 0.0722 * c.b;
      QVERIFY2(light > last, qPrintable(QString("lightness falls at %1").arg(k / 20.0)));
      last = light;
    }
    QCOMPARE(figure::color_fraction(10, 1, 100, true), 0.5);
    QCOMPARE(figure::color_fraction(0.25, 0, 1, false), 0.25);
    QVERIFY(std::isnan(figure::color_fraction(-1, 1, 100, true)));
  }

  void figureModelOfAScene() {
    const widgets::SurfaceScene s = test::two_basin_scene(true, true);
    const figure::Figure fig = figure::contour_figure(s);
    QCOMPARE(fig.panels.size(), size_t{1});
    const figure::Panel& p = fig.panels[0];
    QCOMPARE(p.field.z, s.loss);
    QCOMPARE(p.field.xs, s.xs);
    QCOMPARE(p.field.label, std::string("test loss"));
    QVERIFY(!p.field.log);
    QVERIFY(p.field.levels.size() >= 5);
    QVERIFY(p.equal_aspect);
    QCOMPARE(p.x.min, -0.3);
    QCOMPARE(p.y.max, 1.0);
    QCOMPARE(p.x.title, std::string("x (B − A)"));
    QCOMPARE(p.series.size(), size_t{3});
    QCOMPARE(p.series.back().label, std::string("lowest pass"));  // drawn last, over the others
    QCOMPARE(p.series.back().style.color, kPass);
    QVERIFY(p.series.back().style.line == figure::LineStyle::Solid);
    QVERIFY(p.series.back().style.width > 1.5);  // thicker than the others
    QCOMPARE(fig.legend.back().style.width, p.series.back().style.width);
    QVERIFY(p.series[0].style.line == figure::LineStyle::Dashed);   // linear
    QVERIFY(p.series[1].style.line == figure::LineStyle::DashDot);  // curve
    for (const auto& se : p.series) QVERIFY(se.halo);
    QCOMPARE(fig.legend.size(), size_t{3});
    QCOMPARE(p.points.size(), size_t{3});
    QCOMPARE(p.points[2].text, std::string("C"));
    QCOMPARE(p.points[2].x, 0.3);

    const figure::Figure log = figure::contour_figure(s, {true, 10, "surface"});
    QVERIFY(log.panels[0].field.log);
    QVERIFY(log.panels[0].field.label.find("log") != std::string::npos);
    widgets::SurfaceScene negative = s;
    for (double& v : negative.loss) v -= 1;
    const figure::Figure refused = figure::contour_figure(negative, {true, 10, "surface"});
    QVERIFY(!refused.panels[0].field.log);
    QVERIFY(!refused.panels[0].note.empty());

    // The layout gives the colour bar ticks inside the loss range.
    const auto layout = figure::layout_axes(fig, kSize);
    QVERIFY(layout[0].color.ticks.size() >= 2);
    for (double t : layout[0].color.ticks) QVERIFY(t >= 0.1 - 1e-9 && t <= 4.6);
  }

  // The rendered map holds the colormap's two ends (basins and the high corners), the pass's
  // vermillion only when there are paths, and the names' boxes.
  void renderingShowsTheMap() {
    const QImage with =
        figure::render_image(figure::contour_figure(test::two_basin_scene(true, true)), kSize);
    const QImage without =
        figure::render_image(figure::contour_figure(test::two_basin_scene(false, true)), kSize);
    const long low = pixels_near(with, figure::colormap(0.02), 12);
    const long high = pixels_near(with, figure::colormap(0.95), 16);
    const long pass = pixels_near(with, kPass, 30), pass_without = pixels_near(without, kPass, 30);
    qInfo("low %ld, high %ld, pass %ld (without paths %ld)", low, high, pass, pass_without);
    QVERIFY(low > 100);
    QVERIFY(high > 20);
    const figure::Figure log = figure::contour_figure(test::two_basin_scene(true, true), {true, 10, "surface"});
    const QImage log_img = figure::render_image(log, kSize);
    if (const QString shots = qEnvironmentVariable("RIDGELINE_SURFACE_SHOTS"); !shots.isEmpty())
      log_img.save(shots + "contour-log.png");
    QVERIFY(ssim(with, log_img) < kMinSsim);  // the log scale changes the colours
    QVERIFY(pass > 100);
    QCOMPARE(pass_without, 0L);
    // Files: SVG and PDF render too (the raster is embedded).
    const QByteArray svg =
        figure::render_svg(figure::contour_figure(test::two_basin_scene(true, true)), kSize);
    QVERIFY(svg.contains("<image"));
    QVERIFY(svg.contains("lowest pass"));
    QVERIFY(figure::render_pdf(figure::contour_figure(test::two_basin_scene(true, true)), kSize)
                .startsWith("%PDF"));
  }

  void golden() {
    const QImage got =
        figure::render_image(figure::contour_figure(test::two_basin_scene(true, true)), kSize);
    const QString stored =
        QStringLiteral(RIDGELINE_SOURCE_DIR "/tests/figure/golden/contour_map.png");
    if (qEnvironmentVariable("RIDGELINE_UPDATE_GOLDEN") == "1") {
      QVERIFY2(got.save(stored), qPrintable("cannot write " + stored));
      qInfo("updated %s", qPrintable(stored));
      return;
    }
    const QImage want(stored);
    QVERIFY2(!want.isNull(),
             qPrintable("no golden image " + stored + " (run scripts/update-golden.sh)"));
    const double s = ssim(got, want.convertToFormat(got.format()));
    if (s < kMinSsim) {
      const QString out = QCoreApplication::applicationDirPath() + "/contour_map.png";
      got.save(out);
      QFAIL(qPrintable(
          QString("SSIM %1 < %2 against %3; rendered: %4").arg(s).arg(kMinSsim).arg(stored, out)));
    }
    // The tolerance sees a missing lowest pass and a missing contour set.
    figure::Figure no_pass = figure::contour_figure(test::two_basin_scene(true, true));
    no_pass.panels[0].series.pop_back();
    figure::Figure no_lines = figure::contour_figure(test::two_basin_scene(true, true));
    no_lines.panels[0].field.levels.clear();
    for (const auto* changed : {&no_pass, &no_lines}) {
      const double c = ssim(got, figure::render_image(*changed, kSize));
      qInfo("changed figure: SSIM %.4f", c);
      QVERIFY(c < kMinSsim);
    }
  }

  // The exported script redraws the map with matplotlib from FIG.csv and FIG.grid.csv.
  void pythonRedraw() {
    const QString python = qEnvironmentVariable("RIDGELINE_PYTHON");
    if (python.isEmpty()) QSKIP("figure.test_contour_python runs this (RIDGELINE_PYTHON)");
    if (QProcess::execute(python, {"-c", "import matplotlib, numpy"}) != 0) {
      std::fprintf(stderr, "SKIP: %s has no matplotlib/numpy (python3-matplotlib, python3-numpy)\n",
                   qPrintable(python));
      std::exit(77);
    }
    QTemporaryDir dir;
    const QString fig_path = dir.filePath("contour.pdf");
    const figure::Figure fig = figure::contour_figure(test::two_basin_scene(true, true));
    QString error;
    QVERIFY2(figure::write_python(fig, kSize, fig_path, &error), qPrintable(error));
    const figure::PythonFiles files = figure::python_paths(fig_path);
    QVERIFY(QFile::exists(files.grid));
    QProcess run;
    const QString out = dir.filePath("redrawn.png");
    run.start(python, {files.script, out});
    QVERIFY(run.waitForFinished(120000));
    QVERIFY2(run.exitCode() == 0, run.readAllStandardError().constData());
    const QImage img(out);
    QVERIFY(!img.isNull());
    if (const QString shots = qEnvironmentVariable("RIDGELINE_SURFACE_SHOTS"); !shots.isEmpty()) {
      img.save(shots + "contour-matplotlib.png");
      figure::render_image(fig, kSize).save(shots + "contour.png");
    }
    const long low = pixels_near(img, figure::colormap(0.02), 14),
               pass = pixels_near(img, kPass, 30);
    qInfo("matplotlib's image: %dx%d, low %ld, pass %ld", img.width(), img.height(), low, pass);
    QVERIFY(low > 100);
    QVERIFY(pass > 50);
    // The log scale redraws too (LogNorm, the bar's ticks at 0.2, 0.5, 1, 2).
    const QString log_path = dir.filePath("contour-log.pdf");
    QVERIFY2(figure::write_python(figure::contour_figure(test::two_basin_scene(true, true), {true, 10, "surface"}),
                                  kSize, log_path, &error),
             qPrintable(error));
    QProcess log_run;
    log_run.start(python, {figure::python_paths(log_path).script, dir.filePath("log.png")});
    QVERIFY(log_run.waitForFinished(120000));
    QVERIFY2(log_run.exitCode() == 0, log_run.readAllStandardError().constData());
    if (const QString shots = qEnvironmentVariable("RIDGELINE_SURFACE_SHOTS"); !shots.isEmpty())
      QImage(dir.filePath("log.png")).save(shots + "contour-log-matplotlib.png");
    // Without the grid file the script fails: it really reads the data.
    QFile::remove(files.grid);
    QProcess again;
    again.start(python, {files.script, dir.filePath("again.png")});
    QVERIFY(again.waitForFinished(120000));
    QVERIFY(again.exitCode() != 0);
  }
};

QTEST_MAIN(TestContourFigure)
#include "test_contour_figure.moc"
