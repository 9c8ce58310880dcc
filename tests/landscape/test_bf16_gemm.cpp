// The bf16 GEMM wrapper (engine/src/backends/cpu/bf16_gemm.h, oneDNN) in the backend-ops style
// (docs/ARCHITECTURE.md, "Backends and the ops table"): a table of shapes with edge cases, each
// on random inputs, compared with a float64 reference by nmse = mse(ref, got) / mse(ref, 0),
// with sentinels around the output, untouched inputs and NaN/Inf checks. Skipped (exit 77)
// where bf16 cannot run: a build without oneDNN, or a CPU without AVX512-BF16.
#include <QtTest>
#include <cfloat>
#include <cmath>
#include <random>

#include "backends/cpu/bf16_gemm.h"
#include "ridgeline/core/backend.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/core/precision.h"
#include "test_support.h"

using namespace ridgeline;
using namespace ridgeline::detail;

namespace {

struct Row {
  const char* what;
  int batch, m, n, k;
};

// Edge cases: 1×1, odd sizes, one of many in a batch, k = 0 (C = 0), the grid's shapes (a
// 512-wide later layer and the 10-class output layer), a batch of 8 points as on two threads.
const Row kRows[] = {
    {"1x1x1", 1, 1, 1, 1},       {"odd", 1, 7, 5, 3},           {"odd batch", 3, 33, 17, 65},
    {"k = 0", 2, 4, 3, 0},       {"wide", 1, 64, 512, 512},     {"classes", 2, 100, 10, 512},
    {"batch 8", 8, 50, 96, 128}, {"tall thin", 1, 1000, 3, 40},
};

double nmse(const std::vector<double>& ref, const std::vector<float>& got) {
  double num = 0, den = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    num += (ref[i] - got[i]) * (ref[i] - got[i]);
    den += ref[i] * ref[i];
  }
  return den > 0 ? num / den : num;
}

}  // namespace

