// Paper figures (docs/ARCHITECTURE.md, "Paper figures"): the figure model the builders make
// from result structs (barrier markers only where interior), and the files the renderer
// writes — PDF with its text, SVG with <text>, PNG whose pHYs states the dpi, sizes in mm.
#include <QByteArray>
#include <QBuffer>
#include <QImage>
#include <QRegularExpression>
#include <QtTest>
#include <map>
#include <zlib.h>

#include "figure_fixtures.h"
#include "figures/figure_views.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/core/format.h"
#include "widgets/figure/figure_python.h"
#include "widgets/figure/figure_render.h"

using namespace ridgeline;

namespace {

figure::Figure build(const std::string& view) {
  static ExperimentSpec spec;
  static const RunSummary run = test::synthetic_run(&spec);
  figures::FigureInput in{&run, &spec, "synthetic", nullptr, nullptr, {}};
  return figures::build_figure(in, view);
}

// The text a PDF shows: Qt writes each font's ToUnicode map (bfrange lines, uncompressed) and
// compressed content streams whose strings are <glyph ids> Tj. Decodes every Tj in order.
QString pdf_text(const QByteArray& pdf) {
  std::map<unsigned, QString> glyphs;
  QRegularExpression range("<([0-9A-Fa-f]{4})> <([0-9A-Fa-f]{4})> \\[([^\\]]*)\\]");
  for (auto it = range.globalMatch(QString::fromLatin1(pdf)); it.hasNext();) {
    const auto m = it.next();
    unsigned g = m.captured(1).toUInt(nullptr, 16);
    for (const QString& u : m.captured(3).split(QRegularExpression("[<> ]+"), Qt::SkipEmptyParts))
      glyphs[g++] = QChar(static_cast<char16_t>(u.toUInt(nullptr, 16)));
  }
  QString text;
  qsizetype at = 0;
  while ((at = pdf.indexOf("stream\n", at)) >= 0) {
    at += 7;
    const qsizetype end = pdf.indexOf("endstream", at);
    if (end < 0) break;
    std::vector<unsigned char> out(1 << 22);
    uLongf n = out.size();
    if (uncompress(out.data(), &n, reinterpret_cast<const Bytef*>(pdf.constData() + at),
                   static_cast<uLong>(end - at)) != Z_OK)
      continue;
    const QString content = QString::fromLatin1(reinterpret_cast<const char*>(out.data()), static_cast<qsizetype>(n));
    QRegularExpression tj("<([0-9A-Fa-f]+)> Tj");
    for (auto it = tj.globalMatch(content); it.hasNext();) {
      const QString hex = it.next().captured(1);
      for (qsizetype i = 0; i + 4 <= hex.size(); i += 4) text += glyphs[hex.mid(i, 4).toUInt(nullptr, 16)];
    }
    text += '\n';
  }
  return text;
}

// The pixels per metre of a PNG's pHYs chunk (-1 when it has none).
long png_ppm(const QByteArray& png) {
  qsizetype at = 8;
  while (at + 12 <= png.size()) {
    const auto* p = reinterpret_cast<const unsigned char*>(png.constData() + at);
    const unsigned len = (p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3];
    if (png.mid(at + 4, 4) == "pHYs" && len == 9) {
      const unsigned char* d = p + 8;
      if (d[8] != 1) return -1;  // unit must be the metre
      return static_cast<long>((static_cast<unsigned long>(d[0]) << 24) | (d[1] << 16) | (d[2] << 8) | d[3]);
    }
    at += 12 + len;
  }
  return -1;
}

}  // namespace

class TestFigure : public QObject {
  Q_OBJECT

 private slots:
  void viewsOfARun() {
    ExperimentSpec spec;
    const RunSummary run = test::synthetic_run(&spec);
    figures::FigureInput in{&run, &spec, "synthetic", nullptr, nullptr, {}};
    const std::vector<std::string> want = {"training", "alignment", "paths:naive", "paths:wm",
                                           "paths:flat", "all-paths"};
    QCOMPARE(figures::available_views(in), want);
    try {
      figures::build_figure(in, "paths:nope");
      QFAIL("an unknown view must be refused");
    } catch (const InputError& e) {
      QVERIFY2(QString(e.what()).contains("this run can draw: training, alignment, paths:naive"), e.what());
    }
    QVERIFY_THROWS_EXCEPTION(InputError, figures::build_figure(in, "compare"));
  }

