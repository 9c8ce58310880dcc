// The CUDA backend against the CPU reference backend, op by op, on random inputs.
// Agreement is measured by the normalised error nmse = mse(cpu, cuda) / mse(cpu, 0); every
// output lives inside sentinel pads that must come back unchanged (out-of-bounds writes), and
// CUDA outputs must be finite wherever the reference is. Exits 77 (ctest skip) when the CUDA
// backend is not compiled in or no device answers.
#include <QObject>
#include <QTest>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "cuda_compare.h"
#include "ridgeline/core/backend.h"
#include "ridgeline/core/errors.h"

using ridgeline::Backend;
using ridgeline::DeviceBuffer;
using ridgeline::Trans;
using namespace ridgeline::test;

namespace {

std::string trans_name(Trans t) { return t == Trans::Yes ? "T" : "N"; }

const size_t kSizes[] = {1, 7, 129, 100003};

}  // namespace

class TestCudaBackend : public QObject {
  Q_OBJECT

 private:
  std::unique_ptr<Backend> cpu_, gpu_;
  std::mt19937 rng_{20240611};

  Mirror mirror(const std::vector<float>& v) { return Mirror(*cpu_, *gpu_, v); }
  Mirror random(size_t n, float lo = -1.0f, float hi = 1.0f) {
    return mirror(random_vector(rng_, n, lo, hi));
  }

  // One GEMM case on both backends; C starts random, leading dimensions are padded by `pad`.
  void check_gemm(Trans ta, Trans tb, int m, int n, int k, int pad, float alpha, float beta) {
    const int a_rows = ta == Trans::No ? m : k, a_cols = ta == Trans::No ? k : m;
    const int b_rows = tb == Trans::No ? k : n, b_cols = tb == Trans::No ? n : k;
    const int lda = std::max(1, a_cols) + pad, ldb = std::max(1, b_cols) + pad, ldc = n + pad;
    Mirror A = random(size_t(a_rows) * lda), B = random(size_t(b_rows) * ldb);
    Mirror C = random(size_t(m) * ldc);
    std::vector<char> written(C.size(), 0);
    for (int r = 0; r < m; ++r)
      for (int c = 0; c < n; ++c) written[size_t(r) * ldc + c] = 1;
    cpu_->gemm(ta, tb, m, n, k, alpha, A.cpu(), lda, B.cpu(), ldb, beta, C.cpu(), ldc);
    gpu_->gemm(ta, tb, m, n, k, alpha, A.gpu(), lda, B.gpu(), ldb, beta, C.gpu(), ldc);
    const std::string what = "gemm " + trans_name(ta) + trans_name(tb) + " m=" + std::to_string(m) +
                             " n=" + std::to_string(n) + " k=" + std::to_string(k) +
                             " pad=" + std::to_string(pad);
    COMPARE_MIRROR(C, kReduction, what, &written);
  }

  // One batched case; a shared operand has stride 0, others sit `gap` floats apart.
  void check_gemm_batched(Trans ta, Trans tb, int m, int n, int k, int batch, bool share_a,
                          bool share_b) {
    const int a_rows = ta == Trans::No ? m : k, a_cols = ta == Trans::No ? k : m;
    const int b_rows = tb == Trans::No ? k : n, b_cols = tb == Trans::No ? n : k;
    const int lda = a_cols + 1, ldb = b_cols + 2, ldc = n + 3;
    const long long gap = 11;
    const long long sA = share_a ? 0 : (long long)a_rows * lda + gap;
    const long long sB = share_b ? 0 : (long long)b_rows * ldb + gap;
    const long long sC = (long long)m * ldc + gap;
    const size_t nA = size_t(share_a ? 1 : batch) * size_t(a_rows * lda + gap);
    const size_t nB = size_t(share_b ? 1 : batch) * size_t(b_rows * ldb + gap);
    Mirror A = random(nA), B = random(nB), C = random(size_t(batch) * size_t(sC));
    std::vector<char> written(C.size(), 0);
    for (int i = 0; i < batch; ++i)
      for (int r = 0; r < m; ++r)
        for (int c = 0; c < n; ++c) written[size_t(i * sC) + size_t(r) * ldc + c] = 1;
    const float alpha = 1.25f, beta = -0.5f;
    cpu_->gemm_batched(ta, tb, m, n, k, alpha, A.cpu(), lda, sA, B.cpu(), ldb, sB, beta, C.cpu(),
                       ldc, sC, batch);
    gpu_->gemm_batched(ta, tb, m, n, k, alpha, A.gpu(), lda, sA, B.gpu(), ldb, sB, beta, C.gpu(),
                       ldc, sC, batch);
    const std::string what = "gemm_batched " + trans_name(ta) + trans_name(tb) +
                             " m=" + std::to_string(m) + " n=" + std::to_string(n) +
                             " k=" + std::to_string(k) + " batch=" + std::to_string(batch) +
                             " strideA=" + std::to_string(sA) + " strideB=" + std::to_string(sB);
    COMPARE_MIRROR(C, kReduction, what, &written);
  }

