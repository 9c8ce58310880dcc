// REPAIR: the repaired midpoint's Linear-output statistics equal the interpolated endpoint
// statistics (ReLU and LayerNorm+GELU nets), identity at the endpoints, and the REPAIRed path
// between two aligned trained nets has a lower midpoint loss than the plain one.
#include <QtTest>
#include <cmath>

#include "ridgeline/activation_matching.h"
#include "ridgeline/backend.h"
#include "ridgeline/errors.h"
#include "ridgeline/evaluate.h"
#include "ridgeline/interpolation.h"
#include "ridgeline/repair.h"
#include "ridgeline/train.h"
#include "small_models.h"

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
    const RepairStatistics ends = repair_statistics(*be, a, b, d.train, rc);
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
    const Mlp b = activation_matching(*be, a, b0, d.train, am).aligned;
    InterpolationConfig ic;
    ic.points = 5;
    RepairConfig rc;
    rc.samples = 1500;
    int reports = 0;
    const InterpolationResult plain = interpolate(*be, a, b, d, ic);
    const InterpolationResult rep =
        interpolate_repaired(*be, a, b, d, ic, rc, [&](const Progress&) { ++reports; });
    QCOMPARE(reports, 5);
    QCOMPARE(rep.alpha, plain.alpha);
    for (const auto* c : {&*rep.train, &*rep.test}) QCOMPARE(c->loss.size(), size_t(5));
    // Endpoints are the models themselves.
    const LossError ea = evaluate(*be, a, d.test), eb = evaluate(*be, b, d.test);
    QCOMPARE(rep.test->loss.front(), ea.loss);
    QCOMPARE(rep.test->loss.back(), eb.loss);
    QVERIFY(std::abs(plain.test->loss.front() - ea.loss) < 1e-5);
    qInfo("midpoint test loss: plain %.4f, repaired %.4f (endpoints %.4f, %.4f)",
          plain.test->loss[2], rep.test->loss[2], ea.loss, eb.loss);
    QVERIFY(rep.test->loss[2] < plain.test->loss[2]);
    QVERIFY(rep.train->loss[2] < plain.train->loss[2]);
    QVERIFY(rep.test->barriers.loss_mid < plain.test->barriers.loss_mid);
    QCOMPARE(rep.test->barriers.loss_mid, barrier_midpoint(rep.test->loss));
  }

  void rejectsBadInput() {
    auto be = make_backend("cpu", 2);
    const DataSplits d = make_gaussian_mixture(50, 10, 5, 3, 8);
    const Mlp a = init_mlp(parse_arch("mlp:5,9,3"), 1);
    const Mlp b = init_mlp(parse_arch("mlp:5,9,3+gelu"), 1);
    QVERIFY_THROWS_EXCEPTION(InputError, repair_interpolated(*be, a, b, 0.5, d.train));
    const DataSplits wrong = make_gaussian_mixture(50, 10, 4, 3, 8);
    QVERIFY_THROWS_EXCEPTION(InputError, repair_interpolated(*be, a, a, 0.5, wrong.train));
  }
};

QTEST_APPLESS_MAIN(TestRepair)
#include "test_repair.moc"