  // The study view: linear barrier vs the swept variable, one line per path kind, band mean ±
  // std (n ≥ 3) or min–max (n < 3), log x for width with ticks at the swept values.
  void studyFigure() {
    const StudyAggregate agg = test::hand_made_study();
    figures::FigureInput in;
    in.study = &agg;
    in.label = "hand";
    QCOMPARE(figures::available_views(in), std::vector<std::string>{"study"});
    const figure::Figure f = figures::build_figure(in, "study");
    QCOMPARE(f.panels.size(), size_t(2));
    QCOMPARE(f.legend.size(), size_t(2));
    QCOMPARE(f.legend[0].label, std::string("naive"));
    QCOMPARE(f.legend[1].label, std::string("wm"));
    const std::vector<double> xs = {4, 16, 64};
    for (size_t p = 0; p < 2; ++p) {
      const figure::Panel& pn = f.panels[p];
      QVERIFY(pn.x.log);
      QCOMPARE(pn.x.ticks, xs);
      QCOMPARE(pn.x.title, std::string("width"));
      QCOMPARE(pn.y.title, std::string(p == 0 ? "test loss barrier (linear)" : "test error barrier (linear)"));
      QCOMPARE(pn.series.size(), size_t(2));
      const size_t m = p == 0 ? 0 : 2;  // loss_lin, error_lin
      for (size_t s = 0; s < 2; ++s) {
        const figure::Series& se = pn.series[s];
        QCOMPARE(se.x, xs);
        QCOMPARE(se.style.color, figure::palette(s));
        for (size_t i = 0; i < 3; ++i) {
          const StudyGroupRow* g = nullptr;
          for (const auto& r : agg.groups)
            if (r.values[0].number == xs[i] && r.path == (s ? "wm" : "naive")) g = &r;
          QVERIFY(g);
          const BarrierStats& st = g->stats[m];
          QCOMPARE(se.y[i], st.mean);
          if (g->n >= 3) {
            QCOMPARE(se.lo[i], st.mean - st.std);
            QCOMPARE(se.hi[i], st.mean + st.std);
          } else {
            QCOMPARE(se.lo[i], st.min);
            QCOMPARE(se.hi[i], st.max);
          }
        }
      }
    }
    QCOMPARE(f.panels[0].note, std::string("± std; min–max if n < 3"));
    QVERIFY(f.panels[1].y.percent);
    // The layout puts the ticks exactly at the swept values, on a log axis covering them.
    const auto layout = figure::layout_axes(f, {});
    QVERIFY(layout[0].x.log);
    QCOMPARE(layout[0].x.ticks, xs);
    QCOMPARE(layout[0].x.labels, (std::vector<std::string>{"4", "16", "64"}));
    QVERIFY(layout[0].x.min < 4 && layout[0].x.max > 64);
    // The band is inside the y range.
    QVERIFY(layout[0].y.max >= f.panels[0].series[1].hi[2]);
    // The script draws the band.
    const std::string py = figure::python_script(f, {}, "s.csv", "s-matplotlib.pdf");
    QVERIFY(py.find("\"lo\": [") != std::string::npos);
    QVERIFY(py.find("fill_between") != std::string::npos);

    // --band minmax: min–max everywhere; an unknown band is refused.
    in.band = "minmax";
    const figure::Figure mm = figures::build_figure(in, "study");
    QCOMPARE(mm.panels[0].series[0].lo[0], agg.groups[2].stats[0].min);  // naive at width 4
    QCOMPARE(mm.panels[0].series[0].hi[0], agg.groups[2].stats[0].max);
    QCOMPARE(mm.panels[0].note, std::string("mean, min–max, n = 2–3"));
    in.band = "sd";
    QVERIFY_THROWS_EXCEPTION(InputError, figures::build_figure(in, "study"));
    in.band = "auto";

    // --x / --where on a one-variable study: --x must name the varying variable.
    in.x_key = "depth";
    try {
      figures::build_figure(in, "study");
      QFAIL("--x depth must be refused");
    } catch (const InputError& e) {
      QCOMPARE(std::string(e.what()), std::string("--x depth: not a swept variable; choices: width"));
    }
    in.x_key = "width";
    QCOMPARE(figures::build_figure(in, "study").panels[0].series.size(), size_t(2));
    in.x_key.clear();
    // A run cannot draw it, a study nothing else.
    ExperimentSpec spec;
    const RunSummary run = test::synthetic_run(&spec);
    figures::FigureInput rin{&run, &spec, "synthetic", nullptr, nullptr, {}};
    QVERIFY_THROWS_EXCEPTION(InputError, figures::build_figure(rin, "study"));
    in.study = &agg;
    QVERIFY_THROWS_EXCEPTION(InputError, figures::build_figure(in, "training"));
  }

