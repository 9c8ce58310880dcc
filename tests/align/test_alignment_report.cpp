// Alignment reports: built from a live result and parsed from its JSON they agree exactly;
// malformed files fail with one line naming the file and key; a run's reports survive load_run.
#include <QtTest>
#include <cmath>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>

#include "ridgeline/align/alignment.h"
#include "ridgeline/align/alignment_report.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/io/fileio.h"
#include "ridgeline/experiment/run.h"
#include "test_support.h"

using namespace ridgeline;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Exact equality (QCOMPARE on doubles is fuzzy), printing both values on failure.
#define EXACT(a, b)                                                                           \
  QVERIFY2((a) == (b), qPrintable(QString("%1 = %2, expected %3").arg(#a).arg(double(a), 0, 'g', \
                                                                            17).arg(double(b), 0, 'g', 17)))

void compareReports(const AlignmentReport& got, const AlignmentReport& want) {
  QCOMPARE(got.method, want.method);
  EXACT(got.objective_before, want.objective_before);
  EXACT(got.objective_after, want.objective_after);
  QCOMPARE(got.objective_per_sweep, want.objective_per_sweep);
  EXACT(got.l2_before, want.l2_before);
  EXACT(got.l2_after, want.l2_after);
  QCOMPARE(got.sweeps, want.sweeps);
  EXACT(got.seconds, want.seconds);
  EXACT(got.function_max_diff, want.function_max_diff);
  EXACT(got.function_max_logit, want.function_max_logit);
  QCOMPARE(got.function_passed, want.function_passed);
  QCOMPARE(got.layers.size(), want.layers.size());
  for (size_t i = 0; i < got.layers.size(); ++i) {
    QCOMPARE(got.layers[i].name, want.layers[i].name);
    QCOMPARE(got.layers[i].size, want.layers[i].size);
    EXACT(got.layers[i].gain, want.layers[i].gain);
    QCOMPARE(got.layers[i].moved, want.layers[i].moved);
  }
  QVERIFY(got == want);  // the defaulted operator== agrees
}

// Three permutations moving 2, 0 and 3 units (counted by hand).
AlignmentResult handMade(PermutationSpec& spec) {
  spec.names = {"P0", "P1", "P2"};
  spec.sizes = {4, 3, 5};
  AlignmentResult r;
  r.method = "wm";
  r.perms = {{1, 0, 2, 3}, {0, 1, 2}, {2, 0, 1, 3, 4}};
  r.objective_before = -1.0 / 3.0;
  r.objective_after = 12.345678901234567;
  r.objective_per_sweep = {10.5, 12.3, 12.345678901234567};
  r.layer_gain = {7.25e-7, 0.0, 4.4};
  r.l2_before = 31.41592653589793;
  r.l2_after = 2.718281828459045;
  r.sweeps = 3;
  r.seconds = 0.012;
  r.function_max_diff = 3.1e-7;
  r.function_max_logit = 14.5;
  return r;
}

QString parseError(const std::string& text) {
  try {
    parse_alignment_report(text, "results/wm.json");
  } catch (const InputError& e) {
    return QString::fromStdString(e.what());
  }
  return "no error";
}

const char* kSpec = R"({
  "name": "tiny-align",
  "data": {"name": "gmm:400,150,6,3,1"},
  "model": {"arch": "mlp:6,12,10,3"},
  "train": {"epochs": 2, "batch": 32, "lr": 0.01},
  "models": [{"name": "seed0", "seed": 0}, {"name": "seed1", "seed": 1}],
  "steps": [{"type": "align", "a": "seed0", "b": "seed1", "method": "wm"},
            {"type": "align", "a": "seed0", "b": "seed1", "method": "am", "samples": 200},
            {"type": "interpolate", "id": "wm", "a": "seed0", "b": "seed1@wm", "points": 3}]
})";

}  // namespace

