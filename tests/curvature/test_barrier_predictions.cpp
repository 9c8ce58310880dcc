// Measured barriers next to their second-order predictions
// (curvature/barrier_predictions.h): the comparison reads b(½) off the path's grid (NaN when
// ½ is not on it), ratios say nothing where the measured barrier is zero, and the join onto a
// layerwise result takes the hessian step of the same A and B, layer by layer, and nothing
// else.
#include <QtTest>
#include <cmath>

#include "ridgeline/curvature/barrier_predictions.h"

using namespace ridgeline;

namespace {

// A path of `sel` on the grid `alphas`: b(α) = m·4α(1−α), midpoint form p·4α(1−α).
PathCurvature path(const std::string& sel, double m, double p, double endpoint,
                   const std::vector<double>& alphas = {0, 0.25, 0.5, 0.75, 1}) {
  PathCurvature c;
  c.selection = sel;
  c.size = 10;
  c.delta_norm = 2;
  for (double a : alphas) {
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

HessianReport report(const std::string& model, const std::string& to) {
  HessianReport r;
  r.model = model;
  r.path_to = to;
  r.batch = "gmm train";
  r.rows = 500;
  r.paths = {path("", 0.9, 3.1, 0.7), path("fc0", -2.5, -2.3, -3.7), path("fc1", 0.2, 0.25, 0.1)};
  return r;
}

LayerwiseResult layerwise_result(const std::string& a, const std::string& b) {
  LayerwiseResult lw;
  lw.a = a;
  lw.b = b;
  lw.layers = {{"fc0", {"fc0.weight", "fc0.bias"}},
               {"fc1", {"fc1.weight", "fc1.bias"}},
               {"fc2", {"fc2.weight", "fc2.bias"}}};
  return lw;
}

}  // namespace

class TestBarrierPredictions : public QObject {
  Q_OBJECT
 private slots:
  void comparesAtOneHalf() {
    const auto c = barrier_comparisons(report("s0", "s1"));
    QCOMPARE(c.size(), size_t(3));
    QCOMPARE(c[0].selection, std::string());
    QCOMPARE(c[0].measured_half, 0.9);
    QCOMPARE(c[0].midpoint_half, 3.1);
    QCOMPARE(c[0].endpoint_half, 0.7);
    QCOMPARE(c[1].selection, std::string("fc0"));
    QCOMPARE(c[1].measured_half, -2.5);
    QCOMPARE(c[1].midpoint_half, -2.3);
    QCOMPARE(c[1].endpoint_half, -3.7);
    QCOMPARE(c[1].measured_max, 0.0);  // a negative b(½): the largest b(α) is at an end
    QCOMPARE(c[2].predicted_max, 0.25);
  }

  void noHalfOnAnEvenGrid() {
    HessianReport r;
    r.paths = {path("", 1, 1, 1, {0, 1.0 / 3, 2.0 / 3, 1})};
    const auto c = barrier_comparisons(r);
    QVERIFY(std::isnan(c[0].measured_half));
    QVERIFY(std::isnan(c[0].midpoint_half));
    QCOMPARE(c[0].endpoint_half, 1.0);
  }

  void selectionPaths() {
    HessianReport r = report("s0", "s1");
    QVERIFY(has_selection_paths(r));
    r.paths.resize(1);
    QVERIFY(!has_selection_paths(r));
  }

  void ratios() {
    QCOMPARE(prediction_ratio(3.1, 0.9), 3.1 / 0.9);
    QCOMPARE(prediction_ratio(-2.3, -2.5), 0.92);
    QVERIFY(prediction_ratio(1.0, -1.0) < 0);
    QVERIFY(std::isnan(prediction_ratio(1.0, 0.0)));
    QVERIFY(std::isnan(prediction_ratio(1.0, 1e-12)));
    QVERIFY(std::isnan(prediction_ratio(NAN, 1.0)));
  }

  void joinsTheSameAAndB() {
    const HessianReport other = report("s0", "s1@wm");
    const HessianReport match = report("s0", "s1");
    HessianReport no_layers = report("s0", "s1");
    no_layers.paths.resize(1);
    const LayerwiseResult lw = layerwise_result("s0", "s1");
    const LayerwisePredictions p =
        layerwise_predictions(lw, {{"h-wm", &other}, {"h-whole", &no_layers}, {"h-naive", &match}});
    QCOMPARE(p.step, std::string("h-naive"));
    QCOMPARE(p.rows, 500);
    QCOMPARE(p.batch, std::string("gmm train"));
    QCOMPARE(p.layers, (std::vector<std::string>{"fc0", "fc1", "fc2"}));
    QCOMPARE(p.predicted.size(), size_t(3));
    QCOMPARE(p.predicted[0], 0.0);  // fc0: the midpoint form is negative inside, 0 at the ends
    QCOMPARE(p.predicted[1], 0.25);
    QCOMPARE(p.predicted_alpha[1], 0.5);
    QVERIFY(std::isnan(p.predicted[2]));  // the report has no fc2 path
    QCOMPARE(p.whole, 3.1);
  }

  void noMatchIsEmpty() {
    const HessianReport r = report("s0", "s1");
    QVERIFY(layerwise_predictions(layerwise_result("s1", "s0"), {{"h", &r}}).empty());
    QVERIFY(layerwise_predictions(layerwise_result("s0", "s1@wm"), {{"h", &r}}).empty());
    QVERIFY(layerwise_predictions(layerwise_result("s0", "s1"), {}).empty());
    LayerwiseResult renamed = layerwise_result("s0", "s1");
    for (auto& g : renamed.layers) g.name = "block" + g.name;
    QVERIFY(layerwise_predictions(renamed, {{"h", &r}}).empty());
  }
};

QTEST_APPLESS_MAIN(TestBarrierPredictions)
#include "test_barrier_predictions.moc"
