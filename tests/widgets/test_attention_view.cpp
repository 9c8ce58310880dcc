// The attention step in the window: a real (shortened) run of the bundled mqar-attention
// example opened from its folder; the tab's grid shows the maps the step saved for the chosen
// model and input, its table one row per layer and head, the summary the variant and accuracy;
// --view and PNG export work; a spec whose model is not a transformer is refused by the step;
// a `ridgeline attention` folder opens as a page whose comparison tab shows two models; the
// paper figure of square maps takes the height that fits them (set ATTENTION_FIGURE_PNG=<stem>
// to keep its PNGs at 89 and 183 mm).
#include <QComboBox>
#include <QImage>
#include <QTabWidget>
#include <QTableWidget>
#include <QtTest>
#include <cmath>
#include <filesystem>

#include "figures/figure_views.h"
#include "gui/main_window/figure_export.h"
#include "gui/main_window/main_window.h"
#include "gui/results/attention_view.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/experiment/run.h"
#include "ridgeline/experiment/steps/attention_step.h"
#include "ridgeline/io/fileio.h"
#include "test_support.h"
#include "widgets/attention/accuracy_curve_chart.h"
#include "widgets/attention/attention_grid.h"
#include "widgets/attention/attention_metric_chart.h"
#include "widgets/attention/qk_embedding_plot.h"
#include "widgets/figure/figure_render.h"

using namespace ridgeline;

namespace {

// Rows (from the top, from the bottom) and columns (from the right) of an image with no ink.
struct Blank {
  int top = 0, bottom = 0, right = 0;
};

Blank blank_edges(const QImage& img) {
  auto ink = [&](int x, int y) { return qGray(img.pixel(x, y)) < 245; };
  auto row_has_ink = [&](int y) {
    for (int x = 0; x < img.width(); ++x)
      if (ink(x, y)) return true;
    return false;
  };
  auto column_has_ink = [&](int x) {
    for (int y = 0; y < img.height(); ++y)
      if (ink(x, y)) return true;
    return false;
  };
  Blank b;
  while (b.top < img.height() && !row_has_ink(b.top)) ++b.top;
  while (b.bottom < img.height() && !row_has_ink(img.height() - 1 - b.bottom)) ++b.bottom;
  while (b.right < img.width() && !column_has_ink(img.width() - 1 - b.right)) ++b.right;
  return b;
}

}  // namespace

