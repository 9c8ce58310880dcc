// The spectra views (widgets/spectra) and the spectra step in the window: a permuted copy's
// singular values drawn on top of (and equal to) its original's, the overlap heatmaps on one
// colour scale [0, 1], the ESD's "fit failed" state, R(γ) drawn from the result's numbers, and
// a real run of the bundled gmm-spectra example opened in the window and drawn as a figure.
#include <QComboBox>
#include <QLabel>
#include <QTableWidget>
#include <QXYSeries>
#include <QtTest>
#include <cmath>

#include "figures/figure_views.h"
#include "gui/main_window/main_window.h"
#include "gui/results/spectra_view.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/experiment/run.h"
#include "test_support.h"
#include "widgets/figure/colormap.h"
#include "widgets/spectra/overlap_heatmaps.h"
#include "widgets/spectra/spectra_charts.h"
#include "widgets/spectra/spectra_data.h"
#include "widgets/spectra/spectra_training_chart.h"
#include "widgets/spectra/spectra_view.h"

using namespace ridgeline;
using widgets::EsdChart;
using widgets::OverlapHeatmaps;
using widgets::PermutedCopy;
using widgets::RGammaChart;
using widgets::SingularValueChart;

namespace {

MatrixSpectrum spectrum(const std::string& name, std::vector<double> s) {
  MatrixSpectrum m;
  m.name = name;
  m.rows = 16;
  m.cols = static_cast<int>(s.size());
  m.singular_values = std::move(s);
  m.spectral_norm = m.singular_values.front();
  m.mp_edge = 2.0;
  m.mp_spikes = 3;
  return m;
}

LayerAlignment layer_alignment(const std::string& name, int k, double diag, double off) {
  LayerAlignment l;
  l.name = name;
  l.rows = 16;
  l.cols = 12;
  l.k = k;
  for (int i = 0; i < k; ++i)
    for (int j = 0; j < k; ++j) {
      l.u_overlap.push_back(i == j ? diag : off * (i + j) / (2.0 * k));
      l.v_overlap.push_back(i == j ? diag * 0.9 : off);
    }
  l.r_sum = {1, 2};
  l.r_count = {2, 2};
  l.top_k_share = 0.5;
  return l;
}

// seed0 (reference), seed1 and seed1@wm = π(seed1) with seed1's singular values.
SpectraResult synthetic() {
  SpectraResult r;
  r.aligned_to = "seed0";
  r.top_k = 4;
  std::vector<double> s0, s1;
  for (int i = 0; i < 12; ++i) {
    s0.push_back(10.0 / (1 + i));
    s1.push_back(8.0 * std::exp(-0.2 * i));
  }
  r.models = {{"seed0", {spectrum("fc0.weight", s0)}},
              {"seed1", {spectrum("fc0.weight", s1)}},
              {"seed1@wm", {spectrum("fc0.weight", s1)}}};
  SpectraAlignment before, after;
  before.a = after.a = "seed0";
  before.b = "seed1";
  after.b = "seed1@wm";
  before.gammas = after.gammas = {0, 0.3, 0.6};
  before.r = {0.04, 0.07, 0.11};
  after.r = {0.55, 0.71, 0.83};
  before.layers = {layer_alignment("fc0.weight", 4, 0.3, 0.2)};
  after.layers = {layer_alignment("fc0.weight", 4, 0.97, 0.1)};
  r.alignments = {before, after};
  return r;
}

const std::vector<PermutedCopy> kCopies = {{"seed1@wm", "seed1", "weight matching"}};

}  // namespace

class TestSpectraView : public QObject {
  Q_OBJECT

