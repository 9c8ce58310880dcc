// The attention analysis of a transformer (attention/analysis.h): the maps it keeps are the
// model's own (attention_maps of a capture), the metrics are the means of metrics.h over the
// measured inputs, fidelity is measured only against softmax, and the files read back.
#include <QtTest>
#include <cmath>
#include <filesystem>

#include "ridgeline/attention/analysis.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/experiment/run.h"
#include "ridgeline/experiment/steps/attention_step.h"
#include "ridgeline/io/fileio.h"
#include "ridgeline/models/transformer/transformer.h"
#include "ridgeline/tasks/task_data.h"
#include "test_support.h"

using namespace ridgeline;

namespace {

const char* kTask = "task:mqar,vocab=32,length=16,pairs=4,train=8,test=12,seed=3";

Model model_of(const std::string& attn, bool causal = true, uint64_t seed = 1) {
  auto arch = parse_model_arch("transformer:tokens=32,seq=16,d=16,heads=2,layers=2,ff=16,attn=" +
                               attn + (causal ? ",causal" : ""));
  return {arch, arch->init(seed)};
}

}  // namespace

class TestAttentionAnalysis : public QObject {
  Q_OBJECT
 private slots:
  void mapsAndMetricsAreTheModelsOwn() {
    const DataSplits data = load_task_data(kTask);
    const Model m = model_of("softmax");
    AttentionAnalysisOptions o;
    o.examples = 10;
    o.show = 3;
    const AttentionAnalysis a = analyse_attention(m, data.test, o);
    QCOMPARE(a.layers, 2);
    QCOMPARE(a.heads, 2);
    QCOMPARE(a.tokens, 16);
    QCOMPARE(a.examples, 10);
    QCOMPARE(a.shown, std::vector<int>({0, 1, 2}));
    QCOMPARE(a.maps.size(), size_t(3 * 2 * 2 * 16 * 16));
    QCOMPARE(a.per_head.size(), size_t(4));
    QCOMPARE(a.overall.maps, 40);
    QVERIFY(std::isnan(a.overall.kl));  // softmax has no softmax reference to differ from
    QVERIFY(a.accuracy >= 0 && a.accuracy <= 1);
    QCOMPARE(a.token_labels[1][0],
             std::to_string(static_cast<int>(data.test.x[static_cast<size_t>(1) * 16])));
    // The second shown input's layer 1, head 0 map equals the capture's map.
    const std::vector<float> x(data.test.x.begin() + 16, data.test.x.begin() + 32);
    const auto c = capture_attention(m, x, 1).front();
    const auto maps = attention_maps(m, c);
    const size_t at = (static_cast<size_t>(1) * 4 + 2) * 256;
    for (int i = 0; i < 256; ++i) QCOMPARE(a.maps[at + i], maps[2].data[i]);
    // Entropy of causal softmax rows lies in [0, ln(i+1)]; the mean in [0, ln N].
    QVERIFY(a.overall.entropy > 0 && a.overall.entropy <= std::log(16.0));
    // The per-head means average to the overall mean (equal counts per head).
    double e = 0;
    for (const auto& h : a.per_head) e += h.metrics.entropy / 4;
    QVERIFY(std::abs(e - a.overall.entropy) < 1e-9);
  }

  void linearVariantsAreComparedWithSoftmax() {
    const DataSplits data = load_task_data(kTask);
    AttentionAnalysisOptions o;
    o.examples = 4;
    o.show = 0;
    o.evaluate = false;
    // Not causal: the causal mask lifts the rank bound (a masked low-rank map is not low rank).
    const AttentionAnalysis a = analyse_attention(model_of("linear_elu", false), data.test, o);
    QVERIFY(std::isfinite(a.overall.kl) && a.overall.kl >= 0);
    QVERIFY(std::isnan(a.accuracy));
    QVERIFY(a.maps.empty());
    // Rank of a linear map never exceeds its feature dimension (d_head = 8 for elu+1).
    for (const auto& h : a.per_head) QVERIFY(h.metrics.numerical_rank <= 8 + 1e-9);
    // TransNormer's rows are not distributions: no entropy, no KL (NaN), but a rank.
    const AttentionAnalysis t = analyse_attention(model_of("transnormer"), data.test, o);
    QVERIFY(std::isnan(t.overall.entropy) && std::isnan(t.overall.kl));
    QVERIFY(t.overall.effective_rank > 0);
  }

