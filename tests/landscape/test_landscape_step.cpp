// The "landscape" step kind (experiment/steps/landscape_step.cpp): the example spec parses and
// round-trips, its defaults depend on the slice, a run writes results/<id>.json, the .npy
// grids and surfaces/<id>.vts, load_run reads them back, the catalog gets the pass barrier,
// and a run cancelled inside the grid resumes its finished rows with the same bytes.
#include <QtTest>
#include <cmath>
#include <nlohmann/json.hpp>

#include "ridgeline/core/errors.h"
#include "ridgeline/experiment/run.h"
#include "ridgeline/experiment/run_catalog.h"
#include "ridgeline/experiment/spec.h"
#include "ridgeline/experiment/steps/curve_step.h"
#include "ridgeline/experiment/steps/landscape_step.h"
#include "ridgeline/io/fileio.h"
#include "test_support.h"

using namespace ridgeline;

namespace {

const char* kSpec = R"({
  "name": "tiny-landscape",
  "data": {"name": "gmm:300,200,6,3,2"},
  "model": {"arch": "mlp:6,10,3"},
  "train": {"epochs": 2, "batch": 50, "lr": 0.01},
  "models": [{"name": "seed0", "seed": 0}, {"name": "seed1", "seed": 1}, {"name": "seed2", "seed": 2}],
  "steps": [
    {"type": "landscape", "id": "plane", "plane": ["seed0", "seed1", "seed2"], "grid": [21, 6],
     "x": [-0.5, 1.5], "y": [-0.4, 0.6], "project": ["seed2"]},
    {"type": "landscape", "id": "around", "center": "seed0", "grid": [5, 5], "subset": 50, "split": "train"}
  ]
})";

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

}  // namespace

class TestLandscapeStep : public QObject {
  Q_OBJECT
 private slots:
  void parsesAndRoundTrips() {
    const ExperimentSpec s = parse_spec(kSpec, "spec.json");
    QCOMPARE(s.steps.size(), size_t(2));
    const LandscapeParams& p = s.steps[0].as<LandscapeParams>();
    QVERIFY(p.plane);
    QCOMPARE(s.steps[0].models, (std::vector<std::string>{"seed0", "seed1", "seed2"}));
    QCOMPARE(p.grid.nx, 21);
    QCOMPARE(p.grid.y0, -0.4);
    QCOMPARE(p.connectivity, 4);
    QVERIFY(p.pass);
    const LandscapeParams& r = s.steps[1].as<LandscapeParams>();
    QVERIFY(!r.plane);
    QCOMPARE(r.grid.x0, -1.0);  // the default around a centre: symmetric
    QCOMPARE(r.grid.x1, 1.0);
    QCOMPARE(r.split, std::string("train"));
    QCOMPARE(spec_to_json(parse_spec(spec_to_json(s), "again.json")), spec_to_json(s));
    // The bundled example parses (and names an aligned model as the plane's third).
    const ExperimentSpec ex =
        load_spec(test::source_path("resources/experiments/gmm-landscape.json"));
    QCOMPARE(ex.steps[2].models.back(), std::string("seed1@wm"));
    // Errors name the step and key.
    QVERIFY(error_of(with("\"id\": \"around\", \"center\": \"seed0\"", "\"id\": \"around\""))
                .find("steps[1]: a landscape step needs either 'plane'") != std::string::npos);
    QVERIFY(
        error_of(with("\"grid\": [5, 5]", "\"grid\": [5, 5], \"x\": [-1, 2]")).find("steps[1].x") !=
        std::string::npos);
    QVERIFY(error_of(with("[\"seed2\"]", "[\"ghost\"]"))
                .find("steps[0].project[0]: unknown model 'ghost'") != std::string::npos);
    QVERIFY(error_of(with("\"seed0\", \"seed1\", \"seed2\"]", "\"seed0\", \"seed1\", \"seed1\"]"))
                .find("steps[0].plane: the three models must differ") != std::string::npos);
  }

  void runsLoadsAndCatalogues() {
    test::ScratchDir dir("land-step");
    const ExperimentSpec s = parse_spec(kSpec, "spec.json");
    RunOptions o;
    o.out_dir = dir.file("run");
    o.workspace = dir.file("ws");
    o.threads = 2;
    const RunSummary live = run_experiment(s, o);
    const auto grids = live.results_of<LandscapeResult>();
    QCOMPARE(grids.size(), size_t(2));
    const LandscapeResult& plane = grids[0].second;
    QCOMPARE(plane.grid.nx(), 21);
    QCOMPARE(plane.subset, 200);
    QCOMPARE(grids[1].second.subset, 50);
    QCOMPARE(grids[1].second.split, std::string("train"));
    QVERIFY(plane.pass && plane.linear);
    QVERIFY(plane.pass->loss_mid <= plane.linear->loss_mid);
    QCOMPARE(plane.info.coordinates.size(), size_t(4));
    for (const char* f : {"results/plane.json", "results/plane.loss.npy", "results/plane.error.npy",
                          "results/plane.xs.npy", "results/plane.ys.npy", "surfaces/plane.vts",
                          "surfaces/around.vts"})
      QVERIFY2(std::filesystem::exists(dir.file("run/") + f), f);
    QVERIFY(!std::filesystem::exists(dir.file("run/results/plane.resume")));
    const RunSummary back = load_run(dir.file("run"));
    const auto loaded = back.results_of<LandscapeResult>();
    QCOMPARE(loaded.size(), size_t(2));
    QCOMPARE(loaded[0].first, std::string("plane"));
    QCOMPARE(loaded[0].second.grid.loss, plane.grid.loss);
    QCOMPARE(loaded[0].second.pass->cells, plane.pass->cells);
    // The catalog's row for the step: the pass barrier (mean-endpoint form), named as the
    // lowest pass so that the run browser's "best …" cannot read as a linear path.
    const RunRecord rec = make_run_record(s, back, "2026-01-01T00:00:00Z");
    bool found = false;
    for (const RunBarrier& b : rec.barriers)
      if (b.step == "plane (lowest pass)") {
        found = true;
        QCOMPARE(b.split, std::string("test"));
        QCOMPARE(b.loss_mid, plane.pass->loss_mid);
      }
    QVERIFY(found);
  }

