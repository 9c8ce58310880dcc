// Models from anywhere in a spec: spawned models (Frankle et al. 2020, arXiv 1912.05671),
// external files (models[].path), and checkpoints named "<model>@epochN" / "<model>@stepN".
#include <QtTest>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "ridgeline/core/errors.h"
#include "ridgeline/experiment/compare_spec.h"
#include "ridgeline/experiment/run.h"
#include "ridgeline/io/fileio.h"
#include "ridgeline/models/model_io.h"
#include "test_support.h"

using namespace ridgeline;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {
// 400 rows, batch 50: 8 steps an epoch, 24 in all.
json spawn_spec() {
  return json::parse(R"({
  "name": "spawn",
  "data": {"name": "gmm:400,150,6,3,1"},
  "model": {"arch": "mlp:6,12,3"},
  "train": {"epochs": 3, "batch": 50, "lr": 0.01, "checkpoint_every": 1, "checkpoint_every_steps": 4},
  "models": [{"name": "seed0", "seed": 0},
             {"name": "a", "from": "seed0@epoch1", "seed": 7},
             {"name": "b", "from": "seed0@epoch1", "seed": 7},
             {"name": "c", "from": "seed0@epoch1", "seed": 8},
             {"name": "m", "from": "seed0@step4", "seed": 8}],
  "steps": [{"type": "interpolate", "id": "ab", "a": "a", "b": "c", "points": 5},
            {"type": "interpolate", "id": "ckpt", "a": "seed0@epoch1", "b": "c@step16", "points": 5}]
})");
}

std::vector<float> params(const fs::path& f) { return load_model(f.string()).params; }

std::string parse_error(const json& spec, const std::string& source) {
  try {
    parse_spec(spec.dump(), source);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}
}  // namespace

class TestSpawn : public QObject {
  Q_OBJECT
 private slots:
  void spawnsContinueFromTheirParent() {
    test::ScratchDir dir("spawn");
    RunOptions o;
    o.out_dir = dir.file("r");
    o.device = "cpu";
    o.threads = 1;
    RunSummary s = run_experiment(parse_spec(spawn_spec().dump(), dir.file("spawn.json")), o);
    const fs::path ck = fs::path(o.out_dir) / "checkpoints";
    // The spawn's checkpoint at its spawn point is its parent's, bit for bit.
    QVERIFY(params(ck / "a-epoch1.safetensors") == params(ck / "seed0-epoch1.safetensors"));
    QVERIFY(params(ck / "m-step4.safetensors") == params(ck / "seed0-step4.safetensors"));
    // Same spawn point and seed: the same model; another seed: another model.
    QVERIFY(params(ck / "a.safetensors") == params(ck / "b.safetensors"));
    QVERIFY(params(ck / "a.safetensors") != params(ck / "c.safetensors"));
    QVERIFY(params(ck / "a.safetensors") != params(ck / "seed0.safetensors"));
    QVERIFY(params(ck / "a-epoch2.safetensors") != params(ck / "c-epoch2.safetensors"));
    // A spawn from epoch 1 trains epochs 2 and 3; one from step 4 the rest of epoch 1 on.
    const auto training = s.training();
    QCOMPARE(training[1].first, std::string("a"));
    QCOMPARE(training[1].second.size(), size_t(2));
    QCOMPARE(training[1].second.front().epoch, 2);
    QCOMPARE(training[4].second.size(), size_t(3));
    QCOMPARE(training[4].second.front().epoch, 1);
    // Checkpoint names in steps read those files.
    QCOMPARE(s.interpolations().size(), size_t(2));

    // A rerun into the folder reuses every finished model, spawns included.
    int epochs_seen = 0;
    RunEvents ev;
    ev.on_epoch = [&](const std::string&, const EpochMetrics&) { ++epochs_seen; };
    RunSummary again = run_experiment(parse_spec(spawn_spec().dump(), dir.file("spawn.json")), o, ev);
    QCOMPARE(epochs_seen, 0);
    QCOMPARE(again.interpolations()[1].second.test->loss, s.interpolations()[1].second.test->loss);
    // The folder loads back with the spawns' records.
    ExperimentSpec back_spec;
    RunSummary back = load_run(o.out_dir, &back_spec);
    QCOMPARE(back_spec.models[1].from, std::string("seed0@epoch1"));
    QCOMPARE(back.training().size(), size_t(5));
  }

