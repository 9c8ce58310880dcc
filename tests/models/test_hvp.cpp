// Exact Hessian-vector products through the model interface (ModelCompute::hvp): the MLP's
// R-operator against the float64 Hessian (central differences of the float64 analytic
// gradient mlp_loss_grad_f64, itself checked against finite differences of the loss in
// test_gradcheck) and against central differences of the model's own float32 gradients; the
// quadratic model's against A·v exactly; every MLP variant (ReLU/GELU, with or without LayerNorm) has them.
#include <QtTest>
#include <cmath>
#include <random>

#include "ridgeline/core/backend.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/models/mlp/mlp.h"
#include "ridgeline/models/mlp/mlp_compute.h"
#include "ridgeline/models/quadratic/quadratic.h"

using namespace ridgeline;

namespace {

struct Problem {
  MlpArch arch;
  std::vector<double> params, x;
  std::vector<int> labels;
};

Problem make_problem(const std::string& text, int n, uint64_t seed) {
  Problem p;
  p.arch = parse_arch(text);
  Mlp m = init_mlp(p.arch, seed);
  p.params.assign(m.params.begin(), m.params.end());
  std::mt19937_64 rng(seed + 1);
  std::normal_distribution<double> g(0.0, 1.0);
  p.x.resize(static_cast<size_t>(n) * p.arch.in_dim());
  for (auto& v : p.x) v = g(rng);
  for (int i = 0; i < n; ++i) p.labels.push_back(static_cast<int>(rng() % p.arch.classes()));
  return p;
}

std::vector<double> random_vector(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0.0, 1.0);
  std::vector<double> v(n);
  for (auto& e : v) e = g(rng);
  return v;
}

double rel_err(const std::vector<double>& got, const std::vector<double>& ref) {
  double num = 0, den = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    num += (got[i] - ref[i]) * (got[i] - ref[i]);
    den += ref[i] * ref[i];
  }
  return std::sqrt(num / den);
}

// The model's float32 HVP (and, with `grad`, its float32 gradient) at θ on a backend.
struct Device {
  std::unique_ptr<Backend> be;
  std::unique_ptr<MlpCompute> net;
  DeviceBuffer x, y, params, v, out;
  int rows = 0;
  size_t T = 0;

  Device(const std::string& backend, const Problem& p) {
    be = make_backend(backend, 1);
    rows = static_cast<int>(p.labels.size());
    T = p.params.size();
    net = std::make_unique<MlpCompute>(*be, p.arch, rows);
    std::vector<float> xf(p.x.begin(), p.x.end()), yf(p.labels.begin(), p.labels.end());
    x = DeviceBuffer(*be, xf.size());
    be->upload(x.data(), xf.data(), xf.size());
    y = DeviceBuffer(*be, yf.size());
    be->upload(y.data(), yf.data(), yf.size());
    params = DeviceBuffer(*be, T);
    v = DeviceBuffer(*be, T);
    out = DeviceBuffer(*be, T);
  }
  void set_params(const std::vector<double>& theta) {
    std::vector<float> f(theta.begin(), theta.end());
    be->upload(params.data(), f.data(), T);
    net->forward(params.data(), x.data(), rows);
    net->loss(y.data(), rows, true);
  }
  std::vector<double> hvp(const std::vector<double>& vec) {
    std::vector<float> f(vec.begin(), vec.end());
    be->upload(v.data(), f.data(), T);
    net->hvp(params.data(), v.data(), out.data(), rows);
    be->download(f.data(), out.data(), T);
    return {f.begin(), f.end()};
  }
  std::vector<double> grad() {
    std::vector<float> f(T);
    net->backward(params.data(), out.data(), rows);
    be->download(f.data(), out.data(), T);
    return {f.begin(), f.end()};
  }
};

// Float64 H·v by central differences of the float64 analytic gradient. With h = 1e-5 the
// truncation error is O(h²·|∇³L|) ≈ 1e-10 and the rounding error O(ε₆₄·|∇L|/h) ≈ 1e-11, far
// below the float32 tolerances used against it.
std::vector<double> hv_f64(const Problem& p, const std::vector<double>& v) {
  const double h = 1e-5;
  std::vector<double> tp = p.params, tm = p.params, gp, gm;
  for (size_t i = 0; i < v.size(); ++i) {
    tp[i] += h * v[i];
    tm[i] -= h * v[i];
  }
  mlp_loss_grad_f64(p.arch, tp, p.x, p.labels, &gp);
  mlp_loss_grad_f64(p.arch, tm, p.x, p.labels, &gm);
  std::vector<double> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = (gp[i] - gm[i]) / (2 * h);
  return out;
}

}  // namespace

