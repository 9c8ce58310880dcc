// The CPU optimisers step by step against PyTorch's update rules (torch.optim.SGD and
// torch.optim.Adam, as documented for PyTorch 1.13) written out here in float64, the
// Optimizer object against the backend calls it makes, and the learning-rate schedules
// against their formulas as train.h documents them.
#include <QtTest>
#include <cmath>
#include <limits>
#include <numbers>
#include <random>
#include <vector>

#include "ridgeline/core/backend.h"
#include "ridgeline/train/optimizer.h"
#include "ridgeline/train/train.h"

using namespace ridgeline;

namespace {

// Unit roundoff of float32: one correctly rounded float operation has a relative error of at
// most this much (IEEE 754, round to nearest).
constexpr double kU = std::numeric_limits<float>::epsilon() / 2;

// The backend receives its hyper-parameters as floats; the reference uses those same values
// (widened exactly to double), so the comparison sees only the arithmetic's rounding, not the
// rounding of 0.999 to float (which alone changes 1 − β₂ by 1.3e−5 relative).
double f(double x) { return static_cast<double>(static_cast<float>(x)); }

// Gradients for step k: mixed magnitudes (1e−8 … 1e4 by element), one step all zero.
std::vector<float> gradient(int k, size_t n, std::mt19937_64& rng) {
  std::vector<float> g(n, 0.0f);
  if (k == 3) return g;  // a step where the gradient is exactly 0
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const float scales[] = {1.0f, 1e4f, 1e-8f, 1e-3f};
  for (size_t i = 0; i < n; ++i) g[i] = normal(rng) * scales[i % 4];
  return g;
}

std::vector<float> download(Backend& be, const DeviceBuffer& b) {
  std::vector<float> h(b.size());
  be.download(h.data(), b.data(), b.size());
  return h;
}

struct Worst {
  double ratio = 0;  // max |err| / tol seen
  void see(double err, double tol) { ratio = std::max(ratio, tol > 0 ? err / tol : (err > 0 ? 1e300 : 0)); }
};

}  // namespace

class TestOptimizers : public QObject {
  Q_OBJECT
 private slots:
  // torch.optim.SGD(lr, momentum=μ, dampening=0, weight_decay=λ, nesterov=False), step t:
  //   g ← ∇ + λ·p;  b ← g if t = 1 else μ·b + g;  p ← p − lr·b   (b ← g, p ← p − lr·g when μ = 0)
  void sgdMatchesPyTorch_data() {
    QTest::addColumn<double>("momentum");
    QTest::addColumn<double>("weight_decay");
    QTest::newRow("plain") << 0.0 << 0.0;
    QTest::newRow("momentum") << 0.9 << 0.0;
    QTest::newRow("momentum+wd") << 0.9 << 5e-4;
    QTest::newRow("wd only") << 0.0 << 0.1;
  }
  void sgdMatchesPyTorch() {
    QFETCH(double, momentum);
    QFETCH(double, weight_decay);
    auto be = make_backend("cpu", 2);
    const size_t n = 4001;  // odd, and large enough for the backend's parallel loop
    std::mt19937_64 rng(1);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> p0(n);
    for (size_t i = 0; i < n; ++i) p0[i] = normal(rng) * (i % 3 == 0 ? 100.0f : 1.0f);
    DeviceBuffer p(*be, n), g(*be, n), b(*be, n);
    be->upload(p.data(), p0.data(), n);
    // A stale buffer: the first step must overwrite it with the gradient (PyTorch creates the
    // buffer from the first gradient), not add μ times it.
    std::vector<float> stale(n);
    for (auto& x : stale) x = normal(rng);
    be->upload(b.data(), stale.data(), n);
    const double lrs[] = {0.1, 0.05, 1e-3, 0.5, 0.2, 2.0};
    Worst worst_p, worst_b;
    for (int t = 1; t <= 6; ++t) {
      const std::vector<float> hg = gradient(t, n, rng);
      be->upload(g.data(), hg.data(), n);
      const std::vector<float> hp_old = download(*be, p), hb_old = download(*be, b);
      SgdParams hp;
      hp.lr = static_cast<float>(lrs[t - 1]);
      hp.momentum = static_cast<float>(momentum);
      hp.weight_decay = static_cast<float>(weight_decay);
      hp.first_step = t == 1;
      be->sgd_step(p.data(), g.data(), b.data(), n, hp);
      const std::vector<float> hp_new = download(*be, p), hb_new = download(*be, b);
      const double lr = f(lrs[t - 1]), mu = f(momentum), wd = f(weight_decay);
      for (size_t i = 0; i < n; ++i) {
        const double pi = hp_old[i], gi = static_cast<double>(hg[i]) + wd * pi;
        double step = gi, scale = std::abs(hg[i]) + std::abs(wd * pi);
        if (mu != 0) {
          step = t == 1 ? gi : mu * hb_old[i] + gi;
          if (t > 1) scale += std::abs(mu * hb_old[i]);
          // The buffer: 4 roundings (λ·p, + ∇, μ·b, + g), each at most kU times a partial
          // sum no larger than `scale` (the sum of the terms' magnitudes); 6 leaves margin.
          const double tol_b = 6 * kU * scale;
          worst_b.see(std::abs(hb_new[i] - step), tol_b);
          QVERIFY2(std::abs(hb_new[i] - step) <= tol_b,
                   qPrintable(QString("t=%1 i=%2 buffer %3 vs %4").arg(t).arg(i).arg(hb_new[i]).arg(step)));
        }
        const double ref = pi - lr * step;
        // p: the buffer's roundings scaled by lr, one for lr·b, one for the subtraction.
        const double tol = 8 * kU * lr * scale + 2 * kU * (std::abs(pi) + std::abs(ref));
        worst_p.see(std::abs(hp_new[i] - ref), tol);
        QVERIFY2(std::abs(hp_new[i] - ref) <= tol,
                 qPrintable(QString("t=%1 i=%2 p %3 vs %4").arg(t).arg(i).arg(hp_new[i]).arg(ref, 0, 'g', 17)));
      }
    }
    qInfo("sgd: worst error / tolerance: p %.3f, buffer %.3f", worst_p.ratio, worst_b.ratio);
  }