  void filesReadBack() {
    test::ScratchDir dir("attention-analysis");
    const DataSplits data = load_task_data(kTask);
    AttentionAnalysisOptions o;
    o.examples = 5;
    o.show = 2;
    const AttentionAnalysis a = analyse_attention(model_of("performer"), data.test, o);
    write_attention_analysis(a, dir.file(""), "lab");
    const AttentionAnalysis b = read_attention_analysis(dir.file(""), "lab");
    QCOMPARE(b.arch, a.arch);
    QCOMPARE(b.variant, std::string("performer"));
    QCOMPARE(b.maps, a.maps);
    QCOMPARE(b.shown, a.shown);
    QCOMPARE(b.token_labels, a.token_labels);
    QCOMPARE(b.per_head.size(), a.per_head.size());
    QCOMPARE(b.overall.entropy, a.overall.entropy);
    QCOMPARE(b.per_head[3].metrics.kl, a.per_head[3].metrics.kl);
    QVERIFY(std::isnan(a.collision_rate) || (a.collision_rate >= 0 && a.collision_rate <= 1));
    QCOMPARE(std::isnan(b.collision_rate), std::isnan(a.collision_rate));
    if (!std::isnan(a.collision_rate)) QCOMPARE(b.collision_rate, a.collision_rate);
    QCOMPARE(attention_analysis_json(b), attention_analysis_json(a));
    // The query/key embeddings: one per layer and head over every measured input's tokens.
    QCOMPARE(a.embeddings.size(), size_t(4));
    QCOMPARE(b.embeddings.size(), size_t(4));
    for (size_t k = 0; k < 4; ++k) {
      QCOMPARE(a.embeddings[k].dim, 8);
      QCOMPARE(a.embeddings[k].num_queries, 5 * 16);
      QCOMPARE(b.embeddings[k].size(), a.embeddings[k].size());
      QCOMPARE(b.embeddings[k].explained[0], a.embeddings[k].explained[0]);
      for (int i = 0; i < a.embeddings[k].size(); i += 7) {
        QCOMPARE(b.embeddings[k].x[i], double(float(a.embeddings[k].x[i])));
        QCOMPARE(b.embeddings[k].is_query[i], a.embeddings[k].is_query[i]);
        QCOMPARE(b.embeddings[k].source[i].position, a.embeddings[k].source[i].position);
      }
    }
  }

  void malformedFilesNameTheProblem() {
    test::ScratchDir dir("attention-analysis-bad");
    const DataSplits data = load_task_data(kTask);
    AttentionAnalysisOptions o;
    o.examples = 2;
    o.show = 1;
    const AttentionAnalysis a = analyse_attention(model_of("softmax"), data.test, o);
    write_attention_analysis(a, dir.file(""), "ok");
    const std::string text = read_file(dir.file("ok.json"));
    auto refused = [&](const std::string& t, const char* word) {
      try {
        attention_analysis_from_json(t, "x.json");
        QFAIL(qPrintable(QString("accepted: ") + word));
      } catch (const InputError& e) {
        QVERIFY2(std::string(e.what()).rfind("x.json: ", 0) == 0, e.what());
        QVERIFY2(std::string(e.what()).find(word) != std::string::npos, e.what());
      }
    };
    auto with = [&](const std::string& from, const std::string& to) {
      std::string t = text;
      const size_t at = t.find(from);
      if (at == std::string::npos) qFatal("test text has no %s", from.c_str());
      return t.replace(at, from.size(), to);
    };
    refused("{", "parse");
    refused("[]", "kind");
    refused(with("\"kind\": \"attention\"", "\"kind\": \"landscape\""), "kind");
    refused(with("\"heads\": 2", "\"heads\": 3"), "per_head");
    refused(with("\"heads\": 2", "\"heads\": 2.5"), "heads");
    refused(with("\"layers\": 2", "\"layers\": 1e40"), "layers");
    refused(with("\"tokens\": 16", "\"tokens\": 15"), "token_labels");
    refused(with("\"shown\": [", "\"shown\": [7,"), "shown");
    // Maps whose shape disagrees with the JSON.
    write_npy(dir.file("ok-maps.npy"), std::vector<float>(16), {1, 1, 1, 4, 4});
    QVERIFY_THROWS_EXCEPTION(InputError, read_attention_analysis(dir.file(""), "ok"));
  }