class TestBf16Gemm : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() { set_host_threads(2); }

  void rounding() {
    // Round to nearest even on the 16 dropped bits; NaN and ±inf kept.
    const float in[] = {1.0f,  1.0f + 0x1p-8f, 1.0f + 3 * 0x1p-8f, -2.5f, 0.0f,
                        -0.0f, INFINITY,       -INFINITY,          NAN,   FLT_MAX};
    const uint16_t want[] = {0x3f80, 0x3f80, 0x3f82, 0xc020, 0x0000,
                             0x8000, 0x7f80, 0xff80, 0,      0x7f80};
    uint16_t out[10];
    f32_to_bf16(in, out, 10);
    for (int i = 0; i < 10; ++i) {
      if (std::isnan(in[i])) {
        QVERIFY(std::isnan(bf16_to_f32(out[i])));
        continue;
      }
      QVERIFY2(out[i] == want[i], qPrintable(QString("%1 -> %2").arg(in[i]).arg(out[i], 0, 16)));
    }
    // Relative rounding error at most 2^-8 (half a unit in the 8th significant bit) for
    // normal numbers.
    std::mt19937 rng(3);
    std::normal_distribution<float> g(0.0f, 10.0f);
    for (int i = 0; i < 1000; ++i) {
      const float x = g(rng);
      uint16_t b;
      f32_to_bf16(&x, &b, 1);
      QVERIFY(std::abs(bf16_to_f32(b) - x) <= std::abs(x) * 0x1p-8f);
    }
  }

  void fusedBiasReluIsTheSteps() {
    // bias_relu_to_bf16 = add each point's bias, ReLU, f32_to_bf16: the same bits.
    const int points = 3, rows = 4, width = 37;
    const size_t stride = 50;
    std::mt19937 rng(5);
    std::normal_distribution<float> g(0.0f, 1.0f);
    std::vector<float> z(size_t(points) * rows * width), bias(points * stride);
    for (float& v : z) v = g(rng);
    for (float& v : bias) v = g(rng);
    std::vector<uint16_t> got(z.size()), want(z.size());
    bias_relu_to_bf16(z.data(), bias.data(), stride, points, rows, width, got.data());
    std::vector<float> steps(z.size());
    for (size_t i = 0; i < z.size(); ++i) {
      const float v = z[i] + bias[(i / (size_t(rows) * width)) * stride + i % width];
      steps[i] = v > 0.0f ? v : 0.0f;
    }
    f32_to_bf16(steps.data(), want.data(), steps.size());
    QVERIFY(got == want);
  }

  void table_data() {
    QTest::addColumn<int>("row");
    for (int r = 0; r < int(std::size(kRows)); ++r) QTest::newRow(kRows[r].what) << r;
  }
  void table() {
    QFETCH(int, row);
    const Row& s = kRows[row];
    std::mt19937 rng(17 + row);
    std::normal_distribution<float> g(0.0f, 1.0f);
    const size_t na = size_t(s.batch) * s.m * s.k, nw = size_t(s.batch) * s.n * s.k,
                 nc = size_t(s.batch) * s.m * s.n;
    std::vector<float> a(na), w(nw);
    for (float& v : a) v = g(rng);
    for (float& v : w) v = g(rng);
    std::vector<uint16_t> a16(na), w16(nw);
    f32_to_bf16(a.data(), a16.data(), na);
    f32_to_bf16(w.data(), w16.data(), nw);
    const std::vector<uint16_t> a16_copy = a16, w16_copy = w16;
    // Sentinels before and after the output.
    const size_t pad = 16;
    const float sentinel = -7777.0f;
    std::vector<float> c(nc + 2 * pad, sentinel);
    Bf16Gemm gemm;
    gemm.gemm_nt(s.batch, s.m, s.n, s.k, a16.data(), w16.data(), c.data() + pad);
    std::vector<float> got(c.begin() + pad, c.begin() + pad + long(nc));
    for (size_t i = 0; i < pad; ++i) {
      QCOMPARE(c[i], sentinel);
      QCOMPARE(c[pad + nc + i], sentinel);
    }
    QVERIFY(a16 == a16_copy && w16 == w16_copy);
    for (float v : got) QVERIFY(std::isfinite(v));
    // Float64 references: on the bf16 inputs (exact products: only the f32 accumulation
    // differs) and on the f32 inputs (what fp32 would compute: the bf16 rounding shows).
    std::vector<double> ref16(nc), ref32(nc);
    for (int b = 0; b < s.batch; ++b)
      for (int i = 0; i < s.m; ++i)
        for (int j = 0; j < s.n; ++j) {
          double x16 = 0, x32 = 0;
          for (int t = 0; t < s.k; ++t) {
            const size_t ia = (size_t(b) * s.m + i) * s.k + t, iw = (size_t(b) * s.n + j) * s.k + t;
            x16 += double(bf16_to_f32(a16[ia])) * bf16_to_f32(w16[iw]);
            x32 += double(a[ia]) * w[iw];
          }
          ref16[(size_t(b) * s.m + i) * s.n + j] = x16;
          ref32[(size_t(b) * s.m + i) * s.n + j] = x32;
        }
    // f32 accumulation of k ≤ 512 terms: relative error ~ √k·2⁻²⁴ ≈ 1e-6, nmse ~ 1e-12.
    const double e16 = nmse(ref16, got);
    QVERIFY2(e16 < 1e-10, qPrintable(QString("nmse vs bf16-input reference %1").arg(e16)));
    // bf16 rounds each input to 8 significant bits (relative error at most 2⁻⁸, ~1.6e-3
    // rms): a product's relative error is ~2.3e-3 rms, so nmse ~ 5e-6 for independent terms;
    // 1e-4 leaves room. Above 1e-8: the inputs were rounded (bf16 really ran).
    const double e32 = nmse(ref32, got);
    QVERIFY2(e32 < 1e-4, qPrintable(QString("nmse vs f32-input reference %1").arg(e32)));
    if (s.k > 0)
      QVERIFY2(e32 > 1e-8, qPrintable(QString("nmse %1: bf16 rounding absent").arg(e32)));
  }

  void primitivesCachedByShape() {
    Bf16Gemm gemm;
    std::vector<uint16_t> a(6 * 5, 0x3f80), w(4 * 5, 0x3f80);
    std::vector<float> c(6 * 4);
    gemm.gemm_nt(1, 6, 4, 5, a.data(), w.data(), c.data());
    gemm.gemm_nt(1, 6, 4, 5, a.data(), w.data(), c.data());
    QCOMPARE(gemm.cached_shapes(), size_t(1));
    QCOMPARE(c[0], 5.0f);
    gemm.gemm_nt(1, 3, 4, 5, a.data(), w.data(), c.data());
    QCOMPARE(gemm.cached_shapes(), size_t(2));
    // oneDNN's AVX512-BF16 code, not a reference or emulated kernel.
    const QString impl = gemm.implementation();
    qInfo("oneDNN implementation: %s", gemm.implementation());
    QVERIFY2(impl.contains("bf16"), qPrintable("implementation: " + impl));
  }

  void precisionNames() {
    QCOMPARE(parse_precision("bf16"), Precision::Bf16);
    QCOMPARE(to_string(Precision::Fp32), std::string("fp32"));
    try {
      parse_precision("fp8", "--precision");
      QFAIL("fp8 accepted");
    } catch (const InputError& e) {
      QCOMPARE(std::string(e.what()), std::string("--precision: 'fp8' is not fp32 or bf16"));
    }
  }
};

RIDGELINE_DATA_TEST_MAIN(TestBf16Gemm, bf16_unavailable_reason().empty(),
                         bf16_unavailable_reason().c_str())
#include "test_bf16_gemm.moc"