 private slots:
  void permutedCopyCoincides() {
    SingularValueChart c;
    c.resize(700, 500);
    c.setData(synthetic(), kCopies, "fc0.weight");
    const QString b = c.seriesName("seed1"), pb = c.seriesName("seed1@wm");
    QVERIFY(!b.isEmpty() && !pb.isEmpty() && b != pb);
    QXYSeries* sb = c.series(b);
    QXYSeries* spb = c.series(pb);
    QVERIFY(sb && spb);
    QCOMPARE(sb->points().size(), 12);
    QCOMPARE(spb->points(), sb->points());
    QVERIFY(sb->isVisible() && spb->isVisible());
    // π(B) is drawn dashed on top of B's wider solid line, and the legend says why they coincide.
    QCOMPARE(sb->pen().style(), Qt::SolidLine);
    QVERIFY(spb->pen().style() != Qt::SolidLine);
    QVERIFY(sb->pen().widthF() > spb->pen().widthF());
    const auto series = c.chart()->series();
    QVERIFY(series.indexOf(spb) > series.indexOf(sb));
    QVERIFY2(pb.contains("π(seed1)") && pb.contains("same σ"), qPrintable(pb));
    QStringList legend;
    for (const auto& e : c.legend()->entries()) legend << e.name;
    QVERIFY(legend.contains(b) && legend.contains(pb));
    // A copy whose values differ is not called the same.
    SpectraResult r = synthetic();
    r.models[2].layers[0].singular_values[3] *= 1.5;
    c.setData(r, kCopies, "fc0.weight");
    QVERIFY2(!c.seriesName("seed1@wm").contains("same σ"), qPrintable(c.seriesName("seed1@wm")));
  }

  void heatmapsShareTheUnitScale() {
    QCOMPARE(OverlapHeatmaps::kMin, 0.0);
    QCOMPARE(OverlapHeatmaps::kMax, 1.0);
    const SpectraResult r = synthetic();
    OverlapHeatmaps h;
    h.resize(900, 320);
    h.setData("seed0", "B = seed1", &r.alignments[0].layers[0], "π(B) = seed1@wm", &r.alignments[1].layers[0]);
    QCOMPARE(int(h.panels().size()), 4);
    // Every cell of every panel is coloured by its value on [0, 1] (viridis), not by its own
    // panel's range: the "before" panel (max 0.3) stays dark.
    for (int p = 0; p < 4; ++p) {
      const auto& pan = h.panels()[static_cast<size_t>(p)];
      QCOMPARE(pan.k, 4);
      const QImage img = h.panelImage(p);
      for (int i = 0; i < pan.k; ++i)
        for (int j = 0; j < pan.k; ++j) {
          const double v = pan.values[static_cast<size_t>(i * pan.k + j)];
          const figure::Rgb want = figure::colormap(v);
          QCOMPARE(QColor(img.pixel(j, pan.k - 1 - i)), QColor(want.r, want.g, want.b));
        }
    }
    QVERIFY(OverlapHeatmaps::colorOf(0.3) != OverlapHeatmaps::colorOf(1.0));
    // Hover names the cell and its value.
    const QString t = h.hoverText(QPoint(-5, -5));
    QVERIFY(t.isEmpty());
    bool found = false;
    for (int x = 0; x < h.width() && !found; x += 4)
      for (int y = 0; y < h.height() && !found; y += 4)
        if (const QString s = h.hoverText(QPoint(x, y)); s.contains("i = 1, j = 1")) found = s.contains("0.300") || s.contains("0.970") || s.contains("0.270") || s.contains("0.873");
    QVERIFY(found);
    // A missing "after" panel says so instead of drawing nothing.
    h.setData("seed0", "B = seed1", &r.alignments[0].layers[0], {}, nullptr);
    QCOMPARE(h.panels()[1].k, 0);
    QVERIFY(!h.panels()[1].missing.isEmpty());
  }

  void esdShowsFitFailure() {
    EsdChart c;
    c.resize(700, 500);
    MatrixSpectrum s = spectrum("fc2.weight", {3, 2, 1, 0.5});
    s.fit.ok = false;
    s.fit.failure = "fewer than 10 positive eigenvalues (4)";
    c.setData(s, "seed0");
    QVERIFY(!c.hasFit());
    QVERIFY2(c.note() == "fit failed: fewer than 10 positive eigenvalues (4)", qPrintable(c.note()));
    for (const QString& n : c.seriesNames()) QVERIFY2(!n.startsWith("power-law"), qPrintable(n));
    // A fitted spectrum draws its tail, x_min and the MP edge, and no failure note.
    std::vector<double> sv;
    for (int i = 1; i <= 60; ++i) sv.push_back(std::pow(double(i), -0.6) * 10);
    MatrixSpectrum f = spectrum("fc0.weight", sv);
    f.fit = {true, "", 2.5, 0.2, 4.0, 0.05, 20, 60};
    c.setData(f, "seed0");
    QVERIFY(c.hasFit());
    QVERIFY(c.note().isEmpty());
    int tails = 0, edges = 0, xmins = 0;
    for (const QString& n : c.seriesNames()) {
      tails += n.startsWith("power-law tail: α = 2.5 ± 0.2");
      edges += n.startsWith("Marchenko–Pastur bulk edge");
      xmins += n.startsWith("x_min = 4");
    }
    QCOMPARE(tails, 1);
    QCOMPARE(edges, 1);
    QCOMPARE(xmins, 1);
  }

