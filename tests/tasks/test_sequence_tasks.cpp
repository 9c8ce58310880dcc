// The synthetic sequence tasks (ridgeline/tasks/sequence_tasks.h) against their definitions:
// MQAR as Zoology's multiquery_ar (ranges, no repeats, each label the value paired with the
// queried key, the constraints, the power-law gap distribution in draw order), associative
// recall and induction heads as safari's generators, copying and selective copying as S4's;
// determinism (same seed → same bytes, pinned by a golden hash), the accuracy over labelled
// positions on hand-made cases, and the files.
#include <QtTest>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "common/test_support.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/io/fileio.h"
#include "ridgeline/io/npy.h"
#include "ridgeline/tasks/sequence_tasks.h"

using namespace ridgeline;

// FNV-1a of the bytes of generate_task(...) below (goldenBytesArePinned).
#define GOLDEN_MQAR_INPUTS 0xae76429fba4cbda6ull
#define GOLDEN_MQAR_LABELS 0x996808248dee21d6ull
#define GOLDEN_SELCOPY_INPUTS 0x8fce15f5006933edull

namespace {

SequenceTaskParams mqar(int vocab, int length, int pairs, int passes = 1) {
  SequenceTaskParams p = default_task_params(SequenceTask::Mqar);
  p.vocab = vocab;
  p.length = length;
  p.pairs = pairs;
  p.passes = passes;
  return p;
}

uint64_t fnv1a(const std::vector<int32_t>& v) {
  uint64_t h = 1469598103934665603ull;
  for (int32_t x : v)
    for (int b = 0; b < 4; ++b) {
      h ^= (static_cast<uint32_t>(x) >> (8 * b)) & 0xff;
      h *= 1099511628211ull;
    }
  return h;
}

// The gap of each key (in draw order) of an MQAR row without random non-queries.
std::vector<int> mqar_gaps(const TaskBatch& b, int i) {
  const auto& p = b.params;
  const int context = 2 * p.pairs * p.passes;
  const int32_t* in = b.input_row(i);
  std::vector<int> gaps(p.pairs, -1);
  for (int t = context; t < p.length; ++t)
    for (int c = 0; c < p.pairs; ++c)
      if (in[t] != 0 && in[t] == in[2 * c]) gaps[c] = (t - context) / 2;
  return gaps;
}

// 4σ of a binomial frequency estimate (plus a little for the σ of tiny p).
double tolerance(double p, int n) { return 4 * std::sqrt(p * (1 - p) / n) + 1e-3; }

}  // namespace

class TestSequenceTasks : public QObject {
  Q_OBJECT
 private slots:
  void mersenneTwisterIsTheStandardOne() {
    // The C++ standard fixes mt19937_64's 10000th output for the default seed 5489.
    TaskRng rng(5489);
    uint64_t x = 0;
    for (int i = 0; i < 10000; ++i) x = rng.next();
    QCOMPARE(x, uint64_t{9981545732273789042ull});
    TaskRng r2(7);
    for (int i = 0; i < 1000; ++i) {
      QVERIFY(r2.below(3) < 3);
      const double u = r2.uniform();
      QVERIFY(u >= 0 && u < 1);
    }
  }

