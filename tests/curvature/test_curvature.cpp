// The curvature module against closed forms: Lanczos against the quadratic model's known
// eigenvalues, Hutchinson's standard error by its coverage over seeds, the SLQ density of a
// known spectrum, the second-order barrier predictions against the measured barrier of the
// quadratic (exact), block restriction and chunk weighting of the Hessian operator.
#include <QtTest>
#include <algorithm>
#include <cmath>
#include <random>

#include "ridgeline/core/backend.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/curvature/hessian.h"
#include "ridgeline/curvature/path_curvature.h"
#include "ridgeline/curvature/spectral.h"
#include "ridgeline/data/dataset.h"
#include "ridgeline/models/mlp/mlp.h"
#include "ridgeline/models/mlp/mlp_model.h"
#include "ridgeline/models/quadratic/quadratic.h"
#include "ridgeline/paths/interpolation.h"

using namespace ridgeline;

namespace {

SymmetricOp op_of(HessianOperator& H, const ParamSelection& sel) {
  return [&H, sel](const std::vector<double>& v, std::vector<double>& hv) { H.apply(sel, v, hv); };
}

// A diagonal operator with the given spectrum.
SymmetricOp diagonal(const std::vector<double>& d) {
  return [d](const std::vector<double>& v, std::vector<double>& hv) {
    hv.resize(v.size());
    for (size_t i = 0; i < v.size(); ++i) hv[i] = d[i] * v[i];
  };
}

Dataset tiny_data(int n, int dim, int classes, uint64_t seed) {
  return make_gaussian_mixture(n, 1, dim, classes, seed).train;
}

}  // namespace

class TestCurvature : public QObject {
  Q_OBJECT
 private slots:
  void lanczosRecoversQuadraticEigenvalues() {
    auto be = make_backend("cpu", 1);
    for (const char* text : {"quadratic:dim=40,seed=2", "quadratic:dim=40,seed=5,indefinite"}) {
      auto arch = parse_model_arch(text);
      const QuadraticForm f = quadratic_form(*as_quadratic_arch(*arch));
      std::vector<double> ev = f.eigenvalues;
      std::sort(ev.begin(), ev.end());
      HessianOperator H(*be, arch, nullptr);
      H.set_params(arch->init(1));
      const ParamSelection all = select_all(*arch);
      LanczosOptions o;
      o.k = 3;
      o.max_iter = 40;
      o.tol = 1e-6;
      const EigenResult r = lanczos_top(all.size, op_of(H, all), o);
      QVERIFY(r.converged);
      QCOMPARE(r.values.size(), size_t{3});
      for (int i = 0; i < 3; ++i) {
        // A·v is exact up to one float32 rounding of each entry (and of v): 1e-5 relative.
        const double want = ev[ev.size() - 1 - i];
        QVERIFY2(std::abs(r.values[i] - want) <= 1e-5 * std::abs(want),
                 qPrintable(QString("%1: λ%2 = %3, want %4").arg(text).arg(i).arg(r.values[i]).arg(want)));
        // The Ritz vector is an eigenvector of the float64 A: ‖Ay − λy‖ small.
        const auto& y = r.vectors[i];
        double res = 0;
        for (int a = 0; a < f.n; ++a) {
          double s = 0;
          for (int b = 0; b < f.n; ++b) s += f.A[a * f.n + b] * y[b];
          res += (s - want * y[a]) * (s - want * y[a]);
        }
        QVERIFY2(std::sqrt(res) <= 1e-4 * std::abs(want), qPrintable(QString("residual %1").arg(std::sqrt(res))));
      }
      // Ritz values lie inside the spectrum; asked for all n, Lanczos spans the whole space and
      // the smallest Ritz value is λ_min (negative for the indefinite variant).
      QVERIFY(r.smallest >= ev.front() - 1e-5 * std::abs(ev.back()));
      o.k = static_cast<int>(all.size);
      const EigenResult full = lanczos_top(all.size, op_of(H, all), o);
      QCOMPARE(full.iterations, static_cast<int>(all.size));
      QVERIFY2(std::abs(full.smallest - ev.front()) <= 1e-5 * std::abs(ev.back()),
               qPrintable(QString("λ_min %1, want %2").arg(full.smallest).arg(ev.front())));
    }
  }

