// The attention lab's charts (widgets/attention): the query/key embedding plot (one point per
// query and key, axis titles with the explained variance, hover text naming input, position
// and token), the metric chart (one bar per variant and layer holding the chosen metric, NaN as
// "not measured") and the accuracy chart (accuracy in %, loss dashed, hover by the display
// rules, live appends); each renders non-blank in its colours and exports PNG, SVG and PDF.
// RIDGELINE_ATTENTION_LAB_SHOTS=PREFIX writes their screenshots.
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QLineSeries>
#include <QRegularExpression>
#include <QScatterSeries>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QValueAxis>
#include <QtTest>
#include <cmath>
#include <limits>
#include <random>

#include "ridgeline/attention/qk_embedding.h"
#include "ridgeline/core/errors.h"
#include "widgets/attention/accuracy_curve_chart.h"
#include "widgets/attention/attention_metric_chart.h"
#include "widgets/attention/lab_palette.h"
#include "widgets/attention/qk_embedding_plot.h"

using namespace ridgeline;
using namespace ridgeline::widgets;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Pixels within `tol` per channel of `c`.
int count_colour(const QImage& img, const QColor& c, int tol = 40) {
  int n = 0;
  for (int y = 0; y < img.height(); ++y)
    for (int x = 0; x < img.width(); ++x) {
      const QRgb p = img.pixel(x, y);
      if (std::abs(qRed(p) - c.red()) <= tol && std::abs(qGreen(p) - c.green()) <= tol &&
          std::abs(qBlue(p) - c.blue()) <= tol)
        ++n;
    }
  return n;
}

// Two clusters of queries and keys per input, so the plot has structure.
attention::QkEmbedding demo_embedding(int inputs, int n, int d) {
  std::mt19937_64 rng(4);
  std::normal_distribution<double> g(0, 1);
  std::vector<attention::MatrixD> qs, ks;
  for (int i = 0; i < inputs; ++i) {
    attention::MatrixD q(n, d), k(n, d);
    for (int r = 0; r < n; ++r)
      for (int j = 0; j < d; ++j) {
        q(r, j) = g(rng) + (j == r % 2 ? 3 : 0) + 1.5;
        k(r, j) = 2 * g(rng) + (j == r % 2 ? 6 : 0) - 4;
      }
    qs.push_back(q);
    ks.push_back(k);
  }
  return attention::qk_embedding(qs, ks);
}

MapMetrics metrics(double entropy, double mono, double rank, double kl) {
  MapMetrics m;
  m.n = 16;
  m.maps = 4;
  m.entropy = entropy;
  m.normalised_entropy = kNaN;
  m.monotonicity = mono;
  m.effective_rank = rank;
  m.radii = {1, 2};
  m.locality = {0.3 * entropy, 0.5};
  m.locality_grid = kNaN;
  m.dilution_radii = {0, 0.05, 0.1, 0.15};
  m.dilution = {0.1, 0.2, 0.25 * rank, 0.4};
  m.kl = kl;
  return m;
}

void check_exports(const std::function<bool(const QString&, QString*)>& exportTo) {
  QTemporaryDir dir;
  QVERIFY(dir.isValid());
  for (const char* suffix : {"png", "svg", "pdf"}) {
    const QString path = dir.filePath(QString("chart.") + suffix);
    QString error;
    QVERIFY2(exportTo(path, &error), qPrintable(error));
    QVERIFY2(QFileInfo(path).size() > 500, qPrintable(path));
  }
  QImage png(dir.filePath("chart.png"));
  QVERIFY(!png.isNull());
  QVERIFY(png.width() > 500);
  QString error;
  QVERIFY(!exportTo(dir.filePath("chart.bmpx"), &error));
  QVERIFY2(error.contains("unknown export format"), qPrintable(error));
}