  // One softmax cross-entropy case; `logits` has rows×cols values, labels have `period`.
  void check_softmax(const std::vector<float>& logits, int rows, int cols, int period,
                     bool with_grad, double tolerance) {
    std::uniform_int_distribution<int> pick(0, cols - 1);
    std::vector<float> labels(static_cast<size_t>(period));
    for (float& l : labels) l = float(pick(rng_));
    Mirror X = mirror(logits), L = mirror(labels);
    Mirror loss = mirror(std::vector<float>(size_t(rows), 0.5f));
    Mirror correct = mirror(std::vector<float>(size_t(rows), 0.5f));
    Mirror grad = mirror(std::vector<float>(size_t(rows) * cols, 0.5f));
    const float scale = 1.0f / float(rows);
    cpu_->softmax_xent(X.cpu(), L.cpu(), rows, cols, period, loss.cpu(), correct.cpu(),
                       with_grad ? grad.cpu() : nullptr, scale);
    gpu_->softmax_xent(X.gpu(), L.gpu(), rows, cols, period, loss.gpu(), correct.gpu(),
                       with_grad ? grad.gpu() : nullptr, scale);
    const std::string what = "softmax_xent rows=" + std::to_string(rows) +
                             " cols=" + std::to_string(cols) + " period=" + std::to_string(period);
    COMPARE_MIRROR(loss, tolerance, what + " loss");
    COMPARE_MIRROR(correct, kExact, what + " correct");
    if (with_grad) {
      COMPARE_MIRROR(grad, tolerance, what + " grad");
    } else {
      const std::vector<char> untouched(grad.size(), 0);
      COMPARE_MIRROR(grad, kExact, what + " (no grad requested)", &untouched);
    }
  }

 private slots:
  void initTestCase() {
    cpu_ = ridgeline::make_backend("cpu", 2);
    gpu_ = ridgeline::make_backend("cuda", 2);
    QVERIFY(cpu_ && gpu_);
    qInfo("CUDA backend: %s", gpu_->description().c_str());
  }

  void describesDevice() {
    QCOMPARE(gpu_->name(), std::string("cuda"));
    QVERIFY2(gpu_->description().find("CUDA") != std::string::npos, gpu_->description().c_str());
    QCOMPARE(gpu_->device_index(), 0);
    for (ridgeline::Op op : ridgeline::all_ops())
      QVERIFY2(gpu_->supports(op), ridgeline::to_string(op));
  }

  void allocationIsZeroed() {
    const size_t n = 1000003;
    for (int round = 0; round < 2; ++round) {
      // The second round likely reuses the memory the first one filled with garbage.
      DeviceBuffer buf(*gpu_, n);
      std::vector<float> host(n, 1.0f);
      gpu_->download(host.data(), buf.data(), n);
      QVERIFY(std::all_of(host.begin(), host.end(), [](float x) { return x == 0.0f; }));
      gpu_->fill(buf.data(), 3.5f, n);
      gpu_->synchronize();
    }
  }

  void uploadCopyDownloadRoundTrip() {
    for (size_t n : kSizes) {
      const std::vector<float> v = random_vector(rng_, n);
      DeviceBuffer a(*gpu_, n), b(*gpu_, n);
      gpu_->upload(a.data(), v.data(), n);
      gpu_->copy(b.data(), a.data(), n);
      std::vector<float> back(n);
      gpu_->download(back.data(), b.data(), n);
      QVERIFY(back == v);
    }
  }

  void fill() {
    for (size_t n : kSizes) {
      Mirror y = random(n);
      cpu_->fill(y.cpu(), -2.25f, n);
      gpu_->fill(y.gpu(), -2.25f, n);
      COMPARE_MIRROR(y, kExact, "fill n=" + std::to_string(n));
    }
  }

  void relu() {
    for (size_t n : kSizes) {
      std::vector<float> v = random_vector(rng_, n);
      v[0] = 0.0f;  // the boundary itself
      Mirror y = mirror(v);
      cpu_->relu(y.cpu(), n);
      gpu_->relu(y.gpu(), n);
      COMPARE_MIRROR(y, kExact, "relu n=" + std::to_string(n));
    }
  }