  void lanczosStopsByItsCriterion() {
    // Fewer steps than the dimension: the stated criterion (residual ≤ tol·|θ_max|) bounds
    // each Ritz value's distance to an eigenvalue; the top three must be within it of the
    // true ones, after far fewer steps than the dimension.
    auto be = make_backend("cpu", 1);
    auto arch = parse_model_arch("quadratic:dim=300,seed=7");
    const QuadraticForm f = quadratic_form(*as_quadratic_arch(*arch));
    std::vector<double> ev = f.eigenvalues;
    std::sort(ev.rbegin(), ev.rend());
    HessianOperator H(*be, arch, nullptr);
    const ParamSelection all = select_all(*arch);
    LanczosOptions o;
    o.k = 3;
    o.tol = 1e-3;
    o.max_iter = 150;
    o.seed = 3;
    const EigenResult r = lanczos_top(all.size, op_of(H, all), o);
    QVERIFY(r.converged);
    QVERIFY2(r.iterations < 150, qPrintable(QString::number(r.iterations)));
    for (int i = 0; i < 3; ++i) {
      QVERIFY(r.residuals[i] <= 1e-3 * r.values[0]);
      QVERIFY2(std::abs(r.values[i] - ev[i]) <= r.residuals[i] + 1e-5 * ev[0],
               qPrintable(QString("λ%1 = %2, want %3 ± %4").arg(i).arg(r.values[i]).arg(ev[i]).arg(r.residuals[i])));
    }
    // Deterministic given the seed.
    const EigenResult again = lanczos_top(all.size, op_of(H, all), o);
    QCOMPARE(again.values, r.values);
    QCOMPARE(again.iterations, r.iterations);
  }

  void hutchinsonCoverage() {
    // Over 300 seeds of 30 Rademacher samples each, the true trace must lie within one
    // standard error about 68% of the time and within two about 95% (t with 29 degrees of
    // freedom: 67.3% and 94.5%). The bands are ±4 binomial standard deviations (n = 300):
    // a standard error off by a factor √2 either way falls outside them.
    auto be = make_backend("cpu", 1);
    auto arch = parse_model_arch("quadratic:dim=50,seed=4,indefinite");
    const QuadraticForm f = quadratic_form(*as_quadratic_arch(*arch));
    double tr = 0;
    for (double e : f.eigenvalues) tr += e;
    HessianOperator H(*be, arch, nullptr);
    const ParamSelection all = select_all(*arch);
    const int runs = 300;
    int within1 = 0, within2 = 0;
    for (int s = 0; s < runs; ++s) {
      const TraceEstimate t = hutchinson_trace(all.size, op_of(H, all), 30, 1000 + s);
      QVERIFY(t.se > 0);
      within1 += std::abs(t.mean - tr) <= t.se;
      within2 += std::abs(t.mean - tr) <= 2 * t.se;
    }
    const double c1 = static_cast<double>(within1) / runs, c2 = static_cast<double>(within2) / runs;
    QVERIFY2(c1 >= 0.56 && c1 <= 0.79, qPrintable(QString("1-se coverage %1").arg(c1)));
    QVERIFY2(c2 >= 0.90 && c2 <= 0.99, qPrintable(QString("2-se coverage %1").arg(c2)));
    // One sample has no standard error.
    QVERIFY(std::isnan(hutchinson_trace(all.size, op_of(H, all), 1, 1).se));
  }

  void slqPutsMassWhereItBelongs() {
    // Clusters: 10% near −2, 60% near 1, 25% near 5, 5% at 20 (n = 400).
    std::vector<double> d;
    std::mt19937_64 rng(5);
    std::uniform_real_distribution<double> u(-0.05, 0.05);
    for (int i = 0; i < 40; ++i) d.push_back(-2 + u(rng));
    for (int i = 0; i < 240; ++i) d.push_back(1 + u(rng));
    for (int i = 0; i < 100; ++i) d.push_back(5 + u(rng));
    for (int i = 0; i < 20; ++i) d.push_back(20 + u(rng));
    std::shuffle(d.begin(), d.end(), rng);
    const SpectralDensity sd = slq_density(d.size(), diagonal(d), 20, 30, 9);
    QCOMPARE(sd.nodes.size(), size_t{20});
    const double lo[] = {-2.5, 0.5, 4.5, 19.5}, hi[] = {-1.5, 1.5, 5.5, 20.5};
    const double want[] = {0.10, 0.60, 0.25, 0.05};
    double outside = 0;
    for (int c = 0; c < 4; ++c) {
      double mass = 0;
      for (size_t r = 0; r < sd.nodes.size(); ++r)
        for (size_t i = 0; i < sd.nodes[r].size(); ++i)
          if (sd.nodes[r][i] >= lo[c] && sd.nodes[r][i] <= hi[c]) mass += sd.weights[r][i];
      mass /= sd.nodes.size();
      // Each run's weight on a cluster is Σ_{i∈cluster} (v_i/‖v‖)² with Rademacher v: exactly
      // the cluster's share; only Lanczos nodes strayed between clusters move mass.
      QVERIFY2(std::abs(mass - want[c]) <= 0.02,
               qPrintable(QString("cluster %1: mass %2, want %3").arg(c).arg(mass).arg(want[c])));
      outside += mass;
    }
    QVERIFY2(outside >= 0.98, qPrintable(QString("mass inside clusters %1").arg(outside)));
    // The smoothed density integrates to 1 and peaks in the big cluster, not between.
    std::vector<double> grid;
    for (double t = -4; t <= 22; t += 0.01) grid.push_back(t);
    const auto rho = sd.smoothed(grid, 0.1);
    double integral = 0;
    for (size_t g = 1; g < grid.size(); ++g) integral += 0.5 * (rho[g] + rho[g - 1]) * 0.01;
    QVERIFY2(std::abs(integral - 1.0) <= 1e-3, qPrintable(QString::number(integral)));
    const size_t peak = std::max_element(rho.begin(), rho.end()) - rho.begin();
    QVERIFY(std::abs(grid[peak] - 1.0) <= 0.2);
    double tr = 0;
    for (double e : d) tr += e;
    QVERIFY2(std::abs(sd.trace() - tr) <= 0.05 * tr, qPrintable(QString::number(sd.trace())));
  }