  // torch.optim.Adam(lr, betas=(β₁, β₂), eps=ε, weight_decay=λ, amsgrad=False), step t ≥ 1:
  //   g ← ∇ + λ·p;  m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;
  //   m̂ = m/(1−β₁ᵗ);  v̂ = v/(1−β₂ᵗ);  p ← p − lr·m̂/(√v̂ + ε)
  void adamMatchesPyTorch_data() {
    QTest::addColumn<double>("weight_decay");
    QTest::addColumn<double>("eps");
    QTest::newRow("defaults") << 0.0 << 1e-8;
    QTest::newRow("weight decay") << 1e-2 << 1e-8;
    QTest::newRow("large eps") << 0.0 << 1e-3;
  }
  void adamMatchesPyTorch() {
    QFETCH(double, weight_decay);
    QFETCH(double, eps);
    auto be = make_backend("cpu", 2);
    const size_t n = 4001;
    std::mt19937_64 rng(2);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> p0(n);
    for (size_t i = 0; i < n; ++i) p0[i] = normal(rng) * (i % 3 == 0 ? 100.0f : 1.0f);
    DeviceBuffer p(*be, n), g(*be, n), m(*be, n), v(*be, n);
    be->upload(p.data(), p0.data(), n);
    const double b1 = f(0.9), b2 = f(0.999), e = f(eps), wd = f(weight_decay);
    const double lrs[] = {1e-3, 1e-3, 3e-4, 1e-2, 1e-3, 1e-1, 1e-3};
    Worst worst_p, worst_m, worst_v;
    for (int t = 1; t <= 7; ++t) {
      const std::vector<float> hg = gradient(t, n, rng);
      be->upload(g.data(), hg.data(), n);
      const std::vector<float> hp_old = download(*be, p), hm_old = download(*be, m),
                               hv_old = download(*be, v);
      AdamParams hp;
      hp.lr = static_cast<float>(lrs[t - 1]);
      hp.beta1 = static_cast<float>(b1);
      hp.beta2 = static_cast<float>(b2);
      hp.eps = static_cast<float>(eps);
      hp.weight_decay = static_cast<float>(weight_decay);
      hp.step = t;
      be->adam_step(p.data(), g.data(), m.data(), v.data(), n, hp);
      const std::vector<float> hp_new = download(*be, p), hm_new = download(*be, m),
                               hv_new = download(*be, v);
      const double lr = f(lrs[t - 1]), bc1 = 1 - std::pow(b1, t), bc2 = 1 - std::pow(b2, t);
      for (size_t i = 0; i < n; ++i) {
        const double pi = hp_old[i], gi = static_cast<double>(hg[i]) + wd * pi;
        const double gmag = std::abs(hg[i]) + std::abs(wd * pi);
        // Moments: each is a handful of roundings (λ·p, +∇, two products, the sum; g² for v)
        // of terms no larger than `scale`; v's terms are all ≥ 0 so it has no cancellation.
        const double m_ref = b1 * hm_old[i] + (1 - b1) * gi;
        const double m_scale = std::abs(b1 * hm_old[i]) + (1 - b1) * gmag;
        const double v_ref = b2 * hv_old[i] + (1 - b2) * gi * gi;
        const double v_scale = b2 * hv_old[i] + (1 - b2) * gmag * gmag;
        worst_m.see(std::abs(hm_new[i] - m_ref), 6 * kU * m_scale);
        worst_v.see(std::abs(hv_new[i] - v_ref), 8 * kU * v_scale);
        QVERIFY2(std::abs(hm_new[i] - m_ref) <= 6 * kU * m_scale,
                 qPrintable(QString("t=%1 i=%2 m %3 vs %4").arg(t).arg(i).arg(hm_new[i]).arg(m_ref)));
        QVERIFY2(std::abs(hv_new[i] - v_ref) <= 8 * kU * v_scale,
                 qPrintable(QString("t=%1 i=%2 v %3 vs %4").arg(t).arg(i).arg(hv_new[i]).arg(v_ref)));
        // The parameter update from the backend's own new moments (so that the check is one
        // step, not the moments' rounding again): lr/(1−β₁ᵗ), √(1−β₂ᵗ), √v, a division, + ε,
        // a division and a product are about 8 float roundings of lr·|m̂|/(√v̂ + ε); then one
        // for the subtraction. Plus the bias corrections: the backend forms 1 − βᵗ in float
        // from βᵗ rounded to float, an absolute error up to kU·βᵗ, i.e. kU·βᵗ/(1 − βᵗ)
        // relative (about 500·kU for β₂ = 0.999 at t = 2; PyTorch forms it in double and
        // rounds once). It enters m̂ fully and v̂ through a square root.
        const double u = (hm_new[i] / bc1) / (std::sqrt(hv_new[i] / bc2) + e);
        const double ref = pi - lr * u;
        const double bc_rel = kU * (std::pow(b1, t) / bc1 + 0.5 * std::pow(b2, t) / bc2);
        const double tol = (12 * kU + 2 * bc_rel) * lr * std::abs(u) +
                           2 * kU * (std::abs(pi) + std::abs(ref));
        worst_p.see(std::abs(hp_new[i] - ref), tol);
        QVERIFY2(std::abs(hp_new[i] - ref) <= tol,
                 qPrintable(QString("t=%1 i=%2 p %3 vs %4").arg(t).arg(i).arg(hp_new[i]).arg(ref, 0, 'g', 17)));
      }
    }
    qInfo("adam: worst error / tolerance: p %.3f, m %.3f, v %.3f", worst_p.ratio, worst_m.ratio,
          worst_v.ratio);
  }