  void rGammaIsTheResultsR() {
    RGammaChart c;
    c.resize(700, 500);
    const SpectraResult r = synthetic();
    c.setData(r, kCopies);
    for (const SpectraAlignment& al : r.alignments) {
      QXYSeries* s = c.series(c.seriesName(QString::fromStdString(al.b)));
      QVERIFY(s);
      QCOMPARE(s->count(), int(al.r.size()));
      for (int i = 0; i < s->count(); ++i) {
        QCOMPARE(s->at(i).x(), al.gammas[static_cast<size_t>(i)]);
        QCOMPARE(s->at(i).y(), al.r[static_cast<size_t>(i)]);
      }
    }
    QVERIFY(c.seriesName("seed1").contains("before"));
    QVERIFY(c.seriesName("seed1@wm").contains("after weight matching"));
    QXYSeries* paper = nullptr;
    for (QAbstractSeries* s : c.chart()->series())
      if (s->name().startsWith("γ = 0.3")) paper = qobject_cast<QXYSeries*>(s);
    QVERIFY(paper);
    QCOMPARE(paper->at(0).x(), 0.3);
  }

  void spectraWithoutReference() {
    // A step without aligned_to: spectra only; the alignment parts say why they are empty.
    SpectraResult r = synthetic();
    r.aligned_to.clear();
    r.alignments.clear();
    r.models[0].layers[0].singular_values.back() = 0;  // rank-deficient: not on a log axis
    widgets::SpectraView v;
    v.resize(1200, 800);
    v.setResult(r, kCopies);
    QCOMPARE(v.layers(), QStringList{"fc0.weight"});
    QVERIFY(v.pairs().isEmpty());
    QVERIFY(!v.heatmaps()->panels().empty());
    for (const auto& p : v.heatmaps()->panels()) QCOMPARE(p.k, 0);
    QVERIFY(v.rChart()->chart()->title().contains("no reference"));
    QVERIFY2(v.spectrumChart()->note().contains("1 zero singular values not drawn"),
             qPrintable(v.spectrumChart()->note()));
    QCOMPARE(v.table()->rowCount(), 3);
    QCOMPARE(v.table()->item(1, 12)->text(), QString("—"));
  }