  void reluBackward() {
    for (size_t n : kSizes) {
      std::vector<float> out = random_vector(rng_, n);
      for (float& x : out) x = std::max(x, 0.0f);  // a ReLU output: about half exact zeros
      Mirror Y = mirror(out), dY = random(n);
      cpu_->relu_backward(dY.cpu(), Y.cpu(), n);
      gpu_->relu_backward(dY.gpu(), Y.gpu(), n);
      COMPARE_MIRROR(dY, kExact, "relu_backward n=" + std::to_string(n));
    }
  }

  void lerp() {
    for (size_t n : kSizes) {
      Mirror a = random(n), d = random(n), out = random(n);
      cpu_->lerp(out.cpu(), a.cpu(), d.cpu(), 0.37f, n);
      gpu_->lerp(out.gpu(), a.gpu(), d.gpu(), 0.37f, n);
      COMPARE_MIRROR(out, kElementwise, "lerp n=" + std::to_string(n));
      // In place: out aliases a.
      cpu_->lerp(a.cpu(), a.cpu(), d.cpu(), -1.5f, n);
      gpu_->lerp(a.gpu(), a.gpu(), d.gpu(), -1.5f, n);
      COMPARE_MIRROR(a, kElementwise, "lerp in place n=" + std::to_string(n));
    }
  }

  void axpby() {
    for (size_t n : kSizes) {
      for (float beta : {0.0f, 1.0f, -0.75f}) {
        Mirror x = random(n), y = random(n);
        cpu_->axpby(1.5f, x.cpu(), beta, y.cpu(), n);
        gpu_->axpby(1.5f, x.gpu(), beta, y.gpu(), n);
        COMPARE_MIRROR(y, kElementwise, "axpby n=" + std::to_string(n) + " beta=" + sci(beta));
      }
    }
  }

  void addBias() {
    const int shapes[][2] = {{1, 1}, {7, 129}, {129, 7}, {1000, 10}, {3, 1}};
    for (const auto& s : shapes) {
      const int rows = s[0], cols = s[1];
      Mirror Y = random(size_t(rows) * cols), b = random(size_t(cols));
      cpu_->add_bias(Y.cpu(), b.cpu(), rows, cols);
      gpu_->add_bias(Y.gpu(), b.gpu(), rows, cols);
      COMPARE_MIRROR(Y, kElementwise,
                     "add_bias " + std::to_string(rows) + "x" + std::to_string(cols));
    }
  }

  void scaleColumns() {
    const int shapes[][2] = {{1, 1}, {7, 129}, {129, 7}, {1000, 10}, {3, 1}, {0, 4}};
    for (const auto& s : shapes) {
      const int rows = s[0], cols = s[1];
      Mirror Y = random(size_t(rows) * cols), f = random(size_t(cols));
      cpu_->scale_columns(Y.cpu(), f.cpu(), rows, cols);
      gpu_->scale_columns(Y.gpu(), f.gpu(), rows, cols);
      COMPARE_MIRROR(Y, kElementwise,
                     "scale_columns " + std::to_string(rows) + "x" + std::to_string(cols));
    }
  }

  void columnSums() {
    const int shapes[][2] = {{1, 1}, {7, 129}, {129, 7}, {1000, 10}, {4097, 3}, {0, 5}};
    for (const auto& s : shapes) {
      for (float beta : {0.0f, 0.5f}) {
        const int rows = s[0], cols = s[1];
        Mirror X = random(size_t(rows) * cols), out = random(size_t(cols));
        cpu_->column_sums(X.cpu(), rows, cols, beta, out.cpu());
        gpu_->column_sums(X.gpu(), rows, cols, beta, out.gpu());
        COMPARE_MIRROR(out, kReduction,
                       "column_sums " + std::to_string(rows) + "x" + std::to_string(cols) +
                           " beta=" + sci(beta));
      }
    }
    // Determinism: the same input gives the same bits twice.
    Mirror X = random(5000 * 33), a = random(33), b = random(33);
    gpu_->column_sums(X.gpu(), 5000, 33, 0.0f, a.gpu());
    gpu_->column_sums(X.gpu(), 5000, 33, 0.0f, b.gpu());
    QVERIFY(a.inner(true) == b.inner(true));
  }

  void gemm() {
    const int shapes[][3] = {{1, 1, 1},     {7, 129, 5},   {129, 7, 33}, {64, 65, 1000},
                             {1, 300, 257}, {300, 1, 257}, {33, 17, 0}};
    for (const auto& s : shapes)
      for (Trans ta : {Trans::No, Trans::Yes})
        for (Trans tb : {Trans::No, Trans::Yes}) {
          check_gemm(ta, tb, s[0], s[1], s[2], 0, 1.0f, 0.0f);
          if (QTest::currentTestFailed()) return;
          check_gemm(ta, tb, s[0], s[1], s[2], 3, 0.75f, -0.5f);
          if (QTest::currentTestFailed()) return;
        }
  }