  // An external file's name works in align and interpolate steps, and a checkpoint named in a
  // step is the same model as its file given as an external model.
  void externalFilesMatchCheckpointNames() {
    test::ScratchDir dir("ext");
    RunOptions o;
    o.out_dir = dir.file("r");
    o.device = "cpu";
    o.threads = 1;
    RunSummary s = run_experiment(parse_spec(spawn_spec().dump(), dir.file("spawn.json")), o);

    json ext = spawn_spec();
    ext["name"] = "ext";
    ext["models"] = json::array({{{"name", "x"}, {"path", "r/checkpoints/seed0-epoch1.safetensors"}},
                                 {{"name", "y"}, {"path", fs::absolute(dir.file("r/checkpoints/c-step16.safetensors")).string()}}});
    ext["steps"] = json::array({{{"type", "interpolate"}, {"id", "ckpt"}, {"a", "x"}, {"b", "y"}, {"points", 5}},
                                {{"type", "align"}, {"a", "x"}, {"b", "y"}},
                                {{"type", "interpolate"}, {"a", "x"}, {"b", "y@wm"}, {"points", 5}}});
    write_file_atomic(dir.file("ext.json"), ext.dump(2));
    const ExperimentSpec spec = load_spec(dir.file("ext.json"));  // relative to the spec's folder
    QCOMPARE(spec.models[0].path, fs::absolute(dir.file("r/checkpoints/seed0-epoch1.safetensors")).lexically_normal().string());
    RunOptions o2 = o;
    o2.out_dir = dir.file("r2");
    RunSummary e = run_experiment(spec, o2);
    QCOMPARE(e.interpolations().size(), size_t(2));
    QCOMPARE(e.interpolations()[0].second.train->loss, s.interpolations()[1].second.train->loss);
    QCOMPARE(e.interpolations()[0].second.test->error, s.interpolations()[1].second.test->error);
    QVERIFY(e.training().empty());  // not trained
    const json prov = json::parse(read_file(dir.file("r2/provenance.json")));
    QCOMPARE(prov["models"]["x"]["path"].get<std::string>(), spec.models[0].path);
    QVERIFY(prov["models"]["x"]["size_bytes"].get<long long>() > 0);
    // The resolved spec holds the absolute path and compares equal on a rerun.
    QVERIFY(read_file(dir.file("r2/experiment.json")).find(spec.models[0].path) != std::string::npos);
    run_experiment(spec, o2);
  }

