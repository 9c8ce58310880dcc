// The "hessian" step kind (experiment/steps/hessian_step.cpp): the spec parses and
// round-trips with its defaults, errors name the step and key; a run on the quadratic model
// writes results/<id>.json and the .npy files, its eigenvalues are A's, its barrier
// predictions equal the measured barrier, and load_run reads the result back; an MLP run
// with per_layer gives one selection per layer.
#include <QtTest>
#include <algorithm>
#include <cmath>

#include "ridgeline/core/errors.h"
#include "ridgeline/curvature/hessian_report.h"
#include "ridgeline/experiment/run.h"
#include "ridgeline/experiment/spec.h"
#include "ridgeline/experiment/steps/hessian_step.h"
#include "ridgeline/io/npy.h"
#include "ridgeline/models/quadratic/quadratic.h"
#include "test_support.h"

using namespace ridgeline;

namespace {

const char* kSpec = R"({"name": "q", "model": {"kind": "quadratic", "arch": "quadratic:dim=12,seed=2"},
  "train": {"optimizer": "sgd", "lr": 0.05, "momentum": 0, "epochs": 2},
  "models": [{"name": "s0", "seed": 0}, {"name": "s1", "seed": 1}],
  "steps": [{"type": "hessian", "model": "s0", "path_to": "s1", "top_k": 3, "max_iter": 12,
             "trace_samples": 30, "lr": 0.04, "path_points": 5}]})";

