// Barriers on constructed cases, and the batched path evaluation against an independent
// model-by-model evaluation (ReLU, GELU, LayerNorm nets).
#include <QtTest>
#include <cmath>

#include "ridgeline/core/backend.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/core/format.h"
#include "ridgeline/train/evaluate.h"
#include "ridgeline/paths/interpolation.h"
#include "ridgeline/models/mlp/mlp_model.h"
#include "ridgeline/train/train.h"

using namespace ridgeline;

class TestBarrier : public QObject {
  Q_OBJECT
 private slots:
  void handComputed() {
    // Two points: the linear baseline passes through both ends, so B_lin = 0;
    // B_mid = max(L0, L1) − ½(L0 + L1) = |L1 − L0| / 2.
    QCOMPARE(barrier_linear({0.0, 1.0}, {1.0, 2.0}), 0.0);
    QCOMPARE(barrier_midpoint({1.0, 2.0}), 0.5);
    // Three points 1, 3, 2: B_lin = 3 − 1.5 = 1.5, B_mid = 3 − 1.5 = 1.5.
    QCOMPARE(barrier_linear({0.0, 0.5, 1.0}, {1.0, 3.0, 2.0}), 1.5);
    QCOMPARE(barrier_midpoint({1.0, 3.0, 2.0}), 1.5);
    // A monotone curve 1, 2.5, 3 on α = 0, ½, 1: B_lin = 2.5 − 2 = 0.5; B_mid = 3 − 2 = 1
    // (the mean-endpoint form counts the higher endpoint itself).
    QCOMPARE(barrier_linear({0.0, 0.5, 1.0}, {1.0, 2.5, 3.0}), 0.5);
    QCOMPARE(barrier_midpoint({1.0, 2.5, 3.0}), 1.0);
    // Convex dip: negative linear barrier.
    QCOMPARE(barrier_linear({0.0, 0.5, 1.0}, {2.0, 1.0, 2.0}), 0.0);
    QVERIFY(barrier_linear({0.0, 0.25, 0.5, 0.75, 1.0}, {2.0, 1.5, 1.0, 1.5, 2.0}) == 0.0);
    const auto a = alpha_grid(25);
    QCOMPARE(a.size(), size_t(25));
    QCOMPARE(a[12], 0.5);
    QCOMPARE(a.back(), 1.0);
  }

  void barrierAlphaIsTheLinearFormsArgmax() {
    // Hump at α = 0.25: the linear form is largest there (3 − 1.25 = 1.75).
    const std::vector<double> a{0.0, 0.25, 0.5, 0.75, 1.0};
    const std::vector<double> hump{1.0, 3.0, 2.0, 2.0, 2.0};
    QCOMPARE(barrier_linear_argmax(a, hump), 1);
    Barriers b = curve_barriers(a, hump, hump);
    QCOMPARE(b.loss_alpha, 0.25);
    QCOMPARE(b.error_alpha, 0.25);
    QVERIFY(has_interior_barrier(b.loss_lin, b.loss_alpha));
    // The bundled wm+repair case: loss only rises toward α = 1 and stays below the chord. The
    // mean-endpoint form is positive (½(L1 − L0)) but the maximum of the linear form is an
    // endpoint: no interior barrier, nothing to mark.
    const std::vector<double> rising{0.30, 0.301, 0.302, 0.303, 0.305};
    b = curve_barriers(a, rising, rising);
    QVERIFY(b.loss_mid > 0);
    QCOMPARE(b.loss_lin, 0.0);
    QCOMPARE(b.loss_alpha, 0.0);
    QVERIFY(!has_interior_barrier(b.loss_lin, b.loss_alpha));
    QVERIFY(QString::fromStdString(barrier_summary(b)).contains("no interior barrier"));
    // An undefined curve has no α.
    QCOMPARE(barrier_linear_argmax(a, {1.0, NAN, 1.0, 1.0, 1.0}), -1);
    QVERIFY(std::isnan(curve_barriers(a, hump, {0, NAN, 0, 0, 0}).error_alpha));
    // The summary uses the display rules (core/format.h).
    b = curve_barriers(a, {1.0, 3.0, 2.0, 2.0, 2.0}, {0.1, 0.7, 0.2, 0.2, 0.2});
    QCOMPARE(QString::fromStdString(barrier_summary(b)),
             QString::fromUtf8("loss barrier +1.75 (linear, at α = 0.250) +1.5 (mean-endpoint), "
                               "error barrier +57.50% (linear) +55.00% (mean-endpoint)"));
  }

  void displayRules() {
    QCOMPARE(QString::fromStdString(format_loss(1.45312)), QString("1.453"));
    QCOMPARE(QString::fromStdString(format_loss(0.00251843)), QString("0.002518"));
    QCOMPARE(QString::fromStdString(format_error(0.58491)), QString("58.49%"));
    QCOMPARE(QString::fromStdString(format_error_barrier(0.58491)), QString("+58.49%"));
    QCOMPARE(QString::fromStdString(format_error_barrier(-0.001)), QString("-0.10%"));
    QCOMPARE(QString::fromStdString(format_loss_barrier(1.50412)), QString("+1.504"));
    QCOMPARE(QString::fromStdString(format_loss_barrier(0.0)), QString("0"));
    QCOMPARE(QString::fromStdString(format_alpha(0.5)), QString("0.500"));
    QCOMPARE(QString::fromStdString(format_error(NAN)), QString("n/a"));
    QCOMPARE(QString::fromStdString(format_seconds(185.2)), QString("3 min 05 s"));
  }