class TestAlignmentReport : public QObject {
  Q_OBJECT
 private slots:
  void movedMatchesHandCount() {
    QCOMPARE(moved_units({}), int64_t(0));
    QCOMPARE(moved_units({0, 1, 2}), int64_t(0));
    QCOMPARE(moved_units({1, 0, 2, 3}), int64_t(2));
    QCOMPARE(moved_units({2, 0, 1, 3, 4}), int64_t(3));
    PermutationSpec spec;
    const AlignmentReport rep = make_alignment_report(handMade(spec), spec);
    QCOMPARE(rep.layers.size(), size_t(3));
    QCOMPARE(rep.layers[0].moved, int64_t(2));
    QCOMPARE(rep.layers[1].moved, int64_t(0));
    QCOMPARE(rep.layers[2].moved, int64_t(3));
    QCOMPARE(rep.layers[2].name, std::string("P2"));
    QCOMPARE(rep.layers[2].size, int64_t(5));
    EXACT(rep.layers[0].gain, 7.25e-7);
    QVERIFY(rep.function_passed);  // 3.1e-7 ≤ 1e-4 · 14.5
  }

  void roundTripThroughJson() {
    PermutationSpec spec;
    const AlignmentResult r = handMade(spec);
    const AlignmentReport live = make_alignment_report(r, spec);
    for (int indent : {-1, 2}) {
      compareReports(parse_alignment_report(alignment_to_json(r, spec, indent), "x.json"), live);
      if (QTest::currentTestFailed()) return;
    }
    // A failed function check is reported as such.
    AlignmentResult bad = r;
    bad.function_max_diff = 0.5;
    const AlignmentReport back = parse_alignment_report(alignment_to_json(bad, spec), "x.json");
    QVERIFY(!back.function_passed);
    compareReports(back, make_alignment_report(bad, spec));
    // A non-finite number is written as null and reads back as NaN.
    bad.l2_after = std::nan("");
    QVERIFY(std::isnan(parse_alignment_report(alignment_to_json(bad, spec), "x.json").l2_after));
  }

  void malformedNamesFileAndKey() {
    PermutationSpec spec;
    const json good = json::parse(alignment_to_json(handMade(spec), spec));
    QCOMPARE(parseError(good.dump()), QString("no error"));
    struct Case {
      std::function<void(json&)> mutate;
      QString expected;  // the whole message, or its start when it ends with "…"
    };
    const std::vector<Case> cases = {
        {[](json& j) { j.erase("l2_after"); }, "results/wm.json: l2_after: missing"},
        {[](json& j) { j["objective_before"] = "big"; },
         "results/wm.json: objective_before: expected a number, got string"},
        {[](json& j) { j["objective_per_sweep"][1] = true; },
         "results/wm.json: objective_per_sweep[1]: expected a number, got boolean"},
        {[](json& j) { j["objective_per_sweep"] = 3.0; },
         "results/wm.json: objective_per_sweep: expected an array, got number"},
        {[](json& j) { j["sweeps"] = 2.5; },
         "results/wm.json: sweeps: expected an integer, got a non-integer number"},
        {[](json& j) { j["sweeps"] = -1; }, "results/wm.json: sweeps: must be >= 0, got -1"},
        {[](json& j) { j["method"] = ""; }, "results/wm.json: method: empty"},
        {[](json& j) { j["function_check"]["passed"] = 1; },
         "results/wm.json: function_check.passed: expected true or false, got number"},
        {[](json& j) { j["function_check"].erase("max_abs_logit"); },
         "results/wm.json: function_check.max_abs_logit: missing"},
        {[](json& j) { j["function_check"] = json::array(); },
         "results/wm.json: function_check: expected an object, got array"},
        {[](json& j) { j["layers"] = json::object(); },
         "results/wm.json: layers: expected an array, got object"},
        {[](json& j) { j["layers"][2] = 5; },
         "results/wm.json: layers[2]: expected an object, got number"},
        {[](json& j) { j["layers"][0]["name"] = 3; },
         "results/wm.json: layers[0].name: expected a string, got number"},
        {[](json& j) { j["layers"][1].erase("gain"); }, "results/wm.json: layers[1].gain: missing"},
        {[](json& j) { j["layers"][1]["size"] = 0; },
         "results/wm.json: layers[1].size: must be >= 1, got 0"},
        {[](json& j) { j["layers"][0]["permutation"] = {1, 1, 2, 3}; },
         "results/wm.json: layers[0].permutation: not a permutation of 0..3"},
        {[](json& j) { j["layers"][0]["permutation"] = {1, 0, 2, 4}; },
         "results/wm.json: layers[0].permutation: not a permutation of 0..3"},
        {[](json& j) { j["layers"][0]["permutation"][3] = -3; },
         "results/wm.json: layers[0].permutation[3]: must be >= 0, got -3"},
        {[](json& j) { j["layers"][2]["permutation"] = {0, 1, 2, 3}; },
         "results/wm.json: layers[2].permutation: has 4 entries for size 5"},
        {[](json& j) { j = json::array({1, 2}); },
         "results/wm.json: expected a JSON object (an alignment result), got array"},
    };
    for (const auto& c : cases) {
      json j = good;
      c.mutate(j);
      QCOMPARE(parseError(j.dump()), c.expected);
    }
    const QString invalid = parseError("{\"method\": \"wm\",");
    QVERIFY2(invalid.startsWith("results/wm.json: invalid JSON: "), qPrintable(invalid));
    QVERIFY(!invalid.contains('\n'));
  }

