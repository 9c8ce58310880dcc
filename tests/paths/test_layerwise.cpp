// Layer-wise barriers (paths/layerwise.h): layers group weight and bias; every partial path's
// loss equals a direct evaluation of the partially interpolated network (float64 mixing of
// the parameters, the model's own evaluate()); a layer that A and B share has a flat path;
// the cumulative path of the first layer equals its single path; JSON round trip.
#include <QtTest>
#include <cmath>

#include "ridgeline/core/backend.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/models/mlp/mlp_model.h"
#include "ridgeline/paths/layerwise.h"
#include "ridgeline/train/evaluate.h"
#include "small_models.h"

using namespace ridgeline;

namespace {

// θ with the given layers' blocks at (1−α)A + αB and the rest at `base`, built directly.
Model mixed(const Model& a, const Model& b, const Model& base, const std::vector<LayerGroup>& groups,
            const std::vector<std::string>& layers, double alpha) {
  Model m = base;
  for (const auto& blk : a.arch->blocks()) {
    bool in = false;
    for (const auto& g : groups)
      for (const auto& name : layers)
        if (g.name == name)
          for (const auto& bn : g.blocks) in = in || bn == blk.name;
    if (!in) continue;
    size_t n = 1;
    for (auto d : blk.shape) n *= static_cast<size_t>(d);
    for (size_t i = blk.offset; i < blk.offset + n; ++i)
      m.params[i] = static_cast<float>((1 - alpha) * a.params[i] + alpha * double(b.params[i]));
  }
  return m;
}

}  // namespace

class TestLayerwise : public QObject {
  Q_OBJECT
 private slots:
  void layersGroupWeightAndBias() {
    const auto arch = parse_model_arch("mlp:6,8,8,3");
    const auto g = layer_groups(*arch);
    QCOMPARE(g.size(), size_t(3));
    for (const auto& l : g) {
      QCOMPARE(l.blocks.size(), size_t(2));
      QCOMPARE(l.blocks[0], l.name + ".weight");
      QCOMPARE(l.blocks[1], l.name + ".bias");
    }
    // LayerNorm parameters are layers of their own.
    QVERIFY(layer_groups(*parse_model_arch("mlp:6,8,8,3+ln")).size() > 3);
  }

  void partialPathsEqualDirectEvaluation() {
    auto be = make_backend("cpu", 2);
    const DataSplits d = make_gaussian_mixture(600, 300, 6, 3, 2, 1.0f);
    const Model a = to_model(test::train_small(*be, "mlp:6,16,16,3", 0, d, 3));
    const Model b = to_model(test::train_small(*be, "mlp:6,16,16,3", 1, d, 3));
    LayerwiseConfig cfg;
    cfg.points = 5;
    cfg.train = false;
    const LayerwiseResult r = layerwise(*be, a, "A", b, "B", d, cfg);
    // 3 single + 1 cumulative (fc..fc of 2 layers; 3 layers is the whole path) per base.
    QCOMPARE(r.paths.size(), size_t(8));
    for (const auto& p : r.paths) {
      const Model& base = p.base == "a" ? a : b;
      for (size_t k = 0; k < p.curve.alpha.size(); ++k) {
        const Model m = mixed(a, b, base, r.layers, p.layers, p.curve.alpha[k]);
        const double direct = evaluate(*be, m, d.test).loss;
        const double got = p.curve.test->loss[k];
        if (std::abs(got - direct) > 1e-4 * std::max(1.0, std::abs(direct)))
          QFAIL(qPrintable(QString::fromStdString(layerwise_path_label(p)) +
                           QString(" α=%1: %2 vs direct %3").arg(p.curve.alpha[k]).arg(got).arg(direct)));
      }
    }
    // The first cumulative path is layers 1..2; the single path of layer 1 starts where the
    // whole path starts (rest at A: α = 0 is A itself).
    QVERIFY(r.paths[3].cumulative);
    QCOMPARE(r.paths[3].layers.size(), size_t(2));
    QCOMPARE(r.paths[0].curve.test->loss.front(), r.whole.test->loss.front());
    QCOMPARE(r.paths[4].curve.test->loss.back(), r.whole.test->loss.back());
  }

  void sharedLayerHasFlatPath() {
    auto be = make_backend("cpu", 1);
    const DataSplits d = make_gaussian_mixture(300, 200, 6, 3, 2, 1.0f);
    const auto arch = parse_model_arch("mlp:6,12,3");
    Model a{arch, arch->init(0)}, b{arch, arch->init(1)};
    b = hybrid_model(b, a, {"fc1.weight", "fc1.bias"});  // B shares A's last layer
    LayerwiseConfig cfg;
    cfg.points = 7;
    cfg.train = false;
    cfg.from_b = false;
    const LayerwiseResult r = layerwise(*be, a, "A", b, "B", d, cfg);
    QCOMPARE(r.paths.size(), size_t(2));  // two singles; no cumulative besides the whole path
    const auto& flat = r.paths[1];
    QCOMPARE(flat.layer, std::string("fc1"));
    for (double l : flat.curve.test->loss) QCOMPARE(l, flat.curve.test->loss.front());
    QCOMPARE(flat.curve.test->barriers.loss_lin, 0.0);
    QVERIFY_THROWS_EXCEPTION(InputError, hybrid_model(a, b, {"nope.weight"}));
  }

  void jsonRoundTrip() {
    auto be = make_backend("cpu", 1);
    const DataSplits d = make_gaussian_mixture(300, 200, 6, 3, 2, 1.0f);
    const auto arch = parse_model_arch("mlp:6,12,12,3");
    const Model a{arch, arch->init(0)}, b{arch, arch->init(1)};
    LayerwiseConfig cfg;
    cfg.points = 3;
    const LayerwiseResult r = layerwise(*be, a, "A", b, "B", d, cfg);
    const std::string text = layerwise_to_json(r);
    const LayerwiseResult back = layerwise_from_json(text, "L.json");
    QCOMPARE(layerwise_to_json(back), text);
    QCOMPARE(back.paths.size(), r.paths.size());
    QCOMPARE(back.paths[2].curve.train->loss, r.paths[2].curve.train->loss);
    QVERIFY_THROWS_EXCEPTION(InputError, layerwise_from_json("{\"a\": 1}", "L.json"));
    std::string bad = text;
    bad.replace(bad.find("\"base\": \"a\""), 11, "\"base\": \"c\"");
    QVERIFY_THROWS_EXCEPTION(InputError, layerwise_from_json(bad, "L.json"));
  }
};

QTEST_APPLESS_MAIN(TestLayerwise)
#include "test_layerwise.moc"
