// The "spectra" step kind (experiment/steps/spectra_step.cpp): the example spec parses and
// round-trips, errors name the step and key, a run writes results/<id>.json and the .npy
// singular values, seed1 and seed1@wm have the same spectra, weight matching raises R(0.3),
// and load_run reads the result back.
#include <QtTest>
#include <cmath>

#include "ridgeline/core/errors.h"
#include "ridgeline/experiment/run.h"
#include "ridgeline/experiment/spec.h"
#include "ridgeline/experiment/steps/spectra_step.h"
#include "ridgeline/io/npy.h"
#include "test_support.h"

using namespace ridgeline;

namespace {

const char* kSpec = R"({
  "name": "tiny-spectra",
  "data": {"name": "gmm:600,200,6,3,2"},
  "model": {"arch": "mlp:6,24,24,3"},
  "train": {"epochs": 3, "batch": 50, "lr": 0.01, "optimizer": "adam"},
  "models": [{"name": "seed0", "seed": 0}, {"name": "seed1", "seed": 1}],
  "steps": [
    {"type": "align", "a": "seed0", "b": "seed1"},
    {"type": "spectra", "models": ["seed0", "seed1", "seed1@wm"], "aligned_to": "seed0", "top_k": 6}
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

class TestSpectraStep : public QObject {
  Q_OBJECT
 private slots:
  void parsesAndRoundTrips() {
    const ExperimentSpec s = parse_spec(kSpec, "spec.json");
    QCOMPARE(s.steps.size(), size_t(2));
    const SpectraParams& p = s.steps[1].as<SpectraParams>();
    QCOMPARE(p.aligned_to, std::string("seed0"));
    QCOMPARE(p.top_k, 6);
    QCOMPARE(p.gammas, default_gammas());
    QCOMPARE(s.steps[1].id, std::string("spectra-seed0"));
    QCOMPARE(spec_to_json(parse_spec(spec_to_json(s), "again.json")), spec_to_json(s));
    const ExperimentSpec ex = load_spec(test::source_path("resources/experiments/gmm-spectra.json"));
    QCOMPARE(ex.steps[1].models.back(), std::string("seed1@wm"));
    QVERIFY(error_of(with("\"aligned_to\": \"seed0\"", "\"aligned_to\": \"ghost\""))
                .find("steps[1].aligned_to: unknown model 'ghost'") != std::string::npos);
    QVERIFY(error_of(with("\"top_k\": 6", "\"top_k\": 0")).find("steps[1].top_k") != std::string::npos);
    QVERIFY(error_of(with("\"top_k\": 6", "\"top_k\": 6, \"gammas\": [1.5]")).find("steps[1].gammas") !=
            std::string::npos);
    QVERIFY(error_of(with("\"seed1\", \"seed1@wm\"]", "\"seed1\", \"seed1\"]"))
                .find("listed twice") != std::string::npos);
  }

  void runsAndLoads() {
    test::ScratchDir dir("spectra-step");
    const ExperimentSpec s = parse_spec(kSpec, "spec.json");
    RunOptions o;
    o.out_dir = dir.file("run");
    o.workspace = dir.file("ws");
    o.threads = 2;
    const RunSummary live = run_experiment(s, o);
    const auto res = live.results_of<SpectraResult>();
    QCOMPARE(res.size(), size_t(1));
    const SpectraResult& r = res[0].second;
    QCOMPARE(r.models.size(), size_t(3));
    QCOMPARE(r.alignments.size(), size_t(2));
    // σ(π(B)) = σ(B) layer by layer.
    for (size_t l = 0; l < r.models[1].layers.size(); ++l)
      for (size_t k = 0; k < r.models[1].layers[l].singular_values.size(); ++k)
        QVERIFY(std::abs(r.models[1].layers[l].singular_values[k] -
                         r.models[2].layers[l].singular_values[k]) <
                1e-9 * r.models[1].layers[l].singular_values[0]);
    QCOMPARE(r.alignments[1].b, std::string("seed1@wm"));
    QVERIFY(r_at(r.alignments[1], 0.3) > r_at(r.alignments[0], 0.3));
    const auto npy = read_npy(dir.file("run/results/") +
                              spectra_npy_name("spectra-seed0", "seed1@wm", "fc1.weight"));
    QCOMPARE(npy.shape, (std::vector<int64_t>{24}));
    QCOMPARE(npy.values, r.models[2].layers[1].singular_values);
    const RunSummary back = load_run(dir.file("run"));
    const auto loaded = back.results_of<SpectraResult>();
    QCOMPARE(loaded.size(), size_t(1));
    QCOMPARE(loaded[0].second.alignments[1].r, r.alignments[1].r);
    QCOMPARE(loaded[0].second.models[0].layers[0].singular_values, r.models[0].layers[0].singular_values);
  }

  // over_training: spectra and R at every saved epoch; the last epoch is the final model,
  // weight matching at an epoch keeps σ and raises R; the result reloads whole.
  void overTraining() {
    std::string text = with("\"top_k\": 6}", "\"top_k\": 6, \"over_training\": true}");
    QVERIFY(error_of(text).find("steps[1].over_training: needs saved epochs") != std::string::npos);
    text = with("\"optimizer\": \"adam\"}", "\"optimizer\": \"adam\", \"checkpoint_every\": 1}");
    const std::string top = "\"top_k\": 6}";
    text.replace(text.find(top), top.size(), "\"top_k\": 6, \"over_training\": true}");
    const ExperimentSpec s = parse_spec(text, "spec.json");
    QVERIFY(s.steps[1].as<SpectraParams>().over_training);
    QCOMPARE(spec_to_json(parse_spec(spec_to_json(s), "again.json")), spec_to_json(s));
    {
      std::string bad = text;
      const std::string from = "\"aligned_to\": \"seed0\"";
      bad.replace(bad.find(from), from.size(), "\"aligned_to\": \"seed1@wm\"");
      QVERIFY(error_of(bad).find("aligned_to 'seed1@wm' is not a model trained by this run") !=
              std::string::npos);
    }
    test::ScratchDir dir("spectra-training");
    RunOptions o;
    o.out_dir = dir.file("run");
    o.workspace = dir.file("ws");
    o.threads = 2;
    const RunSummary live = run_experiment(s, o);
    const SpectraResult r = live.results_of<SpectraResult>().at(0).second;
    QCOMPARE(r.over_training.size(), size_t(3));
    QCOMPARE(r.over_training_align, std::string("wm"));
    for (int e = 0; e < 3; ++e) {
      const SpectraCheckpoint& c = r.over_training[e];
      QCOMPARE(c.epoch, e + 1);
      QCOMPARE(c.models.size(), size_t(2));  // seed0 and seed1 (seed1@wm is not trained)
      QCOMPARE(c.models[1].model, "seed1@epoch" + std::to_string(e + 1));
      QCOMPARE(c.alignments.size(), size_t(2));
      QCOMPARE(c.alignments[1].b, "seed1@epoch" + std::to_string(e + 1) + "@wm");
      QVERIFY(r_at(c.alignments[1], 0.0) > r_at(c.alignments[0], 0.0));
    }
    // Epoch 1 differs from the final model; the last epoch is the final model.
    QVERIFY(r.over_training[0].models[1].layers[0].singular_values !=
            r.models[1].layers[0].singular_values);
    QCOMPARE(r.over_training[2].models[1].layers[0].singular_values,
             r.models[1].layers[0].singular_values);
    QCOMPARE(r.over_training[2].alignments[1].r, r.alignments[1].r);
    const SpectraResult back = load_run(dir.file("run")).results_of<SpectraResult>().at(0).second;
    QCOMPARE(back.over_training.size(), size_t(3));
    QCOMPARE(back.over_training[1].alignments[1].r, r.over_training[1].alignments[1].r);
    QCOMPARE(back.over_training[0].models[0].layers[1].singular_values,
             r.over_training[0].models[0].layers[1].singular_values);
    QVERIFY(QFile::exists(QString::fromStdString(
        dir.file("run/results/") + spectra_npy_name("spectra-seed0", "seed1@epoch2", "fc1.weight"))));
  }
};

QTEST_APPLESS_MAIN(TestSpectraStep)
#include "test_spectra_step.moc"
