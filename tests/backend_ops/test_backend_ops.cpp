// The backend-ops table: every op of every registered backend against the naive CPU reference
// ("reference", float64 accumulation), on random inputs and edge cases (1×1, sizes that are
// not multiples of any vector width, zero sizes, leading dimensions wider than the matrix,
// transposes, batch stride 0, the aliasing the interface allows). Agreement is the normalised
// error nmse = mse(ref, got) / mse(ref, 0) within a tolerance whose reason is written beside it
// (backend_compare.h); outputs sit inside sentinel pads; NaN/Inf outputs fail. A backend that
// is not available here (CUDA without a device) shows up as one visible SKIP row; the CPU
// backend always runs. Adding an op means adding one row (and a builder in op_rows.h).
#include <QObject>
#include <QTest>
#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "limited_backend.h"
#include "op_case.h"
#include "op_rows.h"
#include "ridgeline/core/backend.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/models/mlp/mlp.h"
#include "ridgeline/models/mlp/mlp_compute.h"

using namespace ridgeline;
using namespace ridgeline::test;

namespace {

constexpr Trans N = Trans::No, T = Trans::Yes;

std::vector<OpCase> table() {
  namespace r = rows;
  SgdParams plain{0.1f, 0.0f, 0.01f, false}, first{0.05f, 0.9f, 0.0f, true},
      later{0.05f, 0.9f, 1e-3f, false};
  AdamParams a1{1e-3f, 0.9f, 0.999f, 1e-8f, 0.0f, 1}, a10{3e-3f, 0.8f, 0.99f, 1e-8f, 0.01f, 10};
  return {
      // op builder(shape..., edge case)
      r::gemm(N, N, 1, 1, 1, 0, 1.0f, 0.0f, "1x1"),
      r::gemm(N, N, 7, 33, 1031, 0, 1.0f, 0.0f, "odd sizes"),
      r::gemm(N, T, 33, 7, 65, 5, 0.5f, -1.5f, "ld > width, beta"),
      r::gemm(T, N, 17, 31, 9, 3, 2.0f, 1.0f, "ld > width, accumulate"),
      r::gemm(T, T, 65, 1, 33, 1, 1.0f, 0.5f, "n = 1"),
      r::gemm(N, N, 5, 6, 0, 2, 1.0f, 0.5f, "k = 0 (C = beta C)"),
      r::gemm(N, N, 0, 6, 4, 0, 1.0f, 0.0f, "m = 0 (nothing)"),
      r::gemm_batched(N, T, 7, 5, 33, 3, false, false, "strided"),
      r::gemm_batched(N, T, 9, 4, 17, 4, true, false, "A stride 0 (shared)"),
      r::gemm_batched(T, N, 4, 9, 17, 3, false, true, "B stride 0 (shared)"),
      r::gemm_batched(N, N, 1, 1, 1, 1, false, false, "1x1"),
      r::gemm_batched(N, N, 3, 3, 3, 0, false, false, "batch 0"),
      r::columns(false, 1, 1, "1x1"),
      r::columns(false, 1031, 7, "odd"),
      r::columns(false, 0, 5, "no rows"),
      r::columns(true, 1, 1, "1x1"),
      r::columns(true, 7, 1031, "odd"),
      r::relu(1, "single"),
      r::relu(1031, "odd"),
      r::relu(0, "empty"),
      r::gelu(1, false, "single"),
      r::gelu(1031, false, "odd"),
      r::gelu(33, true, "in place"),
      r::layernorm(1, 1, false, true, "1x1 (variance 0)"),
      r::layernorm(7, 33, false, true, "odd"),
      r::layernorm(33, 1031, true, true, "wide, in place"),
      r::layernorm(5, 7, false, false, "statistics skipped"),
      r::layernorm(0, 7, false, true, "no rows"),
      r::layernorm_backward(7, 33, false, true, "odd"),
      r::layernorm_backward(1031, 7, true, true, "tall, in place"),
      r::layernorm_backward(3, 5, false, false, "no parameter grads"),
      r::layernorm_backward(0, 7, false, true, "no rows (zero dgamma/dbeta)"),
      r::column_sums(1, 1, 0.0f, "1x1"),
      r::column_sums(1031, 33, 0.0f, "tall"),
      r::column_sums(7, 1031, 0.5f, "wide, beta"),
      r::column_sums(0, 9, 0.5f, "no rows (out = beta out)"),
      r::softmax(false, 1, 1, 1, true, 0.0f, "1x1"),
      r::softmax(false, 7, 33, 3, true, 0.0f, "odd, period < rows"),
      r::softmax(false, 1031, 10, 1031, false, 0.0f, "no grad"),
      r::softmax(false, 50, 20, 50, true, 1e4f, "large logits"),
      r::softmax(true, 1, 1, 1, true, 0.0f, "1x1"),
      r::softmax(true, 7, 33, 3, true, 0.0f, "odd, period < rows"),
      r::softmax(true, 1031, 10, 1031, false, 0.0f, "no grad"),
      r::softmax(true, 50, 20, 50, true, 1e4f, "large logits"),
      r::softmax(true, 0, 5, 1, true, 0.0f, "no rows"),
      r::lerp(1, false, "single"),
      r::lerp(1031, true, "odd, in place"),
      r::lerp(0, false, "empty"),
      r::axpby(1, 2.0f, -1.0f, "single"),
      r::axpby(1031, 0.5f, 0.0f, "beta 0"),
      r::axpby(100003, -1.5f, 0.25f, "large"),
      r::sgd(1031, plain, "no momentum (v untouched)"),
      r::sgd(33, first, "momentum, first step"),
      r::sgd(100003, later, "momentum, weight decay"),
      r::adam(1, a1, "single"),
      r::adam(1031, a10, "weight decay"),
      r::reduction(false, 0, "empty"),
      r::reduction(false, 1, "single"),
      r::reduction(false, 1031, "odd"),
      r::reduction(false, 100003, "large"),
      r::reduction(true, 0, "empty"),
      r::reduction(true, 7, "odd"),
      r::reduction(true, 100003, "large"),
  };
}

}  // namespace