  void badEntriesAreOneErrorBeforeTraining_data() {
    QTest::addColumn<QString>("models");
    QTest::addColumn<QString>("expected");
    QTest::newRow("missing file") << R"([{"name": "x", "path": "nope.safetensors"}])"
                                  << "SRC: models[0].path: DIR/nope.safetensors: no such file";
    QTest::newRow("not safetensors") << R"([{"name": "x", "path": "spec.json"}])"
                                     << "SRC: models[0].path: DIR/spec.json: ";
    QTest::newRow("other architecture") << R"([{"name": "x", "path": "wide.safetensors"}])"
                                        << "SRC: models[0].path: DIR/wide.safetensors holds the model mlp:6,20,3, but model.arch is mlp:6,12,3";
    QTest::newRow("path and seed") << R"([{"name": "x", "path": "wide.safetensors", "seed": 1}])"
                                   << "SRC: models[0]: a model with a 'path' is not trained: it takes no 'seed'";
    QTest::newRow("neither") << R"([{"name": "x"}])" << "SRC: models[0]: needs a 'seed'";
    QTest::newRow("from without seed") << R"([{"name": "s", "seed": 0}, {"name": "x", "from": "s@epoch1"}])"
                                       << "SRC: models[1]: needs a 'seed'";
    QTest::newRow("from a later model") << R"([{"name": "x", "from": "s@epoch1", "seed": 1}, {"name": "s", "seed": 0}])"
                                        << "SRC: models[0].from: 's@epoch1': no model 's' before this entry";
    QTest::newRow("from an unkept epoch") << R"([{"name": "s", "seed": 0}, {"name": "x", "from": "s@epoch1", "seed": 1}])"
                                          << "SRC: models[1].from: 's@epoch1': no such checkpoint (train.checkpoint_every is 2; it must divide 1)";
    QTest::newRow("from the end") << R"([{"name": "s", "seed": 0}, {"name": "x", "from": "s@epoch4", "seed": 1}])"
                                  << "SRC: models[1].from: 's@epoch4': the end of training leaves the spawn nothing to train";
    QTest::newRow("from an unkept step") << R"([{"name": "s", "seed": 0}, {"name": "x", "from": "s@step3", "seed": 1}])"
                                         << "SRC: models[1].from: 's@step3': no such checkpoint (train.checkpoint_every_steps is 0; it must divide 3)";
    QTest::newRow("from an external file") << R"([{"name": "s", "path": "ok.safetensors"}, {"name": "x", "from": "s@epoch2", "seed": 1}])"
                                           << "SRC: models[1].from: 's@epoch2': 's' is an external file (models[].path): it has no checkpoints";
    QTest::newRow("not a checkpoint name") << R"([{"name": "s", "seed": 0}, {"name": "x", "from": "s@wm", "seed": 1}])"
                                           << "SRC: models[1].from: \"s@wm\" does not match the pattern";
  }
  void badEntriesAreOneErrorBeforeTraining() {
    QFETCH(QString, models);
    QFETCH(QString, expected);
    test::ScratchDir dir("bad");
    RunOptions o;
    o.out_dir = dir.file("w");
    o.device = "cpu";
    json wide = spawn_spec();
    wide["model"]["arch"] = "mlp:6,20,3";
    wide["models"] = json::array({{{"name", "w"}, {"seed", 0}}});
    wide["steps"] = json::array();
    wide["train"]["epochs"] = 1;
    run_experiment(parse_spec(wide.dump(), "wide.json"), o);
    fs::copy_file(dir.file("w/checkpoints/w.safetensors"), dir.file("wide.safetensors"));
    json ok = wide;
    ok["model"]["arch"] = "mlp:6,12,3";
    o.out_dir = dir.file("k");
    run_experiment(parse_spec(ok.dump(), "ok.json"), o);
    fs::copy_file(dir.file("k/checkpoints/w.safetensors"), dir.file("ok.safetensors"));

    json spec = spawn_spec();
    spec["train"]["checkpoint_every"] = 2;
    spec["train"]["checkpoint_every_steps"] = 0;
    spec["train"]["epochs"] = 4;
    spec["models"] = json::parse(models.toStdString());
    spec["steps"] = json::array();
    const std::string src = dir.file("spec.json");
    write_file_atomic(src, spec.dump());
    std::string want = expected.toStdString();
    want.replace(want.find("SRC"), 3, src);
    if (const size_t d = want.find("DIR"); d != std::string::npos)
      want.replace(d, 3, fs::absolute(dir.path()).lexically_normal().string());
    const std::string err = parse_error(spec, src);
    QVERIFY2(err.rfind(want, 0) == 0, ("got: " + err + "\nwant: " + want).c_str());
  }

  void checkpointNamesInSteps_data() {
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("expected");
    QTest::newRow("unkept epoch") << "seed0@epoch2" << "SRC: steps[0].b: 'seed0@epoch2': no such checkpoint (train.checkpoint_every is 0";
    QTest::newRow("past the end") << "seed0@epoch4" << "SRC: steps[0].b: 'seed0@epoch4': training has 3 epochs";
    QTest::newRow("unkept step") << "seed0@step4" << "SRC: steps[0].b: 'seed0@step4': no such checkpoint (train.checkpoint_every_steps is 0";
    QTest::newRow("not a model") << "seed7@epoch3" << "SRC: steps[0].b: unknown model 'seed7@epoch3'";
  }
  void checkpointNamesInSteps() {
    QFETCH(QString, name);
    QFETCH(QString, expected);
    json spec = spawn_spec();
    spec["train"]["checkpoint_every"] = 0;
    spec["train"]["checkpoint_every_steps"] = 0;
    spec["models"] = json::array({{{"name", "seed0"}, {"seed", 0}}, {{"name", "seed1"}, {"seed", 1}}});
    spec["steps"] = json::array({{{"type", "interpolate"}, {"a", "seed1"}, {"b", name.toStdString()}}});
    std::string want = expected.toStdString();
    want.replace(want.find("SRC"), 3, "s.json");
    const std::string err = parse_error(spec, "s.json");
    QVERIFY2(err.rfind(want, 0) == 0, ("got: " + err).c_str());
    // The final epoch is the final checkpoint, always kept.
    spec["steps"][0]["b"] = "seed0@epoch3";
    QCOMPARE(parse_error(spec, "s.json"), std::string("(no error)"));
  }

