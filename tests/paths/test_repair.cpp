// REPAIR: the repaired midpoint's Linear-output statistics equal the interpolated endpoint
// statistics (ReLU and LayerNorm+GELU nets), identity at the endpoints, and the REPAIRed path
// between two aligned trained nets has a lower midpoint loss than the plain one.
#include <QtTest>
#include <cmath>
#include <tuple>

#include "ridgeline/models/mlp/mlp_model.h"
#include "ridgeline/align/activation_matching.h"
#include "ridgeline/core/backend.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/train/evaluate.h"
#include "ridgeline/paths/interpolation.h"
#include "ridgeline/paths/evaluator.h"
#include "ridgeline/paths/repair.h"
#include "ridgeline/train/train.h"
#include "small_models.h"
#include "transformer_data.h"

using namespace ridgeline;

namespace {

Mlp trained(Backend& be, const std::string& arch, uint64_t seed, const DataSplits& d,
            int epochs = 3) {
  return test::train_small(be, arch, seed, d, epochs);
}

// Largest relative deviation of measured Linear-output stats from the REPAIR targets:
// |μ − μ_t| / (|μ_t| + σ_t) and |σ − σ_t| / σ_t over all hidden units.
double worst_deviation(const UnitStatistics& s, const std::vector<std::vector<double>>& mu_t,
                       const std::vector<std::vector<double>>& sd_t) {
  double worst = 0;
  for (size_t l = 0; l < mu_t.size(); ++l)
    for (size_t j = 0; j < mu_t[l].size(); ++j) {
      worst = std::max(worst, std::abs(s.linear_mean[l][j] - mu_t[l][j]) /
                                  (std::abs(mu_t[l][j]) + sd_t[l][j]));
      worst = std::max(worst, std::abs(s.linear_std[l][j] - sd_t[l][j]) / sd_t[l][j]);
    }
  return worst;
}

}  // namespace

class TestRepair : public QObject {
  Q_OBJECT
 private slots:
  void repairedStatisticsMatchTargets_data() {
    QTest::addColumn<QString>("arch");
    QTest::newRow("relu") << "mlp:8,40,32,24,4";
    QTest::newRow("ln+gelu") << "mlp:8,40,32,24,4+ln+gelu";
  }
  void repairedStatisticsMatchTargets() {
    QFETCH(QString, arch);
    auto be = make_backend("cpu", 2);
    const DataSplits d = make_gaussian_mixture(1200, 100, 8, 4, 3, 1.0f);
    const Mlp a = trained(*be, arch.toStdString(), 0, d);
    const Mlp b = trained(*be, arch.toStdString(), 1, d);
    RepairConfig rc;
    rc.samples = 900;  // not a multiple of the batch
    rc.batch = 256;
    const RepairStatistics ends = repair_statistics(*be, to_model(a), to_model(b), d.train, rc);
    QCOMPARE(ends.a.samples, 900);
    std::vector<std::vector<double>> mu_t, sd_t;
    repair_targets(ends, 0.5, mu_t, sd_t);
    QCOMPARE(mu_t.size(), size_t(3));

    // The plain midpoint is off target (variance collapse), so the check below can fail.
    const Mlp plain = interpolate_params(a, b, 0.5);
    const double before = worst_deviation(unit_statistics(*be, plain, d.train, 900, 256), mu_t, sd_t);
    QVERIFY2(before > 0.05, qPrintable(QString::number(before)));

    const Mlp rep = repair_interpolated(*be, a, b, 0.5, d.train, rc, ends);
    const double after = worst_deviation(unit_statistics(*be, rep, d.train, 900, 256), mu_t, sd_t);
    qInfo("worst relative deviation from the targets: plain %.3g, repaired %.3g", before, after);
    QVERIFY2(after < 1e-4, qPrintable(QString::number(after)));
    // Only the hidden Linear layers change: LayerNorm and the output layer are θ(½)'s.
    const ParamLayout lay(a.arch);
    for (size_t i = lay.weight_offset.back(); i < lay.total; ++i) QCOMPARE(rep.params[i], plain.params[i]);
    if (a.arch.layernorm)
      for (size_t l = 0; l < lay.ln_weight_offset.size(); ++l)
        for (size_t i = lay.ln_weight_offset[l]; i < lay.layer_end(static_cast<int>(l)); ++i)
          QCOMPARE(rep.params[i], plain.params[i]);
    // The overload that measures the endpoints itself gives the same model.
    QVERIFY(repair_interpolated(*be, a, b, 0.5, d.train, rc).params == rep.params);
  }