// Screenshots as the user's exports write them (PNG, SVG, PDF).
template <class Chart>
void maybe_shot(Chart& w, const char* name) {
  const QByteArray prefix = qgetenv("RIDGELINE_ATTENTION_LAB_SHOTS");
  if (prefix.isEmpty()) return;
  for (const char* suffix : {"png", "svg", "pdf"}) {
    QString error;
    QVERIFY2(w.exportTo(QString("%1-%2.%3").arg(QString(prefix), name, suffix), &error),
             qPrintable(error));
  }
}

}  // namespace

class TestAttentionLabCharts : public QObject {
  Q_OBJECT
 private slots:
  void embeddingPlotShowsEveryQueryAndKey() {
    const attention::QkEmbedding e = demo_embedding(3, 12, 8);
    std::vector<QStringList> tokens(3);
    for (int i = 0; i < 3; ++i)
      for (int p = 0; p < 12; ++p) tokens[static_cast<size_t>(i)] << QString("k%1").arg(p);
    QkEmbeddingPlot plot;
    plot.resize(700, 600);
    plot.setEmbedding(e, "softmax, layer 0, head 1", tokens);
    plot.show();
    QVERIFY(QTest::qWaitForWindowExposed(&plot));
    QCOMPARE(plot.querySeries()->count(), 36);
    QCOMPARE(plot.keySeries()->count(), 36);
    QCOMPARE(plot.drawnCount(true), 36);
    QCOMPARE(plot.drawnCount(false), 36);
    QCOMPARE(plot.chart()->series().size(), 2);
    // Axis titles carry the explained variance, as the engine computed it.
    QCOMPARE(plot.axisTitle(0), QString("PC1 (%1%)").arg(100 * e.explained[0], 0, 'f', 1));
    QVERIFY(QRegularExpression(R"(^PC2 \(\d+\.\d%\)$)").match(plot.axisTitle(1)).hasMatch());
    auto* x = qobject_cast<QValueAxis*>(plot.chart()->axes(Qt::Horizontal).first());
    QCOMPARE(x->titleText(), plot.axisTitle(0));
    // Every point inside the axes' ranges.
    auto* y = qobject_cast<QValueAxis*>(plot.chart()->axes(Qt::Vertical).first());
    for (int i = 0; i < e.size(); ++i) {
      QVERIFY(e.x[static_cast<size_t>(i)] >= x->min() && e.x[static_cast<size_t>(i)] <= x->max());
      QVERIFY(e.y[static_cast<size_t>(i)] >= y->min() && e.y[static_cast<size_t>(i)] <= y->max());
    }
    // Hover: point 14 is query 2 of input 1; point 36 + 12 + 5 is key 5 of input 1.
    QVERIFY2(plot.hoverText(14).startsWith("query 2 of input 1, token 'k2' · PC1 "),
             qPrintable(plot.hoverText(14)));
    QVERIFY2(plot.hoverText(53).startsWith("key 5 of input 1, token 'k5'"),
             qPrintable(plot.hoverText(53)));
    QCOMPARE(plot.hoverText(e.size()), QString());
    QCOMPARE(plot.indexAt(QPointF(e.x[14], e.y[14]), true), 14);
    QCOMPARE(plot.indexAt(QPointF(e.x[53], e.y[53]), false), 53);
    // Non-blank, in both colours.
    const QImage shot = plot.grab().toImage();
    QVERIFY2(count_colour(shot, QColor(213, 94, 0)) > 100, "no query markers drawn");
    QVERIFY2(count_colour(shot, QColor(0, 114, 178)) > 100, "no key markers drawn");
    maybe_shot(plot, "qk-embedding");
    // Coloured by token position (AttentionViz's colouring): viridis from position 0 to 11,
    // queries and keys told apart by shape.
    plot.setColourBy(QkEmbeddingPlot::ColourBy::Position);
    QCOMPARE(plot.pointColour(0), QColor(68, 1, 84));      // position 0: viridis(0)
    QCOMPARE(plot.pointColour(47), QColor(253, 231, 37));  // key 11 of input 0: viridis(1)
    QVERIFY(plot.chart()->title().contains("token position 0 (violet) to 11 (yellow)"));
    QCOMPARE(plot.drawnCount(true), 36);
    QCOMPARE(plot.drawnCount(false), 36);
    QCOMPARE(plot.hoverText(53).left(28), QString("key 5 of input 1, token 'k5'"));
    QTest::qWait(20);
    const QImage by_position = plot.grab().toImage();
    QVERIFY2(count_colour(by_position, QColor(253, 231, 37), 30) > 20,
             "no yellow (last position) markers");
    QVERIFY2(count_colour(by_position, QColor(213, 94, 0), 30) < 20,
             "kind colours left after switching");
    maybe_shot(plot, "qk-embedding-by-position");
    plot.setColourBy(QkEmbeddingPlot::ColourBy::Kind);
    QCOMPARE(plot.pointColour(0), QColor(213, 94, 0));
    check_exports([&](const QString& p, QString* err) { return plot.exportTo(p, err); });
  }

