// Experiment specs: the bundled examples parse; every kind of bad input names its key path.
#include <QtTest>
#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "ridgeline/data/dataset.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/experiment/spec.h"
#include "ridgeline/experiment/steps/align_step.h"
#include "ridgeline/experiment/steps/interpolate_step.h"
#include "ridgeline/experiment/steps/merge_step.h"
#include "test_support.h"

using namespace ridgeline;

namespace {

const char* kTiny = R"({
  "name": "tiny",
  "data": {"name": "gmm:300,100,6,3,1"},
  "model": {"arch": "mlp:6,8,3"},
  "train": {"epochs": 1, "batch": 32},
  "models": [{"name": "seed0", "seed": 0}, {"name": "seed1", "seed": 1}],
  "steps": [{"type": "interpolate", "a": "seed0", "b": "seed1", "points": 5}]
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
  std::string s = kTiny;
  const auto at = s.find(from);
  if (at == std::string::npos) qFatal("pattern not in spec: %s", from.c_str());
  return s.replace(at, from.size(), to);
}

}  // namespace

class TestSpec : public QObject {
  Q_OBJECT
 private slots:
  void bundledExamplesParse() {
    int n = 0;
    for (const auto& f : std::filesystem::directory_iterator(test::source_path("resources/experiments"))) {
      ExperimentSpec s = load_spec(f.path().string());
      QVERIFY(!s.models.empty());
      ++n;
    }
    QVERIFY(n >= 1);
    ExperimentSpec main = load_spec(test::source_path("resources/experiments/fmnist-mlp-lmc.json"));
    QCOMPARE(main.arch.to_string(), std::string("mlp:784,512,512,512,10"));
    QCOMPARE(main.train.epochs, 10);
    QCOMPARE(main.train.batch, 128);
    QCOMPARE(main.models.size(), size_t(2));
    QCOMPARE(main.steps.at(2).as<InterpolateParams>().points, 25);
  }

  // Issue 9: an echoed value is cut short and a message is one line, whatever the input.
  void echoedInputIsShortAndOneLine() {
    const std::string long_value = "\"" + std::string(10000, 'x') + "\\n\\nmore\"";
    for (const std::string& text :
         {with("\"epochs\": 1", "\"epochs\": 1, \"optimizer\": " + long_value),
          with("\"epochs\": 1", "\"epochs\": 1, " + long_value + ": 1"),
          with("\"name\": \"tiny\"", "\"name\": \"a\\nb\"")}) {
      const std::string err = error_of(text);
      QVERIFY2(!err.empty(), text.substr(0, 80).c_str());
      QVERIFY2(err.size() < 400, err.c_str());
      QVERIFY2(err.find('\n') == std::string::npos, err.c_str());
    }
  }

  // Specs written before each kind had its own schema fragment hold every kind's keys at their
  // defaults (resolved specs in older run folders): they still load, and resolve as today.
  void legacyResolvedSpecsStillLoad() {
    const std::string legacy = with(
        "\"points\": 5",
        "\"points\": 5, \"split\": \"both\", \"repair\": false, \"samples\": 10000, "
        "\"method\": \"wm\", \"seed\": 0, \"max_sweeps\": 100, \"epochs\": 10, \"lr\": 0.01");
    const ExperimentSpec s = parse_spec(legacy, "old.json");
    QCOMPARE(spec_to_json(s), spec_to_json(parse_spec(kTiny, "spec.json")));
    // A foreign key away from its default was never used: it is an error now.
    QVERIFY(error_of(with("\"points\": 5", "\"points\": 5, \"method\": \"am\"")).find("unknown key") !=
            std::string::npos);
    // Only a step holding every kind's keys reads the old way: "method" written by hand on an
    // interpolate step is reported even at align's default (it does not align anything).
    QVERIFY(error_of(with("\"points\": 5", "\"points\": 5, \"method\": \"wm\""))
                .rfind("spec.json: steps[0].method: unknown key", 0) == 0);
  }

  // The resolved spec holds each step's own keys only.
  void resolvedStepsHoldTheirOwnKeys() {
    const nlohmann::json j = nlohmann::json::parse(spec_to_json(parse_spec(kTiny, "spec.json")));
    std::vector<std::string> keys;
    for (const auto& [k, v] : j["steps"][0].items()) keys.push_back(k);
    std::sort(keys.begin(), keys.end());
    QCOMPARE(keys, (std::vector<std::string>{"a", "b", "id", "points", "repair", "samples", "split", "type"}));
  }