class TestAttentionView : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() {
    ExperimentSpec spec = load_spec(test::source_path("resources/experiments/mqar-attention.json"));
    spec.train.epochs = 1;  // the maps, not the accuracy, are under test here
    spec.data = "task:mqar,vocab=32,length=16,pairs=4,train=256,test=64,seed=1";
    RunOptions o;
    o.out_dir = ws_.file("run");
    o.device = "cpu";
    o.threads = 1;
    run_experiment(spec, o);
    run_dir_ = QString::fromStdString(o.out_dir);
  }

  void windowShowsTheSavedMaps() {
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
    auto* pages = w.results().get<gui::AttentionPages>();
    QVERIFY(pages != nullptr);
    QCOMPARE(pages->ids(), QStringList{"attention"});
    QVERIFY2(pages->summary("attention").contains("softmax") &&
                 pages->summary("attention").contains("test accuracy"),
             qPrintable(pages->summary("attention")));
    const AttentionAnalysis saved =
        read_attention_analysis(run_dir_.toStdString() + "/results", "attention.seed0");
    widgets::AttentionGrid* grid = pages->grid("attention");
    QCOMPARE(grid->maps().layers, 2);
    QCOMPARE(grid->maps().heads, 2);
    QCOMPARE(grid->maps().n, 16);
    const size_t per = 2 * 2 * 16 * 16;
    for (size_t i = 0; i < per; i += 37) QCOMPARE(grid->maps().values[i], double(saved.maps[i]));
    QCOMPARE(grid->maps().tokens.front().toStdString(), saved.token_labels[0][0]);
    QCOMPARE(pages->table("attention")->rowCount(), 4);
    // Another input: its own maps.
    auto* input = w.findChild<QComboBox*>("attention.input");
    QVERIFY(input != nullptr);
    QCOMPARE(input->count(), 4);
    input->setCurrentIndex(2);
    QVERIFY(grid->maps().title.contains("test input 2"));
    for (size_t i = 0; i < per; i += 41) QCOMPARE(grid->maps().values[i], double(saved.maps[2 * per + i]));
    QVERIFY2(w.showView("attention:attention", &why), qPrintable(why));
    QVERIFY(!w.showView("attention:nope", &why));
    const QString png = QString::fromStdString(ws_.file("attention.png"));
    QVERIFY2(w.exportView("attention:attention", png, &why), qPrintable(why));
    const QImage img(png);
    QVERIFY(!img.isNull());
    // Not blank: the viridis colours of the maps are there.
    int coloured = 0;
    for (int y = 0; y < img.height(); y += 4)
      for (int x = 0; x < img.width(); x += 4) {
        const QColor c = img.pixelColor(x, y);
        coloured += c.saturation() > 80;
      }
    QVERIFY2(coloured > 100, qPrintable(QString("%1 coloured pixels").arg(coloured)));
    // Metrics by layer: one bar set for the step's one model, one group per layer, the layer's
    // values the means of its heads.
    widgets::AttentionMetricChart* chart = pages->metricChart("attention");
    QCOMPARE(chart->variantNames(), QStringList{"seed0 (softmax)"});
    QCOMPARE(chart->categories().size(), 2);
    chart->setMetric(widgets::AttentionMetricChart::Metric::Entropy);
    const double e1 = (saved.per_head[2].metrics.entropy + saved.per_head[3].metrics.entropy) / 2;
    QVERIFY(std::abs(chart->value(0, 1) - e1) < 1e-9);
    // The query/key embedding of a chosen head: every measured input's 16 queries and 16 keys.
    widgets::QkEmbeddingPlot* qk = pages->embedding("attention");
    QCOMPARE(qk->drawnCount(true), saved.examples * 16);
    QCOMPARE(qk->drawnCount(false), saved.examples * 16);
    auto* head = w.findChild<QComboBox*>("attention.head");
    QVERIFY(head != nullptr);
    QCOMPARE(head->count(), 4);
    head->setCurrentIndex(3);
    QCOMPARE(qk->embedding().x.size(), saved.embeddings[3].x.size());
    QCOMPARE(qk->embedding().x[5], saved.embeddings[3].x[5]);
    // The training curve of the step's trained model: its test accuracy per epoch.
    const RunSummary run = load_run(run_dir_.toStdString());
    const auto training = run.training();
    QCOMPARE(training.size(), size_t(1));
    const auto* curves = pages->curves("attention");
    QCOMPARE(curves->curves().size(), size_t(1));
    QCOMPARE(curves->curves()[0].accuracy.size(), training[0].second.size());
    QCOMPARE(curves->curves()[0].accuracy.back(), 1.0 - training[0].second.back().test_error);
    if (const char* shots = std::getenv("RIDGELINE_ATTENTION_VIEW_SHOTS")) {  // to look at
      auto* below = w.findChild<QTabWidget*>("attention.below");
      below->setCurrentIndex(2);
      QTest::qWait(50);
      qk->exportTo(QString(shots) + "/qk.png");
      below->setCurrentIndex(1);
      QTest::qWait(50);
      chart->exportTo(QString(shots) + "/metrics.png");
    }
  }

  // Live maps while training: one "training-<model>" tab, updated in place every epoch, that
  // keeps the input being looked at.
  void liveMapsUpdateOneTab() {
    gui::GuiOptions o;
    o.workspace = QString::fromStdString(ws_.file("ws-live"));
    o.device = "cpu";
    o.threads = 1;
    gui::MainWindow w(o);
    w.setInteractive(false);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QString why;
    QVERIFY2(w.openRunFolder(run_dir_, &why), qPrintable(why));
    auto* pages = w.results().get<gui::AttentionPages>();
    const AttentionAnalysis saved =
        read_attention_analysis(run_dir_.toStdString() + "/results", "attention.seed0");
    for (int epoch = 1; epoch <= 2; ++epoch) {
      AttentionStepResult live;
      live.models = {"seed0"};
      live.analyses = {saved};
      live.epoch = epoch;
      pages->show(StepResult{"training-seed0", "attention", live, 0.0});
      if (epoch == 1) pages->select("training-seed0", 0, 3);
    }
    QCOMPARE(pages->ids(), (QStringList{"attention", "training-seed0"}));
    QVERIFY2(pages->summary("training-seed0").contains("after epoch 2"),
             qPrintable(pages->summary("training-seed0")));
    QVERIFY(pages->grid("training-seed0")->maps().title.contains("test input 3"));
    QVERIFY(pages->grid("training-seed0")->maps().title.contains("epoch 2"));
  }

  // The paper figure: one panel per layer, each cell the mean over heads of the saved map of
  // the first kept input, query i in row i from the bottom, key j in column j.
  void figureShowsTheHeadMeans() {
    ExperimentSpec spec;
    const RunSummary run = load_run(run_dir_.toStdString(), &spec);
    figures::FigureInput in{&run, &spec, "run", nullptr, nullptr, {}};
    const figure::Figure f = figures::build_figure(in, "attention:attention");
    QCOMPARE(f.panels.size(), size_t(2));
    const AttentionAnalysis saved =
        read_attention_analysis(run_dir_.toStdString() + "/results", "attention.seed0");
    const int N = 16;
    const figure::Field& field = f.panels[1].field;
    QCOMPARE(field.xs.size(), size_t(2 * N));
    for (const auto& [i, j] : std::vector<std::pair<int, int>>{{5, 2}, {9, 0}, {15, 15}, {3, 3}}) {
      const double mean = (saved.maps[(static_cast<size_t>(1) * 2 + 0) * N * N + i * N + j] +
                           saved.maps[(static_cast<size_t>(1) * 2 + 1) * N * N + i * N + j]) / 2;
      // Both nodes of cell (i, j) hold it.
      for (int a = 0; a < 2; ++a)
        for (int b = 0; b < 2; ++b)
          QVERIFY(std::abs(field.z[static_cast<size_t>(2 * i + a) * 2 * N + 2 * j + b] - mean) < 1e-6);
    }
    QVERIFY_THROWS_EXCEPTION(InputError, figures::build_figure(in, "attention:nope"));
    // ":layer=1": one panel per head of layer 1, each cell that head's map itself.
    figure::Figure heads;
    try {
      heads = figures::build_figure(in, "attention:attention:layer=1");
    } catch (const std::exception& e) {
      QFAIL(e.what());
    }
    QCOMPARE(heads.panels.size(), size_t(2));
    for (int h = 0; h < 2; ++h)
      for (const auto& [i, j] : std::vector<std::pair<int, int>>{{5, 2}, {9, 0}, {15, 15}}) {
        const double want = saved.maps[(static_cast<size_t>(1) * 2 + h) * N * N + i * N + j];
        QVERIFY(std::abs(heads.panels[h].field.z[static_cast<size_t>(2 * i) * 2 * N + 2 * j] - want) < 1e-6);
      }
    QVERIFY(heads.panels[0].field.min == heads.panels[1].field.min &&
            heads.panels[0].field.max == heads.panels[1].field.max);  // one colour scale
    QVERIFY_THROWS_EXCEPTION(InputError, figures::build_figure(in, "attention:attention:layer=2"));
  }

  // Square maps side by side: at the default 60 mm an 89 mm figure leaves its top empty (the
  // plots fit the width first) and a 183 mm one its right; at the fitted height neither, and
  // the tick labels and titles are whole (ink at the edges' margins, not cut by them).
  void figureHeightFitsItsPanels() {
    ExperimentSpec spec;
    const RunSummary run = load_run(run_dir_.toStdString(), &spec);
    figures::FigureInput in{&run, &spec, "run", nullptr, nullptr, {}};
    const figure::Figure heads = figures::build_figure(in, "attention:attention:layer=1");
    QCOMPARE(heads.panels.size(), size_t(2));
    // A line of 8 pt text at 300 dpi is about 39 px tall.
    const int line_px = 40;
    for (double width : {89.0, 183.0}) {
      figure::FigureSize size;
      size.width_mm = width;
      const QImage fixed = figure::render_image(heads, size);
      const Blank was = blank_edges(fixed);
      if (width == 89.0) QVERIFY2(was.top > fixed.height() / 4, qPrintable(QString::number(was.top)));
      else QVERIFY2(was.right > fixed.width() / 20, qPrintable(QString::number(was.right)));

      const double h = figure::fitted_height_mm(heads, size);
      QVERIFY2(width == 89.0 ? h < 50 : h > 70, qPrintable(QString::number(h)));
      QVERIFY(std::abs(std::round(h * 10) - h * 10) < 1e-9);  // a whole 0.1 mm
      figure::FigureSize fitted = size;
      fitted.height_mm = h;
      QCOMPARE(figure::fitted_height_mm(heads, fitted), h);  // settled
      const QImage img = figure::render_image(heads, fitted);
      QCOMPARE(img.height(), figure::pixels_for(h, size.dpi));
      const Blank now = blank_edges(img);
      const QString where = QStringLiteral("%1 mm: blank top %2, bottom %3, right %4 px of %5 x %6")
                                .arg(width).arg(now.top).arg(now.bottom).arg(now.right)
                                .arg(img.width()).arg(img.height());
      // Above the plots: half a line for the top tick label; below: the x title's descent; on
      // the right: the padding beside the colour bar's title.
      QVERIFY2(now.top > 0 && now.top < line_px, qPrintable(where));
      QVERIFY2(now.bottom > 0 && now.bottom < line_px, qPrintable(where));
      QVERIFY2(now.right > 0 && now.right < line_px, qPrintable(where));
      if (const QByteArray stem = qgetenv("ATTENTION_FIGURE_PNG"); !stem.isEmpty())
        QVERIFY(img.save(QString::fromLocal8Bit(stem) + QStringLiteral("-%1mm.png").arg(width)));
    }
    // Figures of other panels keep the height they are given.
    const figure::Figure training = figures::build_figure(in, "training");
    figure::FigureSize size;
    size.width_mm = 183;
    QCOMPARE(figure::fitted_height_mm(training, size), 60.0);

    // File > Export figure: fitted when asked, the height given when not.
    gui::FigureExportRequest r;
    r.run_dir = run_dir_;
    r.view = "attention:attention:layer=1";
    r.out = QString::fromStdString(ws_.file("heads.png"));
    r.size.width_mm = 183;
    r.fit_height = true;
    QString why;
    figure::FigureSize written;
    QVERIFY2(gui::export_figure(r, &why, &written), qPrintable(why));
    QCOMPARE(written.height_mm, figure::fitted_height_mm(heads, r.size));
    QCOMPARE(QImage(r.out).height(), figure::pixels_for(written.height_mm, r.size.dpi));
    r.fit_height = false;
    QVERIFY2(gui::export_figure(r, &why, &written), qPrintable(why));
    QCOMPARE(written.height_mm, 60.0);
    QCOMPARE(QImage(r.out).height(), figure::pixels_for(60, r.size.dpi));
  }

  // A folder written by `ridgeline attention` opens as an attention page named after the
  // folder; its "Compare two models" tab shows two models on the input chosen above, on one
  // colour scale; the paper figure reads the same folder; a broken folder is one message.
  void attentionFolderOpensAndCompares() {
    const AttentionAnalysis saved =
        read_attention_analysis(run_dir_.toStdString() + "/results", "attention.seed0");
    AttentionAnalysis other = saved;
    for (float& v : other.maps) v *= 0.5f;  // a different, still valid, set of maps
    other.variant = "halved";
    const std::string lab = ws_.file("lab");
    std::filesystem::create_directories(lab);
    write_attention_analysis(saved, lab, "first");
    write_attention_analysis(other, lab, "second");
    write_file_atomic(lab + "/comparison.json",
                      R"({"data": "x", "models": [{"name": "first"}, {"name": "second"}]})");
    gui::GuiOptions o;
    o.workspace = QString::fromStdString(ws_.file("ws-folder"));
    o.device = "cpu";
    o.threads = 1;
    gui::MainWindow w(o);
    w.setInteractive(false);
    w.resize(1400, 900);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QString why;
    QVERIFY2(w.openRunFolder(QString::fromStdString(lab), &why), qPrintable(why));
    auto* pages = w.results().get<gui::AttentionPages>();
    QVERIFY(pages != nullptr);
    QCOMPARE(pages->ids(), QStringList{"lab"});
    QVERIFY(w.headerText().contains("Attention folder lab"));
    widgets::AttentionComparison* cmp = pages->comparison("lab");
    QVERIFY(cmp != nullptr);
    // Defaults: the first model on the left, the second on the right, input 0.
    const size_t per = 2 * 2 * 16 * 16;
    QVERIFY(cmp->left()->maps().title.contains("first"));
    QVERIFY(cmp->right()->maps().title.contains("second"));
    for (size_t i = 0; i < per; i += 29) {
      QCOMPARE(cmp->left()->maps().values[i], double(saved.maps[i]));
      QCOMPARE(cmp->right()->maps().values[i], double(other.maps[i]));
    }
    // The input chosen above drives both sides.
    w.findChild<QComboBox*>("attention.input")->setCurrentIndex(3);
    QVERIFY(cmp->right()->maps().title.contains("test input 3"));
    for (size_t i = 0; i < per; i += 31)
      QCOMPARE(cmp->right()->maps().values[i], double(other.maps[3 * per + i]));
    pages->compare("lab", 1, 0);
    QVERIFY(cmp->left()->maps().title.contains("second"));
    // RIDGELINE_SHOT_DIR=DIR: the comparison tab as a picture, for a person to look at.
    if (const QString shots = qEnvironmentVariable("RIDGELINE_SHOT_DIR"); !shots.isEmpty()) {
      auto* below = w.findChild<QTabWidget*>("attention.below");
      below->setCurrentIndex(below->count() - 1);
      QTest::qWait(50);
      w.grab().save(shots + "/attention-compare.png");
    }
    QVERIFY2(w.showView("attention:lab", &why), qPrintable(why));
    // The paper figure of the folder, as `ridgeline figure lab --view attention:lab` draws it.
    RunSummary run;
    run.results.push_back(StepResult{"lab", "attention", read_attention_folder(lab)});
    ExperimentSpec none;
    figures::FigureInput in{&run, &none, "lab", nullptr, nullptr, {}};
    QCOMPARE(figures::build_figure(in, "attention:lab").panels.size(), size_t(2));
    // A folder whose comparison.json names a model it lacks: one message, nothing shown.
    write_file_atomic(lab + "/comparison.json", R"({"models": [{"name": "third"}]})");
    QVERIFY(!w.openRunFolder(QString::fromStdString(lab), &why));
    QVERIFY2(why.contains("third"), qPrintable(why));
  }

  void stepNeedsATransformer() {
    std::string text = read_file(test::source_path("resources/experiments/mqar-attention.json"));
    text.replace(text.find("\"kind\": \"transformer\""), 21, "\"kind\": \"mlp\"");
    const size_t at = text.find("\"arch\": \"transformer:");
    text.replace(at, text.find('"', at + 9) - at + 1, "\"arch\": \"mlp:16,8,32\"");
    try {
      parse_spec(text, "spec.json");
      QFAIL("an attention step on an MLP was accepted");
    } catch (const InputError& e) {
      QVERIFY2(std::string(e.what()).find("transformer") != std::string::npos, e.what());
    }
  }

 private:
  test::ScratchDir ws_{"attention-view"};
  QString run_dir_;
};

QTEST_MAIN(TestAttentionView)
#include "test_attention_view.moc"