  // 64 inputs of 128 tokens: 16384 points, embedded and drawn (both colourings) in bounded time.
  void manyPointsStayResponsive() {
    QElapsedTimer t;
    t.start();
    const attention::QkEmbedding e = demo_embedding(64, 128, 32);
    const qint64 engine_ms = t.elapsed();
    QkEmbeddingPlot plot;
    plot.resize(800, 700);
    plot.setEmbedding(e, "many points");
    plot.show();
    QVERIFY(QTest::qWaitForWindowExposed(&plot));
    plot.grab();
    plot.setColourBy(QkEmbeddingPlot::ColourBy::Position);
    plot.grab();
    const qint64 ms = t.elapsed();
    qInfo("16384 points: embedding %lld ms, embedding + both colourings drawn %lld ms", engine_ms,
          ms);
    QCOMPARE(plot.drawnCount(true) + plot.drawnCount(false), 16384);
    QVERIFY2(ms < 5000, qPrintable(QString("%1 ms").arg(ms)));
  }

  void emptyEmbeddingPlot() {
    QkEmbeddingPlot plot;
    plot.setColourBy(QkEmbeddingPlot::ColourBy::Position);  // before any data
    plot.setEmbedding(attention::QkEmbedding{});
    QCOMPARE(plot.drawnCount(true) + plot.drawnCount(false), 0);
    QCOMPARE(plot.axisTitle(0), QString("PC1"));
    QCOMPARE(plot.hoverText(0), QString());
    QCOMPARE(plot.indexAt(QPointF(0, 0), true), -1);
  }

  void embeddingPlotWithoutTokensOrNormalisation() {
    std::vector<attention::MatrixD> q{attention::MatrixD(2, 2)}, k{attention::MatrixD(2, 2)};
    q[0](0, 0) = 1, q[0](1, 1) = 1, k[0](0, 0) = -1, k[0](1, 0) = 2;
    attention::QkEmbeddingOptions opt;
    opt.normalise = false;
    QkEmbeddingPlot plot;
    plot.setEmbedding(attention::qk_embedding(q, k, opt));
    QVERIFY(plot.chart()->title().contains("not normalised"));
    QVERIFY2(plot.hoverText(2).startsWith("key 0 of input 0 · PC1"), qPrintable(plot.hoverText(2)));
  }

