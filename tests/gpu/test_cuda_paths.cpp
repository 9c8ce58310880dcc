// The engine's analyses on the CUDA backend against the CPU backend: MLP gradients, a short
// training run, and the batched interpolation path. Exits 77 (skipped) without a device.
#include <QtTest>
#include <cmath>
#include <iostream>

#include "ridgeline/models/mlp/mlp_symmetry.h"
#include "ridgeline/core/backend.h"
#include "ridgeline/data/dataset.h"
#include "ridgeline/paths/interpolation.h"
#include "ridgeline/models/mlp/mlp_model.h"
#include "ridgeline/models/mlp/mlp_compute.h"
#include "ridgeline/align/activation_matching.h"
#include "ridgeline/align/alignment.h"
#include "ridgeline/paths/repair.h"
#include "ridgeline/train/train.h"

using namespace ridgeline;

class TestCudaPaths : public QObject {
  Q_OBJECT
 private slots:
  void alignmentAndRepairMatchCpu() {
    auto cpu = make_backend("cpu", 2), gpu = make_backend("cuda", 2);
    DataSplits d = make_gaussian_mixture(1500, 400, 12, 4, 6);
    TrainConfig cfg;
    cfg.epochs = 3;
    cfg.batch = 50;
    cfg.lr = 3e-3;
    const MlpArch arch = parse_arch("mlp:12,40,40,4");
    Mlp a = train_mlp(*cpu, arch, d, cfg, 0).model;
    // A planted permutation has one exact answer: both backends must find it.
    Mlp b = apply_permutations(a, random_permutations(mlp_permutation_spec(arch), 5));
    for (bool pearson : {false, true}) {
      ActivationMatchingConfig am;
      am.pearson = pearson;
      AlignmentResult rc = activation_matching(*cpu, to_model(a), to_model(b), d.train, am);
      AlignmentResult rg = activation_matching(*gpu, to_model(a), to_model(b), d.train, am);
      QVERIFY(rc.perms == rg.perms);
      check_alignment(*gpu, to_model(b), rg, d.test);
    }
    // REPAIR along a path: statistics and evaluation on the GPU agree with the CPU's to float
    // rounding (different summation orders).
    Mlp c = train_mlp(*cpu, arch, d, cfg, 1).model;
    InterpolationConfig ic;
    ic.points = 5;
    InterpolationResult pc = interpolate_repaired(*cpu, to_model(a), to_model(c), d, ic);
    InterpolationResult pg = interpolate_repaired(*gpu, to_model(a), to_model(c), d, ic);
    for (size_t k = 0; k < pc.alpha.size(); ++k)
      QVERIFY(std::fabs(pc.test->loss[k] - pg.test->loss[k]) < 1e-4);
  }

  void gradientsMatchCpu_data() {
    QTest::addColumn<QString>("arch_text");
    QTest::newRow("relu") << "mlp:20,64,33,5";
    QTest::newRow("layernorm gelu") << "mlp:20,64,33,5+ln+gelu";
  }
  void gradientsMatchCpu() {
    QFETCH(QString, arch_text);
    auto cpu = make_backend("cpu", 2), gpu = make_backend("cuda", 2);
    const MlpArch arch = parse_arch(arch_text.toStdString());
    DataSplits d = make_gaussian_mixture(257, 10, 20, 5, 3);
    Mlp m = init_mlp(arch, 9);
    std::vector<float> g[2];
    int i = 0;
    for (Backend* be : {cpu.get(), gpu.get()}) {
      const int n = d.train.n;
      std::vector<float> y(d.train.y.begin(), d.train.y.end());
      DeviceBuffer p(*be, m.params.size()), x(*be, d.train.x.size()), dy(*be, n), dg(*be, m.params.size());
      be->upload(p.data(), m.params.data(), m.params.size());
      be->upload(x.data(), d.train.x.data(), d.train.x.size());
      be->upload(dy.data(), y.data(), n);
      MlpCompute net(*be, arch, n);
      net.forward(p.data(), x.data(), n);
      net.loss(dy.data(), n, true);
      net.backward(p.data(), dg.data(), n);
      g[i].resize(m.params.size());
      be->download(g[i].data(), dg.data(), g[i].size());
      ++i;
    }
    // nmse = mse(cpu, gpu) / mse(cpu, 0): float32 GEMMs of length ≤ 257 differ only in
    // summation order, ~1e-7 relative per element, so 1e-9 in squared terms.
    double num = 0, den = 0;
    for (size_t k = 0; k < g[0].size(); ++k) {
      num += (g[0][k] - g[1][k]) * double(g[0][k] - g[1][k]);
      den += g[0][k] * double(g[0][k]);
    }
    QVERIFY2(num / den < 1e-9, qPrintable(QString("nmse %1").arg(num / den)));
  }