  void quadraticBarrierPredictionIsExact() {
    auto be = make_backend("cpu", 1);
    for (const char* text : {"quadratic:dim=16,seed=3", "quadratic:dim=16,seed=8,indefinite"}) {
      auto arch = parse_model_arch(text);
      const Model a{arch, arch->init(1)}, b{arch, arch->init(2)};
      HessianOperator H(*be, arch, nullptr);
      PathCurvatureOptions o;
      o.alphas = alpha_grid(11);
      o.lanczos_iter = 16;
      o.trace_samples = 4;
      const PathCurvature pc = path_curvature(H, a.params, b.params, select_all(*arch), o);
      QCOMPARE(pc.points.size(), size_t{11});
      // ΔᵀAΔ in float64.
      const QuadraticForm f = quadratic_form(*as_quadratic_arch(*arch));
      std::vector<double> delta(f.n);
      for (int i = 0; i < f.n; ++i) delta[i] = double(b.params[i]) - double(a.params[i]);
      double dad = 0;
      for (int i = 0; i < f.n; ++i)
        for (int j = 0; j < f.n; ++j) dad += delta[i] * f.A[i * f.n + j] * delta[j];
      // The measured curve through the evaluator (independent code) on the same grid.
      InterpolationConfig cfg;
      cfg.points = 11;
      cfg.test = false;
      const InterpolationResult ir = interpolate(*be, a, b, DataSplits{}, cfg);
      // Exact up to float32 rounding: the path's points are float32 (relative 6e-8 of θ) and
      // ΔᵀHΔ comes from a float32 HVP: 1e-5 of ΔᵀAΔ bounds both with a wide margin, while
      // any error in the forms (a wrong factor, a sign) is O(ΔᵀAΔ).
      const double tol = 1e-5 * std::abs(dad);
      for (size_t k = 0; k < pc.points.size(); ++k) {
        const PathCurvaturePoint& p = pc.points[k];
        QVERIFY(std::abs(p.dHd - dad) <= tol);
        const double measured =
            ir.train->loss[k] - ((1 - p.alpha) * ir.train->loss.front() + p.alpha * ir.train->loss.back());
        QVERIFY2(std::abs(p.barrier - measured) <= tol,
                 qPrintable(QString("α %1: %2 vs evaluator %3").arg(p.alpha).arg(p.barrier).arg(measured)));
        QVERIFY2(std::abs(p.predicted - measured) <= tol,
                 qPrintable(QString("α %1: predicted %2, measured %3").arg(p.alpha).arg(p.predicted).arg(measured)));
        // λ_max and the trace of a quadratic do not depend on α.
        QVERIFY(std::abs(p.lambda_max - *std::max_element(f.eigenvalues.begin(), f.eigenvalues.end())) <= 1e-4 * 10);
      }
      QVERIFY(std::abs(pc.endpoint_prediction - pc.points[5].barrier) <= tol);
      QVERIFY(std::abs(pc.endpoint_prediction + dad / 8) <= tol);
    }
  }