  void metricChartBarsHoldTheChosenMetric() {
    AttentionMetricChart chart;
    chart.resize(760, 460);
    std::vector<VariantLayerMetrics> v;
    v.push_back(
        {"softmax", {metrics(1.2, 0.9, 6.5, kNaN), metrics(0.8, 0.95, 5.0, kNaN)}, {0.0, 0.0}});
    v.push_back(
        {"linear_elu", {metrics(2.4, 0.6, 3.0, 0.4), metrics(2.6, 0.5, 2.5, 0.7)}, {0.1, kNaN}});
    v.push_back({"inline", {metrics(2.0, 0.7, 4.0, 0.2), metrics(1.9, 0.75, 4.5, 0.25)}, {}});
    chart.setMetrics(v);
    chart.show();
    QVERIFY(QTest::qWaitForWindowExposed(&chart));
    QCOMPARE(chart.categories(), (QStringList{"layer 0", "layer 1"}));
    QCOMPARE(chart.variantNames(), (QStringList{"softmax", "linear_elu", "inline"}));
    QCOMPARE(AttentionMetricChart::metricNames().size(),
             static_cast<int>(AttentionMetricChart::metrics().size()));
    auto bars = [&] {
      auto* s = qobject_cast<QBarSeries*>(chart.chart()->series().first());
      return s->barSets();
    };
    QCOMPARE(bars().size(), 3);
    QCOMPARE(bars()[1]->at(1), 2.6);  // entropy of linear_elu, layer 1
    QCOMPARE(bars()[1]->color(), variant_colour(1));
    QSignalSpy switched(&chart, &AttentionMetricChart::metricChanged);
    chart.setMetric(AttentionMetricChart::Metric::EffectiveRank);
    QCOMPARE(switched.count(), 1);
    QCOMPARE(bars()[2]->at(0), 4.0);
    QCOMPARE(chart.value(0, 1), 5.0);
    chart.setMetric(AttentionMetricChart::Metric::Locality);
    QCOMPARE(chart.value(1, 0), 0.3 * 2.4);
    QVERIFY(chart.metricTitle().contains("≤ 1"));
    chart.setMetric(AttentionMetricChart::Metric::Dilution);
    QCOMPARE(chart.value(0, 0), 0.25 * 6.5);  // l(0.1)
    QVERIFY2(chart.metricTitle().contains("0.1"), qPrintable(chart.metricTitle()));
    chart.setMetric(AttentionMetricChart::Metric::CollisionRate);
    QCOMPARE(chart.value(1, 0), 0.1);
    {  // a fraction's axis ends at 1
      auto* y = qobject_cast<QValueAxis*>(chart.chart()->axes(Qt::Vertical).first());
      QCOMPARE(y->min(), 0.0);
      QCOMPARE(y->max(), 1.0);
    }
    QVERIFY(std::isnan(chart.value(1, 1)));
    QVERIFY(std::isnan(chart.value(2, 0)));
    QCOMPARE(chart.hoverText(2, 0), QString("inline, layer 0: collision rate not measured"));
    QCOMPARE(chart.chart()->axes(Qt::Horizontal).first()->titleText(),
             QString("no bar, not measured: linear_elu (layer 1); inline (all)"));
    chart.setMetric(AttentionMetricChart::Metric::FidelityKl);
    QCOMPARE(chart.hoverText(0, 0),
             QString("softmax, layer 0: fidelity (KL): the reference itself"));
    QCOMPARE(chart.hoverText(1, 1),
             QString("linear_elu, layer 1: fidelity (KL) 0.7 nats (mean over 4 maps)"));
    chart.setMetric(AttentionMetricChart::Metric::Monotonicity);
    QCOMPARE(chart.hoverText(2, 1),
             QString("inline, layer 1: monotonicity 0.75 (mean over 4 maps)"));
    {
      // A file written right after a change shows the change (the chart lays out on posted
      // events; an export before them showed the previous metric's axis and title).
      QTemporaryDir dir;
      QVERIFY(chart.exportTo(dir.filePath("now.png")));
      QTest::qWait(50);
      QVERIFY(chart.exportTo(dir.filePath("later.png")));
      if (!qEnvironmentVariableIsEmpty("KEEPDBG")) {
        QFile::copy(dir.filePath("now.png"), "/tmp/attnviews/now.png");
        QFile::copy(dir.filePath("later.png"), "/tmp/attnviews/later.png");
      }
      QCOMPARE(QImage(dir.filePath("now.png")), QImage(dir.filePath("later.png")));
    }
    const QImage shot = chart.grab().toImage();
    for (int i = 0; i < 3; ++i)
      QVERIFY2(count_colour(shot, variant_colour(i), 12) > 200,
               qPrintable(QString("no bars of variant %1").arg(i)));
    maybe_shot(chart, "metric-chart");
    check_exports([&](const QString& p, QString* err) { return chart.exportTo(p, err); });
    // The map form: variants in name order, one entry = "mean".
    chart.setMetrics(std::map<std::string, std::vector<MapMetrics>>{
        {"softmax", {metrics(1, 1, 1, kNaN)}}, {"cosformer", {metrics(2, 0, 2, 0.1)}}});
    QCOMPARE(chart.variantNames(), (QStringList{"cosformer", "softmax"}));
    QCOMPARE(chart.categories(), QStringList{"mean"});
  }

