// Curves between two models (landscape/curve.h): the rows, the quadratic oracle's closed form
// along a curve, and a trained Bézier curve between two MLPs of a toy problem with a lower
// barrier than the straight line between them (Garipov et al. 2018, arXiv 1802.10026).
#include <QtTest>
#include <cmath>

#include "ridgeline/landscape/curve.h"
#include "ridgeline/models/mlp/mlp_model.h"
#include "ridgeline/models/quadratic/quadratic.h"
#include "ridgeline/train/train_model.h"

using namespace ridgeline;

class TestCurve : public QObject {
  Q_OBJECT
 private slots:
  void rows() {
    for (CurveKind k : {CurveKind::Bezier, CurveKind::Chain}) {
      QCOMPARE(point_form(curve_row(k, 0.0)), PointForm::Unit);
      QCOMPARE(point_form(curve_row(k, 1.0)), PointForm::Unit);
      for (double t : {0.1, 0.3, 0.5, 0.77}) {
        const auto r = curve_row(k, t);
        QVERIFY(std::abs(r[0] + r[1] + r[2] - 1.0) < 1e-15);
      }
    }
    QCOMPARE(curve_row(CurveKind::Chain, 0.5), (std::vector<double>{0.0, 0.0, 1.0}));
    QCOMPARE(curve_row(CurveKind::Bezier, 0.5), (std::vector<double>{0.25, 0.25, 0.5}));
  }

  void quadraticClosedForm() {
    auto be = make_backend("cpu", 2);
    auto arch = parse_model_arch("quadratic:dim=9,seed=5");
    const QuadraticForm f = quadratic_form(*as_quadratic_arch(*arch));
    const Model a{arch, arch->init(1)}, b{arch, arch->init(2)};
    const std::vector<float> bend = arch->init(3);
    for (CurveKind k : {CurveKind::Bezier, CurveKind::Chain}) {
      const InterpolationResult r = evaluate_curve(*be, k, a, b, bend, {}, 9, false, true);
      for (size_t q = 0; q < r.alpha.size(); ++q) {
        const auto c = curve_row(k, r.alpha[q]);
        std::vector<double> theta(a.params.size());
        for (size_t i = 0; i < theta.size(); ++i)
          theta[i] = c[0] * a.params[i] + c[1] * b.params[i] + c[2] * bend[i];
        QVERIFY(std::abs(r.test->loss[q] - f.loss(theta)) < 1e-5 * std::max(1.0, f.loss(theta)));
      }
    }
    // Training the bend lowers the curve's mean loss (over 21 evenly spaced t) on the
    // quadratic too (it has no data: one step per epoch).
    CurveConfig cfg;
    cfg.epochs = 300;
    cfg.lr = 0.02;
    cfg.momentum = 0;
    const CurveTraining t = train_curve(*be, a, b, Dataset{}, cfg);
    QCOMPARE(t.epoch_loss.size(), size_t(300));
    std::vector<float> mid(a.params.size());
    for (size_t i = 0; i < mid.size(); ++i) mid[i] = 0.5f * (a.params[i] + b.params[i]);
    auto mean = [](const std::vector<double>& v) {
      double s = 0;
      for (double x : v) s += x;
      return s / v.size();
    };
    const double before =
        mean(evaluate_curve(*be, CurveKind::Bezier, a, b, mid, {}, 21, false, true).test->loss);
    const double after =
        mean(evaluate_curve(*be, CurveKind::Bezier, a, b, t.bend, {}, 21, false, true).test->loss);
    QVERIFY2(after < before, qPrintable(QString("%1 vs %2").arg(after).arg(before)));
  }

  void bezierBelowTheLine() {
    auto be = make_backend("cpu", 2);
    const DataSplits d = make_gaussian_mixture(1500, 500, 8, 4, 3);
    auto arch = to_model(init_mlp(parse_arch("mlp:8,24,24,4"), 0)).arch;
    TrainConfig tc;
    tc.epochs = 8;
    tc.lr = 0.01;
    tc.batch = 64;
    const Model a = train_model(*be, arch, d, tc, 0).model,
                b = train_model(*be, arch, d, tc, 1).model;
    CurveConfig cfg;
    cfg.epochs = 10;
    cfg.lr = 0.05;
    cfg.batch = 64;
    const CurveTraining t = train_curve(*be, a, b, d.train, cfg);
    QVERIFY(t.epoch_loss.back() < t.epoch_loss.front());
    const InterpolationResult line = evaluate_curve(
        *be, CurveKind::Bezier, a, b,
        [&] {  // the untrained midpoint: the line itself
          std::vector<float> m(a.params.size());
          for (size_t i = 0; i < m.size(); ++i) m[i] = 0.5f * (a.params[i] + b.params[i]);
          return m;
        }(),
        d, 25, false, true);
    const InterpolationResult curve =
        evaluate_curve(*be, CurveKind::Bezier, a, b, t.bend, d, 25, false, true);
    // The endpoints are the models themselves on both.
    QCOMPARE(curve.test->loss.front(), line.test->loss.front());
    QCOMPARE(curve.test->loss.back(), line.test->loss.back());
    QVERIFY2(line.test->barriers.loss_mid > 0.05,
             qPrintable(QString("the toy problem needs a barrier on the line: %1")
                            .arg(line.test->barriers.loss_mid)));
    QVERIFY2(curve.test->barriers.loss_mid < 0.5 * line.test->barriers.loss_mid,
             qPrintable(QString("curve %1 vs line %2")
                            .arg(curve.test->barriers.loss_mid)
                            .arg(line.test->barriers.loss_mid)));
  }
};

QTEST_APPLESS_MAIN(TestCurve)
#include "test_curve.moc"