  void transformerBlocksMatchTargets() {
    // Each block's MLP is a hidden layer: after REPAIR every block's fc1 output has the
    // interpolated endpoint statistics over all token positions (block l is measured after
    // blocks < l were corrected, and blocks > l cannot change it), and only fc1 changes.
    auto be = make_backend("cpu", 2);
    const auto arch =
        parse_model_arch("transformer:tokens=16,seq=8,d=16,heads=2,layers=3,ff=24,attn=softmax,causal");
    const Model a{arch, arch->init(0)}, b{arch, arch->init(1)};
    const Dataset data = test::random_tokens(300, 8, 16, 5);
    RepairConfig rc;
    rc.samples = 250;
    rc.batch = 64;
    const RepairStatistics ends = repair_statistics(*be, a, b, data, rc);
    QCOMPARE(ends.a.linear_mean.size(), size_t(3));
    QCOMPARE(ends.a.linear_mean[0].size(), size_t(24));
    std::vector<std::vector<double>> mu_t, sd_t;
    repair_targets(ends, 0.5, mu_t, sd_t);
    auto stats_of = [&](const std::vector<float>& p) {
      const Model m{arch, p};
      return repair_statistics(*be, m, m, data, rc).a;
    };
    std::vector<float> plain(a.params.size());
    for (size_t i = 0; i < plain.size(); ++i) plain[i] = a.params[i] + 0.5f * (b.params[i] - a.params[i]);
    const double before = worst_deviation(stats_of(plain), mu_t, sd_t);
    QVERIFY2(before > 0.05, qPrintable(QString::number(before)));
    const std::vector<float> rep = repair_interpolated_params(*be, a, b, 0.5, data, rc);
    const double after = worst_deviation(stats_of(rep), mu_t, sd_t);
    qInfo("transformer: worst relative deviation from the targets: plain %.3g, repaired %.3g",
          before, after);
    QVERIFY2(after < 1e-4, qPrintable(QString::number(after)));
    size_t changed_outside_fc1 = 0, fc1_params = 0;
    for (const ParamBlockInfo& blk : arch->blocks()) {
      size_t n = 1;
      for (int64_t e : blk.shape) n *= static_cast<size_t>(e);
      const bool fc1 = blk.name.find(".mlp.fc1.") != std::string::npos;
      fc1_params += fc1 ? n : 0;
      if (!fc1)
        for (size_t i = blk.offset; i < blk.offset + n; ++i) changed_outside_fc1 += rep[i] != plain[i];
    }
    QCOMPARE(fc1_params, size_t(3 * (24 * 16 + 24)));
    QCOMPARE(changed_outside_fc1, size_t(0));
    QVERIFY(repair_interpolated_params(*be, a, b, 0.0, data, rc) == a.params);
    QVERIFY(repair_interpolated_params(*be, a, b, 1.0, data, rc) == b.params);

    // The REPAIRed path: α = 0 and 1 are the plain path's values, the midpoint is the loss of
    // the REPAIRed midpoint evaluated by itself.
    DataSplits d;
    d.train = data;
    d.test = test::random_tokens(120, 8, 16, 6);
    InterpolationConfig ic;
    ic.points = 3;
    const InterpolationResult path = interpolate_repaired(*be, a, b, d, ic, rc);
    const InterpolationResult lin = interpolate(*be, a, b, d, ic);
    QCOMPARE(path.test->loss[0], lin.test->loss[0]);
    QCOMPARE(path.test->loss[2], lin.test->loss[2]);
    const LossError mid = evaluate(*be, Model{arch, rep}, d.test, 2000);
    QVERIFY2(std::abs(path.test->loss[1] - mid.loss) < 1e-5 * std::max(1.0, mid.loss),
             qPrintable(QString("%1 vs %2").arg(path.test->loss[1]).arg(mid.loss)));
    // A kind without hidden units is refused by name.
    const auto q = parse_model_arch("quadratic:dim=6,seed=1");
    QVERIFY(repair_unsupported(*q).find("quadratic") != std::string::npos);
    QVERIFY(repair_unsupported(*arch).empty());
  }

