// The CUDA backend's GELU and LayerNorm ops against the CPU reference backend, on random
// inputs (see cuda_compare.h for the tolerances, the nmse measure and the sentinel pads).
// Exits 77 (ctest skip) when the CUDA backend is not compiled in or no device answers.
#include <QObject>
#include <QTest>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "cuda_compare.h"
#include "ridgeline/core/backend.h"

using ridgeline::Backend;
using namespace ridgeline::test;

namespace {
const size_t kSizes[] = {1, 7, 129, 100003};
}  // namespace

class TestCudaLayers : public QObject {
  Q_OBJECT

 private:
  std::unique_ptr<Backend> cpu_, gpu_;
  std::mt19937 rng_{20240612};

  Mirror mirror(const std::vector<float>& v) { return Mirror(*cpu_, *gpu_, v); }
  Mirror random(size_t n, float lo = -1.0f, float hi = 1.0f) {
    return mirror(random_vector(rng_, n, lo, hi));
  }

 private slots:
  void initTestCase() {
    cpu_ = ridgeline::make_backend("cpu", 2);
    gpu_ = ridgeline::make_backend("cuda", 2);
    QVERIFY(cpu_ && gpu_);
    QVERIFY(gpu_->supports(ridgeline::Op::Gelu) && gpu_->supports(ridgeline::Op::LayerNorm));
  }

  void gelu() {
    for (size_t n : kSizes) {
      std::vector<float> v = random_vector(rng_, n, -6.0f, 6.0f);
      v[0] = 0.0f;
      Mirror Z = mirror(v), Y = random(n);
      cpu_->gelu(Z.cpu(), Y.cpu(), n);
      gpu_->gelu(Z.gpu(), Y.gpu(), n);
      COMPARE_MIRROR(Y, kElementwise, "gelu n=" + std::to_string(n));
      COMPARE_MIRROR(Z, kExact, "gelu input n=" + std::to_string(n));
      cpu_->gelu(Z.cpu(), Z.cpu(), n);  // in place
      gpu_->gelu(Z.gpu(), Z.gpu(), n);
      COMPARE_MIRROR(Z, kElementwise, "gelu in place n=" + std::to_string(n));
    }
  }

  void geluBackward() {
    for (size_t n : kSizes) {
      Mirror Z = random(n, -6.0f, 6.0f), dY = random(n);
      cpu_->gelu_backward(dY.cpu(), Z.cpu(), n);
      gpu_->gelu_backward(dY.gpu(), Z.gpu(), n);
      COMPARE_MIRROR(dY, kElementwise, "gelu_backward n=" + std::to_string(n));
    }
  }

  void layerNorm() {
    // rows, cols: single element rows (var 0: y = β), short and long rows, many rows.
    const int shapes[][2] = {{1, 1}, {3, 1}, {7, 129}, {129, 7}, {1000, 10}, {64, 3000}, {0, 5}};
    for (const auto& s : shapes) {
      const int rows = s[0], cols = s[1];
      const size_t n = size_t(rows) * cols;
      std::vector<float> x = random_vector(rng_, n, -2.0f, 2.0f);
      for (size_t i = 0; i < n; ++i) x[i] += 3.0f * float(i / size_t(cols) % 5);  // row offsets
      Mirror X = mirror(x), g = random(size_t(cols), 0.5f, 1.5f), b = random(size_t(cols));
      Mirror Y = random(n), mean = random(size_t(rows)), rstd = random(size_t(rows));
      cpu_->layernorm(X.cpu(), g.cpu(), b.cpu(), rows, cols, 1e-5f, Y.cpu(), mean.cpu(), rstd.cpu());
      gpu_->layernorm(X.gpu(), g.gpu(), b.gpu(), rows, cols, 1e-5f, Y.gpu(), mean.gpu(), rstd.gpu());
      const std::string what = "layernorm " + std::to_string(rows) + "x" + std::to_string(cols);
      COMPARE_MIRROR(Y, kReduction, what + " Y");
      COMPARE_MIRROR(mean, kReduction, what + " mean");
      COMPARE_MIRROR(rstd, kReduction, what + " rstd");
      // In place, without statistics.
      cpu_->layernorm(X.cpu(), g.cpu(), b.cpu(), rows, cols, 1e-5f, X.cpu(), nullptr, nullptr);
      gpu_->layernorm(X.gpu(), g.gpu(), b.gpu(), rows, cols, 1e-5f, X.gpu(), nullptr, nullptr);
      COMPARE_MIRROR(X, kReduction, what + " in place");
      if (QTest::currentTestFailed()) return;
    }
  }