  void gemmBatched() {
    const int shapes[][4] = {{1, 1, 1, 1}, {7, 129, 5, 3}, {129, 7, 33, 5}, {64, 10, 100, 4}};
    for (const auto& s : shapes)
      for (Trans ta : {Trans::No, Trans::Yes})
        for (Trans tb : {Trans::No, Trans::Yes})
          for (int sharing = 0; sharing < 3; ++sharing) {  // none, A shared, B shared
            check_gemm_batched(ta, tb, s[0], s[1], s[2], s[3], sharing == 1, sharing == 2);
            if (QTest::currentTestFailed()) return;
          }
  }

  void gemmRejectsBadShapes() {
    DeviceBuffer buf(*gpu_, 64);
    float* p = buf.data();
    QVERIFY_THROWS_EXCEPTION(ridgeline::RunError, gpu_->gemm(Trans::No, Trans::No, 4, 4, 4, 1.0f, p,
                                                             4, p, 4, 0.0f, p, 3));
    QVERIFY_THROWS_EXCEPTION(ridgeline::RunError,
                             gpu_->gemm_batched(Trans::No, Trans::No, 2, 2, 2, 1.0f, p, 2, 0, p, 2,
                                                0, 0.0f, p, 2, 0, 3));
  }

  void softmaxXent() {
    // rows, cols, label period (< rows where rows > 1), with gradient or not.
    const int cases[][4] = {{1, 1, 1, 1},     {1, 10, 1, 1},    {7, 129, 3, 1}, {129, 7, 129, 1},
                            {1000, 10, 7, 1}, {64, 3000, 5, 1}, {33, 10, 4, 0}};
    for (const auto& c : cases) {
      const int rows = c[0], cols = c[1];
      check_softmax(random_vector(rng_, size_t(rows) * cols, -5.0f, 5.0f), rows, cols, c[2],
                    c[3] != 0, kReduction);
      if (QTest::currentTestFailed()) return;
    }
    // Large logits: must stay finite (a naive Σexp overflows at ~88).
    std::vector<float> big = random_vector(rng_, 50 * 20, -5.0f, 5.0f);
    for (float& x : big) x += 1e4f;
    check_softmax(big, 50, 20, 50, true, kReduction);
  }

  void softmaxXentTies() {
    // Rows of equal logits (argmax = 0, loss = log cols) and a two-way tie at 2 and 5:
    // the first index wins on both backends.
    const int rows = 8, cols = 9;
    std::vector<float> logits(size_t(rows) * cols, 0.0f);
    for (int r = 1; r < rows; r += 2)
      logits[size_t(r) * cols + 2] = logits[size_t(r) * cols + 5] = 3.0f;
    const std::vector<float> labels = {0, 0, 1, 2, 0, 5};
    Mirror X = mirror(logits), L = mirror(labels);
    Mirror loss = mirror(std::vector<float>(rows)), correct = mirror(std::vector<float>(rows));
    gpu_->softmax_xent(X.gpu(), L.gpu(), rows, cols, int(labels.size()), loss.gpu(), correct.gpu(),
                       nullptr, 1.0f);
    const std::vector<float> got_loss = loss.inner(true), got_correct = correct.inner(true);
    for (int r = 0; r < rows; ++r) {
      const int label = int(labels[size_t(r) % labels.size()]);
      const bool tie_row = r % 2 == 1;
      const float expect_correct = label == (tie_row ? 2 : 0) ? 1.0f : 0.0f;
      QCOMPARE(got_correct[size_t(r)], expect_correct);
      const double expect_loss =
          tie_row ? std::log(2.0 + 7.0 * std::exp(-3.0)) + (label == 2 || label == 5 ? 0.0 : 3.0)
                  : std::log(double(cols));
      QVERIFY2(std::abs(got_loss[size_t(r)] - expect_loss) < 1e-5,
               ("row " + std::to_string(r) + " loss " + std::to_string(got_loss[size_t(r)]) +
                " expected " + std::to_string(expect_loss))
                   .c_str());
    }
  }