  // A `ridgeline attention` folder reads back as an attention step's result: models in
  // comparison.json's order, tokens.json's text as the shown input's labels; what is wrong
  // is one InputError naming the file.
  void attentionFolderReadsBack() {
    test::ScratchDir dir("attention-folder");
    const DataSplits data = load_task_data(kTask);
    AttentionAnalysisOptions o;
    o.examples = 2;
    o.show = 1;
    const AttentionAnalysis s = analyse_attention(model_of("softmax"), data.test, o);
    const AttentionAnalysis l = analyse_attention(model_of("linear_elu"), data.test, o);
    write_attention_analysis(l, dir.file(""), "lin");
    write_attention_analysis(s, dir.file(""), "soft");
    QVERIFY(!is_attention_folder(dir.file("")));
    write_file_atomic(dir.file("comparison.json"),
                      R"({"data": "x", "models": [{"name": "soft"}, {"name": "lin"}]})");
    QVERIFY(is_attention_folder(dir.file("")));
    AttentionStepResult r = read_attention_folder(dir.file(""));
    QCOMPARE(r.models, (std::vector<std::string>{"soft", "lin"}));
    QCOMPARE(r.analyses[0].variant, std::string("softmax"));
    QCOMPARE(r.analyses[1].variant, std::string("linear_elu"));
    QVERIFY(r.analyses[1].maps == l.maps);
    QCOMPARE(r.analyses[0].token_labels[0], s.token_labels[0]);
    std::string tokens = R"({"ids": [], "tokens": [)";
    for (int i = 0; i < 16; ++i) tokens += std::string(i ? ", " : "") + "\"t" + std::to_string(i) + "\"";
    write_file_atomic(dir.file("tokens.json"), tokens + "]}");
    r = read_attention_folder(dir.file(""));
    QCOMPARE(r.analyses[1].token_labels[0][3], std::string("t3"));
    std::filesystem::remove(dir.file("tokens.json"));
    auto refused = [&](const std::string& comparison, const char* word) {
      write_file_atomic(dir.file("comparison.json"), comparison);
      try {
        read_attention_folder(dir.file(""));
        QFAIL(qPrintable(QString("accepted: ") + QString::fromStdString(comparison)));
      } catch (const InputError& e) {
        QVERIFY2(std::string(e.what()).find("comparison.json") != std::string::npos ||
                     std::string(e.what()).find(".json") != std::string::npos, e.what());
        QVERIFY2(std::string(e.what()).find(word) != std::string::npos, e.what());
      }
    };
    refused("{", "invalid JSON");
    refused(std::string(200, '[') + std::string(200, ']'), "nested deeper");
    refused(R"({"models": []})", "models");
    refused(R"({"models": [{"name": 3}]})", "models[0].name");
    refused(R"({"models": [{"name": "../soft"}]})", "not a plain file name");
    refused(R"({"models": [{"name": ".hidden"}]})", "not a plain file name");
    refused(R"({"models": [{"name": "soft"}, {"name": "soft"}]})", "twice");
    refused(R"({"models": [{"name": "missing"}]})", "missing");
  }

  // With a result listener (the window), training a transformer sends its maps after every
  // epoch; without one nothing extra is computed, and nothing of it is written to the run.
  void trainingSendsLiveMapsEveryEpoch() {
    test::ScratchDir dir("attention-live");
    ExperimentSpec spec = load_spec(test::source_path("resources/experiments/mqar-attention.json"));
    spec.train.epochs = 3;
    spec.data = "task:mqar,vocab=32,length=16,pairs=4,train=64,test=16,seed=1";
    RunOptions o;
    o.out_dir = dir.file("run");
    o.device = "cpu";
    o.threads = 1;
    std::vector<int> epochs;
    std::vector<std::string> ids;
    RunEvents events;
    events.on_result = [&](const StepResult& r) {
      const auto* a = r.as<AttentionStepResult>();
      if (!a) return;
      ids.push_back(r.id);
      epochs.push_back(a->epoch);
      if (a->epoch > 0) {
        QCOMPARE(a->analyses.size(), size_t(1));
        QCOMPARE(a->analyses[0].examples, 8);
        QCOMPARE(a->analyses[0].shown.size(), size_t(4));
      }
    };
    run_experiment(spec, o, events);
    QCOMPARE(epochs, std::vector<int>({1, 2, 3, 0}));
    QCOMPARE(ids, std::vector<std::string>({"training-seed0", "training-seed0", "training-seed0",
                                            "attention"}));
    QVERIFY(!std::filesystem::exists(dir.file("run") + "/results/training-seed0.seed0.json"));
    const RunSummary run = load_run(dir.file("run"));
    int attention_results = 0;
    for (const StepResult& r : run.results) attention_results += r.as<AttentionStepResult>() != nullptr;
    QCOMPARE(attention_results, 1);
  }

  void refusesOtherModels() {
    const DataSplits data = load_task_data(kTask);
    auto mlp = parse_model_arch("mlp:16,8,32");
    try {
      analyse_attention(Model{mlp, mlp->init(0)}, data.test);
      QFAIL("analysed an MLP");
    } catch (const InputError& e) {
      QVERIFY2(std::string(e.what()).find("not a transformer") != std::string::npos, e.what());
    }
  }
};

QTEST_GUILESS_MAIN(TestAttentionAnalysis)
#include "test_attention_analysis.moc"