  void layerNormBackward() {
    const int shapes[][2] = {{1, 1}, {3, 1}, {7, 129}, {129, 7}, {1000, 10}, {64, 3000}, {4097, 33}, {0, 5}};
    for (const auto& s : shapes) {
      const int rows = s[0], cols = s[1];
      const size_t n = size_t(rows) * cols;
      Mirror X = random(n, -2.0f, 2.0f), g = random(size_t(cols), 0.5f, 1.5f), b = random(size_t(cols));
      Mirror Y = random(n), mean = random(size_t(rows)), rstd = random(size_t(rows));
      // Statistics from the CPU forward, the same on both sides.
      cpu_->layernorm(X.cpu(), g.cpu(), b.cpu(), rows, cols, 1e-5f, Y.cpu(), mean.cpu(), rstd.cpu());
      mean.set(mean.inner(false));
      rstd.set(rstd.inner(false));
      Mirror dY = random(n), dX = random(n), dg = random(size_t(cols)), db = random(size_t(cols));
      cpu_->layernorm_backward(dY.cpu(), X.cpu(), g.cpu(), mean.cpu(), rstd.cpu(), rows, cols,
                               dX.cpu(), dg.cpu(), db.cpu());
      gpu_->layernorm_backward(dY.gpu(), X.gpu(), g.gpu(), mean.gpu(), rstd.gpu(), rows, cols,
                               dX.gpu(), dg.gpu(), db.gpu());
      const std::string what = "layernorm_backward " + std::to_string(rows) + "x" + std::to_string(cols);
      COMPARE_MIRROR(dX, kReduction, what + " dX");
      COMPARE_MIRROR(dg, kReduction, what + " dgamma");
      COMPARE_MIRROR(db, kReduction, what + " dbeta");
      COMPARE_MIRROR(dY, kExact, what + " leaves dY");
      // dX aliasing dY; then determinism (same bits twice).
      const std::vector<float> first_dx = dX.inner(true), first_dg = dg.inner(true);
      cpu_->layernorm_backward(dY.cpu(), X.cpu(), g.cpu(), mean.cpu(), rstd.cpu(), rows, cols,
                               dY.cpu(), dg.cpu(), db.cpu());
      gpu_->layernorm_backward(dY.gpu(), X.gpu(), g.gpu(), mean.gpu(), rstd.gpu(), rows, cols,
                               dY.gpu(), dg.gpu(), db.gpu());
      COMPARE_MIRROR(dY, kReduction, what + " dX in place");
      COMPARE_MIRROR(dg, kReduction, what + " dgamma (dX in place)");
      QVERIFY2(dY.inner(true) == first_dx, (what + ": in-place dX differs").c_str());
      QVERIFY2(dg.inner(true) == first_dg, (what + ": dgamma not deterministic").c_str());
      if (QTest::currentTestFailed()) return;
    }
  }

  void cleanupTestCase() {
    gpu_.reset();
    cpu_.reset();
  }
};

int main(int argc, char** argv) {
  const std::string reason = cuda_skip_reason();
  if (!reason.empty()) {
    std::cout << "SKIP: " << reason << std::endl;
    return 77;
  }
  TestCudaLayers test;
  return QTest::qExec(&test, argc, argv);
}

#include "test_cuda_layers.moc"