  // Two varying variables (width × depth): x = width, one line per (path kind, depth): colour
  // by path kind, line style and marker by depth; legend: path kinds (colour), then the depths
  // (grey, line style and marker); no bands by default (two lines per colour).
  void studyFigureTwoVariables() {
    const StudyAggregate agg = test::hand_made_grid_study();
    figures::FigureInput in;
    in.study = &agg;
    const figure::Figure f = figures::build_figure(in, "study");
    QCOMPARE(f.panels.size(), size_t(2));
    const std::vector<double> xs = {4, 16, 64};
    QCOMPARE(f.panels[0].x.title, std::string("width"));
    QVERIFY(f.panels[0].x.log);
    QCOMPARE(f.panels[0].x.ticks, xs);
    const std::vector<std::string> labels = {"naive test loss_lin mean depth=1", "naive test loss_lin mean depth=2",
                                             "wm test loss_lin mean depth=1", "wm test loss_lin mean depth=2"};
    for (size_t p = 0; p < 2; ++p) {
      const figure::Panel& pn = f.panels[p];
      QCOMPARE(pn.series.size(), size_t(4));
      const size_t m = p == 0 ? 0 : 2;
      for (size_t s = 0; s < 4; ++s) {
        const figure::Series& se = pn.series[s];
        std::string want = labels[s];
        if (p == 1) want.replace(want.find("loss_lin"), 8, "error_lin");
        QCOMPARE(se.label, want);
        const std::string path = s < 2 ? "naive" : "wm";
        const std::string depth = s % 2 ? "2" : "1";
        QCOMPARE(se.style.color, figure::palette(s / 2));
        QCOMPARE(se.style.line, s % 2 ? figure::LineStyle::Dashed : figure::LineStyle::Solid);
        QCOMPARE(se.style.marker, figure::marker_cycle(s % 2));
        QVERIFY(se.lo.empty() && se.hi.empty());  // no bands: two lines per colour
        QCOMPARE(se.x, xs);
        for (size_t i = 0; i < 3; ++i) {
          const StudyGroupRow* g = nullptr;
          for (const auto& r : agg.groups)
            if (r.values[0].number == xs[i] && r.values[1].text == depth && r.path == path) g = &r;
          QVERIFY(g);
          QCOMPARE(se.y[i], g->stats[m].mean);
        }
      }
    }
    QCOMPARE(f.legend.size(), size_t(4));
    QCOMPARE(f.legend[0].label, std::string("naive"));
    QCOMPARE(f.legend[0].style.color, figure::palette(0));
    QCOMPARE(f.legend[0].style.marker, figure::Marker::None);
    QCOMPARE(f.legend[1].label, std::string("wm"));
    QCOMPARE(f.legend[2].label, std::string("depth = 1"));
    QCOMPARE(f.legend[2].style.color, figure::grey());
    QCOMPARE(f.legend[2].style.line, figure::LineStyle::Solid);
    QCOMPARE(f.legend[3].label, std::string("depth = 2"));
    QCOMPARE(f.legend[3].style.line, figure::LineStyle::Dashed);
    QCOMPARE(f.legend[3].style.marker, figure::marker_cycle(1));
    QCOMPARE(f.panels[0].note, std::string("mean over seed pairs, n = 2–3"));
    // The script draws every line with its style, and no band.
    const std::string py = figure::python_script(f, {}, "s.csv", "s-matplotlib.pdf");
    QVERIFY(py.find("depth = 2") != std::string::npos);
    QVERIFY(py.find("\"lo\": [") == std::string::npos);

    // An explicit band is drawn anyway.
    in.band = "std";
    QVERIFY(!figures::build_figure(in, "study").panels[0].series[0].lo.empty());
    in.band = "auto";

    // --x depth: depth on x (linear axis, ticks 1 and 2), one line per (path, width).
    in.x_key = "depth";
    const figure::Figure byd = figures::build_figure(in, "study");
    QCOMPARE(byd.panels[0].x.title, std::string("depth"));
    QVERIFY(!byd.panels[0].x.log);
    QCOMPARE(byd.panels[0].x.ticks, (std::vector<double>{1, 2}));
    QCOMPARE(byd.panels[0].series.size(), size_t(6));
    QCOMPARE(byd.legend[2].label, std::string("width = 4"));
    QCOMPARE(byd.legend[4].label, std::string("width = 64"));
    QCOMPARE(byd.panels[0].series[5].style.line, figure::LineStyle::Dotted);
    // A bad --x names the choices.
    in.x_key = "lr";
    try {
      figures::build_figure(in, "study");
      QFAIL("--x lr must be refused");
    } catch (const InputError& e) {
      QCOMPARE(std::string(e.what()), std::string("--x lr: not a swept variable; choices: width, depth"));
    }
    // --where depth=2 leaves one varying variable: one line per path, bands back.
    in.x_key.clear();
    in.where = "depth=2";
    const figure::Figure d2 = figures::build_figure(in, "study");
    QCOMPARE(d2.panels[0].series.size(), size_t(2));
    QCOMPARE(d2.panels[0].series[1].y[0], agg.groups[3].stats[0].mean);  // wm, width 4, depth 2
    QVERIFY(!d2.panels[0].series[0].lo.empty());
    QCOMPARE(d2.legend.size(), size_t(2));
    in.x_key = "depth";  // depth is fixed now
    try {
      figures::build_figure(in, "study");
      QFAIL("--x of a fixed variable must be refused");
    } catch (const InputError& e) {
      QCOMPARE(std::string(e.what()), std::string("--x depth: takes one value in the cells drawn; choices: width"));
    }
    in.x_key.clear();
    for (const char* bad : {"depth", "depth=", "lr=1", "depth=3", "depth=1,depth=2"}) {
      in.where = bad;
      QVERIFY_THROWS_EXCEPTION(InputError, figures::build_figure(in, "study"));
    }
    in.where = "depth=3";
    try {
      figures::build_figure(in, "study");
    } catch (const InputError& e) {
      QCOMPARE(std::string(e.what()), std::string("--where depth=3: no finished cell has depth = 3; values: 1, 2"));
    }
    in.where.clear();

    // Three varying variables: refused, naming them and --where; fixing one draws.
    const StudyAggregate three = test::hand_made_grid_study(true);
    in.study = &three;
    try {
      figures::build_figure(in, "study");
      QFAIL("three varying variables must be refused");
    } catch (const InputError& e) {
      QCOMPARE(std::string(e.what()),
               std::string("--view study: draws at most two swept variables; this study varies width, "
                           "depth and lr: fix all but two with --where (--where lr=0.01)"));
    }
    in.where = "lr=0.1";
    const figure::Figure lr = figures::build_figure(in, "study");
    QCOMPARE(lr.panels[0].series.size(), size_t(4));
    QCOMPARE(lr.panels[0].series[0].y[0], three.groups[2].stats[0].mean);  // naive w4 d1 lr 0.1
    in.where = "lr=0.10";  // the same number
    QCOMPARE(figures::build_figure(in, "study").panels[0].series[0].y[0], three.groups[2].stats[0].mean);
  }