  void mqarRespectsZoologysDefinition() {
    for (auto [V, L, kappa, passes] : {std::tuple{8192, 64, 4, 1}, std::tuple{8192, 256, 16, 1},
                                       std::tuple{70, 64, 16, 1}, std::tuple{200, 48, 4, 2}}) {
      const TaskBatch b = generate_task(mqar(V, L, kappa, passes), 300, 11);
      QCOMPARE(b.inputs.size(), size_t(300) * L);
      const int context = 2 * kappa * passes;
      for (int i = 0; i < b.examples; ++i) {
        const int32_t* in = b.input_row(i);
        const int32_t* lab = b.label_row(i);
        std::map<int32_t, int32_t> value_of;
        std::set<int32_t> values;
        for (int c = 0; c < kappa; ++c) {
          const int32_t k = in[2 * c], v = in[2 * c + 1];
          QVERIFY2(k >= 1 && k < V / 2, "key outside [1, V/2)");
          QVERIFY2(v >= V / 2 && v < V, "value outside [V/2, V)");
          QVERIFY2(!value_of.count(k), "a key repeats inside a sequence");
          QVERIFY2(!values.count(v), "a value repeats inside a sequence");
          value_of[k] = v;
          values.insert(v);
        }
        for (int t = 0; t < context; ++t) {  // JRT passes repeat the context
          QCOMPARE(in[t], in[t % (2 * kappa)]);
          QCOMPARE(lab[t], kIgnoreLabel);
        }
        int labelled = 0;
        std::set<int32_t> queried;
        for (int t = context; t < L; ++t) {
          if (lab[t] == kIgnoreLabel) {
            QCOMPARE(in[t], 0);  // zero-filled query region
            continue;
          }
          ++labelled;
          QVERIFY2((t - context) % 2 == 0, "a query at an odd offset");
          QVERIFY2(value_of.count(in[t]), "a labelled position is not a key of the context");
          QCOMPARE(lab[t], value_of[in[t]]);  // the value paired earlier with the queried key
          queried.insert(in[t]);
        }
        QCOMPARE(labelled, kappa);
        QCOMPARE(int(queried.size()), kappa);  // every key queried once
      }
    }
  }

  void mqarRandomNonQueriesOnlyFillTheZeros() {
    SequenceTaskParams p = mqar(512, 128, 8);
    const TaskBatch z = generate_task(p, 200, 3);
    p.random_non_queries = true;
    const TaskBatch r = generate_task(p, 200, 3);
    QVERIFY(z.labels == r.labels);  // the same keys, values and gaps
    int filled = 0, nonzero = 0;
    for (size_t t = 0; t < z.inputs.size(); ++t) {
      QVERIFY(r.inputs[t] >= 0 && r.inputs[t] < 512);
      if (z.inputs[t] != 0)
        QCOMPARE(r.inputs[t], z.inputs[t]);
      else {
        ++filled;
        nonzero += r.inputs[t] != 0;
      }
    }
    QVERIFY(filled > 0 && nonzero > filled * 9 / 10);  // uniform on [0, 512): few zeros
  }

  void mqarConstraintsAreRefusedNamingTheParameter() {
    const struct {
      SequenceTaskParams p;
      int64_t examples;
      const char* param;
    } cases[] = {
        {mqar(64, 64, 4), 10, "vocab"},        // V > L
        {mqar(8192, 64, 17), 10, "pairs"},     // 4κ ≤ L
        {mqar(8192, 64, 11, 2), 10, "pairs"},  // 2κ(passes+1) ≤ L
        {mqar(8192, 63, 4), 10, "length"},     // even
        {mqar(8192, 64, 0), 10, "pairs"},     {mqar(8192, 64, 4, 0), 10, "passes"},
        {mqar(8192, 64, 4), 0, "examples"},   {mqar(8192, 64, 4), int64_t{1} << 40, "examples"}};
    for (const auto& c : cases) {
      const auto e = task_param_problem(c.p, c.examples);
      QVERIFY2(e.has_value(), c.param);
      QCOMPARE(QString::fromStdString(e->param), QString(c.param));
      bool thrown = false;
      try {
        check_task_params(c.p, c.examples);
      } catch (const InputError& err) {
        thrown = std::string(err.what()).find(std::string("mqar ") + c.param + ": ") == 0;
      }
      QVERIFY2(thrown, c.param);
    }
    SequenceTaskParams bad_a = mqar(8192, 64, 4);
    bad_a.power_a = 0;
    QCOMPARE(QString::fromStdString(task_param_problem(bad_a, 1)->param), QString("power_a"));
    QVERIFY(!task_param_problem(mqar(8192, 64, 16), 1));  // 4κ = L is allowed
    QVERIFY(!task_param_problem(mqar(65, 64, 4), 1));     // V = L + 1 too
    QVERIFY_THROWS_EXCEPTION(InputError, generate_task(mqar(64, 64, 4), 1, 0));
  }

