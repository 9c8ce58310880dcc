// Gradient checks: the float64 reference against central finite differences (every layer's
// weights and biases, through the loss), and every backend's float32 gradients against it.
#include <QtTest>
#include <cmath>
#include <random>

#include "ridgeline/backend.h"
#include "ridgeline/mlp.h"
#include "ridgeline/mlp_compute.h"

using namespace ridgeline;

namespace {

struct Problem {
  MlpArch arch;
  std::vector<double> params, x;
  std::vector<int> labels;
};

Problem make_problem(const std::string& arch_text, int n, uint64_t seed) {
  Problem p;
  p.arch = parse_arch(arch_text);
  Mlp m = init_mlp(p.arch, seed);
  p.params.assign(m.params.begin(), m.params.end());
  std::mt19937_64 rng(seed + 1);
  std::normal_distribution<double> g(0.0, 1.0);
  p.x.resize(static_cast<size_t>(n) * p.arch.in_dim());
  for (auto& v : p.x) v = g(rng);
  for (int i = 0; i < n; ++i) p.labels.push_back(static_cast<int>(rng() % p.arch.classes()));
  return p;
}

}  // namespace

class TestGradcheck : public QObject {
  Q_OBJECT
 private slots:
  void referenceMatchesFiniteDifferences_data() {
    QTest::addColumn<QString>("arch");
    QTest::newRow("linear softmax") << "mlp:6,4";
    QTest::newRow("one hidden") << "mlp:5,7,3";
    QTest::newRow("three hidden") << "mlp:4,6,5,6,3";
  }
  void referenceMatchesFiniteDifferences() {
    QFETCH(QString, arch);
    Problem p = make_problem(arch.toStdString(), 9, 3);
    std::vector<double> grad;
    mlp_loss_grad_f64(p.arch, p.params, p.x, p.labels, &grad);
    const ParamLayout lay(p.arch);
    // Every parameter of every layer (the nets are tiny). h = 1e-6 balances truncation
    // (O(h²)·f''') against rounding (O(ε/h)); ReLU kinks are measure-zero for random data.
    const double h = 1e-6;
    double worst = 0;
    for (size_t i = 0; i < p.params.size(); ++i) {
      auto q = p.params;
      q[i] += h;
      const double fp = mlp_loss_grad_f64(p.arch, q, p.x, p.labels, nullptr);
      q[i] -= 2 * h;
      const double fm = mlp_loss_grad_f64(p.arch, q, p.x, p.labels, nullptr);
      const double fd = (fp - fm) / (2 * h);
      worst = std::max(worst, std::fabs(fd - grad[i]) / std::max(1e-3, std::fabs(fd) + std::fabs(grad[i])));
    }
    QVERIFY2(worst < 1e-6, qPrintable(QString("worst relative error %1").arg(worst)));
    // Each layer's block must carry gradient (a dead block would pass trivially).
    for (int l = 0; l < p.arch.num_layers(); ++l) {
      double norm = 0;
      for (size_t i = lay.weight_offset[l]; i < lay.bias_offset[l] + p.arch.widths[l + 1]; ++i)
        norm += grad[i] * grad[i];
      QVERIFY(norm > 1e-12);
    }
  }

  void lossMatchesClosedForm() {
    // Zero weights and biases: logits are 0, loss = log(C) exactly.
    MlpArch arch = parse_arch("mlp:3,4,5");
    std::vector<double> params(ParamLayout(arch).total, 0.0);
    std::vector<double> x = {1, 2, 3, -1, 0, 4};
    const double loss = mlp_loss_grad_f64(arch, params, x, {0, 3}, nullptr);
    QCOMPARE(loss, std::log(5.0));
  }

  void backendMatchesReference_data() {
    QTest::addColumn<QString>("device");
    QTest::newRow("cpu") << "cpu";
  }
  void backendMatchesReference() {
    QFETCH(QString, device);
    auto be = make_backend(device.toStdString(), 2);
    Problem p = make_problem("mlp:12,16,9,4", 33, 11);
    std::vector<double> ref_grad, ref_logits;
    const double ref_loss = mlp_loss_grad_f64(p.arch, p.params, p.x, p.labels, &ref_grad, &ref_logits);

    const int n = static_cast<int>(p.labels.size());
    std::vector<float> params(p.params.begin(), p.params.end()), x(p.x.begin(), p.x.end()),
        labels(p.labels.begin(), p.labels.end());
    DeviceBuffer dp(*be, params.size()), dx(*be, x.size()), dy(*be, n), dg(*be, params.size());
    be->upload(dp.data(), params.data(), params.size());
    be->upload(dx.data(), x.data(), x.size());
    be->upload(dy.data(), labels.data(), n);
    MlpCompute net(*be, p.arch, n);
    net.forward(dp.data(), dx.data(), n);
    net.loss(dy.data(), n, true);
    net.backward(dp.data(), dg.data(), n);
    double loss_sum, correct;
    net.sums(n, loss_sum, correct);
    std::vector<float> g(params.size()), logits(static_cast<size_t>(n) * p.arch.classes());
    be->download(g.data(), dg.data(), g.size());
    be->download(logits.data(), net.logits(), logits.size());
    // float32 arithmetic on O(1) values: agreement to ~1e-5 relative.
    QVERIFY(std::fabs(loss_sum / n - ref_loss) < 1e-5 * std::max(1.0, ref_loss));
    double gmax = 0, gerr = 0, lerr = 0;
    for (size_t i = 0; i < g.size(); ++i) {
      gmax = std::max(gmax, std::fabs(ref_grad[i]));
      gerr = std::max(gerr, std::fabs(g[i] - ref_grad[i]));
    }
    for (size_t i = 0; i < logits.size(); ++i) lerr = std::max(lerr, std::fabs(logits[i] - ref_logits[i]));
    QVERIFY2(gerr < 1e-5 * gmax, qPrintable(QString("grad error %1 of max %2").arg(gerr).arg(gmax)));
    QVERIFY2(lerr < 1e-5, qPrintable(QString("logit error %1").arg(lerr)));
  }
};

QTEST_APPLESS_MAIN(TestGradcheck)
#include "test_gradcheck.moc"