  // A transformer align step's results/<id>.orthogonal.json: written and read back exactly;
  // what is wrong is one line naming the file.
  void orthogonalReportRoundTrips() {
    AlignmentReport r;
    r.method = "wm+orth";
    r.objective_before = 412.5;
    r.objective_after = 97.125;
    r.l2_before = 48.2;
    r.l2_after = 41.9;
    r.seconds = 0.41;
    r.function_max_diff = 1.9e-6;
    r.function_max_logit = 11.8;
    r.function_passed = true;
    const std::string text = orthogonal_report_json(r, "seed0@canonical", "seed1@wm+orth");
    const AlignmentReport back = parse_orthogonal_report(text, "W.orthogonal.json");
    QCOMPARE(back.method, r.method);
    QCOMPARE(back.objective_before, r.objective_before);
    QCOMPARE(back.objective_after, r.objective_after);
    QCOMPARE(back.l2_before, r.l2_before);
    QCOMPARE(back.l2_after, r.l2_after);
    QCOMPARE(back.function_max_diff, r.function_max_diff);
    QVERIFY(back.function_passed);
    QVERIFY(back.layers.empty());
    QCOMPARE(orthogonal_report_json(back, "seed0@canonical", "seed1@wm+orth"), text);
    for (const auto& [bad, word] : std::vector<std::pair<std::string, std::string>>{
             {"{", "invalid JSON"}, {"[]", "object"}, {R"({"method": 1})", "method"},
             {R"({"method": "wm+orth"})", "stream_mismatch_before"}}) {
      try {
        parse_orthogonal_report(bad, "W.orthogonal.json");
        QFAIL(qPrintable(QString::fromStdString("accepted: " + bad)));
      } catch (const InputError& e) {
        const std::string m = e.what();
        QVERIFY2(m.rfind("W.orthogonal.json: ", 0) == 0 && m.find(word) != std::string::npos, e.what());
      }
    }
  }

