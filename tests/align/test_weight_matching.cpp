// Weight matching: exact recovery of a planted permutation, monotone objective, invariants
// (π(θ_B) ≡ θ_B as a function, singular values unchanged), and the function check.
#include <QtTest>
#include <Eigen/SVD>
#include <cmath>

#include "ridgeline/models/mlp/mlp_symmetry.h"
#include "ridgeline/align/alignment.h"
#include "ridgeline/core/backend.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/paths/interpolation.h"
#include "ridgeline/models/mlp/mlp_model.h"
#include "ridgeline/train/train.h"
#include "small_models.h"

using namespace ridgeline;

namespace {

Mlp trained(const std::string& arch, uint64_t seed, const DataSplits& d) {
  auto be = make_backend("cpu", 2);
  return test::train_small(*be, arch, seed, d, 3);
}

std::vector<double> singular_values(const Mlp& m, const ParamBlock& b) {
  const int rows = b.shape[0], cols = b.shape[1];
  Eigen::MatrixXd w(rows, cols);
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) w(i, j) = m.params[b.offset + static_cast<size_t>(i) * cols + j];
  Eigen::VectorXd s = Eigen::JacobiSVD<Eigen::MatrixXd>(w).singularValues();
  return {s.data(), s.data() + s.size()};
}

}  // namespace

class TestWeightMatching : public QObject {
  Q_OBJECT
 private slots:
  void specFromArchitecture() {
    PermutationSpec s = mlp_permutation_spec(parse_arch("mlp:5,7,6,3+ln"));
    QCOMPARE(s.sizes, std::vector<int>({7, 6}));
    // 3 layers × (W, b) + 2 hidden LayerNorms × (γ, β).
    QCOMPARE(s.blocks.size(), size_t(10));
    int rows_p0 = 0, cols_p0 = 0;
    for (const auto& b : s.blocks) {
      rows_p0 += b.axis_perm[0] == 0;
      cols_p0 += b.axis_perm.size() > 1 && b.axis_perm[1] == 0;
    }
    QCOMPARE(rows_p0, 4);  // W0, b0, γ0, β0
    QCOMPARE(cols_p0, 1);  // W1
  }

  void permutationIsAFunctionSymmetry_data() {
    QTest::addColumn<QString>("arch");
    QTest::newRow("relu") << "mlp:8,16,12,3";
    QTest::newRow("ln+gelu") << "mlp:8,16,12,3+ln+gelu";
  }
  void permutationIsAFunctionSymmetry() {
    QFETCH(QString, arch);
    auto be = make_backend("cpu", 2);
    DataSplits d = make_gaussian_mixture(400, 200, 8, 3, 4);
    Mlp m = init_mlp(parse_arch(arch.toStdString()), 3);
    const auto perms = random_permutations(mlp_permutation_spec(m.arch), 99);
    Mlp p = apply_permutations(m, perms);
    QVERIFY(p.params != m.params);
    double big = 0;
    const double diff = max_logit_difference(*be, m, p, d.test, 200, &big);
    QVERIFY2(function_check_passes(diff, big), qPrintable(QString::number(diff)));
    // Undoing it restores the parameters exactly.
    std::vector<Permutation> inv;
    for (const auto& q : perms) inv.push_back(inverse(q));
    QVERIFY(apply_permutations(p, inv).params == m.params);
    // σ(P W Qᵀ) = σ(W) for every weight matrix.
    for (const auto& b : mlp_permutation_spec(m.arch).blocks) {
      if (b.shape.size() != 2) continue;
      const auto s0 = singular_values(m, b), s1 = singular_values(p, b);
      for (size_t i = 0; i < s0.size(); ++i) QVERIFY(std::fabs(s0[i] - s1[i]) <= 1e-9 * s0[0]);
    }
  }