  void mqarGapsFollowThePowerLawInDrawOrder() {
    // p(g) ∝ a·(g+1)^(a−1) over g ∈ [0, space): the first key's gap has this law; the second
    // key's gap is the next draw without replacement: P(g₂ = 0) = Σ_{g≠0} p_g p_0 / (1 − p_g).
    const int n = 20000, space = 28;  // L = 64, κ = 4: (64 − 8)/2
    const TaskBatch b = generate_task(mqar(8192, 64, 4), n, 5);
    std::vector<double> p(space);
    double z = 0;
    for (int g = 0; g < space; ++g) z += p[g] = 0.01 * std::pow(g + 1.0, 0.01 - 1);
    for (double& x : p) x /= z;
    double second0 = 0;
    for (int g = 1; g < space; ++g) second0 += p[g] * p[0] / (1 - p[g]);
    std::vector<int> first(space), second(space);
    for (int i = 0; i < n; ++i) {
      const auto gaps = mqar_gaps(b, i);
      std::set<int> distinct(gaps.begin(), gaps.end());
      QCOMPARE(int(distinct.size()), 4);
      ++first[gaps[0]];
      ++second[gaps[1]];
    }
    for (int g : {0, 1, 2, 5, 27}) {
      const double f = static_cast<double>(first[g]) / n;
      QVERIFY2(std::abs(f - p[g]) < tolerance(p[g], n),
               qPrintable(QString("gap %1: %2 against p = %3").arg(g).arg(f).arg(p[g])));
    }
    QVERIFY(p[0] > 0.24 && p[0] > 5 * p[27]);  // skewed: the smallest gap is the likeliest
    const double f0 = static_cast<double>(second[0]) / n;
    QVERIFY2(std::abs(f0 - second0) < tolerance(second0, n), qPrintable(QString::number(f0)));
    // a = 1: uniform gaps.
    SequenceTaskParams u = mqar(8192, 64, 1);
    u.power_a = 1;
    const TaskBatch ub = generate_task(u, n, 6);
    std::vector<int> counts(31);  // (64 − 2)/2
    for (int i = 0; i < n; ++i) ++counts[mqar_gaps(ub, i)[0]];
    for (int c : counts) QVERIFY(std::abs(c / double(n) - 1 / 31.0) < tolerance(1 / 31.0, n));
  }

  void sameSeedSameBytesOtherSeedsDiffer() {
    for (const std::string& name : task_names()) {
      const SequenceTaskParams p = default_task_params(*parse_task(name));
      const TaskBatch a = generate_task(p, 64, 42), b = generate_task(p, 64, 42),
                      c = generate_task(p, 64, 43);
      QVERIFY2(a.inputs == b.inputs && a.labels == b.labels, name.c_str());
      QVERIFY2(a.inputs != c.inputs, name.c_str());
      const TaskBatch head =
          generate_task(p, 10, 42);  // a set's first rows do not depend on its size
      QVERIFY(std::equal(head.inputs.begin(), head.inputs.end(), a.inputs.begin()));
      QVERIFY(std::equal(head.labels.begin(), head.labels.end(), a.labels.begin()));
    }
  }

  void goldenBytesArePinned() {
    // Exact integer draws from std::mt19937_64: these hashes do not depend on the C++ standard
    // library (MQAR's gap order also passes through libm's pow and log1p). A change here
    // changes every data set made before: say so in the docs.
    const TaskBatch m = generate_task(mqar(8192, 64, 4), 100, 0);
    const TaskBatch s = generate_task(default_task_params(SequenceTask::SelectiveCopying), 10, 0);
    qInfo("mqar %llx/%llx, selective copying %llx", (unsigned long long)fnv1a(m.inputs),
          (unsigned long long)fnv1a(m.labels), (unsigned long long)fnv1a(s.inputs));
    QCOMPARE(fnv1a(m.inputs), uint64_t{GOLDEN_MQAR_INPUTS});
    QCOMPARE(fnv1a(m.labels), uint64_t{GOLDEN_MQAR_LABELS});
    QCOMPARE(fnv1a(s.inputs), uint64_t{GOLDEN_SELCOPY_INPUTS});
  }