  // Permutations within heads (a transformer step with "within_heads") read back whole; counts
  // that do not match the permutations, or lists that are not permutations, are refused.
  void withinHeadsRoundTrips() {
    PermutationSpec spec;
    AlignmentResult r = handMade(spec);
    WithinHeadsSummary w;
    w.heads = 4;  // 2 layers × 2 heads, head dimension 3
    w.head_perms = {{1, 0}, {0, 1}};
    w.heads_moved = 2;
    w.qk = {{0, 1, 2}, {2, 0, 1}, {0, 1, 2}, {1, 0, 2}};
    w.vo = {{0, 1, 2}, {0, 1, 2}, {0, 2, 1}, {0, 1, 2}};
    w.qk_moved = 2;
    w.vo_moved = 1;
    w.qk_before = 1.5;
    w.qk_after = 2.25;
    w.vo_before = 0.5;
    w.vo_after = 0.75;
    r.within_heads = w;
    const AlignmentReport live = make_alignment_report(r, spec);
    QVERIFY(live.within_heads && *live.within_heads == w);
    compareReports(parse_alignment_report(alignment_to_json(r, spec), "x.json"), live);
    QVERIFY(!make_alignment_report(handMade(spec), spec).within_heads);
    const json good = json::parse(alignment_to_json(r, spec));
    const std::vector<std::pair<std::function<void(json&)>, QString>> cases = {
        {[](json& j) { j["within_heads"]["qk_moved"] = 3; },
         "results/wm.json: within_heads: the moved counts do not match the permutations"},
        {[](json& j) { j["within_heads"]["qk"][1] = {2, 2, 1}; },
         "results/wm.json: within_heads.qk[1]: not a permutation of 0..2"},
        {[](json& j) { j["within_heads"]["vo"].erase(0); },
         "results/wm.json: within_heads: qk and vo need one permutation per head (4)"},
        {[](json& j) { j["within_heads"]["head_perms"] = {{1, 0}}; },
         "results/wm.json: within_heads.head_perms: does not cover the 4 heads"},
        {[](json& j) { j["within_heads"].erase("vo_gain_after"); },
         "results/wm.json: within_heads.vo_gain_after: missing"},
        {[](json& j) { j["within_heads"] = 3; },
         "results/wm.json: within_heads: expected an object, got number"},
    };
    for (const auto& [mutate, expected] : cases) {
      json j = good;
      mutate(j);
      QCOMPARE(parseError(j.dump()), expected);
    }
  }

  // Learned matching's results/<id>.learned.json: written and read back exactly; what is
  // wrong is one line naming the file.
  void learnedReportRoundTrips() {
    AlignmentReport r;
    r.method = "wm+orth+learned";
    r.objective_before = 0.8125;
    r.objective_after = 0.5625;
    r.objective_per_sweep = {0.9, 0.7, 0.5625};
    r.sweeps = 2;
    r.l2_before = 40.5;
    r.l2_after = 38.25;
    r.seconds = 12.5;
    r.function_max_diff = 2e-6;
    r.function_max_logit = 9.5;
    r.function_passed = true;
    const std::string text = learned_report_json(r, "seed0@canonical", "seed1@wm+orth+learned", 2, 0.4, 0.6);
    const AlignmentReport back = parse_learned_report(text, "W.learned.json");
    QVERIFY(back == r);
    QCOMPARE(learned_report_json(back, "seed0@canonical", "seed1@wm+orth+learned", 2, 0.4, 0.6), text);
    const json good = json::parse(text);
    for (const auto& [mutate, word] : std::vector<std::pair<std::function<void(json&)>, std::string>>{
             {[](json& j) { j["best_epoch"] = 3; }, "best_epoch"},
             {[](json& j) { j["best_epoch"] = -2; }, "best_epoch"},
             {[](json& j) { j["epochs"] = 0; }, "epochs"},
             {[](json& j) { j["midpoint_train_loss_per_epoch"].erase(0); }, "epochs + 1"},
             {[](json& j) { j["lambda"] = {0.6, 0.4}; }, "lambda"},
             {[](json& j) { j["lambda"] = {0.0, 0.4}; }, "lambda"},
             {[](json& j) { j.erase("midpoint_train_loss_after"); }, "midpoint_train_loss_after"},
             {[](json& j) { j = json::array(); }, "object"}}) {
      json j = good;
      mutate(j);
      try {
        parse_learned_report(j.dump(), "W.learned.json");
        QFAIL(qPrintable(QString::fromStdString("accepted: " + j.dump())));
      } catch (const InputError& e) {
        const std::string m = e.what();
        QVERIFY2(m.rfind("W.learned.json: ", 0) == 0 && m.find(word) != std::string::npos &&
                     m.find('\n') == std::string::npos,
                 e.what());
      }
    }
  }