  // The defect: a path whose loss only rises toward an endpoint was marked "barrier"
  // at α = 1. The marker sits at the linear form's argmax, and only when it is interior.
  void barrierMarkerOnlyWhenInterior() {
    const figure::Figure hump = build("paths:naive");
    QCOMPARE(hump.panels.size(), size_t(2));
    const InterpolationResult path = test::synthetic_path(0.45, -0.02);
    const Barriers& b = path.test->barriers;
    QVERIFY(has_interior_barrier(b.loss_lin, b.loss_alpha));
    QCOMPARE(hump.panels[0].barriers.size(), size_t(1));
    const figure::BarrierMarker& m = hump.panels[0].barriers[0];
    QCOMPARE(m.x, b.loss_alpha);
    QCOMPARE(m.y_curve - m.y_chord, b.loss_lin);
    QCOMPARE(m.text, "test barrier " + format_loss_barrier(b.loss_lin));
    QCOMPARE(hump.panels[1].barriers.size(), size_t(1));
    QCOMPARE(hump.panels[1].barriers[0].text, "test barrier " + format_error_barrier(b.error_lin));
    QVERIFY(hump.panels[0].note.empty());

    const figure::Figure flat = build("paths:flat");
    const InterpolationResult flat_path = test::synthetic_path(0, 0, 0.06);
    const Barriers& fb = flat_path.test->barriers;
    QVERIFY(!has_interior_barrier(fb.loss_lin, fb.loss_alpha));
    for (const auto& p : flat.panels) {
      QVERIFY(p.barriers.empty());
      QCOMPARE(p.note, std::string("no interior barrier"));
    }
  }