std::string error_of(const std::string& text) {
  try {
    parse_spec(text, "spec.json");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

std::string with(const std::string& from, const std::string& to) {
  std::string s = kSpec;
  s.replace(s.find(from), from.size(), to);
  return s;
}

RunOptions options(const test::ScratchDir& dir) {
  RunOptions o;
  o.out_dir = dir.file("run");
  o.workspace = dir.file("ws");
  o.device = "cpu";
  o.threads = 1;
  return o;
}

}  // namespace

class TestHessianStep : public QObject {
  Q_OBJECT
 private slots:
  void parsesAndRoundTrips() {
    const ExperimentSpec s = parse_spec(kSpec, "spec.json");
    const HessianParams& p = s.steps[0].as<HessianParams>();
    QCOMPARE(s.steps[0].id, std::string("hessian-s0-s1"));
    QCOMPARE(p.top_k, 3);
    QCOMPARE(p.samples, 1000);
    QCOMPARE(p.split, std::string("train"));
    QCOMPARE(p.lr, 0.04);
    QCOMPARE(spec_to_json(parse_spec(spec_to_json(s), "again.json")), spec_to_json(s));
    QVERIFY(error_of(with("\"path_to\": \"s1\"", "\"path_to\": \"ghost\""))
                .find("steps[0].path_to: unknown model 'ghost'") != std::string::npos);
    QVERIFY(error_of(with("\"path_to\": \"s1\"", "\"path_to\": \"s0\"")).find("steps[0].path_to") !=
            std::string::npos);
    QVERIFY(error_of(with("\"top_k\": 3", "\"top_k\": 30")).find("steps[0].top_k") != std::string::npos);
    QVERIFY(error_of(with("\"lr\": 0.04", "\"lr\": 0")).find("steps[0].lr") != std::string::npos);
    QVERIFY(error_of(with("\"top_k\": 3", "\"top_k\": 3, \"tol\": 1")).find("steps[0].tol") != std::string::npos);
    QVERIFY(error_of(with("\"top_k\": 3", "\"top_k\": 3, \"block\": \"theta\", \"per_layer\": true"))
                .find("steps[0].block") != std::string::npos);
    QVERIFY(error_of(with("\"model\": \"s0\", ", "")).find("model") != std::string::npos);
  }

  void runsOnTheQuadraticAndLoads() {
    test::ScratchDir dir("hessian-step");
    const ExperimentSpec s = parse_spec(kSpec, "spec.json");
    const RunSummary live = run_experiment(s, options(dir));
    QCOMPARE(live.status, std::string("finished"));
    const auto res = live.results_of<HessianReport>();
    QCOMPARE(res.size(), size_t(1));
    const HessianReport& r = res[0].second;
    QCOMPARE(r.model, std::string("s0"));
    QCOMPARE(r.selections.size(), size_t(1));
    const QuadraticForm f = quadratic_form(*as_quadratic_arch(*s.model()));
    std::vector<double> ev = f.eigenvalues;
    std::sort(ev.rbegin(), ev.rend());
    for (int i = 0; i < 3; ++i) QVERIFY(std::abs(r.selections[0].eigen.values[i] - ev[i]) <= 1e-5 * ev[0]);
    QVERIFY(r.selections[0].stability && r.selections[0].stability->threshold == 2 / 0.04);
    QCOMPARE(r.paths.size(), size_t(1));
    const PathCurvature& pc = r.paths[0];
    QCOMPARE(pc.points.size(), size_t(5));
    double scale = 0;
    for (const auto& q : pc.points) scale = std::max(scale, std::abs(q.dHd));
    for (const auto& q : pc.points) QVERIFY(std::abs(q.barrier - q.predicted) <= 1e-5 * scale);
    QVERIFY(std::abs(pc.endpoint_prediction - pc.points[2].barrier) <= 1e-5 * scale);
    // The files: the eigenvectors [k, n] and the smoothed density [2, grid].
    const auto vec = read_npy(dir.file("run/results/hessian-s0-s1.0.eigenvectors.npy"));
    QCOMPARE(vec.shape, (std::vector<int64_t>{3, 12}));
    const auto dens = read_npy(dir.file("run/results/hessian-s0-s1.0.density.npy"));
    QCOMPARE(dens.shape, (std::vector<int64_t>{2, 400}));
    // load_run reads the same numbers back.
    const RunSummary back = load_run(dir.file("run"));
    const auto loaded = back.results_of<HessianReport>();
    QCOMPARE(loaded.size(), size_t(1));
    const HessianReport& l = loaded[0].second;
    QCOMPARE(l.selections[0].eigen.values, r.selections[0].eigen.values);
    QCOMPARE(l.selections[0].trace->samples, r.selections[0].trace->samples);
    QCOMPARE(l.selections[0].density->weights, r.selections[0].density->weights);
    QCOMPARE(l.paths[0].points.size(), pc.points.size());
    QCOMPARE(l.paths[0].points[3].dHd, pc.points[3].dHd);
    QCOMPARE(l.paths[0].endpoint_prediction, pc.endpoint_prediction);
    QCOMPARE(l.path_to, std::string("s1"));
  }

  void perLayerOnAnMlp() {
    test::ScratchDir dir("hessian-step-mlp");
    const ExperimentSpec s = parse_spec(R"({"name": "m", "data": {"name": "gmm:300,100,5,3,2"},
      "model": {"arch": "mlp:5,8,3"}, "train": {"epochs": 1, "batch": 50},
      "models": [{"name": "s0", "seed": 0}],
      "steps": [{"type": "hessian", "model": "s0", "per_layer": true, "samples": 100, "top_k": 2,
                 "trace_samples": 5, "density_steps": 10}]})",
                                        "m.json");
    const RunSummary live = run_experiment(s, options(dir));
    QCOMPARE(live.status, std::string("finished"));
    const HessianReport r = live.results_of<HessianReport>()[0].second;  // a copy: results_of returns a temporary
    QCOMPARE(r.rows, 100);
    QCOMPARE(r.selections.size(), size_t(3));
    QCOMPARE(r.selections[1].name, std::string("fc0"));
    QCOMPARE(r.selections[1].size + r.selections[2].size, r.selections[0].size);
  }
};

QTEST_APPLESS_MAIN(TestHessianStep)
#include "test_hessian_step.moc"