  void accuracyChartShowsCurvesPerVariant() {
    AccuracyCurveChart chart;
    chart.resize(760, 460);
    std::vector<TrainingCurve> curves;
    TrainingCurve s{"softmax", {}, {}, {}}, l{"linear_elu", {}, {}, {}};
    for (int k = 0; k <= 10; ++k) {
      s.step.push_back(100 * k);
      s.accuracy.push_back(std::min(1.0, 0.1 + 0.09 * k));
      s.loss.push_back(2.5 * std::exp(-0.4 * k));
      l.step.push_back(100 * k);
      l.accuracy.push_back(0.1 + 0.05 * k);
      l.loss.push_back(2.5 * std::exp(-0.15 * k));
    }
    s.accuracy[2] = 0.975;
    s.loss[2] = 0.12344;
    curves = {s, l};
    chart.setCurves(curves, "MQAR, 64 tokens");
    chart.show();
    QVERIFY(QTest::qWaitForWindowExposed(&chart));
    QCOMPARE(chart.chart()->series().size(), 4);
    QCOMPARE(chart.accuracySeries(0)->count(), 11);
    QCOMPARE(chart.accuracySeries(1)->at(4).y(), 100 * (0.1 + 0.05 * 4));  // percent
    QVERIFY(chart.lossSeries(1) != nullptr);
    QCOMPARE(chart.lossSeries(0)->pen().style(), Qt::DashLine);
    QCOMPARE(chart.hoverText(0, 2), QString("softmax, step 200: accuracy 97.50%, loss 0.1234"));
    QCOMPARE(chart.pointNear(0, 230), 2);
    QVERIFY(chart.chart()->title().contains("MQAR, 64 tokens"));
    const QImage shot = chart.grab().toImage();
    QVERIFY2(count_colour(shot, variant_colour(0), 30) > 100, "no softmax curve");
    QVERIFY2(count_colour(shot, variant_colour(1), 30) > 100, "no linear_elu curve");
    maybe_shot(chart, "accuracy-chart");
    check_exports([&](const QString& p, QString* err) { return chart.exportTo(p, err); });
    // Loss hidden: accuracy only.
    chart.setShowLoss(false);
    QCOMPARE(chart.chart()->series().size(), 2);
    QVERIFY(chart.lossSeries(0) == nullptr);
    // Live: a point appended to an existing curve and a new variant.
    chart.appendPoint("softmax", 1100, 1.0, 0.01);
    chart.appendPoint("performer", 0, 0.1, 2.4);
    QCOMPARE(chart.accuracySeries(0)->count(), 12);
    QCOMPARE(chart.curves().size(), size_t(3));
    QCOMPARE(chart.accuracySeries(2)->count(), 1);
    // A curve whose values do not match its steps.
    TrainingCurve bad{"x", {0, 1}, {0.5}, {}};
    QVERIFY_THROWS_EXCEPTION(InputError, chart.setCurves({bad}));
  }
};

QTEST_MAIN(TestAttentionLabCharts)
#include "test_attention_lab_charts.moc"
