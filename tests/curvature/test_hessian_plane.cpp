// Landscape slices along Hessian eigenvectors (curvature/hessian_plane.h) against the
// quadratic model's closed forms: the axes are A's top two (or top and bottom) eigenvectors
// as unit vectors, the grid equals L(θ + x·v₁ + y·v₂) computed in float64, around θ* the
// surface is ½(λ₁x² + λ₂y²) + c (a saddle for the indefinite model); the slice's record
// survives the files; the step and the CLI refuse a model without Hessian-vector products
// before anything runs.
#include <QtTest>
#include <algorithm>
#include <cmath>

#include "ridgeline/core/backend.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/curvature/hessian_plane.h"
#include "ridgeline/curvature/hessian_report.h"
#include "ridgeline/experiment/run.h"
#include "ridgeline/experiment/spec.h"
#include "ridgeline/landscape/landscape.h"
#include "ridgeline/models/quadratic/quadratic.h"
#include "test_support.h"

using namespace ridgeline;

namespace {

struct Quadratic {
  std::shared_ptr<const ModelArch> arch;
  QuadraticForm f;
  std::vector<double> ev;  // ascending
};

Quadratic quadratic(const char* text) {
  Quadratic q;
  q.arch = parse_model_arch(text);
  q.f = quadratic_form(*as_quadratic_arch(*q.arch));
  q.ev = q.f.eigenvalues;
  std::sort(q.ev.begin(), q.ev.end());
  return q;
}

Model model_at(const Quadratic& q, const std::vector<float>& theta) {
  Model m;
  m.arch = q.arch;
  m.params = theta;
  return m;
}

double dot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += double(a[i]) * b[i];
  return s;
}

LandscapeBasis basis_of(const Quadratic& q, const Model& m, const std::string& pair) {
  auto be = make_backend("cpu", 1);
  HessianOperator H(*be, q.arch, nullptr);
  HessianPlaneOptions o;
  o.pair = pair;
  o.max_iter = 40;
  o.tol = 1e-7;
  return hessian_basis("m", H, m, o, "");
}