  // Where ε sits matters at small gradients: at |∇| ~ 1e−8 the step is about lr·0.5 with
  // ε added after the square root, and about lr·1e−4 with it inside (√(v̂ + ε)).
  void adamEpsilonOutsideTheRoot() {
    auto be = make_backend("cpu", 1);
    DeviceBuffer p(*be, 1), g(*be, 1), m(*be, 1), v(*be, 1);
    const float grad = 1e-8f;
    be->upload(g.data(), &grad, 1);
    AdamParams hp;  // lr 1e−3, ε 1e−8
    hp.step = 1;
    be->adam_step(p.data(), g.data(), m.data(), v.data(), 1, hp);
    float out = 0;
    be->download(&out, p.data(), 1);
    // t = 1: m̂ = g, v̂ = g², so p = −lr·g/(|g| + ε) = −lr/2 for g = ε.
    QVERIFY2(std::abs(out - (-0.5e-3)) <= 1e-9, qPrintable(QString::number(out, 'g', 9)));
  }

  // The Optimizer object makes exactly the backend calls the update rules above describe
  // (scheduled lr as float, step counts from 1, SGD's first step): same bytes as direct calls.
  void optimizerObjectIsTheBackendStep_data() {
    QTest::addColumn<int>("kind");
    QTest::newRow("sgd") << int(OptimizerKind::Sgd);
    QTest::newRow("adam") << int(OptimizerKind::Adam);
  }
  void optimizerObjectIsTheBackendStep() {
    QFETCH(int, kind);
    auto be = make_backend("cpu", 2);
    TrainConfig cfg;
    cfg.optimizer = static_cast<OptimizerKind>(kind);
    cfg.lr = 0.03;
    cfg.weight_decay = 1e-3;
    cfg.epochs = 4;
    cfg.schedule = Schedule::Cosine;
    const size_t n = 257;
    std::mt19937_64 rng(3);
    std::vector<float> p0(n);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    for (auto& x : p0) x = normal(rng);
    DeviceBuffer pa(*be, n), pb(*be, n), g(*be, n), m(*be, n), v(*be, n);
    be->upload(pa.data(), p0.data(), n);
    be->upload(pb.data(), p0.data(), n);
    Optimizer opt(*be, n, cfg);
    for (int t = 1; t <= 5; ++t) {
      const std::vector<float> hg = gradient(t, n, rng);
      be->upload(g.data(), hg.data(), n);
      const double pos = 0.7 * (t - 1);
      QCOMPARE(opt.step(pa.data(), g.data(), pos), learning_rate_at(cfg, pos));
      QCOMPARE(opt.steps(), static_cast<long long>(t));
      const float lr = static_cast<float>(learning_rate_at(cfg, pos));
      if (cfg.optimizer == OptimizerKind::Adam) {
        AdamParams hp;
        hp.lr = lr;
        hp.weight_decay = static_cast<float>(cfg.weight_decay);
        hp.step = t;
        be->adam_step(pb.data(), g.data(), m.data(), v.data(), n, hp);
      } else {
        SgdParams hp;
        hp.lr = lr;
        hp.momentum = static_cast<float>(cfg.momentum);
        hp.weight_decay = static_cast<float>(cfg.weight_decay);
        hp.first_step = t == 1;
        be->sgd_step(pb.data(), g.data(), m.data(), n, hp);
      }
      QVERIFY(download(*be, pa) == download(*be, pb));
    }
    QVERIFY(download(*be, pa) != p0);
  }

