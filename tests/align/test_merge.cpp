// MergeMany: permuted copies of one model merge back to it exactly; independently trained
// models get closer every sweep and merge better than the naive average; input errors.
#include <QtTest>
#include <cmath>

#include "ridgeline/models/mlp/mlp_symmetry.h"
#include "ridgeline/models/mlp/mlp_model.h"
#include "ridgeline/core/backend.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/train/evaluate.h"
#include "ridgeline/align/merge.h"
#include "ridgeline/models/mlp/mlp_model.h"
#include "ridgeline/symmetry/permutation.h"
#include "ridgeline/train/train.h"

using namespace ridgeline;

namespace {

const char* kArch = "mlp:10,32,32,4";

Mlp trained(Backend& be, uint64_t seed, const DataSplits& d) {
  TrainConfig cfg;
  cfg.epochs = 4;
  cfg.batch = 32;
  cfg.lr = 3e-3;
  cfg.eval_test_each_epoch = false;
  return train_mlp(be, parse_arch(kArch), d, cfg, seed).model;
}

Mlp average(const std::vector<Model>& models) {
  Mlp m = to_mlp(models.front());
  for (size_t k = 0; k < m.params.size(); ++k) {
    double s = 0;
    for (const Model& x : models) s += x.params[k];
    m.params[k] = static_cast<float>(s / static_cast<double>(models.size()));
  }
  return m;
}

}  // namespace

class TestMerge : public QObject {
  Q_OBJECT
 private slots:
  void permutedCopiesMergeBack_data() {
    QTest::addColumn<bool>("permute_first");
    QTest::newRow("model 0 as trained") << false;
    QTest::newRow("all permuted") << true;
  }
  void permutedCopiesMergeBack() {
    QFETCH(bool, permute_first);
    auto be = make_backend("cpu", 2);
    const DataSplits d = make_gaussian_mixture(800, 200, 10, 4, 2);
    const Mlp m = trained(*be, 0, d);
    const PermutationSpec spec = mlp_permutation_spec(m.arch);
    std::vector<std::vector<Permutation>> planted;
    std::vector<Model> models;
    for (int i = 0; i < 3; ++i) {
      planted.push_back(i == 0 && !permute_first ? identity_permutations(spec)
                                                 : random_permutations(spec, 100 + i));
      models.push_back(to_model(apply_permutations(m, planted.back())));
    }
    MergeConfig cfg;
    cfg.seed = 4;
    const MergeResult r = merge_many(models, cfg);
    QVERIFY(r.distance_before > 0);
    QVERIFY(r.sweeps >= 1 && r.sweeps <= cfg.max_sweeps);
    QCOMPARE(static_cast<int>(r.distance_per_sweep.size()), r.sweeps);
    QCOMPARE(r.distance_per_sweep.back(), 0.0);
    // Everything lands in model 0's unit order: the merge is model 0 itself, bit for bit.
    QVERIFY(r.merged.params == models[0].params);
    for (int i = 0; i < 3; ++i) {
      QVERIFY(r.aligned[i].params == models[0].params);
      for (size_t p = 0; p < spec.sizes.size(); ++p)
        QCOMPARE(r.perms[i][p], compose(planted[0][p], inverse(planted[i][p])));
    }
    if (!permute_first) {
      QVERIFY(r.merged.params == m.params);
      for (int i = 0; i < 3; ++i)
        for (size_t p = 0; p < spec.sizes.size(); ++p) QCOMPARE(r.perms[i][p], inverse(planted[i][p]));
    }
  }

  void independentModelsMergeBetterThanNaive() {
    auto be = make_backend("cpu", 2);
    const DataSplits d = make_gaussian_mixture(1000, 1000, 10, 4, 5);
    const std::vector<Model> models = {to_model(trained(*be, 0, d)), to_model(trained(*be, 1, d)),
                                       to_model(trained(*be, 2, d))};
    const MergeResult r = merge_many(models, {});
    QCOMPARE(r.distance_before, merge_distance(models));
    double prev = r.distance_before;
    for (double dist : r.distance_per_sweep) {
      QVERIFY2(dist <= prev, qPrintable(QString("%1 after %2").arg(dist).arg(prev)));
      prev = dist;
    }
    QVERIFY(r.distance_per_sweep.back() < r.distance_before);
    QCOMPARE(r.sweeps, static_cast<int>(r.distance_per_sweep.size()));
    QVERIFY(r.sweeps >= 1 && r.sweeps <= MergeConfig{}.max_sweeps);
    QVERIFY(r.seconds >= 0);
    QCOMPARE(r.distance_per_sweep.back(), merge_distance(r.aligned));
    QCOMPARE(r.perms[0], identity_permutations(models[0].arch->permutation_spec()));
    QVERIFY(r.merged.params == average(r.aligned).params);
    for (size_t i = 0; i < models.size(); ++i) {
      QVERIFY(apply_permutations(models[i], r.perms[i]).params == r.aligned[i].params);
      double big = 0;
      const double diff = max_logit_difference(*be, to_mlp(models[i]), to_mlp(r.aligned[i]), d.test, 500, &big);
      QVERIFY(function_check_passes(diff, big));
    }
    const double naive = evaluate(*be, to_model(average(models)), d.test).loss;
    const double merged = evaluate(*be, r.merged, d.test).loss;
    qInfo("3 models: distance %.4f -> %.4f in %d sweeps (%.3f s); test loss naive average %.4f, "
          "merged %.4f, endpoints %.4f %.4f %.4f",
          r.distance_before, r.distance_per_sweep.back(), r.sweeps, r.seconds, naive, merged,
          evaluate(*be, models[0], d.test).loss, evaluate(*be, models[1], d.test).loss,
          evaluate(*be, models[2], d.test).loss);
    QVERIFY2(merged < naive, qPrintable(QString("merged %1 vs naive %2").arg(merged).arg(naive)));
    // Same seed, same result.
    QVERIFY(merge_many(models, {}).perms == r.perms);
  }

  void rejectsBadInput() {
    const Model a = to_model(init_mlp(parse_arch(kArch), 1));
    QVERIFY_THROWS_EXCEPTION(InputError, merge_many({}));
    QVERIFY_THROWS_EXCEPTION(InputError, merge_many({a}));
    try {
      merge_many({a, to_model(init_mlp(parse_arch(kArch), 2)), to_model(init_mlp(parse_arch("mlp:10,32,30,4"), 3))});
      QFAIL("expected InputError");
    } catch (const InputError& e) {
      QVERIFY2(QString(e.what()).contains("model 2"), e.what());
    }
    QVERIFY_THROWS_EXCEPTION(InputError,
                             merge_many({a, to_model(init_mlp(parse_arch("mlp:10,32,32,4+gelu"), 2))}));
    MergeConfig bad;
    bad.max_sweeps = 0;
    QVERIFY_THROWS_EXCEPTION(InputError, merge_many({a, a}, bad));
    CancelToken token;
    token.cancel();
    QVERIFY_THROWS_EXCEPTION(Cancelled, merge_many({a, to_model(init_mlp(parse_arch(kArch), 2))}, {}, &token));
  }
};

QTEST_APPLESS_MAIN(TestMerge)
#include "test_merge.moc"
