// The evaluator over parameter points on MLPs: planes (origin + directions) and Bézier curves
// over K = 3 basis vectors, with the first layer shared by all points, against evaluating
// every point's network by itself (train/evaluate.h, MlpCompute::forward).
#include <QtTest>
#include <cmath>

#include "ridgeline/core/backend.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/data/dataset.h"
#include "ridgeline/models/mlp/mlp_model.h"
#include "ridgeline/paths/evaluator.h"
#include "ridgeline/train/evaluate.h"

using namespace ridgeline;

class TestEvaluator : public QObject {
  Q_OBJECT
 private slots:
  void pointsMatchModelByModel_data() {
    QTest::addColumn<QString>("arch");
    QTest::newRow("relu") << "mlp:6,17,9,4";
    QTest::newRow("ln+gelu") << "mlp:6,17,9,4+ln+gelu";
    QTest::newRow("no hidden") << "mlp:6,4";
  }
  void pointsMatchModelByModel() {
    QFETCH(QString, arch);
    auto be = make_backend("cpu", 2);
    const DataSplits d = make_gaussian_mixture(300, 211, 6, 4, 3);
    const Model m0 = to_model(init_mlp(parse_arch(arch.toStdString()), 1));
    const std::vector<float> t0 = m0.params, t1 = init_mlp(parse_arch(arch.toStdString()), 2).params,
                             t2 = init_mlp(parse_arch(arch.toStdString()), 3).params;
    ParameterPoints pts{{&t0, &t1, &t2}, {}};
    pts.coeffs = {{1, 0, 0}, {0, 0, 1}, {0.25, 0.25, 0.5}, {0.81, 0.01, 0.18},  // unit, affine
                  {1.0, -0.5, 0.7}, {0.3, 0.3, 0.3}};                              // general
    const PointValues v = evaluate_points(*be, *m0.arch, pts, &d.test, 50);
    QCOMPARE(v.loss.size(), pts.coeffs.size());
    for (size_t k = 0; k < pts.coeffs.size(); ++k) {
      Mlp point = to_mlp(m0);
      for (size_t i = 0; i < point.params.size(); ++i)
        point.params[i] = static_cast<float>(pts.coeffs[k][0] * t0[i] + pts.coeffs[k][1] * t1[i] +
                                             pts.coeffs[k][2] * t2[i]);
      const LossError ref = evaluate(*be, to_model(point), d.test, 64);
      // Float32 rounding of the points and of the shared first layer (summed in another
      // order): relative ~1e-6; a wrong coefficient or basis moves the loss by 1e-2 or more.
      QVERIFY2(std::abs(v.loss[k] - ref.loss) < 1e-5 * std::max(1.0, ref.loss),
               qPrintable(QString("%1: %2 vs %3").arg(k).arg(v.loss[k]).arg(ref.loss)));
      QVERIFY(std::abs(v.error[k] - ref.error) <= 1.0 / d.test.n + 1e-12);  // one tie at most
    }
    // Unit rows evaluate the basis vectors themselves: the same numbers as a one-point line.
    const PointValues first = evaluate_points(*be, *m0.arch, line_points(t0, t1, {0.0}), &d.test, 50);
    QCOMPARE(first.loss[0], v.loss[0]);
    QCOMPARE(point_form({1, 0, 0}), PointForm::Unit);
    QCOMPARE(point_form({0.5, 0.5}), PointForm::Affine);
    QCOMPARE(point_form({1, 0.5}), PointForm::General);
  }

  // A point's numbers do not depend on which other points share its call, nor on whether its
  // parameters are kept across data chunks (several chunks) or formed per point (one chunk):
  // the grid's batches and resume rely on it.
  void pointDoesNotDependOnItsBatch() {
    auto be = make_backend("cpu", 2);
    const DataSplits d = make_gaussian_mixture(300, 211, 6, 4, 3);
    const MlpArch a = parse_arch("mlp:6,17,9,4+ln");
    const std::vector<float> t0 = init_mlp(a, 1).params, t1 = init_mlp(a, 2).params,
                             t2 = init_mlp(a, 3).params;
    ParameterPoints all{{&t0, &t1, &t2}, {{0.25, 0.25, 0.5}, {1.0, -0.5, 0.7}, {0, 1, 0}}};
    const Model m = to_model(init_mlp(a, 1));
    for (int chunk : {50, 1000}) {
      const PointValues v = evaluate_points(*be, *m.arch, all, &d.test, chunk);
      for (size_t k = 0; k < all.coeffs.size(); ++k) {
        const ParameterPoints one{all.basis, {all.coeffs[k]}};
        const PointValues w = evaluate_points(*be, *m.arch, one, &d.test, chunk);
        QCOMPARE(w.loss[0], v.loss[k]);
        QCOMPARE(w.error[0], v.error[k]);
      }
    }
  }
  void rejectsWhatDoesNotFit() {
    auto be = make_backend("cpu", 1);
    const DataSplits d = make_gaussian_mixture(30, 20, 6, 4, 3);
    const Model m = to_model(init_mlp(parse_arch("mlp:5,8,4"), 1));
    const ParameterPoints line = line_points(m.params, m.params, {0.0, 1.0});
    QVERIFY_THROWS_EXCEPTION(InputError, evaluate_points(*be, *m.arch, line, &d.test));  // 6 ≠ 5
    QVERIFY_THROWS_EXCEPTION(InputError, evaluate_points(*be, *m.arch, line, nullptr));
    ParameterPoints none;
    QVERIFY_THROWS_EXCEPTION(InputError, evaluate_points(*be, *m.arch, none, &d.test));
  }
};

QTEST_APPLESS_MAIN(TestEvaluator)
#include "test_evaluator.moc"