  void defaultsComeFromSchema() {
    ExperimentSpec s = parse_spec(kTiny, "spec.json");
    QCOMPARE(s.train.lr, 1e-3);
    QVERIFY(s.train.optimizer == OptimizerKind::Adam);
    QCOMPARE(s.steps[0].id, std::string("interpolate-seed0-seed1"));
    QVERIFY(s.steps[0].as<InterpolateParams>().train && s.steps[0].as<InterpolateParams>().test);
  }

  void alignStepsProduceModels() {
    std::string text = kTiny;
    const std::string step = R"({"type": "interpolate", "a": "seed0", "b": "seed1", "points": 5})";
    text.replace(text.find(step), step.size(),
                 R"({"type": "align", "a": "seed0", "b": "seed1", "method": "wm"},
                    {"type": "interpolate", "a": "seed0", "b": "seed1@wm", "repair": true})");
    ExperimentSpec s = parse_spec(text, "spec.json");
    QCOMPARE(s.steps.size(), size_t(2));
    QCOMPARE(step_outputs(s.steps[0]), std::vector<std::string>{"seed1@wm"});
    QCOMPARE(s.steps[0].id, std::string("align-seed1@wm"));
    QVERIFY(s.steps[1].as<InterpolateParams>().repair);
    QCOMPARE(s.steps[1].id, std::string("interpolate-seed0-seed1@wm"));
    QCOMPARE(spec_to_json(parse_spec(spec_to_json(s), "r.json")), spec_to_json(s));
    // A merge step produces the model named by its id.
    std::string merged = kTiny;
    merged.replace(merged.find(step), step.size(),
                   R"({"type": "merge", "models": ["seed0", "seed1"]},
                      {"type": "interpolate", "a": "seed0", "b": "merged"})");
    ExperimentSpec m = parse_spec(merged, "spec.json");
    QCOMPARE(m.steps[0].models, std::vector<std::string>({"seed0", "seed1"}));
    QCOMPARE(m.steps[0].id, std::string("merged"));
    QCOMPARE(spec_to_json(parse_spec(spec_to_json(m), "r.json")), spec_to_json(m));
    // The same model produced twice is an error.
    const std::string twice = "\"repair\": true}";
    text.replace(text.find(twice), twice.size(),
                 twice + R"(, {"type": "align", "a": "seed0", "b": "seed1"})");
    try {
      parse_spec(text, "spec.json");
      QFAIL("expected InputError");
    } catch (const InputError& e) {
      QVERIFY2(std::string(e.what()).find("'seed1@wm' is produced twice") != std::string::npos, e.what());
    }
  }

  void roundTrip() {
    ExperimentSpec s = parse_spec(kTiny, "spec.json");
    const std::string j = spec_to_json(s);
    QCOMPARE(spec_to_json(parse_spec(j, "resolved.json")), j);
  }

  void activationAndLayerNorm() {
    ExperimentSpec s = parse_spec(kTiny, "spec.json");
    QVERIFY(s.arch.activation == Activation::Relu);
    QVERIFY(!s.arch.layernorm);
    QVERIFY(spec_to_json(s).find("\"layernorm\": false") != std::string::npos);
    ExperimentSpec t = parse_spec(with("\"arch\": \"mlp:6,8,3\"",
                                       "\"arch\": \"mlp:6,8,3\", \"activation\": \"gelu\", \"layernorm\": true"),
                                  "spec.json");
    QVERIFY(t.arch.activation == Activation::Gelu);
    QVERIFY(t.arch.layernorm);
    QCOMPARE(t.arch.to_string(), std::string("mlp:6,8,3+ln+gelu"));
    const std::string j = spec_to_json(t);
    QVERIFY(j.find("\"arch\": \"mlp:6,8,3\"") != std::string::npos);  // widths only
    QVERIFY(j.find("\"activation\": \"gelu\"") != std::string::npos);
    QVERIFY(j.find("\"layernorm\": true") != std::string::npos);
    ExperimentSpec back = parse_spec(j, "resolved.json");
    QVERIFY(back.arch.same_shape(t.arch));
    QCOMPARE(spec_to_json(back), j);
  }