  void sgdStep() {
    for (size_t n : kSizes) {
      // Plain SGD with weight decay (v untouched), then momentum: first step, later step.
      Mirror p = random(n), g = random(n), v = random(n);
      ridgeline::SgdParams hp;
      hp.lr = 0.1f;
      hp.weight_decay = 0.01f;
      cpu_->sgd_step(p.cpu(), g.cpu(), v.cpu(), n, hp);
      gpu_->sgd_step(p.gpu(), g.gpu(), v.gpu(), n, hp);
      const std::string size = " n=" + std::to_string(n);
      COMPARE_MIRROR(p, kElementwise, "sgd p" + size);
      COMPARE_MIRROR(v, kExact, "sgd without momentum leaves v" + size);
      hp.momentum = 0.9f;
      for (bool first : {true, false}) {
        hp.first_step = first;
        cpu_->sgd_step(p.cpu(), g.cpu(), v.cpu(), n, hp);
        gpu_->sgd_step(p.gpu(), g.gpu(), v.gpu(), n, hp);
        const std::string which = first ? " first step" : " later step";
        COMPARE_MIRROR(p, kElementwise, "sgd momentum p" + which + size);
        COMPARE_MIRROR(v, kElementwise, "sgd momentum v" + which + size);
      }
    }
  }

  void adamStep() {
    for (size_t n : kSizes)
      for (long long step : {1LL, 1000LL}) {
        Mirror p = random(n), g = random(n), m = random(n, -0.1f, 0.1f), v = random(n, 0.0f, 0.01f);
        ridgeline::AdamParams hp;
        hp.lr = 0.01f;
        hp.weight_decay = 0.01f;
        hp.step = step;
        cpu_->adam_step(p.cpu(), g.cpu(), m.cpu(), v.cpu(), n, hp);
        gpu_->adam_step(p.gpu(), g.gpu(), m.gpu(), v.gpu(), n, hp);
        const std::string what = " n=" + std::to_string(n) + " step=" + std::to_string(step);
        COMPARE_MIRROR(p, kElementwise, "adam p" + what);
        COMPARE_MIRROR(m, kElementwise, "adam m" + what);
        COMPARE_MIRROR(v, kElementwise, "adam v" + what);
      }
  }

  // Ten steps with fresh gradients each step. Updates are affine in the state with
  // coefficients < 1 in size, so rounding differences do not grow: the per-step tolerance holds.
  // The displacement p − p0 is compared too, as it is far smaller than p itself.
  void optimizerTenSteps() {
    const size_t n = 4099;
    const std::vector<float> p0 = random_vector(rng_, n);
    Mirror ps = mirror(p0), vs = mirror(std::vector<float>(n, 0.0f));
    Mirror pa = mirror(p0), ma = mirror(std::vector<float>(n, 0.0f)),
           va = mirror(std::vector<float>(n, 0.0f));
    Mirror g = random(n);
    ridgeline::SgdParams sgd;
    sgd.lr = 0.05f;
    sgd.momentum = 0.9f;
    sgd.weight_decay = 5e-4f;
    ridgeline::AdamParams adam;
    adam.lr = 0.01f;
    adam.weight_decay = 1e-4f;
    for (int step = 0; step < 10; ++step) {
      g.set(random_vector(rng_, n));
      sgd.first_step = step == 0;
      adam.step = step + 1;
      cpu_->sgd_step(ps.cpu(), g.cpu(), vs.cpu(), n, sgd);
      gpu_->sgd_step(ps.gpu(), g.gpu(), vs.gpu(), n, sgd);
      cpu_->adam_step(pa.cpu(), g.cpu(), ma.cpu(), va.cpu(), n, adam);
      gpu_->adam_step(pa.gpu(), g.gpu(), ma.gpu(), va.gpu(), n, adam);
    }
    COMPARE_MIRROR(ps, kElementwise, "sgd momentum after 10 steps: p");
    COMPARE_MIRROR(vs, kElementwise, "sgd momentum after 10 steps: v");
    COMPARE_MIRROR(pa, kElementwise, "adam after 10 steps: p");
    COMPARE_MIRROR(ma, kElementwise, "adam after 10 steps: m");
    COMPARE_MIRROR(va, kElementwise, "adam after 10 steps: v");
    for (Mirror* p : {&ps, &pa}) {
      std::vector<float> dc = p->inner(false), dg = p->inner(true);
      for (size_t i = 0; i < n; ++i) dc[i] -= p0[i], dg[i] -= p0[i];
      // The displacement carries p's absolute rounding (ε·|p| on a step of ~0.01–0.1):
      // relative 1e-5 per element at worst, so nmse ≤ 1e-8 still holds.
      const double e = nmse(dc, dg);
      QVERIFY2(e <= kReduction, ("displacement nmse " + sci(e)).c_str());
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
  TestCudaBackend test;
  return QTest::qExec(&test, argc, argv);
}

#include "test_cuda_backend.moc"