  // Step counts are known once the data is: a step past the end is refused before training.
  void stepsPastTheEndBeforeTraining() {
    test::ScratchDir dir("steps");
    json spec = spawn_spec();
    spec["steps"][1]["b"] = "c@step400";
    RunOptions o;
    o.out_dir = dir.file("r");
    o.device = "cpu";
    try {
      run_experiment(parse_spec(spec.dump(), "s.json"), o);
      QFAIL("no error");
    } catch (const InputError& e) {
      QCOMPARE(std::string(e.what()), std::string("s.json: steps[1].b: 'c@step400': training has 24 optimizer steps (8 an epoch)"));
    }
    QVERIFY(!fs::exists(dir.file("r")));  // nothing trained, no folder
  }

  // File > Compare checkpoints: the files as external models, naive and wm paths from the first.
  void compareCheckpointsSpec() {
    test::ScratchDir dir("cmp");
    RunOptions o;
    o.out_dir = dir.file("r");
    o.device = "cpu";
    o.threads = 1;
    run_experiment(parse_spec(spawn_spec().dump(), dir.file("spawn.json")), o);
    const std::string ck = dir.file("r/checkpoints/");
    const ExperimentSpec s = compare_checkpoints_spec(
        {ck + "a.safetensors", ck + "c.safetensors", ck + "seed0-epoch1.safetensors"}, "gmm:400,150,6,3,1");
    QCOMPARE(s.models.size(), size_t(3));
    QCOMPARE(s.models[2].name, std::string("seed0-epoch1"));
    QCOMPARE(s.models[1].path, fs::absolute(ck + "c.safetensors").lexically_normal().string());
    QCOMPARE(s.arch.to_string(), std::string("mlp:6,12,3"));
    QCOMPARE(s.steps.size(), size_t(6));
    QCOMPARE(s.steps[0].id, std::string("naive-a-c"));
    QCOMPARE(s.steps[2].b, std::string("c@wm"));
    o.out_dir = dir.file("cmp");
    RunSummary r = run_experiment(s, o);
    QCOMPARE(r.interpolations().size(), size_t(4));
    // Files of another shape, or data of another shape, are one error naming the file or data.
    json wide = spawn_spec();
    wide["model"]["arch"] = "mlp:6,20,3";
    wide["models"] = json::array({{{"name", "w"}, {"seed", 0}}});
    wide["steps"] = json::array();
    o.out_dir = dir.file("w");
    run_experiment(parse_spec(wide.dump(), "wide.json"), o);
    QVERIFY_THROWS_EXCEPTION(InputError, compare_checkpoints_spec({ck + "a.safetensors", dir.file("w/checkpoints/w.safetensors")}, "gmm:400,150,6,3,1"));
    QVERIFY_THROWS_EXCEPTION(InputError, compare_checkpoints_spec({ck + "a.safetensors", ck + "c.safetensors"}, "gmm:400,150,8,3,1"));
    QVERIFY_THROWS_EXCEPTION(InputError, compare_checkpoints_spec({ck + "a.safetensors"}, "gmm:400,150,6,3,1"));
  }

  // A run folder written before checkpoint_every_steps existed is the same experiment.
  void oldRunFoldersStillMatch() {
    test::ScratchDir dir("old");
    json spec = spawn_spec();
    spec["models"] = json::array({{{"name", "seed0"}, {"seed", 0}}});
    spec["steps"] = json::array();
    spec["train"]["checkpoint_every_steps"] = 0;
    RunOptions o;
    o.out_dir = dir.file("r");
    o.device = "cpu";
    run_experiment(parse_spec(spec.dump(), "s.json"), o);
    json resolved = json::parse(read_file(dir.file("r/experiment.json")));
    resolved["train"].erase("checkpoint_every_steps");
    write_file_atomic(dir.file("r/experiment.json"), resolved.dump(2));
    run_experiment(parse_spec(spec.dump(), "s.json"), o);  // no "holds a different experiment"
    load_run(o.out_dir);
  }
};

QTEST_APPLESS_MAIN(TestSpawn)
#include "test_spawn.moc"