  void liveRunAndLoadRunAgree() {
    test::ScratchDir dir("alignrep");
    RunOptions o;
    o.out_dir = dir.file("r");
    o.device = "cpu";
    o.threads = 1;
    std::vector<std::pair<std::string, AlignmentReport>> seen;
    RunEvents ev;
    ev.on_result = [&](const StepResult& r) {
      if (const auto* a = r.as<AlignStepResult>()) seen.emplace_back(r.id, a->report);
    };
    const RunSummary live = run_experiment(parse_spec(kSpec, "tiny.json"), o, ev);
    QCOMPARE(live.alignment_reports().size(), size_t(2));
    QCOMPARE(live.alignment_reports()[0].first, std::string("align-seed1@wm"));
    QCOMPARE(live.alignment_reports()[1].first, std::string("align-seed1@am"));
    QCOMPARE(seen.size(), size_t(2));
    for (size_t k = 0; k < 2; ++k) {
      QCOMPARE(seen[k].first, live.alignment_reports()[k].first);
      compareReports(seen[k].second, live.alignment_reports()[k].second);
      if (QTest::currentTestFailed()) return;
    }
    const AlignmentReport wm = live.alignment_reports()[0].second;
    const AlignmentResult wm_full = live.alignments()[0].second;
    QCOMPARE(wm.method, std::string("wm"));
    QCOMPARE(wm.layers.size(), size_t(2));
    QCOMPARE(wm.layers[0].size, int64_t(12));
    QCOMPARE(wm.layers[1].size, int64_t(10));
    QVERIFY(wm.function_passed);
    QVERIFY(wm.objective_after >= wm.objective_before);
    // ‖A − π(B)‖² = ‖A‖² + ‖B‖² − 2⟨A, π(B)⟩, and weight matching raised ⟨A, π(B)⟩.
    QVERIFY(wm.l2_after < wm.l2_before);
    QCOMPARE(wm.objective_per_sweep, wm_full.objective_per_sweep);
    QCOMPARE(live.alignment_reports()[1].second.method, std::string("am"));

    // `moved` against the permutations in the results file, counted here.
    const fs::path wm_file = fs::path(o.out_dir) / "results" / "align-seed1@wm.json";
    const json j = json::parse(read_file(wm_file.string()));
    for (size_t p = 0; p < 2; ++p) {
      int64_t moved = 0;
      const auto perm = j["layers"][p]["permutation"].get<std::vector<int>>();
      for (size_t i = 0; i < perm.size(); ++i) moved += perm[i] != int(i) ? 1 : 0;
      QCOMPARE(wm.layers[p].moved, moved);
      QCOMPARE(perm, wm_full.perms[p]);
    }

    RunSummary back = load_run(o.out_dir);
    QCOMPARE(back.alignment_reports().size(), size_t(2));
    for (size_t k = 0; k < 2; ++k) {
      QCOMPARE(back.alignment_reports()[k].first, live.alignment_reports()[k].first);
      compareReports(back.alignment_reports()[k].second, live.alignment_reports()[k].second);
      if (QTest::currentTestFailed()) return;
    }
    QVERIFY(back.alignments().empty());  // the heavy results stay live-only

    // A missing results file (a run cancelled before that step) is skipped.
    fs::remove(fs::path(o.out_dir) / "results" / "align-seed1@am.json");
    back = load_run(o.out_dir);
    QCOMPARE(back.alignment_reports().size(), size_t(1));
    QCOMPARE(back.alignment_reports()[0].first, std::string("align-seed1@wm"));
    QCOMPARE(back.interpolations().size(), size_t(1));

    // A present but malformed one is an error naming the file and the key.
    json broken = j;
    broken["layers"][1].erase("permutation");
    write_file_atomic(wm_file.string(), broken.dump());
    try {
      load_run(o.out_dir);
      QFAIL("load_run accepted a malformed alignment file");
    } catch (const InputError& e) {
      QCOMPARE(QString(e.what()),
               QString::fromStdString(wm_file.string() + ": layers[1].permutation: missing"));
    }
  }
};

QTEST_APPLESS_MAIN(TestAlignmentReport)
#include "test_alignment_report.moc"
