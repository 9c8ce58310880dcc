// Gradient checks: the float64 reference against central finite differences (every layer's
// weights and biases, LayerNorm γ and β, through the loss; ReLU and GELU), and every
// backend's float32 gradients against it; closed forms for GELU and LayerNorm.
#include <QtTest>
#include <cmath>
#include <random>

#include "ridgeline/core/backend.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/models/mlp/mlp.h"
#include "ridgeline/models/mlp/mlp_compute.h"

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
  // LayerNorm starts at γ = 1, β = 0 (PyTorch); move them off so their role is tested.
  const ParamLayout lay(p.arch);
  for (size_t h = 0; h < lay.ln_weight_offset.size(); ++h)
    for (int i = 0; i < p.arch.widths[h + 1]; ++i) {
      p.params[lay.ln_weight_offset[h] + i] = 1.0 + 0.4 * g(rng);
      p.params[lay.ln_bias_offset[h] + i] = 0.3 * g(rng);
    }
  return p;
}

double block_norm(const std::vector<double>& v, size_t begin, size_t n) {
  double s = 0;
  for (size_t i = begin; i < begin + n; ++i) s += v[i] * v[i];
  return s;
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
    QTest::newRow("gelu") << "mlp:5,7,3+gelu";
    QTest::newRow("layernorm relu") << "mlp:5,7,6,3+ln";
    QTest::newRow("layernorm gelu") << "mlp:5,7,3+ln+gelu";
    QTest::newRow("layernorm gelu three hidden") << "mlp:4,6,5,6,3+ln+gelu";
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
    // Each block must carry gradient (a dead block would pass trivially): every layer's
    // weights and biases, every LayerNorm's γ and β.
    for (int l = 0; l < p.arch.num_layers(); ++l) {
      const size_t w = p.arch.widths[l + 1];
      QVERIFY(block_norm(grad, lay.weight_offset[l], w * p.arch.widths[l]) > 1e-12);
      QVERIFY(block_norm(grad, lay.bias_offset[l], w) > 1e-12);
      if (p.arch.layernorm && l < p.arch.num_hidden()) {
        QVERIFY(block_norm(grad, lay.ln_weight_offset[l], w) > 1e-12);
        QVERIFY(block_norm(grad, lay.ln_bias_offset[l], w) > 1e-12);
      }
    }
    QCOMPARE(lay.total, p.params.size());
    QCOMPARE(lay.layer_end(p.arch.num_layers() - 1), lay.total);
  }

  void layoutAndArchText() {
    const MlpArch a = parse_arch("mlp:5,4,3,2+gelu+ln");
    QCOMPARE(a.to_string(), std::string("mlp:5,4,3,2+ln+gelu"));
    QCOMPARE(parse_arch("mlp:5,4,3,2+relu").to_string(), std::string("mlp:5,4,3,2"));
    QCOMPARE(parse_arch("mlp:5,4,2+ln+relu").to_string(), std::string("mlp:5,4,2+ln"));
    QVERIFY(a.layernorm && a.activation == Activation::Gelu);
    QVERIFY(!a.same_shape(parse_arch("mlp:5,4,3,2+ln")));
    QVERIFY(!a.same_shape(parse_arch("mlp:5,4,3,2+gelu")));
    QVERIFY(a.same_shape(parse_arch("mlp:5,4,3,2+ln+gelu")));
    for (const char* bad : {"mlp:5,4,2+bn", "mlp:5,4,2+ln+ln", "mlp:5,4,2+gelu+relu", "mlp:5,4,2+",
                            "mlp:5,2+ln", "mlp:5,,2", "mlp:5,4,2,"})
      QVERIFY_THROWS_EXCEPTION(InputError, parse_arch(bad, "--arch"));
    // W0 b0 γ0 β0 W1 b1 γ1 β1 W2 b2: each LayerNorm right after its layer's bias.
    const ParamLayout lay(a);
    QCOMPARE(lay.ln_weight_offset, (std::vector<size_t>{24, 47}));
    QCOMPARE(lay.ln_bias_offset, (std::vector<size_t>{28, 50}));
    QCOMPARE(lay.weight_offset, (std::vector<size_t>{0, 32, 53}));
    QCOMPARE(lay.total, size_t(53 + 6 + 2));
    QVERIFY(ParamLayout(parse_arch("mlp:5,4,3,2+gelu")).ln_weight_offset.empty());
    // No hidden layer: nothing to normalise or activate, and the text stays parseable.
    MlpArch linear = parse_arch("mlp:5,2");
    linear.layernorm = true;
    linear.activation = Activation::Gelu;
    QCOMPARE(linear.to_string(), std::string("mlp:5,2"));
    QVERIFY(linear.same_shape(parse_arch("mlp:5,2")));
    QCOMPARE(ParamLayout(linear).total, size_t(12));
    // PyTorch initialisation: γ = 1, β = 0; the Linear values do not depend on LayerNorm.
    const Mlp m = init_mlp(a, 3), plain = init_mlp(parse_arch("mlp:5,4,3,2"), 3);
    for (int i = 0; i < 4; ++i) {
      QCOMPARE(m.params[lay.ln_weight_offset[0] + i], 1.0f);
      QCOMPARE(m.params[lay.ln_bias_offset[0] + i], 0.0f);
    }
    QCOMPARE(m.params[lay.weight_offset[2]], plain.params[ParamLayout(plain.arch).weight_offset[2]]);
  }

  void geluClosedForm() {
    // x·Φ(x) and Φ(x) + x·φ(x) at 0, ±1, 3: Φ(1) = 0.8413447460685429, φ(1) = 0.24197072451914337.
    auto be = make_backend("cpu", 1);
    const std::vector<float> z = {0.0f, 1.0f, -1.0f, 3.0f};
    const std::vector<double> y = {0.0, 0.8413447460685429, -0.15865525393145707, 2.99595030590511},
                              dy = {0.5, 1.0833154705876864, -0.08331547058768629, 1.011945647204184};
    std::vector<float> out(4), g(4, 2.0f);
    be->gelu(z.data(), out.data(), 4);
    be->gelu_backward(g.data(), z.data(), 4);
    for (int i = 0; i < 4; ++i) {
      QVERIFY2(std::fabs(out[i] - y[i]) < 2e-7, qPrintable(QString("gelu(%1) = %2").arg(z[i]).arg(out[i])));
      QVERIFY2(std::fabs(g[i] - 2 * dy[i]) < 1e-6, qPrintable(QString("gelu'(%1) = %2").arg(z[i]).arg(g[i] / 2)));
    }
    std::vector<float> inplace = z;
    be->gelu(inplace.data(), inplace.data(), 4);  // Y may alias Z
    QCOMPARE(inplace, out);
  }

  void layerNormClosedForm() {
    auto be = make_backend("cpu", 2);
    const int rows = 37, cols = 300;  // big enough for the threaded paths
    std::mt19937_64 rng(5);
    std::normal_distribution<double> g(0.0, 1.0);
    std::vector<float> x(static_cast<size_t>(rows) * cols), gamma(cols, 1.0f), beta(cols, 0.0f);
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < cols; ++c) x[r * cols + c] = static_cast<float>(10.0 * r + (r + 1) * 0.5 * g(rng));
    std::vector<float> y(x.size()), mean(rows), rstd(rows);
    be->layernorm(x.data(), gamma.data(), beta.data(), rows, cols, kLayerNormEps, y.data(), mean.data(),
                  rstd.data());
    for (int r = 0; r < rows; ++r) {
      double m = 0, v = 0, xm = 0, xv = 0;
      for (int c = 0; c < cols; ++c) xm += x[r * cols + c];
      xm /= cols;
      for (int c = 0; c < cols; ++c) xv += (x[r * cols + c] - xm) * (x[r * cols + c] - xm);
      xv /= cols;
      for (int c = 0; c < cols; ++c) m += y[r * cols + c];
      m /= cols;
      for (int c = 0; c < cols; ++c) v += (y[r * cols + c] - m) * (y[r * cols + c] - m);
      v /= cols;
      // Mean 0 and variance var/(var + eps) (biased variance, as torch.nn.LayerNorm).
      QVERIFY2(std::fabs(m) < 1e-6, qPrintable(QString("row %1 mean %2").arg(r).arg(m)));
      QVERIFY2(std::fabs(v - xv / (xv + kLayerNormEps)) < 1e-5, qPrintable(QString("row %1 var %2").arg(r).arg(v)));
      QVERIFY(std::fabs(mean[r] - xm) < 1e-6 * std::max(1.0, std::fabs(xm)));
      QVERIFY(std::fabs(rstd[r] - 1.0 / std::sqrt(xv + kLayerNormEps)) < 1e-6 / std::sqrt(xv));
    }
    // Affine: y' = γ·y + β, also in place.
    for (int c = 0; c < cols; ++c) gamma[c] = 0.5f + c * 0.01f, beta[c] = -1.0f + c * 0.003f;
    std::vector<float> ya = x;
    be->layernorm(ya.data(), gamma.data(), beta.data(), rows, cols, kLayerNormEps, ya.data(), nullptr, nullptr);
    for (size_t i = 0; i < y.size(); ++i)
      QVERIFY(std::fabs(ya[i] - (gamma[i % cols] * y[i] + beta[i % cols])) < 1e-5);
    // Backward: dX may alias dY; the same bits either way, and on 1 or 2 threads.
    std::vector<float> dy(x.size());
    for (auto& v : dy) v = static_cast<float>(g(rng));
    std::vector<float> dx(x.size()), dg(cols), db(cols), dy2 = dy, dg2(cols), db2(cols);
    be->layernorm_backward(dy.data(), x.data(), gamma.data(), mean.data(), rstd.data(), rows, cols,
                           dx.data(), dg.data(), db.data());
    be->layernorm_backward(dy2.data(), x.data(), gamma.data(), mean.data(), rstd.data(), rows, cols,
                           dy2.data(), dg2.data(), db2.data());
    QCOMPARE(dy2, dx);
    QCOMPARE(dg2, dg);
    QCOMPARE(db2, db);
    auto one = make_backend("cpu", 1);
    one->layernorm_backward(dy.data(), x.data(), gamma.data(), mean.data(), rstd.data(), rows, cols,
                            dy2.data(), dg2.data(), db2.data());
    QCOMPARE(dy2, dx);
    QCOMPARE(dg2, dg);
    // Rows of dX sum to 0 (LayerNorm output is invariant to shifting its input), and
    // dbeta is the column sum of dY.
    for (int r = 0; r < rows; ++r) {
      double s = 0, a = 0;
      for (int c = 0; c < cols; ++c) s += dx[r * cols + c], a += std::fabs(dx[r * cols + c]);
      QVERIFY2(std::fabs(s) < 1e-5 * a, qPrintable(QString("row %1 sums to %2").arg(r).arg(s)));
    }
    for (int c = 0; c < cols; ++c) {
      double s = 0;
      for (int r = 0; r < rows; ++r) s += dy[r * cols + c];
      QVERIFY(std::fabs(db[c] - s) < 1e-5);
    }
  }

  void referenceLayerNormLogits() {
    // mlp:2,4,2+ln with hidden Linear output z = (x0, x1, −x0, 2·x1) + b, γ, β chosen, and an
    // output layer that picks the first two units: logits are relu(LN(z))[0..1], by hand.
    const MlpArch arch = parse_arch("mlp:2,4,2+ln");
    const ParamLayout lay(arch);
    std::vector<double> p(lay.total, 0.0);
    const double W0[4][2] = {{1, 0}, {0, 1}, {-1, 0}, {0, 2}}, b0[4] = {0.5, 0, 0.25, -1};
    const double gam[4] = {2, 0.5, 1, 1}, bet[4] = {0.1, 0.3, 0, 0};
    for (int o = 0; o < 4; ++o) {
      for (int i = 0; i < 2; ++i) p[lay.weight_offset[0] + o * 2 + i] = W0[o][i];
      p[lay.bias_offset[0] + o] = b0[o];
      p[lay.ln_weight_offset[0] + o] = gam[o];
      p[lay.ln_bias_offset[0] + o] = bet[o];
    }
    p[lay.weight_offset[1] + 0] = 1;      // logit 0 = unit 0
    p[lay.weight_offset[1] + 4 + 1] = 1;  // logit 1 = unit 1
    const std::vector<double> x = {1.5, -0.5};
    std::vector<double> logits;
    mlp_loss_grad_f64(arch, p, x, {0}, nullptr, &logits);
    double z[4];
    for (int o = 0; o < 4; ++o) z[o] = W0[o][0] * x[0] + W0[o][1] * x[1] + b0[o];
    const double m = (z[0] + z[1] + z[2] + z[3]) / 4;
    double v = 0;
    for (double zi : z) v += (zi - m) * (zi - m) / 4;
    for (int o = 0; o < 2; ++o) {
      const double expect = std::max(0.0, (z[o] - m) / std::sqrt(v + 1e-5) * gam[o] + bet[o]);
      QVERIFY2(std::fabs(logits[o] - expect) < 1e-6, qPrintable(QString("logit %1: %2 vs %3").arg(o).arg(logits[o]).arg(expect)));
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
    QTest::addColumn<QString>("arch");
    QTest::newRow("cpu relu") << "cpu" << "mlp:12,16,9,4";
    QTest::newRow("cpu gelu") << "cpu" << "mlp:12,16,9,4+gelu";
    QTest::newRow("cpu layernorm relu") << "cpu" << "mlp:12,16,9,4+ln";
    QTest::newRow("cpu layernorm gelu") << "cpu" << "mlp:12,16,9,4+ln+gelu";
  }
  void backendMatchesReference() {
    QFETCH(QString, device);
    QFETCH(QString, arch);
    auto be = make_backend(device.toStdString(), 2);
    Problem p = make_problem(arch.toStdString(), 33, 11);
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