  void cancelledRunResumes() {
    test::ScratchDir dir("land-step-resume");
    const ExperimentSpec s = parse_spec(kSpec, "spec.json");
    RunOptions o;
    o.workspace = dir.file("ws");
    o.threads = 2;
    o.out_dir = dir.file("full");
    run_experiment(s, o);
    // Cancelled after the first batch of the plane's grid (64 / 21 = 3 rows per batch).
    o.out_dir = dir.file("cut");
    CancelToken cancel;
    RunEvents ev;
    ev.on_progress = [&](const RunProgress& p) {
      if (p.step_id == "plane" && p.done >= 3 * 21) cancel.cancel();
    };
    QVERIFY_THROWS_EXCEPTION(Cancelled, run_experiment(s, o, ev, &cancel));
    QVERIFY(std::filesystem::exists(dir.file("cut/results/plane.resume/row-2.bin")));
    QVERIFY(!std::filesystem::exists(dir.file("cut/results/plane.json")));
    const RunSummary again = run_experiment(s, o);
    QCOMPARE(again.results_of<LandscapeResult>()[0].second.rows_resumed, 3);
    for (const char* f : {"results/plane.json", "results/plane.loss.npy", "results/plane.error.npy",
                          "surfaces/plane.vts", "results/around.json", "results/around.loss.npy"})
      QVERIFY2(read_file(dir.file("full/") + f) == read_file(dir.file("cut/") + f), f);
  }

  // A curve step produces its bend as a model: the plane through both ends and the bend.
  void curveStepAndItsPlane() {
    test::ScratchDir dir("land-curve");
    const std::string spec = R"({
      "name": "tiny-curve",
      "data": {"name": "gmm:600,300,6,3,4"},
      "model": {"arch": "mlp:6,16,3"},
      "train": {"epochs": 4, "batch": 50, "lr": 0.01},
      "models": [{"name": "seed0", "seed": 0}, {"name": "seed1", "seed": 1}],
      "steps": [
        {"type": "curve", "id": "bend", "a": "seed0", "b": "seed1", "epochs": 4, "batch": 50, "lr": 0.05,
         "points": 11, "split": "test"},
        {"type": "landscape", "id": "curve-plane", "plane": ["seed0", "seed1", "bend"], "grid": [9, 9]}
      ]
    })";
    const ExperimentSpec s = parse_spec(spec, "spec.json");
    QCOMPARE(spec_to_json(parse_spec(spec_to_json(s), "again.json")), spec_to_json(s));
    QVERIFY(error_of(with("\"id\": \"around\"", "\"id\": \"around\", \"curve\": \"bezier\""))
                .find("curve") != std::string::npos);
    RunOptions o;
    o.out_dir = dir.file("run");
    o.workspace = dir.file("ws");
    o.threads = 2;
    const RunSummary live = run_experiment(s, o);
    const auto curves = live.results_of<CurveResult>();
    QCOMPARE(curves.size(), size_t(1));
    const CurveResult& c = curves[0].second;
    QCOMPARE(c.kind, std::string("bezier"));
    QCOMPARE(c.epoch_loss.size(), size_t(4));
    QVERIFY(c.path.test && !c.path.train);
    QCOMPARE(c.path.alpha.size(), size_t(11));
    // Curves are not interpolations (views and the barrier table of interpolate steps).
    QVERIFY(live.interpolations().empty());
    QVERIFY(std::filesystem::exists(dir.file("run/checkpoints/bend.safetensors")));
    const auto planes = live.results_of<LandscapeResult>();  // a vector of copies: keep it alive
    const LandscapeResult& plane = planes[0].second;
    QCOMPARE(plane.info.models.back(), std::string("bend"));
    QVERIFY(plane.info.coordinates[2].y > 0);
    const RunSummary back = load_run(dir.file("run"));
    const auto loaded = back.results_of<CurveResult>();
    QCOMPARE(loaded.size(), size_t(1));
    QCOMPARE(loaded[0].second.path.test->loss, c.path.test->loss);
    QCOMPARE(loaded[0].second.epoch_loss, c.epoch_loss);
    const RunRecord rec = make_run_record(s, back, "2026-01-01T00:00:00Z");
    bool found = false;
    for (const RunBarrier& b : rec.barriers)
      if (b.step == "bend (curve)") found = b.loss_mid == c.path.test->barriers.loss_mid;
    QVERIFY(found);
  }
};

QTEST_APPLESS_MAIN(TestLandscapeStep)
#include "test_landscape_step.moc"