  void recoversPlantedPermutation_data() {
    QTest::addColumn<QString>("arch");
    QTest::newRow("relu 3 hidden") << "mlp:10,32,32,24,4";
    QTest::newRow("ln+gelu") << "mlp:10,32,24,4+ln+gelu";
  }
  void recoversPlantedPermutation() {
    QFETCH(QString, arch);
    DataSplits d = make_gaussian_mixture(600, 300, 10, 4, 2);
    Mlp a = trained(arch.toStdString(), 0, d);
    const auto planted = random_permutations(mlp_permutation_spec(a.arch), 7);
    Mlp b = apply_permutations(a, planted);
    AlignmentResult r = weight_matching(to_model(a), to_model(b), {});
    for (size_t p = 0; p < planted.size(); ++p) QCOMPARE(r.perms[p], inverse(planted[p]));
    QVERIFY(r.aligned.params == a.params);
    QCOMPARE(r.l2_after, 0.0);
    QVERIFY(r.l2_before > 0);
    QVERIFY(r.objective_after > r.objective_before);
    // Identical endpoints: the aligned path is flat and its barriers are exactly zero.
    auto be = make_backend("cpu", 2);
    InterpolationConfig ic;
    ic.points = 5;
    InterpolationResult ir = interpolate(*be, to_model(a), r.aligned, d, ic);
    QCOMPARE(ir.test->barriers.loss_lin, 0.0);
    QCOMPARE(ir.test->barriers.error_mid, 0.0);
    check_alignment(*be, to_model(b), r, d.test);
    QVERIFY(r.function_max_diff <= 1e-5 + 1e-4 * r.function_max_logit);
  }

  void objectiveNeverDecreasesAndHelps() {
    DataSplits d = make_gaussian_mixture(800, 400, 10, 4, 5);
    Mlp a = trained("mlp:10,48,48,4", 0, d), b = trained("mlp:10,48,48,4", 1, d);
    WeightMatchingConfig cfg;
    cfg.seed = 3;
    AlignmentResult r = weight_matching(to_model(a), to_model(b), cfg);
    QVERIFY(r.sweeps >= 1 && r.sweeps <= cfg.max_sweeps);
    double prev = r.objective_before;
    for (double o : r.objective_per_sweep) {
      QVERIFY(o >= prev - 1e-9 * std::fabs(prev));
      prev = o;
    }
    QVERIFY(r.objective_after > r.objective_before);
    QVERIFY(r.l2_after < r.l2_before);
    // ‖A − π(B)‖² = ‖A‖² + ‖B‖² − 2⟨A, π(B)⟩: the objective and the distance agree.
    double na = 0, nb = 0;
    for (float v : a.params) na += double(v) * v;
    for (float v : b.params) nb += double(v) * v;
    QVERIFY(std::fabs(r.l2_after * r.l2_after - (na + nb - 2 * r.objective_after)) < 1e-6 * (na + nb));
    double gains = 0;
    for (double g : r.layer_gain) {
      QVERIFY(g >= -1e-9);
      gains += g;
    }
    QVERIFY(gains > 0);
    // Aligning lowers the midpoint barrier of two independently trained nets.
    auto be = make_backend("cpu", 2);
    InterpolationConfig ic;
    ic.points = 5;
    const double naive = interpolate(*be, to_model(a), to_model(b), d, ic).test->barriers.loss_mid;
    const double aligned = interpolate(*be, to_model(a), r.aligned, d, ic).test->barriers.loss_mid;
    QVERIFY2(aligned < naive, qPrintable(QString("%1 vs %2").arg(aligned).arg(naive)));
    // Same seed, same result.
    QVERIFY(weight_matching(to_model(a), to_model(b), cfg).perms == r.perms);
  }

  void failedFunctionCheckIsAnError() {
    auto be = make_backend("cpu", 1);
    DataSplits d = make_gaussian_mixture(200, 100, 6, 3, 1);
    Mlp a = init_mlp(parse_arch("mlp:6,10,3"), 1), b = init_mlp(parse_arch("mlp:6,10,3"), 2);
    AlignmentResult r = weight_matching(to_model(a), to_model(b), {});
    r.aligned.params[3] += 1.0f;  // a "permutation" that changed the function
    QVERIFY_THROWS_EXCEPTION(RunError, check_alignment(*be, to_model(b), r, d.test));
    QVERIFY_THROWS_EXCEPTION(InputError, weight_matching(to_model(a), to_model(init_mlp(parse_arch("mlp:6,11,3"), 1)), {}));
  }
};

QTEST_APPLESS_MAIN(TestWeightMatching)
#include "test_weight_matching.moc"
