// Golden images of the paper style (the f3d way: render, compare with a stored image by a
// structural metric and a tolerance). Fixed synthetic results (figure_fixtures.h) are drawn to
// PNG and compared with tests/figure/golden/<name>.png by SSIM on grayscale. A failure writes
// the rendered image and a diff image into <build>/tests/figure_golden_out/ and names them.
// scripts/update-golden.sh regenerates the stored images (RIDGELINE_UPDATE_GOLDEN=1).
#include <QDir>
#include <QImage>
#include <QtTest>
#include <cmath>

#include "figure_fixtures.h"
#include "figures/figure_views.h"
#include "widgets/figure/figure_render.h"

using namespace ridgeline;

namespace {

// Tolerance: mean SSIM over 8×8 windows (stride 4) that hold something in either image (windows
// blank in both are skipped, so the white page does not dilute a change), at least 0.99. On the
// platform the images were made on (Debian 12: Qt 6.4, DejaVu Sans of fonts-dejavu-core) drawing
// is deterministic up to a grey level or so from the raster engine's SIMD paths (SSIM > 0.999);
// a changed axis title costs about 0.03, a missing curve or barrier marker 0.5 or more
// (changesAreDetected keeps each below the tolerance). Other fonts or FreeType versions move
// glyphs by a pixel and fail: regenerate the images there with scripts/update-golden.sh.
constexpr double kMinSsim = 0.99;

figure::Figure build(const std::string& view) {
  if (view == "study") {  // a hand-made study aggregate (figure_fixtures.h)
    static const StudyAggregate agg = test::hand_made_study();
    figures::FigureInput in;
    in.study = &agg;
    return figures::build_figure(in, view);
  }
  if (view == "study-grid") {  // two swept variables: width × depth
    static const StudyAggregate agg = test::hand_made_grid_study();
    figures::FigureInput in;
    in.study = &agg;
    return figures::build_figure(in, "study");
  }
  static ExperimentSpec spec;
  static const RunSummary run = test::synthetic_run(&spec);
  figures::FigureInput in{&run, &spec, "synthetic", nullptr, nullptr, {}};
  return figures::build_figure(in, view);
}

std::vector<double> gray(const QImage& img) {
  const QImage g = img.convertToFormat(QImage::Format_Grayscale8);
  std::vector<double> out(static_cast<size_t>(g.width()) * g.height());
  for (int y = 0; y < g.height(); ++y) {
    const uchar* row = g.constScanLine(y);
    for (int x = 0; x < g.width(); ++x) out[static_cast<size_t>(y) * g.width() + x] = row[x];
  }
  return out;
}

// Mean SSIM (Wang et al. 2004) over the content windows; -1 when the sizes differ.
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

// White where equal, red where different (darker: more different).
QImage diff_image(const QImage& a, const QImage& b) {
  QImage d(a.size(), QImage::Format_RGB32);
  d.fill(Qt::white);
  if (a.size() != b.size()) return d;
  for (int y = 0; y < a.height(); ++y)
    for (int x = 0; x < a.width(); ++x) {
      const int delta = std::abs(qGray(a.pixel(x, y)) - qGray(b.pixel(x, y)));
      if (delta > 0) d.setPixel(x, y, qRgb(255, 255 - std::min(255, 4 * delta), 255 - std::min(255, 4 * delta)));
    }
  return d;
}

QString golden_dir() { return QStringLiteral(RIDGELINE_SOURCE_DIR "/tests/figure/golden"); }
QString out_dir() { return QCoreApplication::applicationDirPath() + "/figure_golden_out"; }

struct Case {
  const char* name;
  const char* view;
  figure::FigureSize size;
};

const Case kCases[] = {
    {"paths_naive", "paths:naive", {89, 60, 8, 150}},
    {"paths_flat", "paths:flat", {89, 60, 8, 150}},
    {"all_paths", "all-paths", {89, 60, 8, 150}},
    {"training", "training", {89, 60, 8, 150}},
    {"alignment", "alignment", {183, 60, 8, 150}},
    {"paths_naive_wide", "paths:naive", {183, 70, 10, 100}},
    {"study", "study", {89, 60, 8, 150}},
    {"study_grid", "study-grid", {89, 60, 8, 150}},
};

}  // namespace

class TestFigureGolden : public QObject {
  Q_OBJECT

 private slots:
  void golden_data() {
    QTest::addColumn<int>("index");
    for (int i = 0; i < static_cast<int>(std::size(kCases)); ++i) QTest::newRow(kCases[i].name) << i;
  }

  void golden() {
    QFETCH(int, index);
    const Case& c = kCases[index];
    const QImage got = figure::render_image(build(c.view), c.size);
    const QString stored = golden_dir() + "/" + c.name + ".png";
    if (qEnvironmentVariable("RIDGELINE_UPDATE_GOLDEN") == "1") {
      QVERIFY2(got.save(stored), qPrintable("cannot write " + stored));
      qInfo("updated %s", qPrintable(stored));
      return;
    }
    const QImage want(stored);
    QVERIFY2(!want.isNull(), qPrintable("no golden image " + stored + " (run scripts/update-golden.sh)"));
    const double s = ssim(got, want.convertToFormat(got.format()));
    if (s < kMinSsim) {
      QDir().mkpath(out_dir());
      const QString rendered = out_dir() + "/" + c.name + ".png", diff = out_dir() + "/" + c.name + "-diff.png";
      got.save(rendered);
      diff_image(got, want.convertToFormat(got.format())).save(diff);
      QFAIL(qPrintable(QString("%1: SSIM %2 < %3 against %4 (%5×%6 px vs %7×%8); rendered: %9, diff: %10")
                           .arg(c.name).arg(s, 0, 'f', 4).arg(kMinSsim).arg(stored)
                           .arg(got.width()).arg(got.height()).arg(want.width()).arg(want.height())
                           .arg(rendered, diff)));
    }
  }

  // The metric and tolerance catch what a reviewer would: a missing series, a missing barrier
  // marker, a moved axis label. Each of these must fall below the tolerance.
  void changesAreDetected() {
    const figure::FigureSize size{89, 60, 8, 150};
    const figure::Figure base = build("paths:naive");
    const QImage ref = figure::render_image(base, size);
    QCOMPARE(ssim(ref, ref), 1.0);
    figure::Figure no_train = base;
    for (auto& p : no_train.panels) p.series.pop_back();
    figure::Figure no_marker = base;
    for (auto& p : no_marker.panels) p.barriers.clear();
    figure::Figure shifted = base;  // a curve 2% of the range higher
    for (double& v : shifted.panels[0].series[0].y) v += 0.01;
    figure::Figure other_label = base;
    other_label.panels[0].y.title = "cross-entropy";
    for (const auto* changed : {&no_train, &no_marker, &other_label, &shifted}) {
      const double s = ssim(ref, figure::render_image(*changed, size));
      qInfo("changed figure: SSIM %.4f", s);
      QVERIFY2(s < kMinSsim, qPrintable(QString("a change kept SSIM at %1").arg(s)));
    }
  }
};

QTEST_MAIN(TestFigureGolden)
#include "test_figure_golden.moc"