  void associativeRecallRespectsSafarisDefinition() {
    for (bool all : {false, true}) {
      SequenceTaskParams p = default_task_params(SequenceTask::AssociativeRecall);
      p.all_targets = all;
      const int V = p.vocab, L = p.length, keys = (V - 2) / 2;
      const TaskBatch b = generate_task(p, 500, 1);
      for (int i = 0; i < b.examples; ++i) {
        const int32_t* in = b.input_row(i);
        const int32_t* lab = b.label_row(i);
        std::map<int32_t, int32_t> value_of;
        for (int t = 0; t + 1 < L - 2; t += 2) {
          QVERIFY(in[t] >= 0 && in[t] < keys);
          QVERIFY(in[t + 1] >= keys && in[t + 1] < V - 2);
          if (value_of.count(in[t])) QCOMPARE(in[t + 1], value_of[in[t]]);  // one value per key
          value_of[in[t]] = in[t + 1];
        }
        QCOMPARE(in[L - 2], V - 2);  // "=>"
        QVERIFY2(value_of.count(in[L - 1]), "the query key was not in the context");
        QCOMPARE(lab[L - 1], value_of[in[L - 1]]);
        for (int t = 0; t + 1 < L; ++t) QCOMPARE(lab[t], all ? in[t + 1] : kIgnoreLabel);
      }
    }
    SequenceTaskParams odd = default_task_params(SequenceTask::AssociativeRecall);
    odd.length = 41;
    QCOMPARE(QString::fromStdString(task_param_problem(odd, 1)->param), QString("length"));
  }

  void inductionHeadRespectsSafarisDefinition() {
    for (int m : {1, 3}) {
      SequenceTaskParams p = default_task_params(SequenceTask::InductionHead);
      p.tokens = m;
      const int V = p.vocab, L = p.length, prefix = V - 2;
      const TaskBatch b = generate_task(p, 500, 2);
      std::set<int> trigger_positions;
      for (int i = 0; i < b.examples; ++i) {
        const int32_t* in = b.input_row(i);
        const int32_t* lab = b.label_row(i);
        const int base = L - m;
        QCOMPARE(in[base], prefix);  // the final "=>"
        int pos = -1, count = 0;
        for (int t = 0; t < base; ++t)
          if (in[t] == prefix) {
            pos = pos < 0 ? t : pos;
            ++count;
          } else {
            QVERIFY(in[t] >= 0 && in[t] < V - 2);
          }
        QCOMPARE(count, 1);
        trigger_positions.insert(pos);
        QVERIFY(pos + m < base);
        for (int c = 0; c < m; ++c) {
          QCOMPARE(lab[base + c], in[pos + 1 + c]);  // the tokens after the trigger
          if (c + 1 < m) QCOMPARE(in[base + 1 + c], in[pos + 1 + c]);
        }
        for (int t = 0; t < base; ++t) QCOMPARE(lab[t], kIgnoreLabel);
      }
      QVERIFY(trigger_positions.size() > 10);
    }
  }