  void endpointsAreReturnedExactly() {
    auto be = make_backend("cpu", 2);
    const DataSplits d = make_gaussian_mixture(300, 50, 6, 3, 4);
    const Mlp a = init_mlp(parse_arch("mlp:6,16,3+ln"), 1);
    const Mlp b = init_mlp(parse_arch("mlp:6,16,3+ln"), 2);
    QVERIFY(repair_interpolated(*be, a, b, 0.0, d.train).params == a.params);
    QVERIFY(repair_interpolated(*be, a, b, 1.0, d.train).params == b.params);
    QVERIFY(interpolate_params(a, b, 1.0).params == b.params);
    QVERIFY(interpolate_params(a, b, 0.0).params == a.params);
    // A model interpolated with itself is its own target: REPAIR changes it only by rounding.
    const Mlp same = repair_interpolated(*be, a, a, 0.3, d.train);
    double worst = 0;
    for (size_t i = 0; i < a.params.size(); ++i)
      worst = std::max(worst, static_cast<double>(std::abs(same.params[i] - a.params[i])));
    QVERIFY2(worst < 1e-5, qPrintable(QString::number(worst)));
  }

  void repairedPathHasLowerMidpointLoss() {
    auto be = make_backend("cpu", 2);
    const DataSplits d = make_gaussian_mixture(2000, 500, 12, 6, 21, 1.0f);
    const std::string arch = "mlp:12,64,64,64,6";
    const Mlp a = trained(*be, arch, 0, d, 4);
    const Mlp b0 = trained(*be, arch, 1, d, 4);
    ActivationMatchingConfig am;
    am.pearson = true;
    am.samples = 1500;
    const Mlp b = to_mlp(activation_matching(*be, to_model(a), to_model(b0), d.train, am).aligned);
    InterpolationConfig ic;
    ic.points = 5;
    RepairConfig rc;
    rc.samples = 1500;
    int reports = 0;
    long long last_done = 0, last_total = 0;
    const InterpolationResult plain = interpolate(*be, to_model(a), to_model(b), d, ic);
    const InterpolationResult rep = interpolate_repaired(*be, to_model(a), to_model(b), d, ic, rc, [&](const Progress& p) {
      ++reports;
      last_done = p.done;
      last_total = p.total;
    });
    // One unit per repaired α, then one per evaluated data chunk of each split.
    const Model ma = to_model(a);
    const int units = 5 + ma.arch->evaluation_chunks(5, ic.chunk, d.train.n) +
                      ma.arch->evaluation_chunks(5, ic.chunk, d.test.n);
    QCOMPARE(reports, units);
    QCOMPARE(last_done, static_cast<long long>(units));
    QCOMPARE(last_total, static_cast<long long>(units));
    QCOMPARE(rep.alpha, plain.alpha);
    for (const auto* c : {&*rep.train, &*rep.test}) QCOMPARE(c->loss.size(), size_t(5));
    // Endpoints are the models themselves: bit-identical to the plain path's (the same batched
    // evaluation with unit scales), and the models' own losses up to GEMM rounding.
    const LossError ea = evaluate(*be, to_model(a), d.test), eb = evaluate(*be, to_model(b), d.test);
    QCOMPARE(rep.test->loss.front(), plain.test->loss.front());
    QCOMPARE(rep.test->loss.back(), plain.test->loss.back());
    QCOMPARE(rep.train->error.front(), plain.train->error.front());
    QVERIFY(std::abs(rep.test->loss.front() - ea.loss) < 1e-5);
    QVERIFY(std::abs(rep.test->loss.back() - eb.loss) < 1e-5);
    qInfo("midpoint test loss: plain %.4f, repaired %.4f (endpoints %.4f, %.4f)",
          plain.test->loss[2], rep.test->loss[2], ea.loss, eb.loss);
    QVERIFY(rep.test->loss[2] < plain.test->loss[2]);
    QVERIFY(rep.train->loss[2] < plain.train->loss[2]);
    QVERIFY(rep.test->barriers.loss_mid < plain.test->barriers.loss_mid);
    QCOMPARE(rep.test->barriers.loss_mid, barrier_midpoint(rep.test->loss));
  }