  void pageOpensARunFolder() {
    RunOptions o;
    o.out_dir = ws_.file("run");
    o.device = "cpu";
    o.threads = 1;
    run_experiment(load_spec(test::source_path("resources/experiments/gmm-spectra.json")), o);
    const QString dir = QString::fromStdString(o.out_dir);

    gui::GuiOptions g;
    g.workspace = QString::fromStdString(ws_.file("ws"));
    g.device = "cpu";
    g.threads = 1;
    gui::MainWindow w(g);
    w.setInteractive(false);
    w.resize(1400, 900);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QString why;
    QVERIFY2(w.openRunFolder(dir, &why), qPrintable(why));
    auto* pages = w.results().get<gui::SpectraPages>();
    QVERIFY(pages != nullptr);
    QCOMPARE(pages->ids(), QStringList{"spectra"});
    QVERIFY2(w.showView("spectra:spectra", &why), qPrintable(why));
    QVERIFY(!w.showView("spectra:nope", &why));
    QVERIFY2(why.contains("spectra"), qPrintable(why));
    widgets::SpectraView* v = pages->view("spectra");
    QVERIFY(v != nullptr);
    QCOMPARE(v->layers(), (QStringList{"fc0.weight", "fc1.weight", "fc2.weight"}));
    // The copy relation comes from the run's align step.
    QVERIFY2(v->spectrumChart()->seriesName("seed1@wm").contains("π(seed1)"),
             qPrintable(v->spectrumChart()->seriesName("seed1@wm")));
    QCOMPARE(v->pairs().size(), 1);
    QVERIFY(v->pairs().front().startsWith("seed1 → seed1@wm"));
    QVERIFY(v->setLayer("fc1.weight"));
    QVERIFY(v->spectrumChart()->chart()->title().contains("fc1.weight"));
    QVERIFY(v->esdChart()->chart()->title().contains("fc1.weight"));
    QCOMPARE(v->heatmaps()->panels()[0].k, 8);
    QCOMPARE(v->table()->rowCount(), 9);  // 3 layers × 3 models
    QVERIFY(v->summary().contains("R(γ = 0.3)"));
    QVERIFY(v->csv().count('\n') == 10);
    // The output layer (4×64) has too few eigenvalues to fit: the ESD says so.
    QVERIFY(v->setLayer("fc2.weight"));
    QVERIFY2(v->esdChart()->note().startsWith("fit failed: "), qPrintable(v->esdChart()->note()));
    QVERIFY(v->setLayer("fc1.weight"));
    // Over training (gmm-spectra has "over_training"): R(0.3) per epoch, as trained and after
    // weight matching at each epoch, equal to the result's; then one layer's α per epoch.
    QVERIFY(v->trainingPanel()->isVisibleTo(v));
    const SpectraResult& res = v->result();
    QCOMPARE(res.over_training.size(), size_t(5));
    const auto before = v->trainingChart()->points("seed1: as trained");
    const auto after = v->trainingChart()->points("seed1@wm: after weight matching at each epoch");
    QCOMPARE(before.size(), size_t(5));
    QCOMPARE(after.size(), size_t(5));
    for (size_t e = 0; e < 5; ++e) {
      QCOMPARE(before[e].x(), double(e + 1));
      QCOMPARE(before[e].y(), r_at(res.over_training[e].alignments[0], 0.3));
      QCOMPARE(after[e].y(), r_at(res.over_training[e].alignments[1], 0.3));
    }
    v->setTrainingQuantity(2);  // stable rank of the chosen layer
    const auto sr = v->trainingChart()->points("seed0");
    QCOMPARE(sr.size(), size_t(5));
    QCOMPARE(sr[4].y(), res.over_training[4].models[0].layers[1].stable_rank);  // fc1.weight
    QVERIFY(v->trainingChart()->chart()->title().contains("fc1.weight"));
    QVERIFY(v->setLayer("fc2.weight"));
    const QString png = QString::fromStdString(ws_.file("sv.png"));
    QVERIFY2(w.exportView("spectra:spectra", png, &why), qPrintable(why));
    QVERIFY(!QImage(png).isNull());

    // The paper figure of the same run.
    ExperimentSpec spec;
    const RunSummary run = load_run(dir.toStdString(), &spec);
    figures::FigureInput in{&run, &spec, "run", nullptr, nullptr, {}};
    const auto views = figures::available_views(in);
    QVERIFY(std::find(views.begin(), views.end(), "spectra:spectra") != views.end());
    in.layer = "fc1.weight";
    const figure::Figure f = figures::build_figure(in, "spectra:spectra");
    QCOMPARE(int(f.panels.size()), 4);  // σ, R(γ), overlap before, overlap after
    QCOMPARE(f.panels[2].field.min, 0.0);
    QCOMPARE(f.panels[3].field.max, 1.0);
    // The ESD figure of the reference's layer: histogram, fitted tail (α as in the result)
    // and the MP edge at the result's λ₊.
    QVERIFY(std::find(views.begin(), views.end(), "esd:spectra") != views.end());
    const figure::Figure esd = figures::build_figure(in, "esd:spectra");
    QCOMPARE(esd.panels.size(), size_t(1));
    QCOMPARE(esd.panels[0].series.size(), size_t(3));
    const MatrixSpectrum& l1 = v->result().models[0].layers[1];
    QVERIFY(l1.fit.ok);
    QVERIFY(esd.panels[0].series[1].label.find(widgets::sig4(l1.fit.alpha)) != std::string::npos);
    QCOMPARE(esd.panels[0].series[1].x.front(), l1.fit.xmin);
    QCOMPARE(esd.panels[0].series[2].x.front(), l1.mp_edge);
    in.layer = "fc2.weight";  // 4×64: too few eigenvalues, the note says the fit failed
    QVERIFY(figures::build_figure(in, "esd:spectra").panels[0].note.find("fit failed") != std::string::npos);
    in.layer = "fc9.weight";
    QVERIFY_THROWS_EXCEPTION(InputError, figures::build_figure(in, "spectra:spectra"));
    QVERIFY_THROWS_EXCEPTION(InputError, figures::build_figure(in, "esd:spectra"));
  }

 private:
  test::ScratchDir ws_{"spectra-view"};
};

QTEST_MAIN(TestSpectraView)
#include "test_spectra_view.moc"