  void trainingMatchesCpu() {
    auto cpu = make_backend("cpu", 2), gpu = make_backend("cuda", 2);
    DataSplits d = make_gaussian_mixture(1000, 300, 16, 4, 5);
    TrainConfig cfg;
    cfg.epochs = 2;
    cfg.batch = 50;
    TrainResult a = train_mlp(*cpu, parse_arch("mlp:16,32,4"), d, cfg, 0);
    TrainResult b = train_mlp(*gpu, parse_arch("mlp:16,32,4"), d, cfg, 0);
    // 40 Adam steps amplify rounding differences a little: compare metrics, not bits.
    QVERIFY(std::fabs(a.epochs.back().train_loss - b.epochs.back().train_loss) < 1e-4);
    QVERIFY(std::fabs(a.epochs.back().test_loss - b.epochs.back().test_loss) < 1e-4);
  }

  void interpolationMatchesCpu_data() {
    QTest::addColumn<QString>("arch_text");
    QTest::newRow("relu") << "mlp:12,48,48,3";
    QTest::newRow("layernorm gelu") << "mlp:12,48,48,3+ln+gelu";
  }
  void interpolationMatchesCpu() {
    QFETCH(QString, arch_text);
    auto cpu = make_backend("cpu", 2), gpu = make_backend("cuda", 2);
    DataSplits d = make_gaussian_mixture(800, 500, 12, 3, 8);
    const MlpArch arch = parse_arch(arch_text.toStdString());
    Mlp a = init_mlp(arch, 1), b = init_mlp(arch, 2);
    const ParamLayout lay(arch);
    for (size_t h = 0; h < lay.ln_weight_offset.size(); ++h)  // γ, β differ along the path
      for (int i = 0; i < arch.widths[h + 1]; ++i) {
        b.params[lay.ln_weight_offset[h] + i] = 0.5f + 0.02f * static_cast<float>(i);
        b.params[lay.ln_bias_offset[h] + i] = 0.01f * static_cast<float>(i % 7) - 0.03f;
      }
    InterpolationConfig cfg;
    cfg.points = 11;
    cfg.chunk = 128;
    InterpolationResult rc = interpolate(*cpu, to_model(a), to_model(b), d, cfg), rg = interpolate(*gpu, to_model(a), to_model(b), d, cfg);
    for (size_t k = 0; k < rc.alpha.size(); ++k) {
      QVERIFY(std::fabs(rc.test->loss[k] - rg.test->loss[k]) < 1e-5);
      QVERIFY(std::fabs(rc.train->error[k] - rg.train->error[k]) <= 2.0 / d.train.n);
    }
  }
};

int main(int argc, char** argv) {
  const std::string reason = backend_unavailable_reason("cuda");
  if (!reason.empty()) {
    std::cout << "SKIP: " << reason << std::endl;
    return 77;
  }
  TestCudaPaths t;
  return QTest::qExec(&t, argc, argv);
}

#include "test_cuda_paths.moc"