  void identicalEndpointsGiveZero() {
    auto be = make_backend("cpu", 2);
    DataSplits d = make_gaussian_mixture(300, 200, 6, 3, 5);
    Mlp m = init_mlp(parse_arch("mlp:6,10,3"), 4);
    InterpolationConfig cfg;
    cfg.points = 7;
    InterpolationResult r = interpolate(*be, to_model(m), to_model(m), d, cfg);
    for (const auto* c : {&*r.train, &*r.test}) {
      for (size_t k = 1; k < r.alpha.size(); ++k) {
        QCOMPARE(c->loss[k], c->loss[0]);
        QCOMPARE(c->error[k], c->error[0]);
      }
      QCOMPARE(c->barriers.loss_lin, 0.0);
      QCOMPARE(c->barriers.loss_mid, 0.0);
      QCOMPARE(c->barriers.error_lin, 0.0);
      QCOMPARE(c->barriers.error_mid, 0.0);
    }
  }

  void batchedPathEqualsModelByModel_data() {
    QTest::addColumn<QString>("arch_text");
    QTest::newRow("relu") << "mlp:8,32,16,4";
    QTest::newRow("gelu") << "mlp:8,32,16,4+gelu";
    QTest::newRow("layernorm relu") << "mlp:8,32,16,4+ln";
    QTest::newRow("layernorm gelu") << "mlp:8,32,16,4+ln+gelu";
  }
  void batchedPathEqualsModelByModel() {
    QFETCH(QString, arch_text);
    auto be = make_backend("cpu", 2);
    DataSplits d = make_gaussian_mixture(500, 333, 8, 4, 9);
    const MlpArch arch = parse_arch(arch_text.toStdString());
    TrainConfig cfg;
    cfg.epochs = 2;
    cfg.batch = 32;
    cfg.lr = 0.01;
    Mlp a = train_mlp(*be, arch, d, cfg, 0).model;
    Mlp b = train_mlp(*be, arch, d, cfg, 1).model;
    if (arch.layernorm) {
      // Training moved γ and β away from 1 and 0, differently in the two nets: the path
      // really interpolates them, so a batched pass using one model's γ/β would show.
      const ParamLayout lay(arch);
      double dg = 0, db = 0;
      for (int i = 0; i < arch.widths[1]; ++i) {
        dg = std::max<double>(dg, std::fabs(a.params[lay.ln_weight_offset[0] + i] - b.params[lay.ln_weight_offset[0] + i]));
        db = std::max<double>(db, std::fabs(a.params[lay.ln_bias_offset[0] + i] - b.params[lay.ln_bias_offset[0] + i]));
      }
      QVERIFY2(dg > 1e-3 && db > 1e-3, qPrintable(QString("γ/β differ by %1/%2 only").arg(dg).arg(db)));
    }
    InterpolationConfig ic;
    ic.points = 9;
    ic.chunk = 100;  // several chunks, the last one partial
    InterpolationResult r = interpolate(*be, to_model(a), to_model(b), d, ic);
    for (size_t k = 0; k < r.alpha.size(); ++k) {
      Mlp m = a;
      for (size_t i = 0; i < m.params.size(); ++i)
        m.params[i] = static_cast<float>((1.0 - r.alpha[k]) * a.params[i] + r.alpha[k] * b.params[i]);
      LossError e = evaluate(*be, to_model(m), d.test, 333);
      // Same float32 math in a different order: agreement to float rounding.
      QVERIFY2(std::fabs(e.loss - r.test->loss[k]) < 1e-5, qPrintable(QString::number(k)));
      QVERIFY(std::fabs(e.error - r.test->error[k]) < 1.5 / d.test.n);
    }
    // The endpoints are the models themselves.
    QVERIFY(std::fabs(evaluate(*be, to_model(a), d.train).loss - r.train->loss.front()) < 1e-6);
    QVERIFY(std::fabs(evaluate(*be, to_model(b), d.train).loss - r.train->loss.back()) < 1e-6);
    // Barriers recomputed from the curves.
    QCOMPARE(r.test->barriers.loss_lin, barrier_linear(r.alpha, r.test->loss));
    QCOMPARE(r.test->barriers.error_mid, barrier_midpoint(r.test->error));
    // Two independently trained nets on a non-convex problem: the path rises.
    QVERIFY(r.test->barriers.loss_mid > 0);
  }

  void jsonRoundTrip() {
    InterpolationResult r;
    r.alpha = {0, 0.5, 1};
    SplitCurve c;
    c.loss = {1, 3, 2};
    c.error = {0.1, 0.5, 0.2};
    c.barriers = {1.5, 1.5, 0.35, 0.35};
    r.test = c;
    const std::string j = interpolation_to_json(r);
    QVERIFY(j.find("\"train\"") == std::string::npos);  // absent split stays absent
    InterpolationResult back = interpolation_from_json(j, "mem");
    QVERIFY(!back.train);
    QCOMPARE(back.test->loss, c.loss);
    QCOMPARE(back.test->barriers.error_lin, 0.35);
  }

  void mismatchedModelsAreInputErrors() {
    auto be = make_backend("cpu", 1);
    DataSplits d = make_gaussian_mixture(50, 50, 6, 3, 5);
    Mlp a = init_mlp(parse_arch("mlp:6,10,3"), 1), b = init_mlp(parse_arch("mlp:6,11,3"), 1);
    QVERIFY_THROWS_EXCEPTION(InputError, interpolate(*be, to_model(a), to_model(b), d, {}));
    Mlp c = init_mlp(parse_arch("mlp:7,10,3"), 1);
    QVERIFY_THROWS_EXCEPTION(InputError, interpolate(*be, to_model(c), to_model(c), d, {}));
  }
};

QTEST_APPLESS_MAIN(TestBarrier)
#include "test_barrier.moc"