  // The schedules as train.h documents them, at fractional epoch positions t ∈ [0, epochs),
  // boundaries included. The formulas below are written independently of the engine's
  // (cos² for the cosine, repeated multiplication for the step): equal up to a few ulps.
  void schedulesFollowTheirFormulas() {
    auto near = [](double a, double b) { return std::abs(a - b) <= 1e-14 * std::max(1.0, std::abs(b)); };
    TrainConfig c;
    c.lr = 0.2;
    c.epochs = 12;
    const double ts[] = {0, 1e-9, 0.5, 2.999999, 3, 3.5, 4, 6, 8.25, 11, 11.999999};
    for (double t : ts) {
      c.schedule = Schedule::Constant;
      QCOMPARE(learning_rate_at(c, t), 0.2);

      c.schedule = Schedule::Step;  // ×γ at every multiple of step_every
      c.step_every = 3;
      c.step_gamma = 0.5;
      double expect = 0.2;
      for (int k = 3; k <= t; k += 3) expect *= 0.5;
      QVERIFY2(near(learning_rate_at(c, t), expect), qPrintable(QString("step at %1").arg(t)));

      c.schedule = Schedule::Cosine;  // ½lr(1 + cos(πt/E)) = lr·cos²(πt/2E)
      const double ct = std::cos(std::numbers::pi * t / (2 * c.epochs));
      QVERIFY2(near(learning_rate_at(c, t), 0.2 * ct * ct), qPrintable(QString("cosine at %1").arg(t)));

      c.schedule = Schedule::Triangular;  // 0 → lr over [0, w], then lr → 0 over [w, E]
      c.warmup_epochs = 4;
      expect = t <= 4 ? 0.2 * (t / 4) : 0.2 * (12 - t) / 8;
      QVERIFY2(near(learning_rate_at(c, t), expect), qPrintable(QString("triangular at %1").arg(t)));
    }
    // Exact values at the boundaries.
    c.schedule = Schedule::Step;
    QCOMPARE(learning_rate_at(c, 3), 0.1);
    QCOMPARE(learning_rate_at(c, 2.999999), 0.2);
    c.schedule = Schedule::Cosine;
    QCOMPARE(learning_rate_at(c, 0), 0.2);
    QCOMPARE(learning_rate_at(c, 6), 0.1);
    c.schedule = Schedule::Triangular;
    QCOMPARE(learning_rate_at(c, 0), 0.0);
    QCOMPARE(learning_rate_at(c, 4), 0.2);
    // No warm-up: decay from lr at t = 0; warm-up over every epoch: a rise only.
    c.warmup_epochs = 0;
    QCOMPARE(learning_rate_at(c, 0), 0.2);
    QVERIFY(near(learning_rate_at(c, 9), 0.2 * 3 / 12));
    c.warmup_epochs = 12;
    QVERIFY(near(learning_rate_at(c, 9), 0.2 * 9 / 12));
  }
};

QTEST_APPLESS_MAIN(TestOptimizers)
#include "test_optimizers.moc"