  // The batched REPAIR path (interpolate_repaired: all α through the evaluator with per-point hooks)
  // against the model-by-model one (repair_interpolated + evaluate per α). They differ only by
  // float rounding: the batched path scales X·W(α)ᵀ per unit where the model scales W(α)'s rows
  // before the GEMM, and the GEMMs are blocked differently. Losses agree to 1e-6 relative
  // (observed ~1e-8); an error may differ only where rounding flips an argmax, at most one
  // sample per point here. Several chunks per split, not multiples of the data size.
  void batchedPathEqualsModelByModel_data() {
    QTest::addColumn<QString>("arch");
    QTest::newRow("relu") << "mlp:8,40,32,24,4";
    QTest::newRow("ln+gelu") << "mlp:8,40,32,24,4+ln+gelu";
  }
  void batchedPathEqualsModelByModel() {
    QFETCH(QString, arch);
    auto be = make_backend("cpu", 2);
    const DataSplits d = make_gaussian_mixture(1200, 400, 8, 4, 3, 1.0f);
    const Mlp a = trained(*be, arch.toStdString(), 0, d);
    const Mlp b = trained(*be, arch.toStdString(), 1, d);
    InterpolationConfig ic;
    ic.points = 7;
    ic.chunk = 350;
    RepairConfig rc;
    rc.samples = 900;
    rc.batch = 256;
    const InterpolationResult rep = interpolate_repaired(*be, to_model(a), to_model(b), d, ic, rc);
    const InterpolationResult plain = interpolate(*be, to_model(a), to_model(b), d, ic);
    const RepairStatistics ends = repair_statistics(*be, to_model(a), to_model(b), d.train, rc);
    SplitCurve ref_train, ref_test;
    for (double al : rep.alpha) {
      const Mlp m = repair_interpolated(*be, a, b, al, d.train, rc, ends);
      for (auto [set, curve] : {std::pair{&d.train, &ref_train}, std::pair{&d.test, &ref_test}}) {
        const LossError e = evaluate(*be, to_model(m), *set, ic.chunk);
        curve->loss.push_back(e.loss);
        curve->error.push_back(e.error);
      }
    }
    double worst_loss = 0, worst_flips = 0, repair_effect = 0;
    for (auto [got, ref, n, pl] :
         {std::tuple{&*rep.train, &ref_train, d.train.n, &*plain.train},
          std::tuple{&*rep.test, &ref_test, d.test.n, &*plain.test}}) {
      QCOMPARE(got->loss.size(), ref->loss.size());
      for (size_t k = 0; k < ref->loss.size(); ++k) {
        worst_loss = std::max(worst_loss, std::abs(got->loss[k] - ref->loss[k]) /
                                              std::max(1.0, std::abs(ref->loss[k])));
        worst_flips = std::max(worst_flips, std::abs(got->error[k] - ref->error[k]) * n);
        repair_effect = std::max(repair_effect, std::abs(got->loss[k] - pl->loss[k]));
      }
      // Barriers: the same formulas on curves equal to rounding.
      QVERIFY(std::abs(got->barriers.loss_mid - barrier_midpoint(ref->loss)) < 2e-5);
      QVERIFY(std::abs(got->barriers.loss_lin - barrier_linear(rep.alpha, ref->loss)) < 2e-5);
      QVERIFY(std::abs(got->barriers.error_mid - barrier_midpoint(ref->error)) <= 2.0 / n + 1e-12);
      QVERIFY(std::abs(got->barriers.error_lin - barrier_linear(rep.alpha, ref->error)) <=
              2.0 / n + 1e-12);
      // Endpoints: the models themselves (REPAIR is the identity there).
      QVERIFY(std::abs(got->loss.front() - ref->loss.front()) < 1e-5);
      QVERIFY(std::abs(got->loss.back() - ref->loss.back()) < 1e-5);
    }
    qInfo("batched vs model-by-model: worst relative loss difference %.3g, worst error "
          "difference %.0f samples; REPAIR moves the loss by up to %.3g",
          worst_loss, worst_flips, repair_effect);
    QVERIFY2(worst_loss < 1e-6, qPrintable(QString::number(worst_loss)));
    QVERIFY2(worst_flips <= 1.0 + 1e-9, qPrintable(QString::number(worst_flips)));
    // REPAIR changes the interior points far beyond the tolerance, so the comparison above
    // would notice a batched path that ignored the repaired parameters or scales.
    QVERIFY2(repair_effect > 1e-2, qPrintable(QString::number(repair_effect)));
  }