  void paperStyle() {
    const figure::Figure f = build("paths:wm");
    // Endpoints named after the models of the step's a and b.
    QCOMPARE(f.panels[0].x.low_label, std::string("seed0"));
    QCOMPARE(f.panels[0].x.high_label, std::string("seed1@wm"));
    QVERIFY(f.panels[1].y.percent);
    // Test solid, train dashed, each with its own marker; the legend shows both.
    QCOMPARE(f.legend.size(), size_t(2));
    QCOMPARE(f.legend[0].label, std::string("test"));
    QCOMPARE(f.legend[0].style.line, figure::LineStyle::Solid);
    QCOMPARE(f.legend[1].style.line, figure::LineStyle::Dashed);
    QVERIFY(f.legend[0].style.marker != f.legend[1].style.marker);
    QVERIFY(f.legend[0].style.marker != figure::Marker::None);
    // Training: one colour and marker per model, train dashed.
    const figure::Figure t = build("training");
    QCOMPARE(t.panels.size(), size_t(2));
    QCOMPARE(t.panels[0].series.size(), size_t(4));
    QCOMPARE(t.panels[0].series[1].style.line, figure::LineStyle::Dashed);
    QVERIFY(t.panels[0].series[0].style.color != t.panels[0].series[2].style.color);
    // Alignment: gain, units moved, L2 before/after.
    const figure::Figure a = build("alignment");
    QCOMPARE(a.panels.size(), size_t(3));
    QCOMPARE(a.panels[0].series[0].y, (std::vector<double>{9, 5, 1}));
    QCOMPARE(a.panels[1].series[0].y[0], 60.0 / 64.0);
    QCOMPARE(a.panels[2].series[1].y[0], 28.0);
  }

  void ticks() {
    QCOMPARE(figure::nice_step(1.0, 4), 0.2);
    QCOMPARE(figure::nice_step(0.37, 8), 0.05);
    QCOMPARE(figure::nice_step(0.37, 5), 0.1);
    QCOMPARE(figure::tick_label(0.25, 0.05, true), std::string("25%"));
    QCOMPARE(figure::tick_label(0.015, 0.005, true), std::string("1.5%"));
    QCOMPARE(figure::tick_label(0.5, 0.1, false), std::string("0.5"));
    QCOMPARE(figure::tick_label(-1e-17, 0.1, false), std::string("0.0"));
    const figure::Figure naive = build("paths:naive");
    const auto layout = figure::layout_axes(naive, {});
    QCOMPARE(layout[0].x.min, 0.0);
    QCOMPARE(layout[0].x.max, 1.0);
    QCOMPARE(layout[0].x.labels.front(), std::string("seed0"));
    QCOMPARE(layout[0].x.labels.back(), std::string("seed1"));
    // Every curve inside the y limits, ticks inside too.
    for (const auto& s : naive.panels[0].series)
      for (double v : s.y) QVERIFY2(v >= layout[0].y.min && v <= layout[0].y.max, qPrintable(QString("%1 outside %2..%3").arg(v).arg(layout[0].y.min).arg(layout[0].y.max)));
    for (double t : layout[0].y.ticks) QVERIFY(t >= layout[0].y.min - 1e-12 && t <= layout[0].y.max + 1e-12);
  }