  void blockRestrictionAndChunks() {
    auto be = make_backend("cpu", 1);
    const MlpArch ma = parse_arch("mlp:6,9,7,4");
    auto arch = mlp_model_arch(ma);
    const Dataset data = tiny_data(23, 6, 4, 3);
    HessianOperator whole(*be, arch, &data, 100), chunked(*be, arch, &data, 5);
    const std::vector<float> theta = arch->init(2);
    whole.set_params(theta);
    chunked.set_params(theta);
    const ParamSelection all = select_all(*arch);
    std::mt19937_64 rng(1);
    std::normal_distribution<double> g;
    std::vector<double> v(all.size), h1, h2;
    for (double& e : v) e = g(rng);
    whole.apply(all, v, h1);
    chunked.apply(all, v, h2);
    // Chunks of 5, 5, 5, 5, 3 rows weighted by their rows give the mean over all 23: equal
    // up to float32 summation order (1e-5 relative); equal weights would be off by O(10%).
    double num = 0, den = 0;
    for (size_t i = 0; i < h1.size(); ++i) {
      num += (h1[i] - h2[i]) * (h1[i] - h2[i]);
      den += h1[i] * h1[i];
    }
    QVERIFY2(std::sqrt(num / den) < 1e-5, qPrintable(QString::number(std::sqrt(num / den))));
    QVERIFY(std::abs(whole.loss() - chunked.loss()) < 1e-6);
    // The gradient at the same θ twice (backward() consumes what loss() prepared).
    const std::vector<double> g1 = whole.gradient(all), g2 = whole.gradient(all);
    QCOMPARE(g1, g2);
    // A layer's block: v zero outside it, the output restricted to it.
    const auto layers = layer_selections(*arch);
    QCOMPARE(layers.size(), size_t{3});
    const ParamSelection sel = select_blocks(*arch, layers[1].name);
    QCOMPARE(sel.size, size_t{9 * 7 + 7});
    std::vector<double> vs(sel.size), hs, padded(all.size, 0.0), hp;
    for (double& e : vs) e = g(rng);
    size_t k = 0;
    for (const auto& [off, n] : sel.ranges)
      for (size_t i = 0; i < n; ++i) padded[off + i] = vs[k++];
    whole.apply(sel, vs, hs);
    whole.apply(all, padded, hp);
    k = 0;
    for (const auto& [off, n] : sel.ranges)
      for (size_t i = 0; i < n; ++i) QCOMPARE(hs[k++], hp[off + i]);
    QCOMPARE(select_blocks(*arch, arch->blocks()[0].name).size, size_t{9 * 6});
    QVERIFY_THROWS_EXCEPTION(InputError, select_blocks(*arch, "nope"));
    QCOMPARE(whole.hvps(), 3LL);  // one per apply()
  }

  void unsupportedKindsAndCancel() {
    auto be = make_backend("cpu", 1);
    const Dataset data = tiny_data(8, 5, 3, 1);
    auto gelu = mlp_model_arch(parse_arch("mlp:5,7,3+ln+gelu"));
    HessianOperator ok(*be, gelu, &data);  // GELU and LayerNorm MLPs have HVPs (test_hvp)
    // Transformers have HVPs with every attention variant (test_transformer_hvp).
    Dataset tokens;
    tokens.name = "tokens";
    tokens.n = 2;
    tokens.dim = 4;
    tokens.classes = 8;
    tokens.label_width = 4;
    tokens.x = {1, 2, 3, 4, 5, 6, 7, 0};
    tokens.y = {2, 3, -100, 5, 6, 7, 0, 1};
    auto softmax = parse_model_arch("transformer:tokens=8,seq=4,d=8,heads=2,layers=1,ff=16,attn=softmax,causal");
    HessianOperator with(*be, softmax, &tokens);
    auto performer = parse_model_arch("transformer:tokens=8,seq=4,d=8,heads=2,layers=1,ff=16,attn=performer,causal");
    HessianOperator with_performer(*be, performer, &tokens);
    auto arch = parse_model_arch("quadratic:dim=20,seed=1");
    HessianOperator H(*be, arch, nullptr);
    CancelToken cancel;
    cancel.cancel();
    const ParamSelection all = select_all(*arch);
    QVERIFY_THROWS_EXCEPTION(Cancelled, lanczos_top(all.size, op_of(H, all), {}, &cancel));
    const StabilityCheck s = stability_check(0.1, 15.0, 25.0);
    QCOMPARE(s.threshold, 20.0);
    QVERIFY(s.gd_stable);
    QVERIFY(!s.sgd_stable);
    QVERIFY_THROWS_EXCEPTION(InputError, stability_check(0.0, 1, 1));
  }
};

QTEST_APPLESS_MAIN(TestCurvature)
#include "test_curvature.moc"