std::string error_of(const std::string& text) {
  try {
    parse_spec(text, "spec.json");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

class TestHessianPlane : public QObject {
  Q_OBJECT
 private slots:
  void axesAreTheTopEigenvectors() {
    const Quadratic q = quadratic("quadratic:dim=30,seed=2");
    const Model m = model_at(q, q.arch->init(1));
    const LandscapeBasis b = basis_of(q, m, "top2");
    QCOMPARE(b.info.kind, std::string("hessian"));
    QVERIFY(b.info.eigen_converged);
    for (int k = 0; k < 2; ++k) {
      const double want = q.ev[q.ev.size() - 1 - k];
      QVERIFY2(std::abs(b.info.eigenvalues[k] - want) <= 1e-5 * std::abs(want),
               qPrintable(QString("λ%1 = %2, want %3").arg(k + 1).arg(b.info.eigenvalues[k]).arg(want)));
      const std::vector<float>& v = b.vectors[k + 1];
      QVERIFY(std::abs(dot(v, v) - 1) < 1e-5);
      // A·v = λv in float64, and the sign rule: the largest-magnitude entry is positive.
      double res = 0;
      for (int i = 0; i < q.f.n; ++i) {
        double s = 0;
        for (int j = 0; j < q.f.n; ++j) s += q.f.A[i * q.f.n + j] * v[j];
        res += (s - want * v[i]) * (s - want * v[i]);
      }
      QVERIFY2(std::sqrt(res) <= 1e-4 * std::abs(want), qPrintable(QString("residual %1").arg(std::sqrt(res))));
      const auto big = std::max_element(v.begin(), v.end(), [](float x, float y) { return std::abs(x) < std::abs(y); });
      QVERIFY(*big > 0);
    }
    QVERIFY(std::abs(dot(b.vectors[1], b.vectors[2])) < 1e-4);
  }

  void gridIsTheLossAlongTheEigenvectors() {
    const Quadratic q = quadratic("quadratic:dim=30,seed=2");
    const Model m = model_at(q, q.arch->init(1));
    const LandscapeBasis b = basis_of(q, m, "top2");
    auto be = make_backend("cpu", 1);
    LandscapeConfig cfg;
    cfg.grid = {7, 5, -0.6, 0.6, -0.4, 0.4};
    const LandscapeResult r = compute_landscape(*be, *q.arch, b, nullptr, cfg);
    const double scale = std::max(1.0, std::abs(q.f.loss({m.params.begin(), m.params.end()})));
    for (int j = 0; j < r.grid.ny(); ++j)
      for (int i = 0; i < r.grid.nx(); ++i) {
        const double x = r.grid.xs[i], y = r.grid.ys[j];
        std::vector<double> th(m.params.size());
        for (size_t k = 0; k < th.size(); ++k) th[k] = m.params[k] + x * b.vectors[1][k] + y * b.vectors[2][k];
        const double want = q.f.loss(th), got = r.grid.loss[j * r.grid.nx() + i];
        QVERIFY2(std::abs(got - want) <= 1e-5 * scale,
                 qPrintable(QString("(%1, %2): %3 vs %4").arg(x).arg(y).arg(got).arg(want)));
      }
  }

  void topBottomShowsTheSaddle() {
    const Quadratic q = quadratic("quadratic:dim=24,seed=5,indefinite");
    QVERIFY(q.ev.front() < 0);
    const std::vector<float> star(q.f.theta_star.begin(), q.f.theta_star.end());
    const Model m = model_at(q, star);
    const LandscapeBasis b = basis_of(q, m, "top_bottom");
    QVERIFY(std::abs(b.info.eigenvalues[0] - q.ev.back()) <= 1e-5 * std::abs(q.ev.back()));
    QVERIFY2(std::abs(b.info.eigenvalues[1] - q.ev.front()) <= 1e-4 * std::abs(q.ev.back()),
             qPrintable(QString("λ_min %1, want %2").arg(b.info.eigenvalues[1]).arg(q.ev.front())));
    auto be = make_backend("cpu", 1);
    LandscapeConfig cfg;
    cfg.grid = {5, 5, -1, 1, -1, 1};
    const LandscapeResult r = compute_landscape(*be, *q.arch, b, nullptr, cfg);
    // Around θ*: L = c + ½(λ_max x² + λ_min y²): up along x, down along y.
    const int c = 2, nx = 5;
    const double L0 = r.grid.loss[c * nx + c];
    for (int k : {0, 1, 3, 4}) {
      const double x = r.grid.xs[k];
      const double want_x = L0 + 0.5 * q.ev.back() * x * x, want_y = L0 + 0.5 * q.ev.front() * x * x;
      QVERIFY(std::abs(r.grid.loss[c * nx + k] - want_x) <= 1e-4 * std::abs(q.ev.back()));
      QVERIFY(std::abs(r.grid.loss[k * nx + c] - want_y) <= 1e-4 * std::abs(q.ev.back()));
      QVERIFY(r.grid.loss[c * nx + k] > L0 && r.grid.loss[k * nx + c] < L0);
    }
  }

  void recordSurvivesTheFiles() {
    const Quadratic q = quadratic("quadratic:dim=16,seed=3");
    const Model m = model_at(q, q.arch->init(2));
    const LandscapeBasis b = basis_of(q, m, "top_bottom");
    auto be = make_backend("cpu", 1);
    LandscapeConfig cfg;
    cfg.grid = {3, 3, -1, 1, -1, 1};
    const LandscapeResult r = compute_landscape(*be, *q.arch, b, nullptr, cfg);
    test::ScratchDir dir("hessian-plane");
    write_landscape(r, dir.path().string(), "h", "");
    const LandscapeResult back = load_landscape(dir.file("h.json"));
    QCOMPARE(back.info.kind, std::string("hessian"));
    QCOMPARE(back.info.hessian_pair, std::string("top_bottom"));
    QCOMPARE(back.info.eigenvalues, r.info.eigenvalues);
    QCOMPARE(back.info.eigen_residuals, r.info.eigen_residuals);
    QCOMPARE(back.info.eigen_converged, r.info.eigen_converged);
    QCOMPARE(landscape_to_json(back, "h"), landscape_to_json(r, "h"));
  }

  void unknownPairAndModelsWithoutHvpsAreRefused() {
    const Quadratic q = quadratic("quadratic:dim=8,seed=1");
    const Model m = model_at(q, q.arch->init(1));
    bool threw = false;
    try {
      basis_of(q, m, "top3");
    } catch (const InputError& e) {
      threw = std::string(e.what()).find("top3") != std::string::npos;
    }
    QVERIFY(threw);
    // Transformers have HVPs with every attention variant (every MLP has: test_hvp;
    // transformers: test_transformer_hvp): both steps pass the check.
    const std::string base = R"({"name": "g",
      "data": {"name": "task:mqar,vocab=16,length=8,pairs=2,train=40,test=20,seed=1"},
      "model": {"kind": "transformer",
                "arch": "transformer:tokens=16,seq=8,d=8,heads=2,layers=1,ff=16,attn=ATTN,causal"},
      "train": {"epochs": 1},
      "models": [{"name": "s0", "seed": 0}, {"name": "s1", "seed": 1}], "steps": [STEP]})";
    auto spec = [&](const std::string& step, const std::string& attn = "performer") {
      std::string s = base;
      s.replace(s.find("STEP"), 4, step);
      s.replace(s.find("ATTN"), 4, attn);
      return s;
    };
    for (const char* attn : {"performer", "softmax"}) {
      QCOMPARE(error_of(spec(R"({"type": "hessian", "model": "s0"})", attn)), std::string());
      QCOMPARE(error_of(spec(R"({"type": "landscape", "center": "s0", "directions": "hessian_top2"})", attn)),
               std::string());
    }
    // Random directions need no HVPs; a plane has no Hessian directions.
    QCOMPARE(error_of(spec(R"({"type": "landscape", "center": "s0"})")), std::string());
    const std::string e3 = error_of(spec(
        R"({"type": "landscape", "plane": ["s0", "s1", "s0"], "directions": "hessian_top2"})"));
    QVERIFY2(e3.find("directions") != std::string::npos, e3.c_str());
  }

  void stepRunsAroundATrainedMlp() {
    const char* text = R"({"name": "hp", "data": {"name": "gmm:300,200,6,3,2"},
      "model": {"arch": "mlp:6,10,3"}, "train": {"epochs": 2, "batch": 50, "lr": 0.05},
      "models": [{"name": "s0", "seed": 0}],
      "steps": [{"type": "landscape", "id": "hess", "center": "s0", "directions": "hessian_top2",
                 "hessian_samples": 200, "hessian_max_iter": 60, "grid": [5, 5],
                 "x": [-0.5, 0.5], "y": [-0.5, 0.5], "subset": 100}]})";
    const ExperimentSpec s = parse_spec(text, "spec.json");
    QCOMPARE(spec_to_json(parse_spec(spec_to_json(s), "again.json")), spec_to_json(s));
    test::ScratchDir dir("hessian-plane");
    RunOptions o;
    o.out_dir = dir.file("run");
    o.workspace = dir.file("ws");
    o.device = "cpu";
    o.threads = 1;
    const RunSummary live = run_experiment(s, o);
    const LandscapeResult r = live.results_of<LandscapeResult>()[0].second;  // a copy
    QCOMPARE(r.info.kind, std::string("hessian"));
    QCOMPARE(r.info.hessian_batch, std::string("train, 200 samples"));
    QVERIFY(r.info.eigenvalues[0] >= r.info.eigenvalues[1]);
    QVERIFY(r.info.eigenvalues[0] > 0);
    // The centre is the model: the grid's middle is its loss, the lowest point near it (top
    // directions curve upwards around a trained model).
    const double mid = r.grid.loss[2 * 5 + 2];
    QVERIFY(std::isfinite(mid));
    QVERIFY(r.grid.loss[2 * 5 + 0] > mid && r.grid.loss[2 * 5 + 4] > mid);
    const LandscapeResult back = load_landscape(dir.file("run/results/hess.json"));
    QCOMPARE(back.info.eigenvalues, r.info.eigenvalues);
  }

  void stepsRunAroundATrainedTransformer() {
    // A softmax MQAR decoder through a run: the hessian step (per layer, with the path to a
    // second seed) and a landscape along its top two Hessian eigenvectors.
    const char* text = R"({"name": "ht", "data": {"name": "task:mqar,vocab=16,length=8,pairs=2,train=60,test=20,seed=1"},
      "model": {"kind": "transformer",
                "arch": "transformer:tokens=16,seq=8,d=8,heads=2,layers=1,ff=16,attn=softmax,causal"},
      "train": {"epochs": 2, "batch": 20, "lr": 0.01},
      "models": [{"name": "s0", "seed": 0}, {"name": "s1", "seed": 1}],
      "steps": [{"type": "hessian", "id": "h", "model": "s0", "path_to": "s1", "per_layer": true,
                 "samples": 60, "top_k": 2, "path_points": 3},
                {"type": "landscape", "id": "hess", "center": "s0", "directions": "hessian_top2",
                 "hessian_samples": 60, "hessian_max_iter": 40, "grid": [3, 3],
                 "x": [-0.5, 0.5], "y": [-0.5, 0.5], "subset": 20}]})";
    const ExperimentSpec s = parse_spec(text, "spec.json");
    test::ScratchDir dir("hessian-transformer");
    RunOptions o;
    o.out_dir = dir.file("run");
    o.workspace = dir.file("ws");
    o.device = "cpu";
    o.threads = 1;
    const RunSummary live = run_experiment(s, o);
    QCOMPARE(live.status, std::string("finished"));
    const auto reports = live.results_of<HessianReport>();
    QCOMPARE(reports.size(), size_t(1));
    const HessianReport& h = reports[0].second;
    QVERIFY(h.selections.size() > 2);  // the whole model, then its layers
    size_t layers = 0;
    for (size_t i = 1; i < h.selections.size(); ++i) layers += h.selections[i].size;
    QCOMPARE(layers, h.selections[0].size);
    for (const auto& sel : h.selections) {
      QCOMPARE(sel.eigen.values.size(), size_t(2));
      QVERIFY(std::isfinite(sel.eigen.values[0]) && sel.eigen.values[0] >= sel.eigen.values[1]);
    }
    QVERIFY(h.selections[0].eigen.values[0] > 0);
    QCOMPARE(h.paths.size(), h.selections.size());
    QCOMPARE(h.paths[0].points.size(), size_t(3));
    const LandscapeResult r = live.results_of<LandscapeResult>()[0].second;
    QCOMPARE(r.info.kind, std::string("hessian"));
    // Two Lanczos runs on the same batch (each stops at residual ≤ 1e-3·|θ_max|, which bounds
    // an eigenvalue's error): the same λ_max within 1%.
    QVERIFY2(std::abs(r.info.eigenvalues[0] - h.selections[0].eigen.values[0]) <=
                 1e-2 * h.selections[0].eigen.values[0],
             qPrintable(QString("%1 vs %2").arg(r.info.eigenvalues[0]).arg(h.selections[0].eigen.values[0])));
    QVERIFY(std::isfinite(r.grid.loss[1 * 3 + 1]));
  }
};

QTEST_APPLESS_MAIN(TestHessianPlane)
#include "test_hessian_plane.moc"
