// Studies: sweep parsing and expansion (cells, names, seed pairs, rewritten arch and recipe),
// bad sweeps naming their key path, the aggregate against a hand computation, and the runner
// (cells as run folders, reuse on restart, cancel).
#include <QtTest>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "ridgeline/attention/attention.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/experiment/study.h"
#include "ridgeline/io/fileio.h"
#include "test_support.h"

using namespace ridgeline;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// A tiny spec; SWEEP is replaced by the test's sweep object.
std::string study_text(
    const std::string& sweep, const std::string& arch = "mlp:6,8,3",
    const std::string& models = R"([{"name": "seed0", "seed": 0}, {"name": "seed1", "seed": 1}])") {
  return R"({
  "name": "tiny-study",
  "data": {"name": "gmm:300,100,6,3,1"},
  "model": {"arch": ")" +
         arch + R"("},
  "train": {"epochs": 1, "batch": 32, "lr": 0.01},
  "models": )" +
         models + R"(,
  "steps": [{"type": "interpolate", "id": "naive", "a": "seed0", "b": "seed1", "points": 5}],
  "sweep": )" +
         sweep + "\n}";
}

std::string error_of(const std::string& text) {
  try {
    parse_study(text, "study.json");
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

// `t` with its first `from` replaced by `to` (`from` must occur).
std::string replaced(std::string t, const std::string& from, const std::string& to) {
  const size_t at = t.find(from);
  if (at == std::string::npos) qFatal("'%s' not in the text", from.c_str());
  return t.replace(at, from.size(), to);
}

const std::vector<std::string>& attention_names() {
  static const std::vector<std::string> n = attention::variant_names();
  return n;
}

std::vector<std::string> names(const std::vector<StudyCell>& cells) {
  std::vector<std::string> out;
  for (const auto& c : cells) out.push_back(c.name);
  return out;
}

// A barriers.json as the interpolate step writes it (only the keys the aggregate reads, and
// the others it ignores).
void write_barriers(const fs::path& run_dir, const std::vector<CellBarrierRow>& rows) {
  json doc = json::array();
  for (const auto& r : rows) {
    json j = {
        {"step", r.path}, {"split", r.split}, {"a", "seed0"}, {"b", "seed1"}, {"repair", false}};
    for (size_t m = 0; m < kBarrierMeasures.size(); ++m) j[kBarrierMeasures[m]] = r.barriers[m];
    doc.push_back(j);
  }
  fs::create_directories(run_dir / "results");
  write_file_atomic((run_dir / "results" / "barriers.json").string(), doc.dump(2));
}

}  // namespace

class TestStudy : public QObject {
  Q_OBJECT
 private slots:
  void widthTimesSeedPairs() {
    const StudySpec s =
        parse_study(study_text(R"({"width": [4, 16], "seeds": [0, 1, 2, 3, 4, 5]})"), "s.json");
    const std::vector<StudyCell> cells = expand_study(s);
    QCOMPARE(cells.size(), size_t(6));
    QCOMPARE(names(cells),
             (std::vector<std::string>{"width=4,pair=0", "width=4,pair=1", "width=4,pair=2",
                                       "width=16,pair=0", "width=16,pair=1", "width=16,pair=2"}));
    QCOMPARE(cells[1].seeds, (std::pair<uint64_t, uint64_t>{2, 3}));
    QCOMPARE(cells[5].seeds, (std::pair<uint64_t, uint64_t>{4, 5}));
    QCOMPARE(cells[5].spec.models[0].seed, uint64_t(4));
    QCOMPARE(cells[5].spec.models[1].seed, uint64_t(5));
    QCOMPARE(cells[0].spec.arch.widths_string(), std::string("mlp:6,4,3"));
    QCOMPARE(cells[4].spec.arch.widths_string(), std::string("mlp:6,16,3"));
    QCOMPARE(cells[4].group, std::string("width=16"));
    QCOMPARE(cells[4].values.size(), size_t(2));
    QCOMPARE(cells[4].values[0].key, std::string("width"));
    QCOMPARE(cells[4].values[0].number, 16.0);
    QCOMPARE(cells[4].values[1].key, std::string("pair"));
    QCOMPARE(cells[4].values[1].text, std::string("1"));
    // Every cell is an ordinary spec: its resolved form parses back to itself.
    for (const auto& c : cells)
      QCOMPARE(spec_to_json(parse_spec(spec_to_json(c.spec), "c")), spec_to_json(c.spec));
    // The study round-trips through its JSON (what study.json records).
    QCOMPARE(study_to_json(parse_study(study_to_json(s), "again")), study_to_json(s));
  }

  void widthAndDepthRewriteTheArch() {
    auto cells =
        expand_study(parse_study(study_text(R"({"depth": [1, 2], "width": [5, 7]})"), "s"));
    // Variables expand in their fixed order (width, depth, ...), whatever the object's order.
    QCOMPARE(names(cells), (std::vector<std::string>{"width=5,depth=1", "width=5,depth=2",
                                                     "width=7,depth=1", "width=7,depth=2"}));
    QCOMPARE(cells[3].spec.arch.widths_string(), std::string("mlp:6,7,7,3"));
    QCOMPARE(cells[0].group, std::string("width=5,depth=1"));
    QCOMPARE(cells[0].seeds, (std::pair<uint64_t, uint64_t>{0, 1}));  // the spec's own pair
    // Depth alone repeats the spec's single hidden width.
    cells = expand_study(parse_study(study_text(R"({"depth": [1, 3]})", "mlp:6,8,8,3"), "s"));
    QCOMPARE(cells[0].spec.arch.widths_string(), std::string("mlp:6,8,3"));
    QCOMPARE(cells[1].spec.arch.widths_string(), std::string("mlp:6,8,8,8,3"));
    // Width alone keeps the depth.
    cells = expand_study(parse_study(study_text(R"({"width": [2]})", "mlp:6,8,9,3"), "s"));
    QCOMPARE(cells[0].spec.arch.widths_string(), std::string("mlp:6,2,2,3"));
  }

  void recipeVariables() {
    const auto cells = expand_study(parse_study(
        study_text(R"({"lr": [0.01, 0.001], "batch": [16], "epochs": [2, 3.0]})"), "s"));
    QCOMPARE(cells.size(), size_t(4));
    QCOMPARE(cells[0].name, std::string("lr=0.01,batch=16,epochs=2"));
    QCOMPARE(cells[3].name, std::string("lr=0.001,batch=16,epochs=3"));
    QCOMPARE(cells[3].spec.train.lr, 0.001);
    QCOMPARE(cells[3].spec.train.batch, 16);
    QCOMPARE(cells[3].spec.train.epochs, 3);
    QCOMPARE(cells[3].spec.arch.widths_string(), std::string("mlp:6,8,3"));  // untouched
    QCOMPARE(cells[0].group, cells[0].name);
  }

  void badSweepsNameTheirKey() {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {R"({"seeds": [0, 1, 2]})", "study.json: sweep.seeds: 3 seeds; pairs need an even number"},
        {R"({"width": []})", "study.json: sweep.width:"},
        {R"({"width": [8, 0]})", "study.json: sweep.width[1]: must be >= 1"},
        {R"({"lr": [0.1, -1]})", "study.json: sweep.lr[1]: must be > 0"},
        {R"({"batch": [0]})", "study.json: sweep.batch[0]:"},
        {R"({"epochs": [1.5]})", "study.json: sweep.epochs[0]:"},
        {R"({"height": [8]})", "study.json: sweep"},
        {R"({"width": [8, 8]})", "study.json: sweep.width: value 8 appears twice"},
        {R"({"seeds": [3, 3]})", "study.json: sweep.seeds: seed 3 appears twice"},
        {R"({})", "study.json: sweep: lists no variable"},
        {R"([8])", "study.json: sweep:"},
        {R"({"width": [1,2,3,4,5,6,7,8,9,10,11], "depth": [1,2,3,4,5,6,7,8,9,10],
             "lr": [1,2,3,4,5,6,7,8,9,10,11]})",
         "study.json: sweep: more than 1000 cells"},
    };
    for (const auto& [sweep, want] : cases) {
      const std::string got = error_of(study_text(sweep));
      QVERIFY2(got.rfind(want, 0) == 0, qPrintable(QString::fromStdString(sweep + " → " + got)));
    }
    // Undefined width or depth for the spec's architecture.
    QVERIFY(error_of(study_text(R"({"depth": [2]})", "mlp:6,8,5,3"))
                .rfind("study.json: sweep.depth: model.arch mlp:6,8,5,3 has no single hidden width",
                       0) == 0);
    QVERIFY(error_of(study_text(R"({"width": [4]})", "mlp:6,3"))
                .rfind("study.json: sweep.width: model.arch mlp:6,3 has no hidden layer", 0) == 0);
    const std::string quad =
        R"({"name": "q", "model": {"kind": "quadratic", "arch": "quadratic:dim=4"},
      "models": [{"name": "a", "seed": 0}, {"name": "b", "seed": 1}], "sweep": {"width": [4]}})";
    QVERIFY2(error_of(quad).rfind("study.json: sweep.width: applies to mlp models only", 0) == 0,
             error_of(quad).c_str());
    const std::string three = R"([{"name": "seed0", "seed": 0}, {"name": "seed1", "seed": 1},
                                  {"name": "seed2", "seed": 2}])";
    QVERIFY(error_of(study_text(R"({"seeds": [0, 1]})", "mlp:6,8,3", three))
                .rfind("study.json: sweep.seeds: seed pairs need a spec with exactly two models",
                       0) == 0);
    // A study spec is not an ordinary spec: parse_spec refuses it rather than drop the sweep.
    try {
      parse_spec(study_text(R"({"width": [4]})"), "study.json");
      QFAIL("parse_spec accepted a sweep");
    } catch (const InputError& e) {
      QVERIFY(std::string(e.what()).rfind("study.json: sweep: a study spec", 0) == 0);
    }
    QVERIFY(has_sweep(study_text(R"({"width": [4]})")));
    QVERIFY(!has_sweep(R"({"name": "x"})"));
    QVERIFY(!has_sweep("{not json"));
  }

  // The spawn point: every spawned model's `from` is rewritten to "<parent>@step<N>"; the
  // seed pairs go to the two spawns (their data order), the parent keeps its seed.
  void spawnStepRewritesFromAndPairsTheSpawns() {
    const std::string models = R"([{"name": "parent", "seed": 9},
        {"name": "a", "from": "parent@step0", "seed": 1},
        {"name": "b", "from": "parent@step0", "seed": 2}])";
    std::string text =
        study_text(R"({"spawn_step": [0, 4, 8], "seeds": [1, 2, 3, 4]})", "mlp:6,8,3", models);
    // 300 samples, batch 32: 10 steps an epoch; checkpoints every 4 steps.
    text.replace(text.find(R"("epochs": 1,)"), 12, R"("epochs": 2, "checkpoint_every_steps": 4,)");
    text.replace(text.find(R"("a": "seed0", "b": "seed1")"), 26, R"("a": "a", "b": "b")");
    const std::vector<StudyCell> cells = expand_study(parse_study(text, "s.json"));
    QCOMPARE(names(cells),
             (std::vector<std::string>{"spawn_step=0,pair=0", "spawn_step=0,pair=1",
                                       "spawn_step=4,pair=0", "spawn_step=4,pair=1",
                                       "spawn_step=8,pair=0", "spawn_step=8,pair=1"}));
    const StudyCell& c = cells[5];
    QCOMPARE(c.spec.models[0].from, std::string());
    QCOMPARE(c.spec.models[0].seed, uint64_t(9));
    QCOMPARE(c.spec.models[1].from, std::string("parent@step8"));
    QCOMPARE(c.spec.models[2].from, std::string("parent@step8"));
    QCOMPARE(c.spec.models[1].seed, uint64_t(3));
    QCOMPARE(c.spec.models[2].seed, uint64_t(4));
    QCOMPARE(c.seeds, (std::pair<uint64_t, uint64_t>{3, 4}));
    QCOMPARE(c.group, std::string("spawn_step=8"));
    QCOMPARE(c.values[0].key, std::string("spawn_step"));
    QCOMPARE(c.values[0].number, 8.0);
    QCOMPARE(cells[0].spec.models[1].from, std::string("parent@step0"));

    // A point the recipe does not checkpoint is the spec's own error, naming the cell.
    std::string bad = text;
    bad.replace(bad.find("[0, 4, 8]"), 9, "[0, 6]");
    const std::string err = error_of(bad);
    QVERIFY2(err.find("sweep cell spawn_step=6,pair=0") != std::string::npos, err.c_str());
    QVERIFY2(err.find("checkpoint_every_steps is 4; it must divide 6") != std::string::npos,
             err.c_str());
    // (A point past the end of training is refused when the cell's run loads its data: the
    // steps of an epoch depend on the data's size; see run.cpp's check_checkpoint_steps.)
    // No spawned model to move.
    QVERIFY(error_of(study_text(R"({"spawn_step": [0]})"))
                .rfind("study.json: sweep.spawn_step: the spec spawns no model", 0) == 0);
    // Seed pairs with three spawns are ambiguous.
    const std::string three = R"([{"name": "parent", "seed": 9},
        {"name": "seed0", "from": "parent@step0", "seed": 1},
        {"name": "seed1", "from": "parent@step0", "seed": 2},
        {"name": "c", "from": "parent@step0", "seed": 3}])";
    std::string t3 = study_text(R"({"seeds": [1, 2]})", "mlp:6,8,3", three);
    t3.replace(t3.find(R"("epochs": 1,)"), 12, R"("epochs": 1, "checkpoint_every_steps": 4,)");
    QVERIFY2(error_of(t3).rfind("study.json: sweep.seeds: seed pairs need a spec with exactly two "
                                "models, or exactly two spawned models (models has 4, 3 spawned)",
                                0) == 0,
             error_of(t3).c_str());
    // A negative or fractional step is the schema's error.
    QVERIFY(error_of(study_text(R"({"spawn_step": [-1]})"))
                .rfind("study.json: sweep.spawn_step[0]:", 0) == 0);
    QVERIFY(error_of(study_text(R"({"spawn_step": [1.5]})"))
                .rfind("study.json: sweep.spawn_step[0]:", 0) == 0);
    QVERIFY(error_of(study_text(R"({"spawn_step": [4, 4]})"))
                .rfind("study.json: sweep.spawn_step: value 4 appears twice", 0) == 0);
  }

  // The attention variant of a transformer (issue 15/16): one level per registry name, the
  // `attn=` item of model.arch rewritten, the rest of the architecture kept.
  void attnSweepRewritesTheTransformersAttention() {
    const std::string arch = "transformer:tokens=16,seq=8,d=8,heads=2,layers=1,ff=16,attn=softmax,causal";
    std::string text = study_text(R"({"seeds": [0, 1, 2, 3], "lr": [0.01], "attn": ["softmax", "linear_elu"]})", arch);
    text = replaced(text, R"("model": {)", R"("model": {"kind": "transformer", )");
    text = replaced(text, "gmm:300,100,6,3,1", "task:mqar,vocab=16,length=8,pairs=2,train=64,test=32,seed=1");
    const StudySpec s = parse_study(text, "s.json");
    QCOMPARE(s.axes.at(0).key, std::string("attn"));  // after width and depth, before the recipe
    const std::vector<StudyCell> cells = expand_study(s);
    QCOMPARE(names(cells), (std::vector<std::string>{
                               "attn=softmax,lr=0.01,pair=0", "attn=softmax,lr=0.01,pair=1",
                               "attn=linear_elu,lr=0.01,pair=0", "attn=linear_elu,lr=0.01,pair=1"}));
    QCOMPARE(cells[0].spec.model_text, arch);
    QCOMPARE(cells[3].spec.model_text,
             std::string("transformer:tokens=16,seq=8,d=8,heads=2,layers=1,ff=16,attn=linear_elu,causal"));
    QCOMPARE(cells[3].spec.model_kind, std::string("transformer"));
    QCOMPARE(cells[3].seeds, (std::pair<uint64_t, uint64_t>{2, 3}));
    QCOMPARE(cells[3].group, std::string("attn=linear_elu,lr=0.01"));
    QCOMPARE(cells[3].values.at(0).key, std::string("attn"));
    QCOMPARE(cells[3].values.at(0).text, std::string("linear_elu"));
    QVERIFY(std::isnan(cells[3].values.at(0).number));  // a name has no numeric value
    QCOMPARE(cells[3].values.at(1).number, 0.01);
    // The study round-trips through its JSON, the names as JSON strings.
    QVERIFY(study_to_json(s).find(R"("attn": [
      "softmax",
      "linear_elu"
    ])") != std::string::npos);
    QCOMPARE(study_to_json(parse_study(study_to_json(s), "again")), study_to_json(s));

    // Every name of the registry is a level (the list is the registry's, not the sweep's).
    std::string all = "[";
    for (const auto& n : attention_names()) all += (all.size() > 1 ? ", \"" : "\"") + n + "\"";
    all += "]";
    std::string every = text;
    every = replaced(every, R"("seeds": [0, 1, 2, 3], "lr": [0.01], )", "");
    every = replaced(every, R"(["softmax", "linear_elu"])", all);
    const std::vector<StudyCell> each = expand_study(parse_study(every, "s.json"));
    QCOMPARE(each.size(), attention_names().size());
    QVERIFY(each.size() >= 9);
    for (size_t i = 0; i < each.size(); ++i) {
      QCOMPARE(each[i].name, "attn=" + attention_names()[i]);
      QVERIFY2(each[i].spec.model_text.find(",attn=" + attention_names()[i] + ",") != std::string::npos,
               each[i].spec.model_text.c_str());
    }

    // Errors: one line naming the key.
    auto with_attn = [&](const std::string& list) {
      std::string t = text;
      t = replaced(t, R"(["softmax", "linear_elu"])", list);
      return error_of(t);
    };
    std::string known;
    for (const auto& n : attention_names()) known += (known.empty() ? "" : ", ") + n;
    QCOMPARE(with_attn(R"(["softmax", "softmx"])"),
             "study.json: sweep.attn: unknown attention variant 'softmx' (known: " + known + ")");
    QCOMPARE(with_attn(R"(["inline", "softmax", "inline"])"),
             std::string(R"(study.json: sweep.attn: value "inline" appears twice)"));
    QVERIFY2(with_attn("[3]").rfind("study.json: sweep.attn[0]:", 0) == 0, with_attn("[3]").c_str());
    QVERIFY(with_attn("[]").rfind("study.json: sweep.attn:", 0) == 0);
    // An MLP has no attention.
    QCOMPARE(error_of(study_text(R"({"attn": ["softmax"]})")),
             std::string("study.json: sweep.attn: applies to transformer models only (model.kind is mlp)"));
    // Width and depth stay MLP-only on a transformer spec.
    std::string w = text;
    w = replaced(w, R"("attn": [)", R"("width": [4], "attn": [)");
    QVERIFY2(error_of(w).rfind("study.json: sweep.width: applies to mlp models only (model.kind is transformer)", 0) == 0,
             error_of(w).c_str());
    // A variant option the swept variant lacks is the cell's own error, naming the cell.
    std::string perf = text;
    perf = replaced(perf, "attn=softmax,causal", "attn=performer,features=16,causal");
    const std::string err = error_of(perf);
    QVERIFY2(err.find("sweep cell attn=softmax,lr=0.01,pair=0") != std::string::npos, err.c_str());
    QVERIFY2(err.find("'features' applies to performer and hedgehog only") != std::string::npos, err.c_str());
    QVERIFY2(err.find('\n') == std::string::npos, err.c_str());
  }

  // A study over attention variants runs end to end: each cell's run folder holds its variant,
  // study.json records the name as a string and reads back, and the aggregate's files write
  // the names (JSON strings, CSV text).
  void attnStudyRunsAndAggregatesByName() {
    test::ScratchDir dir("study-attn");
    std::string text = study_text(R"({"attn": ["softmax", "linear_elu"], "seeds": [0, 1, 2, 3]})",
                                  "transformer:tokens=16,seq=8,d=8,heads=2,layers=1,ff=16,attn=softmax,causal");
    text = replaced(text, R"("model": {)", R"("model": {"kind": "transformer", )");
    text = replaced(text, "gmm:300,100,6,3,1", "task:mqar,vocab=16,length=8,pairs=2,train=64,test=32,seed=1");
    const StudySpec s = parse_study(text, "s.json");
    StudyOptions o;
    o.out_dir = dir.file("study");
    o.device = "cpu";
    o.threads = 1;
    const StudySummary sum = run_study(s, o);
    QCOMPARE(sum.status, std::string("finished"));
    QCOMPARE(load_spec(o.out_dir + "/cells/attn=linear_elu,pair=1/experiment.json").model_text,
             std::string("transformer:tokens=16,seq=8,d=8,heads=2,layers=1,ff=16,attn=linear_elu,causal"));
    const json rec = json::parse(read_file(o.out_dir + "/study.json"));
    QCOMPARE(rec["cells"][2]["values"]["attn"].get<std::string>(), std::string("linear_elu"));
    QCOMPARE(rec["cells"][2]["values"]["pair"].get<int>(), 0);
    const StudySummary back = read_study_folder(o.out_dir);
    QCOMPARE(back.cells.at(2).name, std::string("attn=linear_elu,pair=0"));
    const StudyAggregate agg = aggregate_study_folder(back);
    QCOMPARE(agg.keys, (std::vector<std::string>{"attn"}));
    QVERIFY(agg.missing.empty());
    int groups = 0;
    for (const auto& g : agg.groups) {
      if (g.path != "naive" || g.split != "test") continue;
      QCOMPARE(g.n, 2);
      QVERIFY(std::isfinite(g.stats[0].mean) && std::isfinite(g.stats[0].std));
      QCOMPARE(g.values.at(0).text, groups == 0 ? std::string("softmax") : std::string("linear_elu"));
      ++groups;
    }
    QCOMPARE(groups, 2);
    const json j = json::parse(read_file(o.out_dir + "/results/study.json"));
    QCOMPARE(j["groups"][0]["values"]["attn"].get<std::string>(), std::string("softmax"));
    QCOMPARE(j["cells"].back()["values"]["attn"].get<std::string>(), std::string("linear_elu"));
    const std::string csv = read_file(o.out_dir + "/results/study.csv");
    QVERIFY2(csv.rfind("attn,group,path,split,n,", 0) == 0, csv.c_str());
    QVERIFY2(csv.find("\nlinear_elu,attn=linear_elu,naive,test,2,") != std::string::npos, csv.c_str());
    const std::string cells_csv = read_file(o.out_dir + "/results/cells.csv");
    QVERIFY2(cells_csv.find("\n\"attn=linear_elu,pair=1\",linear_elu,1,2,3,naive,test,") != std::string::npos,
             cells_csv.c_str());
  }

  // Every bundled study parses and expands (test_spec's bundledExamplesParse covers
  // resources/experiments only).
  void bundledStudiesParseAndExpand() {
    int n = 0;
    for (const auto& f : fs::directory_iterator(test::source_path("resources/studies"))) {
      const StudySpec s = load_study(f.path().string());
      const std::vector<StudyCell> cells = expand_study(s, f.path().string());
      QVERIFY2(cells.size() >= 2, f.path().c_str());
      for (const auto& c : cells) QVERIFY2(c.spec.models.size() >= 2, c.name.c_str());
      ++n;
    }
    QVERIFY(n >= 3);
    const StudySpec w = load_study(test::source_path("resources/studies/fmnist-width-study.json"));
    QCOMPARE(w.axes.at(0).key, std::string("width"));
    QCOMPARE(w.axes.at(0).values.front(), std::string("32"));
    QCOMPARE(w.axes.at(0).values.back(), std::string("512"));
    QVERIFY(w.axes.at(1).key == "seeds" && w.axes.at(1).values.size() >= 6);
    const StudySpec i =
        load_study(test::source_path("resources/studies/fmnist-instability-study.json"));
    QCOMPARE(i.axes.at(0).key, std::string("spawn_step"));
    QCOMPARE(i.axes.at(0).values.front(), std::string("0"));
    QVERIFY(i.axes.at(1).key == "seeds" && i.axes.at(1).values.size() >= 6);
  }

  void sweepRangesAreThoseOfTheKeysTheyReplace() {
    const json schema = json::parse(experiment_schema());
    const json& sweep = schema["$defs"]["sweep"]["properties"];
    for (const char* key : {"lr", "batch", "epochs"}) {
      json train = schema["properties"]["train"]["properties"][key];
      train.erase("default");
      train.erase("description");
      QVERIFY2(sweep[key]["items"] == train, key);
    }
    json seed = schema["properties"]["models"]["items"]["properties"]["seed"];
    QVERIFY(sweep["seeds"]["items"] == seed);
    for (const auto& [key, prop] : sweep.items()) {
      QVERIFY2(prop.contains("maxItems"), key.c_str());
      QVERIFY2(prop.value("minItems", 0) >= 1, key.c_str());
    }
    std::vector<std::string> keys;
    for (const auto& [key, prop] : sweep.items()) keys.push_back(key);
    std::vector<std::string> engine = sweep_keys();
    std::sort(keys.begin(), keys.end());
    std::sort(engine.begin(), engine.end());
    QCOMPARE(keys, engine);
  }

  void aggregateEqualsHandComputation() {
    test::ScratchDir dir("study-agg");
    const StudySpec s =
        parse_study(study_text(R"({"width": [4, 16], "seeds": [0, 1, 2, 3, 4, 5]})"), "s");
    const auto cells = expand_study(s);
    // width=4: three pairs, naive test loss_lin 1, 2, 3 → mean 2, sample std 1, min 1, max 3;
    // error_lin 0.1, 0.2, 0.6 → mean 0.3, std sqrt(((−0.2)² + (−0.1)² + 0.3²)/2) = sqrt(0.07).
    // width=16: pair 1 has no results (missing): two pairs, loss_lin 0.5, 1.5 → mean 1,
    // std sqrt(0.5); error_mid NaN in one → undefined stats.
    const double nan = std::nan("");
    const std::vector<std::array<double, 4>> naive_test = {
        {1, 10, 0.1, 0.01}, {2, 20, 0.2, 0.02}, {3, 30, 0.6, 0.03}, {0.5, 5, 0.0, nan}, {},
        {1.5, 6, 0.25, 0.5}};
    StudySummary sum;
    sum.study_dir = dir.path().string();
    sum.spec = s;
    sum.cells = cells;
    for (size_t i = 0; i < cells.size(); ++i) {
      StudyCellRecord r;
      r.name = cells[i].name;
      r.run_dir = (dir.path() / "cells" / cells[i].name).string();
      r.status = i == 4 ? "cancelled" : "finished";
      if (i != 4)
        write_barriers(r.run_dir, {{"naive", "test", naive_test[i]},
                                   {"wm", "test", {0, 0, 0, 0}},
                                   {"naive", "train", {double(i), 0, 0, 0}}});
      sum.records.push_back(r);
    }
    const StudyAggregate agg = aggregate_study_folder(sum);
    QCOMPARE(agg.keys, (std::vector<std::string>{"width"}));
    QCOMPARE(agg.paths, (std::vector<std::string>{"naive", "wm"}));
    QCOMPARE(agg.missing, (std::vector<std::string>{"width=16,pair=1"}));
    QCOMPARE(agg.cells.size(), size_t(15));
    QCOMPARE(agg.groups.size(), size_t(6));  // 2 groups × (naive test, naive train, wm test)
    auto find = [&](const std::string& g, const std::string& p, const std::string& split) {
      for (const auto& r : agg.groups)
        if (r.group == g && r.path == p && r.split == split) return r;
      qFatal("no group row %s %s %s", g.c_str(), p.c_str(), split.c_str());
    };
    const StudyGroupRow a = find("width=4", "naive", "test");
    QCOMPARE(a.n, 3);
    QCOMPARE(a.values.size(), size_t(1));
    QCOMPARE(a.values[0].text, std::string("4"));
    QCOMPARE(a.stats[0].mean, 2.0);
    QCOMPARE(a.stats[0].std, 1.0);
    QCOMPARE(a.stats[0].min, 1.0);
    QCOMPARE(a.stats[0].max, 3.0);
    QCOMPARE(a.stats[1].mean, 20.0);
    QCOMPARE(a.stats[1].std, 10.0);
    QVERIFY(std::abs(a.stats[2].mean - 0.3) < 1e-15);
    QVERIFY(std::abs(a.stats[2].std - std::sqrt(0.07)) < 1e-15);
    QCOMPARE(a.stats[2].max, 0.6);
    const StudyGroupRow b = find("width=16", "naive", "test");
    QCOMPARE(b.n, 2);
    QCOMPARE(b.stats[0].mean, 1.0);
    QVERIFY(std::abs(b.stats[0].std - std::sqrt(0.5)) < 1e-15);
    QVERIFY(std::isnan(b.stats[3].mean) && std::isnan(b.stats[3].std));
    const StudyGroupRow t = find("width=16", "naive", "train");
    QCOMPARE(t.stats[0].mean, (3.0 + 5.0) / 2);
    const StudyGroupRow w = find("width=4", "wm", "test");
    QCOMPARE(w.stats[0].std, 0.0);
    // Files: JSON nulls for undefined values, CSV with the swept keys first and full precision.
    const json j = json::parse(aggregate_to_json(agg));
    QCOMPARE(j["groups"][0]["loss_lin"]["std"].get<double>(), 1.0);
    QVERIFY(j["std"].get<std::string>().find("n - 1") != std::string::npos);
    const std::string csv = aggregate_to_csv(agg);
    QVERIFY(
        csv.rfind("width,group,path,split,n,loss_lin_mean,loss_lin_std,loss_lin_min,loss_lin_max,"
                  "loss_mid_mean",
                  0) == 0);
    QVERIFY2(csv.find("\n4,width=4,naive,test,3,2,1,1,3,20,10,10,30,") != std::string::npos,
             csv.c_str());
    QVERIFY(csv.find("16,width=16,naive,test,2,1,0.70710678118654757,0.5,1.5,5.5,") !=
            std::string::npos);
    QVERIFY(aggregate_cells_csv(agg).rfind("cell,width,pair,seed_a,seed_b,path,split,loss_lin",
                                           0) == 0);
    // A malformed barriers file is an error naming it.
    write_file_atomic((dir.path() / "cells" / cells[0].name / "results" / "barriers.json").string(),
                      "{");
    try {
      aggregate_study_folder(sum);
      QFAIL("accepted a malformed barriers.json");
    } catch (const InputError& e) {
      QVERIFY(std::string(e.what()).find("barriers.json: invalid JSON") != std::string::npos);
    }
  }

  void runnerReusesFinishedCellsAndHonoursCancel() {
    test::ScratchDir dir("study-run");
    const StudySpec s = parse_study(study_text(R"({"width": [4, 8], "seeds": [0, 1]})"), "s");
    StudyOptions o;
    o.out_dir = dir.file("study");
    o.device = "cpu";
    o.threads = 1;
    // Cancelled before anything ran: exit by Cancelled, the record says so.
    CancelToken stop;
    stop.cancel();
    QVERIFY_EXCEPTION_THROWN(run_study(s, o, {}, &stop), Cancelled);
    json rec = json::parse(read_file(o.out_dir + "/study.json"));
    QCOMPARE(rec["status"].get<std::string>(), std::string("cancelled"));
    QCOMPARE(rec["cells"][0]["status"].get<std::string>(), std::string("cancelled"));

    int ran = 0, reused = 0;
    StudyEvents ev;
    ev.on_cell_start = [&](size_t, size_t total, const StudyCell&, bool r) {
      QCOMPARE(total, size_t(2));
      (r ? reused : ran)++;
    };
    StudySummary first = run_study(s, o, ev);
    QCOMPARE(ran, 2);
    QCOMPARE(reused, 0);
    QCOMPARE(first.status, std::string("finished"));
    for (const char* c : {"width=4,pair=0", "width=8,pair=0"}) {
      const fs::path cell = fs::path(o.out_dir) / "cells" / c;
      QVERIFY(fs::exists(cell / "results" / "barriers.json"));
      QCOMPARE(
          json::parse(read_file((cell / "provenance.json").string()))["status"].get<std::string>(),
          std::string("finished"));
    }
    QCOMPARE(load_spec(o.out_dir + "/cells/width=8,pair=0/experiment.json").arch.widths_string(),
             std::string("mlp:6,8,3"));
    rec = json::parse(read_file(o.out_dir + "/study.json"));
    QCOMPARE(rec["status"].get<std::string>(), std::string("finished"));
    QVERIFY(rec["cells"][1]["train_seconds"].get<double>() > 0);
    QVERIFY(rec["cells"][1]["analysis_seconds"].get<double>() > 0);
    QCOMPARE(rec["cells"][1]["values"]["width"].get<int>(), 8);
    const std::string aggregate = read_file(o.out_dir + "/results/study.json");

    // Restart: every cell reused, nothing trained again (the checkpoints keep their bytes and
    // times), the same aggregate.
    const fs::path ckpt =
        fs::path(o.out_dir) / "cells" / "width=4,pair=0" / "checkpoints" / "seed0.safetensors";
    const auto mtime = fs::last_write_time(ckpt);
    ran = reused = 0;
    StudySummary second = run_study(s, o, ev);
    QCOMPARE(ran, 0);
    QCOMPARE(reused, 2);
    QCOMPARE(second.records[0].status, std::string("reused"));
    QVERIFY(fs::last_write_time(ckpt) == mtime);
    QCOMPARE(read_file(o.out_dir + "/results/study.json"), aggregate);
    // Re-aggregation from the folder gives the same.
    const StudySummary back = read_study_folder(o.out_dir);
    QCOMPARE(back.status, std::string("finished"));
    QCOMPARE(aggregate_to_json(aggregate_study_folder(back)) + "\n", aggregate);

    // Another study into the same folder is refused.
    const StudySpec other = parse_study(study_text(R"({"width": [4, 9], "seeds": [0, 1]})"), "s");
    try {
      run_study(other, o);
      QFAIL("ran a different study into the folder");
    } catch (const InputError& e) {
      QVERIFY(std::string(e.what()).find("holds a different study") != std::string::npos);
    }
  }
};

QTEST_APPLESS_MAIN(TestStudy)
#include "test_study.moc"
