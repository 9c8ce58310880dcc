// Exact Hessian-vector products of the MLP on the CUDA backend against the CPU backend
// (models/mlp/mlp_hvp.cpp runs the same backend ops on both), through the Hessian operator
// (curvature/hessian.h) on a two-chunk batch, whole model and one layer, and the top
// eigenvalue by Lanczos. Exits 77 (ctest skip) when the CUDA backend is not compiled in or no
// device answers.
#include <QObject>
#include <QTest>
#include <cmath>
#include <iostream>
#include <random>

#include "cuda_compare.h"
#include "ridgeline/core/backend.h"
#include "ridgeline/curvature/hessian.h"
#include "ridgeline/curvature/spectral.h"
#include "ridgeline/data/dataset.h"
#include "ridgeline/models/mlp/mlp.h"
#include "ridgeline/models/mlp/mlp_model.h"

using namespace ridgeline;

namespace {

double nmse_of(const std::vector<double>& ref, const std::vector<double>& got) {
  double num = 0, den = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    num += (ref[i] - got[i]) * (ref[i] - got[i]);
    den += ref[i] * ref[i];
  }
  return num / den;
}

}  // namespace

class TestCudaHvp : public QObject {
  Q_OBJECT
 private slots:
  void hvpMatchesCpu() {
    auto cpu = make_backend("cpu", 2), gpu = make_backend("cuda", 2);
    auto arch = mlp_model_arch(parse_arch("mlp:20,64,48,5"));
    const Dataset data = make_gaussian_mixture(300, 1, 20, 5, 3).train;
    HessianOperator hc(*cpu, arch, &data, 128), hg(*gpu, arch, &data, 128);
    const std::vector<float> theta = arch->init(1);
    hc.set_params(theta);
    hg.set_params(theta);
    std::mt19937_64 rng(2);
    std::normal_distribution<double> g;
    for (const ParamSelection& sel : {select_all(*arch), select_blocks(*arch, "fc1")}) {
      std::vector<double> v(sel.size), a, b;
      for (double& e : v) e = g(rng);
      hc.apply(sel, v, a);
      hg.apply(sel, v, b);
      // Float32 GEMMs summed in another order (cuBLAS vs OpenBLAS) over 128-row chunks: a
      // reduction-level difference, far below a wrong term's O(1e-2..1) normalised error.
      const double e = nmse_of(a, b);
      QVERIFY2(e < 1e-9, qPrintable(QString("%1: nmse %2").arg(sel.name.c_str()).arg(e)));
    }
    const ParamSelection all = select_all(*arch);
    LanczosOptions o;
    o.k = 1;
    o.tol = 1e-6;
    const auto opc = [&](const std::vector<double>& v, std::vector<double>& hv) { hc.apply(all, v, hv); };
    const auto opg = [&](const std::vector<double>& v, std::vector<double>& hv) { hg.apply(all, v, hv); };
    const double lc = lanczos_top(all.size, opc, o).values[0], lg = lanczos_top(all.size, opg, o).values[0];
    QVERIFY2(std::abs(lc - lg) <= 1e-4 * std::abs(lc), qPrintable(QString("λ_max %1 vs %2").arg(lc).arg(lg)));
  }
};

int main(int argc, char** argv) {
  const std::string reason = ridgeline::test::cuda_skip_reason();
  if (!reason.empty()) {
    std::cout << "SKIP: " << reason << std::endl;
    return 77;
  }
  TestCudaHvp test;
  return QTest::qExec(&test, argc, argv);
}

#include "test_cuda_hvp.moc"