  void pointHooksAndPointsMustFit() {
    auto be = make_backend("cpu", 2);
    const DataSplits d = make_gaussian_mixture(50, 10, 5, 3, 8);
    const Mlp a = init_mlp(parse_arch("mlp:5,9,3"), 1), b = init_mlp(parse_arch("mlp:5,9,3"), 2);
    const Model ma = to_model(a);
    const std::vector<double> alpha = alpha_grid(3);
    const ParameterPoints line = line_points(a.params, b.params, alpha);
    // Hooks that rewrite each point with the straight line's own parameters and scale the
    // first layer by 1 give the plain path exactly.
    std::vector<std::vector<float>> params;
    for (int k = 0; k < 3; ++k) params.push_back(interpolate_params(a, b, alpha[k]).params);
    const std::vector<float> ones(9, 1.0f);
    int param_calls = 0, layer_calls = 0;
    PointHooks hooks;
    hooks.on_params = [&](Backend& bk, int k, float* p) {
      ++param_calls;
      bk.upload(p, params[k].data(), params[k].size());
    };
    hooks.on_first_layer = [&](Backend& bk, int k, float* z, int rows, int width) {
      ++layer_calls;
      QCOMPARE(width, 9);
      std::vector<float> host(static_cast<size_t>(rows) * width);
      bk.download(host.data(), z, host.size());
      for (float& v : host) v *= ones[0];
      bk.upload(z, host.data(), host.size());
    };
    const PointValues hooked = evaluate_points(*be, *ma.arch, line, &d.test, 4, hooks);
    const PointValues plain = evaluate_points(*be, *ma.arch, line, &d.test, 4);
    QCOMPARE(hooked.loss, plain.loss);
    QCOMPARE(hooked.error, plain.error);
    QCOMPARE(param_calls, 3);
    QCOMPARE(layer_calls, 3 * ((d.test.n + 3) / 4));  // every point of every 4-row chunk
    // A basis vector of the wrong size or a row of the wrong length is rejected.
    ParameterPoints bad = line;
    std::vector<float> shorter(a.params.begin(), a.params.end() - 1);
    bad.basis[1] = &shorter;
    QVERIFY_THROWS_EXCEPTION(InputError, evaluate_points(*be, *ma.arch, bad, &d.test, 4));
    bad = line;
    bad.coeffs[1].push_back(0.0);
    QVERIFY_THROWS_EXCEPTION(InputError, evaluate_points(*be, *ma.arch, bad, &d.test, 4));
  }

  void rejectsBadInput() {
    auto be = make_backend("cpu", 2);
    const DataSplits d = make_gaussian_mixture(50, 10, 5, 3, 8);
    const Mlp a = init_mlp(parse_arch("mlp:5,9,3"), 1);
    const Mlp b = init_mlp(parse_arch("mlp:5,9,3+gelu"), 1);
    QVERIFY_THROWS_EXCEPTION(InputError, repair_interpolated(*be, a, b, 0.5, d.train));
    const DataSplits wrong = make_gaussian_mixture(50, 10, 4, 3, 8);
    QVERIFY_THROWS_EXCEPTION(InputError, repair_interpolated(*be, a, a, 0.5, wrong.train));
    // More classes than the models have outputs: rejected as interpolate() rejects it.
    const DataSplits more = make_gaussian_mixture(50, 10, 5, 4, 8);
    QVERIFY_THROWS_EXCEPTION(InputError, interpolate_repaired(*be, to_model(a), to_model(a), more, InterpolationConfig{}));
  }
};

QTEST_APPLESS_MAIN(TestRepair)
#include "test_repair.moc"