  void checkSize() {
    QVERIFY(figure::check_size({}).empty());
    QVERIFY(QString::fromStdString(figure::check_size({5, 60, 8, 300})).startsWith("--width-mm"));
    QVERIFY(QString::fromStdString(figure::check_size({89, 60, 8, 10})).startsWith("--dpi"));
    QVERIFY(QString::fromStdString(figure::check_size({89, 60, 0, 300})).startsWith("--font-pt"));
    QVERIFY(figure::check_png_size({183, 120, 8, 1200}).empty());
    QVERIFY(QString::fromStdString(figure::check_png_size({500, 500, 8, 2400})).startsWith("--dpi"));
  }

  void pdfIsVectorWithText() {
    const QByteArray pdf = figure::render_pdf(build("paths:naive"), {89, 60, 8, 300});
    QVERIFY(pdf.startsWith("%PDF"));
    const QString text = pdf_text(pdf);
    for (const char* want : {"loss", "error", "seed0", "seed1", "test", "train", "α"})
      QVERIFY2(text.contains(QString::fromUtf8(want)), qPrintable("PDF text lacks " + QString(want) + ":\n" + text));
    // The page is the size (Qt writes whole points; render_pdf writes the exact box).
    const QRegularExpression box("/MediaBox \\[0 (-?[0-9.]+) ([0-9.]+) ([0-9.]+) *\\]");
    for (const auto& [w, h] : {std::pair{89.0, 60.0}, {183.0, 55.3}, {35.2, 20.0}}) {
      const QByteArray doc = figure::render_pdf(build("training"), {w, h, 8, 300});
      const auto m = box.match(QString::fromLatin1(doc));
      QVERIFY2(m.hasMatch(), doc.left(2000).constData());
      QVERIFY(std::abs(m.captured(2).toDouble() - w / 25.4 * 72) < 1e-3);  // 0.0004 mm: the box is written in the bytes Qt used
      QVERIFY(std::abs(m.captured(3).toDouble() - m.captured(1).toDouble() - h / 25.4 * 72) < 1e-3);  // 0.0004 mm: the box is written in the bytes Qt used
      QVERIFY(doc.contains("%%EOF"));
    }
  }

  void svgHasTextAndSize() {
    const QString svg = QString::fromUtf8(figure::render_svg(build("paths:wm"), {120.5, 75.25, 9, 300}));
    QVERIFY(svg.contains("width=\"120.5mm\" height=\"75.25mm\""));
    for (const char* want : {">loss</text>", ">error</text>", ">seed0</text>", ">seed1@wm</text>",
                             "font-size=\"9\"", "font-family=\"DejaVu Sans\""})
      QVERIFY2(svg.contains(QString::fromUtf8(want)), want);
  }

  void pngStatesItsDpi() {
    for (int dpi : {96, 300, 600}) {
      const figure::FigureSize size{89, 60, 8, dpi};
      const QImage img = figure::render_image(build("training"), size);
      QCOMPARE(img.width(), figure::pixels_for(89, dpi));
      QCOMPARE(img.height(), figure::pixels_for(60, dpi));
      QVERIFY(std::abs(img.width() - 89 / 25.4 * dpi) <= 0.5);
      QByteArray png;
      QBuffer buf(&png);
      buf.open(QIODevice::WriteOnly);
      QVERIFY(img.save(&buf, "PNG"));
      const long ppm = png_ppm(png);
      QCOMPARE(std::lround(ppm * 0.0254), long(dpi));
    }
  }

  void pythonData() {
    const figure::Figure f = build("paths:naive");
    const std::string csv = figure::python_data(f);
    QVERIFY(QString::fromStdString(csv).startsWith("panel,series,label,x,y\n0,0,\"test loss\",0,0.5\n"));
    const std::string py = figure::python_script(f, {89, 60, 8, 300}, "naive.csv", "naive.pdf");
    QVERIFY(QString::fromStdString(py).contains("\"width_mm\": 89"));
    QVERIFY(QString::fromStdString(py).contains("\"labels\": [\"seed0\""));
  }
};

QTEST_MAIN(TestFigure)
#include "test_figure.moc"