class TestHvp : public QObject {
  Q_OBJECT
 private slots:
  void matchesFloat64Hessian_data() {
    QTest::addColumn<QString>("backend");
    QTest::addColumn<QString>("arch");
    for (const char* be : {"cpu", "reference"}) {
      QTest::newRow((std::string(be) + " linear softmax").c_str()) << be << "mlp:6,4";
      QTest::newRow((std::string(be) + " one hidden").c_str()) << be << "mlp:5,7,3";
      QTest::newRow((std::string(be) + " three hidden").c_str()) << be << "mlp:4,6,5,6,3";
      // GELU (σ'' ≠ 0) and LayerNorm (γ, β and the normalisation's curvature): the float64
      // host R-operator of mlp_hvp_nonlinear.h between backend GEMMs.
      QTest::newRow((std::string(be) + " gelu").c_str()) << be << "mlp:5,7,6,3+gelu";
      QTest::newRow((std::string(be) + " layernorm relu").c_str()) << be << "mlp:5,7,6,3+ln";
      QTest::newRow((std::string(be) + " layernorm gelu").c_str()) << be << "mlp:4,6,5,6,3+ln+gelu";
    }
  }
  void matchesFloat64Hessian() {
    QFETCH(QString, backend);
    QFETCH(QString, arch);
    const Problem p = make_problem(arch.toStdString(), 11, 5);
    Device dev(backend.toStdString(), p);
    dev.set_params(p.params);
    const size_t T = p.params.size();
    // The whole float64 Hessian, column by column (the nets are tiny); it must be symmetric.
    std::vector<double> H(T * T);
    for (size_t j = 0; j < T; ++j) {
      std::vector<double> e(T, 0.0);
      e[j] = 1.0;
      const auto col = hv_f64(p, e);
      for (size_t i = 0; i < T; ++i) H[i * T + j] = col[i];
    }
    double asym = 0, scale = 0;
    for (size_t i = 0; i < T; ++i)
      for (size_t j = 0; j < T; ++j) {
        asym = std::max(asym, std::abs(H[i * T + j] - H[j * T + i]));
        scale = std::max(scale, std::abs(H[i * T + j]));
      }
    QVERIFY2(asym <= 1e-7 * scale, "the float64 reference Hessian is not symmetric");
    // Float32 HVPs against H·v: a float32 forward/backward of a few layers of width ≤ 7 loses
    // a few ulps per layer (ε₃₂ ≈ 6e-8; measured 4e-8..1.2e-7 relative in the 2-norm); 1e-5
    // leaves a 100× margin while a wrong term (a missing δᵀR{A} or softmax-Jacobian term) is
    // off by O(1e-1..1).
    for (uint64_t s = 0; s < 4; ++s) {
      const auto v = random_vector(T, 100 + s);
      std::vector<double> ref(T, 0.0);
      for (size_t i = 0; i < T; ++i)
        for (size_t j = 0; j < T; ++j) ref[i] += H[i * T + j] * v[j];
      const double err = rel_err(dev.hvp(v), ref);
      QVERIFY2(err < 1e-5, qPrintable(QString("relative error %1").arg(err)));
    }
    // Unit vectors: the HVP is the Hessian's column, block by block (the first weight, the
    // last bias).
    for (size_t j : {size_t{0}, T - 1}) {
      std::vector<double> e(T, 0.0), col(T);
      e[j] = 1.0;
      for (size_t i = 0; i < T; ++i) col[i] = H[i * T + j];
      const double err = rel_err(dev.hvp(e), col);
      QVERIFY2(err < 1e-5, qPrintable(QString("column %1: relative error %2").arg(j).arg(err)));
    }
  }