class TestBackendOps : public QObject {
  Q_OBJECT

 private:
  std::unique_ptr<Backend> ref_;
  std::map<std::string, std::unique_ptr<Backend>> backends_;  // available ones under test
  std::map<std::string, std::string> unavailable_;            // name → reason
  std::vector<OpCase> table_ = table();

 private slots:
  void initTestCase() {
    ref_ = make_backend("reference", 2);
    QCOMPARE(ref_->name(), std::string("reference"));
    for (const std::string& name : registered_backends()) {
      if (name == "reference") continue;
      const std::string why = backend_unavailable_reason(name);
      if (why.empty()) backends_[name] = make_backend(name, 2);
      else unavailable_[name] = why;
    }
    QVERIFY2(backends_.count("cpu"), "the cpu backend must always run");
  }

  void everyOpHasARow() {
    for (Op op : all_ops()) {
      const bool has = std::any_of(table_.begin(), table_.end(),
                                   [&](const OpCase& c) { return c.op == op; });
      QVERIFY2(has, (std::string("no row for op ") + to_string(op)).c_str());
    }
  }

  void opTable_data() {
    QTest::addColumn<QString>("backend");
    QTest::addColumn<int>("row");
    for (const auto& [name, reason] : unavailable_)
      QTest::newRow((name + ": every row").c_str()) << QString::fromStdString(name) << -1;
    for (const auto& [name, backend] : backends_)
      for (size_t i = 0; i < table_.size(); ++i)
        QTest::newRow((name + ": " + table_[i].title()).c_str())
            << QString::fromStdString(name) << int(i);
  }

  void opTable() {
    QFETCH(QString, backend);
    QFETCH(int, row);
    const std::string name = backend.toStdString();
    if (row < 0) QSKIP(("backend " + name + " unavailable: " + unavailable_[name]).c_str());
    Backend& got = *backends_.at(name);
    const OpCase& c = table_[size_t(row)];
    if (!got.supports(c.op))
      QSKIP((std::string("op ") + to_string(c.op) + " is not supported by backend " + name).c_str());
    std::string problem;
    double worst = 0.0;
    try {
      problem = run_case(c, *ref_, got, 1000u + unsigned(row), &worst);
    } catch (const std::exception& e) {
      problem = std::string("threw: ") + e.what();
    }
    // RIDGELINE_SHOW_NMSE=1 prints the measured error of every row (for choosing tolerances).
    if (qEnvironmentVariableIsSet("RIDGELINE_SHOW_NMSE"))
      qInfo("%s on %s: nmse %s", c.title().c_str(), name.c_str(), sci(worst).c_str());
    QVERIFY2(problem.empty(), (c.title() + " on " + name + ": " + problem).c_str());
  }