  void errorsNameKeyPaths_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("expected");
    QTest::newRow("unknown top key") << QString::fromStdString(with("\"name\": \"tiny\"", "\"name\": \"tiny\", \"nmae\": 1")) << "spec.json: nmae: unknown key";
    QTest::newRow("unknown nested key") << QString::fromStdString(with("\"epochs\": 1", "\"epochs\": 1, \"lrr\": 2")) << "spec.json: train.lrr: unknown key";
    QTest::newRow("negative lr") << QString::fromStdString(with("\"epochs\": 1", "\"epochs\": 1, \"lr\": -1")) << "spec.json: train.lr: must be > 0";
    QTest::newRow("overflowing lr") << QString::fromStdString(with("\"epochs\": 1", "\"epochs\": 1, \"lr\": 1e999")) << "spec.json: invalid JSON";
    QTest::newRow("string epochs") << QString::fromStdString(with("\"epochs\": 1", "\"epochs\": \"ten\"")) << "spec.json: train.epochs: expected integer, got string";
    QTest::newRow("fractional batch") << QString::fromStdString(with("\"batch\": 32", "\"batch\": 3.5")) << "spec.json: train.batch: expected integer";
    QTest::newRow("bad arch") << QString::fromStdString(with("mlp:6,8,3", "mlp:6,,3")) << "spec.json: model.arch";
    QTest::newRow("unknown model") << QString::fromStdString(with("\"b\": \"seed1\"", "\"b\": \"seed9\"")) << "spec.json: steps[0].b: unknown model 'seed9'";
    QTest::newRow("aligned model before its step") << QString::fromStdString(with("\"b\": \"seed1\"", "\"b\": \"seed1@wm\"")) << "spec.json: steps[0].b: unknown model 'seed1@wm' (models here: seed0, seed1; ";
    QTest::newRow("bad method") << QString::fromStdString(with("\"type\": \"interpolate\", \"a\": \"seed0\", \"b\": \"seed1\", \"points\": 5", "\"type\": \"align\", \"a\": \"seed0\", \"b\": \"seed1\", \"method\": \"xx\"")) << "spec.json: steps[0].method: \"xx\" is not one of";
    // Each kind has its own keys: an align key on an interpolate step is an error, not ignored.
    QTest::newRow("another kind's key") << QString::fromStdString(with("\"points\": 5", "\"points\": 5, \"method\": \"am\"")) << "spec.json: steps[0].method: unknown key (known keys: id, type, a, b, points, repair, samples, split)";
    QTest::newRow("bad type before its keys") << QString::fromStdString(with("\"type\": \"interpolate\"", "\"type\": \"fly\"")) << "spec.json: steps[0].type: \"fly\" is not one of";
    QTest::newRow("missing b") << QString::fromStdString(with("\"b\": \"seed1\", ", "")) << "spec.json: steps[0].b: required key is missing";
    // Hardening (issue 9): integers beyond the key's range, deep nesting, long strings.
    QTest::newRow("epochs 2^32+1") << QString::fromStdString(with("\"epochs\": 1", "\"epochs\": 4294967297")) << "spec.json: train.epochs: must be <= 100000, got 4294967297";
    QTest::newRow("batch 2^32+64") << QString::fromStdString(with("\"batch\": 32", "\"batch\": 4294967360")) << "spec.json: train.batch: must be <= 16777216, got 4294967360";
    QTest::newRow("samples 2^31") << QString::fromStdString(with("\"points\": 5", "\"points\": 5, \"repair\": true, \"samples\": 2147483648")) << "spec.json: steps[0].samples: must be <= 2147483647";
    QTest::newRow("seed 2^64") << QString::fromStdString(with("\"seed\": 1}", "\"seed\": 18446744073709551616}")) << "spec.json: models[1].seed: integer out of range: 1.8446744073709552e+19";
    QTest::newRow("epochs 1e300") << QString::fromStdString(with("\"epochs\": 1", "\"epochs\": 1e300")) << "spec.json: train.epochs: integer out of range: 1e+300 (at most 100000)";
    QTest::newRow("deep nesting") << QString::fromStdString(with("\"epochs\": 1", "\"epochs\": " + std::string(100000, '[') + std::string(100000, ']'))) << "spec.json: invalid JSON: nested deeper than 64 levels";
    // The longest arch the schema allows is checked by the MLP's parser, not by a regular
    // expression (std::regex recursed once per character: 30,000 characters overflowed the
    // stack, 2,000 needed ~1 MB of it).
    std::string many = "mlp:6";
    for (int i = 0; i < 996; ++i) many += ",8";
    QTest::newRow("2000-char arch") << QString::fromStdString(with("mlp:6,8,3", many + ",x")) << "spec.json: model.arch: width 'x'";
    QTest::newRow("30000-char arch") << QString::fromStdString(with("mlp:6,8,3", "mlp:6" + std::string(30000, '8') + ",3")) << "spec.json: model.arch: too long: 30007 characters (at most 2000)";
    QTest::newRow("missing models") << QString::fromStdString(with("\"models\"", "\"modelz\"")) << "spec.json: modelz: unknown key";
    QTest::newRow("bad optimizer") << QString::fromStdString(with("\"epochs\": 1", "\"epochs\": 1, \"optimizer\": \"lbfgs\"")) << "spec.json: train.optimizer: \"lbfgs\" is not one of";
    QTest::newRow("one point") << QString::fromStdString(with("\"points\": 5", "\"points\": 1")) << "spec.json: steps[0].points: must be >= 2";
    QTest::newRow("duplicate model") << QString::fromStdString(with("\"name\": \"seed1\"", "\"name\": \"seed0\"")) << "spec.json: models[1].name: duplicate";
    QTest::newRow("not json") << "{\"name\": " << "spec.json: invalid JSON";
    QTest::newRow("top level array") << "[]" << "spec.json: (top level): expected object";
    QTest::newRow("bad activation") << QString::fromStdString(with("\"arch\": \"mlp:6,8,3\"", "\"arch\": \"mlp:6,8,3\", \"activation\": \"tanh\"")) << "spec.json: model.activation: \"tanh\" is not one of";
    QTest::newRow("string layernorm") << QString::fromStdString(with("\"arch\": \"mlp:6,8,3\"", "\"arch\": \"mlp:6,8,3\", \"layernorm\": \"yes\"")) << "spec.json: model.layernorm: expected boolean";
    QTest::newRow("layernorm without hidden layer") << QString::fromStdString(with("\"arch\": \"mlp:6,8,3\"", "\"arch\": \"mlp:6,3\", \"layernorm\": true")) << "spec.json: model.layernorm";
    QTest::newRow("gelu without hidden layer") << QString::fromStdString(with("\"arch\": \"mlp:6,8,3\"", "\"arch\": \"mlp:6,3\", \"activation\": \"gelu\"")) << "spec.json: model.activation";
    QTest::newRow("bad gmm name") << QString::fromStdString(with("gmm:300,100,6,3,1", "gmm:300,100,6")) << "spec.json: data.name: gmm:300,100,6: expected gmm:<n_train>,<n_test>,<dim>,<classes>,<seed>";
    QTest::newRow("gmm with one class") << QString::fromStdString(with("gmm:300,100,6,3,1", "gmm:300,100,6,1,1")) << "spec.json: data.name: gmm:300,100,6,1,1: need n_train";
    QTest::newRow("arch inputs vs data") << QString::fromStdString(with("mlp:6,8,3", "mlp:7,8,3")) << "spec.json: model.arch: mlp:7,8,3 takes 7 inputs but gmm:300,100,6,3,1 has 6 features";
    QTest::newRow("arch outputs vs classes") << QString::fromStdString(with("mlp:6,8,3", "mlp:6,8,2")) << "spec.json: model.arch: mlp:6,8,2 has 2 outputs but gmm:300,100,6,3,1 has 3 classes";
    QTest::newRow("fashion-mnist inputs") << QString::fromStdString(with("gmm:300,100,6,3,1", "fashion-mnist")) << "spec.json: model.arch: mlp:6,8,3 takes 6 inputs but fashion-mnist has 784 features";
    QTest::newRow("suffix in spec arch") << QString::fromStdString(with("mlp:6,8,3", "mlp:6,8,3+ln")) << "spec.json: model.arch";
  }
  void errorsNameKeyPaths() {
    QFETCH(QString, text);
    QFETCH(QString, expected);
    const std::string err = error_of(text.toStdString());
    QVERIFY2(err.rfind(expected.toStdString(), 0) == 0,
             qPrintable("got: '" + QString::fromStdString(err) + "'"));
    QVERIFY(err.find('\n') == std::string::npos);  // one line
  }

  void dataShapeIsCheckedWhereKnown() {
    // More outputs than classes is allowed (as training allows it); an IDX folder's shape is
    // known only when it is read, so any architecture parses.
    QCOMPARE(parse_spec(with("mlp:6,8,3", "mlp:6,8,5"), "spec.json").arch.classes(), 5);
    QCOMPARE(parse_spec(with("gmm:300,100,6,3,1", "/some/idx/folder"), "spec.json").data,
             std::string("/some/idx/folder"));
    QVERIFY(!data_shape("/some/idx/folder").has_value());
    QCOMPARE(data_shape("fashion-mnist")->features, 784);
    QCOMPARE(data_shape("gmm:5,5,12,4,0")->classes, 4);
  }

  void missingFileNamesIt() {
    try {
      load_spec("/nonexistent/x.json");
      QFAIL("expected InputError");
    } catch (const InputError& e) {
      QVERIFY(std::string(e.what()).find("/nonexistent/x.json") != std::string::npos);
    }
  }
};

QTEST_APPLESS_MAIN(TestSpec)
#include "test_spec.moc"