  void copyingRespectsS4sDefinition() {
    for (bool selective : {false, true}) {
      const SequenceTaskParams p =
          default_task_params(selective ? SequenceTask::SelectiveCopying : SequenceTask::Copying);
      const int A = p.vocab, L = p.length, M = p.tokens, n_slots = L - M;
      const TaskBatch b = generate_task(p, 300, 4);
      std::set<std::vector<int>> layouts;
      for (int i = 0; i < b.examples; ++i) {
        const int32_t* in = b.input_row(i);
        const int32_t* lab = b.label_row(i);
        std::vector<int32_t> tokens;
        std::vector<int> where;
        for (int t = 0; t < n_slots; ++t) {
          QCOMPARE(lab[t], kIgnoreLabel);
          QVERIFY(in[t] >= 0 && in[t] <= A - 2);
          if (in[t] != 0) {
            tokens.push_back(in[t]);
            where.push_back(t);
          }
        }
        QCOMPARE(int(tokens.size()), M);  // tokens are never 0: exactly M non-blank n_slots
        if (!selective) QCOMPARE(where.back(), M - 1);
        layouts.insert(where);
        for (int c = 0; c < M; ++c) {
          QCOMPARE(in[n_slots + c], A - 1);       // markers
          QCOMPARE(lab[n_slots + c], tokens[c]);  // the tokens, in order
        }
      }
      QCOMPARE(layouts.size() > 100, selective);
    }
  }

  void accuracyOverLabelledPositions() {
    const std::vector<int32_t> labels = {-100, 5, -100, 7, -100, -100, -100, -100, 1, 2, 3, 4};
    const std::vector<int32_t> preds = {0, 5, 0, 0, 9, 9, 9, 9, 1, 2, 0, 4};
    const TaskAccuracy a = task_accuracy(labels, preds, 3, 4);
    QCOMPARE(a.per_example[0], 0.5);
    QVERIFY(std::isnan(a.per_example[1]));  // no labelled position
    QCOMPARE(a.per_example[2], 0.75);
    QCOMPARE(a.mean, 0.625);
    QCOMPARE(a.overall, 4.0 / 6.0);
    QCOMPARE(a.labelled, int64_t{6});
    QCOMPARE(a.correct, int64_t{4});
    // Predicting the labels themselves is perfect; predicting -100 never counts.
    const TaskBatch b = generate_task(mqar(8192, 64, 4), 20, 9);
    QCOMPARE(task_accuracy(b, b.labels).mean, 1.0);
    QCOMPARE(task_accuracy(b, b.inputs).overall, 0.0);  // a key is never its own value
    QVERIFY(std::isnan(
        task_accuracy(std::vector<int32_t>(4, -100), std::vector<int32_t>(4, 0), 1, 4).mean));
    QVERIFY_THROWS_EXCEPTION(InputError, task_accuracy(labels, std::vector<int32_t>(5), 3, 4));
  }

  void filesRoundTrip() {
    test::ScratchDir dir("tasks");
    const TaskBatch b = generate_task(mqar(256, 32, 2), 7, 123);
    write_task(b, dir.file("out"));
    const NpyArray in = read_npy(dir.file("out/inputs.npy")),
                   lab = read_npy(dir.file("out/labels.npy"));
    QCOMPARE(QString::fromStdString(in.descr), QString("<i4"));
    QVERIFY((in.shape == std::vector<int64_t>{7, 32}) &&
            (lab.shape == std::vector<int64_t>{7, 32}));
    for (size_t t = 0; t < b.inputs.size(); ++t) {
      QCOMPARE(in.values[t], double(b.inputs[t]));
      QCOMPARE(lab.values[t], double(b.labels[t]));
    }
    const auto j = nlohmann::json::parse(read_file(dir.file("out/task.json")));
    QCOMPARE(j["task"].get<std::string>(), std::string("mqar"));
    QCOMPARE(j["pairs"].get<int>(), 2);
    QCOMPARE(j["seed"].get<uint64_t>(), uint64_t{123});
    QCOMPARE(j["ignore_label"].get<int>(), -100);
    const std::string text = format_example(b, 0);
    QVERIFY(text.find(" → ") != std::string::npos);
    QVERIFY_THROWS_EXCEPTION(InputError, format_example(b, 7));
  }
};

QTEST_APPLESS_MAIN(TestSequenceTasks)
#include "test_sequence_tasks.moc"
