// Run folders: layout, atomic results, resume from finished checkpoints, cancel status.
#include <QtTest>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "ridgeline/core/errors.h"
#include "ridgeline/io/fileio.h"
#include "ridgeline/experiment/run.h"
#include "ridgeline/io/safetensors.h"
#include "test_support.h"

using namespace ridgeline;
namespace fs = std::filesystem;

namespace {
const char* kTiny = R"({
  "name": "tiny",
  "data": {"name": "gmm:400,150,6,3,1"},
  "model": {"arch": "mlp:6,12,3"},
  "train": {"epochs": 2, "batch": 32, "lr": 0.01, "checkpoint_every": 1},
  "models": [{"name": "seed0", "seed": 0}, {"name": "seed1", "seed": 1}],
  "steps": [{"type": "interpolate", "id": "naive", "a": "seed0", "b": "seed1", "points": 5}]
})";
}

class TestRun : public QObject {
  Q_OBJECT
 private slots:
  void runFolderLayout() {
    test::ScratchDir dir("run");
    RunOptions o;
    o.out_dir = dir.file("r1");
    o.device = "cpu";
    int epochs_seen = 0, results_seen = 0;
    RunEvents ev;
    ev.on_epoch = [&](const std::string&, const EpochMetrics&) { ++epochs_seen; };
    ev.on_result = [&](const StepResult& r) {
      QVERIFY(r.as<InterpolationResult>() != nullptr);
      QCOMPARE(r.id, std::string("naive"));
      ++results_seen;
    };
    RunSummary s = run_experiment(parse_spec(kTiny, "tiny.json"), o, ev);
    QCOMPARE(s.status, std::string("finished"));
    QCOMPARE(epochs_seen, 4);
    QCOMPARE(results_seen, 1);
    const fs::path r(o.out_dir);
    for (const char* f : {"experiment.json", "provenance.json", "log.txt", "checkpoints/seed0.safetensors",
                          "checkpoints/seed1.safetensors", "checkpoints/seed0-epoch1.safetensors", "results/naive.json", "results/naive.alpha.npy",
                          "results/naive.test_loss.npy", "results/naive.train_error.npy",
                          "results/train-seed0.json"})
      QVERIFY2(fs::exists(r / f), f);
    auto prov = nlohmann::json::parse(read_file((r / "provenance.json").string()));
    QCOMPARE(prov["status"].get<std::string>(), std::string("finished"));
    QVERIFY(prov["device"].get<std::string>().find("CPU") != std::string::npos);
    QVERIFY(!fs::exists(r / "checkpoints/seed0-epoch2.safetensors"));  // the final one is seed0
    QVERIFY(load_mlp((r / "checkpoints/seed0-epoch1.safetensors").string()).params !=
            load_mlp((r / "checkpoints/seed0.safetensors").string()).params);
    // No temp files left behind by atomic writes.
    for (const auto& e : fs::recursive_directory_iterator(r))
      QVERIFY2(e.path().filename().string().find(".tmp") == std::string::npos, e.path().c_str());
    // The run folder reproduces the results.
    ExperimentSpec spec;
    RunSummary back = load_run(o.out_dir, &spec);
    QCOMPARE(spec.name, std::string("tiny"));
    QCOMPARE(back.interpolations().size(), size_t(1));
    QCOMPARE(back.interpolations()[0].second.test->loss, s.interpolations()[0].second.test->loss);
    QCOMPARE(back.status, std::string("finished"));
    QCOMPARE(back.training().size(), size_t(2));
    QCOMPARE(back.training()[1].first, std::string("seed1"));
    QCOMPARE(back.training()[1].second.size(), size_t(2));
    QCOMPARE(back.training()[1].second[1].test_loss, s.training()[1].second[1].test_loss);
    // Checkpoints load and carry the architecture.
    QCOMPARE(load_mlp((r / "checkpoints/seed1.safetensors").string()).arch.to_string(), std::string("mlp:6,12,3"));

    // Running again into the same folder reuses the finished checkpoints (no training).
    epochs_seen = 0;
    RunSummary again = run_experiment(parse_spec(kTiny, "tiny.json"), o, ev);
    QCOMPARE(epochs_seen, 0);
    QCOMPARE(again.interpolations()[0].second.test->loss, s.interpolations()[0].second.test->loss);

    // A different experiment may not reuse the folder.
    std::string other = kTiny;
    other.replace(other.find("\"points\": 5"), 11, "\"points\": 6");
    QVERIFY_THROWS_EXCEPTION(InputError, run_experiment(parse_spec(other, "o.json"), o));
  }

  void cancelKeepsFinishedWork() {
    test::ScratchDir dir("cancel");
    RunOptions o;
    o.out_dir = dir.file("r");
    o.device = "cpu";
    CancelToken token;
    RunEvents ev;
    ev.on_step = [&](const std::string& model, const StepMetrics& s) {
      if (model == "seed1" && s.step == 3) token.cancel();
    };
    QVERIFY_THROWS_EXCEPTION(Cancelled, run_experiment(parse_spec(kTiny, "tiny.json"), o, ev, &token));
    const fs::path r(o.out_dir);
    auto prov = nlohmann::json::parse(read_file((r / "provenance.json").string()));
    QCOMPARE(prov["status"].get<std::string>(), std::string("cancelled"));
    QVERIFY(fs::exists(r / "checkpoints/seed0.safetensors"));
    QVERIFY(!fs::exists(r / "checkpoints/seed1.safetensors"));
    load_mlp((r / "checkpoints/seed0.safetensors").string());  // loads
  }

  void workspaceDefault() {
    test::ScratchDir dir("ws");
    RunOptions o;
    o.workspace = dir.path().string();
    o.device = "cpu";
    std::string spec = kTiny;
    spec.replace(spec.find("\"epochs\": 2"), 11, "\"epochs\": 1");
    RunSummary s = run_experiment(parse_spec(spec, "tiny.json"), o);
    QVERIFY(s.run_dir.rfind((dir.path() / "runs" / "tiny-").string(), 0) == 0);
  }
};

QTEST_APPLESS_MAIN(TestRun)
#include "test_run.moc"