  void matchesOwnGradientDifferences() {
    // Central differences of the model's own float32 gradients: the error is rounding
    // O(ε₃₂·|∇L|/h) ≈ 6e-8·|g|/h plus truncation O(h²·|∇³L|). With h = 1e-2 along a unit v
    // it measured 1e-5..1.7e-5 relative (the float64 difference quotient at the same h is
    // within 6e-6 of the one at h = 1e-5: no ReLU kink is crossed on this data), so 2e-4
    // leaves a 10× margin that a wrong HVP (O(1e-1..1) off) cannot meet.
    const Problem p = make_problem("mlp:5,8,6,3", 13, 9);
    Device dev("cpu", p);
    const size_t T = p.params.size();
    for (uint64_t s = 0; s < 3; ++s) {
      auto v = random_vector(T, 300 + s);
      double nv = 0;
      for (double e : v) nv += e * e;
      for (double& e : v) e /= std::sqrt(nv);
      const double h = 1e-2;
      std::vector<double> tp = p.params, tm = p.params;
      for (size_t i = 0; i < T; ++i) {
        tp[i] += h * v[i];
        tm[i] -= h * v[i];
      }
      dev.set_params(tp);
      const auto gp = dev.grad();
      dev.set_params(tm);
      const auto gm = dev.grad();
      std::vector<double> fd(T);
      for (size_t i = 0; i < T; ++i) fd[i] = (gp[i] - gm[i]) / (2 * h);
      dev.set_params(p.params);
      const double err = rel_err(dev.hvp(v), fd);
      QVERIFY2(err < 2e-4, qPrintable(QString("relative error %1").arg(err)));
    }
  }

  void hvpAfterBackwardIsUnchanged() {
    // The contract allows backward() between loss() and hvp(): it must not disturb the HVP
    // (nor the host state the GELU/LayerNorm R-operator keeps between HVPs).
    for (const char* text : {"mlp:5,7,3", "mlp:5,7,6,3+ln+gelu"}) {
      const Problem p = make_problem(text, 9, 2);
      Device dev("cpu", p);
      dev.set_params(p.params);
      const auto v = random_vector(p.params.size(), 7);
      const auto a = dev.hvp(v);
      dev.grad();
      const auto b = dev.hvp(v);
      QCOMPARE(a, b);
    }
  }

  void everyMlpVariantHasHvps() {
    // ReLU or GELU, with or without LayerNorm: none is refused; hvp() before forward()+loss()
    // is a RunError, not a crash.
    auto be = make_backend("cpu", 1);
    for (const char* text : {"mlp:5,7,3", "mlp:5,7,3+gelu", "mlp:5,7,3+ln", "mlp:5,7,3+ln+gelu"}) {
      MlpCompute net(*be, parse_arch(text), 4);
      QVERIFY2(net.hvp_unsupported().empty(), text);
      DeviceBuffer a(*be, 100), b(*be, 100);
      QVERIFY_THROWS_EXCEPTION(RunError, net.hvp(a.data(), a.data(), b.data(), 4));
    }
  }

  void quadraticIsExactlyAv() {
    for (const char* text : {"quadratic:dim=12,seed=3", "quadratic:dim=9,seed=1,indefinite"}) {
      auto arch = parse_model_arch(text);
      const QuadraticForm f = quadratic_form(*as_quadratic_arch(*arch));
      auto be = make_backend("cpu", 1);
      auto net = arch->compute(*be, 1);
      QVERIFY(net->hvp_unsupported().empty());
      const size_t n = arch->num_params();
      const std::vector<float> theta = arch->init(4);
      DeviceBuffer params(*be, n), v(*be, n), hv(*be, n);
      be->upload(params.data(), theta.data(), n);
      net->forward(params.data(), nullptr, 1);
      net->loss(nullptr, 1, true);
      std::mt19937_64 rng(11);
      std::normal_distribution<float> g(0.0f, 1.0f);
      std::vector<float> vh(n), got(n);
      for (auto& e : vh) e = g(rng);
      be->upload(v.data(), vh.data(), n);
      net->hvp(params.data(), v.data(), hv.data(), 1);
      be->download(got.data(), hv.data(), n);
      // Exactly: A·v in float64 (row by row, in column order), rounded once to float32.
      for (size_t r = 0; r < n; ++r) {
        double s = 0;
        for (size_t c = 0; c < n; ++c) s += f.A[r * n + c] * static_cast<double>(vh[c]);
        QCOMPARE(got[r], static_cast<float>(s));
      }
    }
  }
};

QTEST_APPLESS_MAIN(TestHvp)
#include "test_hvp.moc"