  // Out-of-range int32 labels are an InputError naming op and row on every backend (the
  // reference included); the CPU backends also reject bad float labels (CUDA writes NaN).
  void labelOutOfRangeIsAnError() {
    std::vector<Backend*> all = {ref_.get()};
    for (auto& [name, b] : backends_) all.push_back(b.get());
    const int rows = 20, cols = 6, period = 8;
    for (Backend* b : all) {
      for (int bad : {cols, -1, 1 << 30}) {
        std::vector<int> labels(period, 2);
        labels[5] = bad;  // first used by row 5
        IntBuffer l(*b, period);
        b->upload_int(l.data(), labels.data(), labels.size());
        DeviceBuffer z(*b, size_t(rows) * cols), loss(*b, rows), correct(*b, rows);
        std::string message;
        try {
          b->softmax_xent_i32(z.data(), l.data(), rows, cols, period, loss.data(), correct.data(),
                              nullptr, 1.0f);
          b->synchronize();
        } catch (const InputError& e) {
          message = e.what();
        }
        QVERIFY2(message.find("softmax_xent_i32") != std::string::npos &&
                     message.find("row 5") != std::string::npos,
                 (b->name() + " with label " + std::to_string(bad) + ": '" + message + "'").c_str());
      }
      if (b->name() == "cuda") continue;  // float labels: documented NaN on CUDA
      for (float bad : {6.0f, -1.0f, 2.5f}) {
        std::vector<float> labels(period, 1.0f);
        labels[3] = bad;
        DeviceBuffer l(*b, period), z(*b, size_t(rows) * cols), loss(*b, rows), correct(*b, rows);
        b->upload(l.data(), labels.data(), labels.size());
        std::string message;
        try {
          b->softmax_xent(z.data(), l.data(), rows, cols, period, loss.data(), correct.data(),
                          nullptr, 1.0f);
        } catch (const InputError& e) {
          message = e.what();
        }
        QVERIFY2(message.find("softmax_xent") != std::string::npos &&
                     message.find("row 3") != std::string::npos,
                 (b->name() + " with float label " + std::to_string(bad) + ": '" + message + "'")
                     .c_str());
      }
    }
  }

  void requireNamesOpAndBackend() {
    Backend& cpu = *backends_.at("cpu");
    for (Op op : all_ops()) {
      QVERIFY(cpu.supports(op) && ref_->supports(op));
      require(cpu, op);
      require(*ref_, op);
    }
    LimitedBackend limited(cpu, {Op::Dot, Op::LayerNorm});
    QVERIFY(!limited.supports(Op::Dot) && limited.supports(Op::Gemm));
    require(limited, Op::Gemm);  // does not throw
    std::string message;
    try {
      require(limited, Op::Dot);
    } catch (const RunError& e) {
      message = e.what();
    }
    QCOMPARE(message, std::string("op dot is not supported by backend cpu (device 0)"));
    QVERIFY_THROWS_EXCEPTION(RunError, require(limited, Op::LayerNorm));
    // The engine consults it: a network with LayerNorm fails by name on this backend, one
    // without runs.
    message.clear();
    try {
      MlpCompute net(limited, parse_arch("mlp:4,8,3+ln"), 5);
    } catch (const RunError& e) {
      message = e.what();
    }
    QCOMPARE(message, std::string("op layernorm is not supported by backend cpu (device 0)"));
    MlpCompute plain(limited, parse_arch("mlp:4,8,3"), 5);
  }

  void registryIsDrivenByFactories() {
    const std::vector<std::string> names = registered_backends();
    QVERIFY(std::find(names.begin(), names.end(), "cpu") != names.end());
    QVERIFY(std::find(names.begin(), names.end(), "reference") != names.end());
    QVERIFY(make_backend("auto", 1)->name() != "reference");
    QCOMPARE(backends_.at("cpu")->device_index(), 0);
    QCOMPARE(ref_->device_index(), 0);
    std::string message;
    try {
      make_backend("tpu", 1);
    } catch (const InputError& e) {
      message = e.what();
    }
    QVERIFY2(message.find("--device: unknown device 'tpu'") != std::string::npos &&
                 message.find("cpu") != std::string::npos &&
                 message.find("reference") != std::string::npos,
             message.c_str());
    std::set<std::string> op_names;
    for (Op op : all_ops()) op_names.insert(to_string(op));
    QCOMPARE(op_names.size(), all_ops().size());
  }

  // dot and nrm2 of the CPU backend do not depend on the thread count (fixed blocks).
  void cpuReductionsIgnoreThreadCount() {
    std::mt19937 rng(7);
    const std::vector<float> x = random_vector(rng, 200003), y = random_vector(rng, 200003);
    std::vector<double> results;
    for (int threads : {1, 2, 3}) {
      auto be = make_backend("cpu", threads);
      results.push_back(be->dot(x.data(), y.data(), x.size()));
      results.push_back(be->nrm2(x.data(), x.size()));
    }
    make_backend("cpu", 2);  // restore the thread count of the other tests
    for (size_t i = 2; i < results.size(); ++i)
      QVERIFY2(results[i] == results[i % 2], std::to_string(i).c_str());  // bits, not fuzzy
  }
};

QTEST_APPLESS_MAIN(TestBackendOps)
#include "test_backend_ops.moc"
