// The spectra module against independent float64 references and closed forms: singular values
// (Eigen's Jacobi SVD and constructed U diag(s) Vᵀ), permutation invariance, R = 1 for a
// permuted copy aligned back by weight matching, the power-law fit on Pareto samples, the
// Marchenko–Pastur edge of a Gaussian matrix, and the decomposition of ⟨W_A, W_B⟩.
#include <QtTest>
#include <functional>
#include <nlohmann/json.hpp>
#include <Eigen/Dense>
#include <cmath>
#include <filesystem>
#include <random>

#include "ridgeline/align/activation_matching.h"
#include "ridgeline/align/alignment.h"
#include "ridgeline/align/ste.h"
#include "ridgeline/core/backend.h"
#include "ridgeline/train/train.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/models/model.h"
#include "ridgeline/spectra/spectra.h"
#include "ridgeline/symmetry/permutation.h"

using namespace ridgeline;

namespace {

std::vector<float> gaussian(int n, uint64_t seed, double sd = 1.0) {
  std::mt19937_64 g(seed);
  std::normal_distribution<double> d(0, sd);
  std::vector<float> out(n);
  for (auto& x : out) x = static_cast<float>(d(g));
  return out;
}

Eigen::MatrixXd orthogonal(int n, uint64_t seed) {
  const auto v = gaussian(n * n, seed);
  Eigen::MatrixXd m(n, n);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) m(i, j) = v[i * n + j];
  return Eigen::HouseholderQR<Eigen::MatrixXd>(m).householderQ();
}

Model mlp(const std::string& arch, uint64_t seed) {
  Model m;
  m.arch = parse_model_arch(arch);
  m.params = m.arch->init(seed);
  return m;
}

}  // namespace

class TestSpectra : public QObject {
  Q_OBJECT
 private slots:
  void singularValuesMatchJacobiFloat64() {
    for (auto [rows, cols] : {std::pair{37, 23}, std::pair{23, 37}, std::pair{16, 16}, std::pair{1, 9}}) {
      const auto w = gaussian(rows * cols, rows * 100 + cols);
      Eigen::MatrixXd m(rows, cols);
      for (int i = 0; i < rows; ++i)
        for (int j = 0; j < cols; ++j) m(i, j) = w[i * cols + j];
      const Eigen::VectorXd ref = Eigen::JacobiSVD<Eigen::MatrixXd>(m).singularValues();
      const Svd s = svd(w.data(), rows, cols, true);
      QCOMPARE(s.rank(), static_cast<int>(ref.size()));
      for (int k = 0; k < s.rank(); ++k) QVERIFY(std::abs(s.s[k] - ref[k]) < 1e-12 * ref[0]);
      // The vectors reconstruct W.
      Eigen::MatrixXd u = Eigen::Map<const Eigen::Matrix<double, -1, -1, Eigen::RowMajor>>(s.u.data(), rows, s.rank());
      Eigen::MatrixXd v = Eigen::Map<const Eigen::Matrix<double, -1, -1, Eigen::RowMajor>>(s.v.data(), cols, s.rank());
      const Eigen::VectorXd sv = Eigen::Map<const Eigen::VectorXd>(s.s.data(), s.rank());
      QVERIFY((u * sv.asDiagonal() * v.transpose() - m).norm() < 1e-12 * m.norm());
    }
  }

  void constructedSpectrumIsRecovered() {
    const int m = 30, n = 20;
    const Eigen::MatrixXd u = orthogonal(m, 1).leftCols(n), v = orthogonal(n, 2);
    Eigen::VectorXd s(n);
    for (int i = 0; i < n; ++i) s[i] = std::pow(0.7, i) * 5;
    const Eigen::MatrixXd w = u * s.asDiagonal() * v.transpose();
    std::vector<float> wf(m * n);
    for (int i = 0; i < m; ++i)
      for (int j = 0; j < n; ++j) wf[i * n + j] = static_cast<float>(w(i, j));
    const MatrixSpectrum sp = matrix_spectrum("w", wf.data(), m, n);
    for (int i = 0; i < n; ++i) QVERIFY(std::abs(sp.singular_values[i] - s[i]) < 1e-5);
    const double fro = s.squaredNorm();
    QVERIFY(std::abs(sp.stable_rank - fro / 25.0) < 1e-5);
    const Eigen::ArrayXd p = s.array() / s.sum();
    QVERIFY(std::abs(sp.entropy_rank - std::exp(-(p * p.log()).sum())) < 1e-5);
    // Values below 5·30·ε_float32 ≈ 1.8e-5 are not counted: 0.7^i·5 > 1.8e-5 for all i < 20.
    QCOMPARE(sp.numerical_rank, n);
  }

  void numericalRankOfLowRankMatrix() {
    const int m = 40, n = 30, r = 7;
    const auto a = gaussian(m * r, 3), b = gaussian(r * n, 4);
    std::vector<float> w(m * n, 0.f);
    for (int i = 0; i < m; ++i)
      for (int j = 0; j < n; ++j) {
        double t = 0;
        for (int k = 0; k < r; ++k) t += double(a[i * r + k]) * b[k * n + j];
        w[i * n + j] = static_cast<float>(t);
      }
    QCOMPARE(matrix_spectrum("w", w.data(), m, n).numerical_rank, r);
  }

  void permutationsKeepSingularValues() {
    Model a = mlp("mlp:20,16,12,5", 7);
    const auto perms = random_permutations(a.arch->permutation_spec(), 11);
    const Model pa = apply_permutations(a, perms);
    QVERIFY(pa.params != a.params);
    const ModelSpectra sa = model_spectra(a, "a"), sp = model_spectra(pa, "pa");
    QCOMPARE(sa.layers.size(), size_t{3});
    for (size_t l = 0; l < sa.layers.size(); ++l)
      for (size_t k = 0; k < sa.layers[l].singular_values.size(); ++k)
        QVERIFY(std::abs(sa.layers[l].singular_values[k] - sp.layers[l].singular_values[k]) <
                1e-12 * sa.layers[l].singular_values[0]);
    // And against every permutation method's π(B), aligned to A: σ(π(B)) = σ(B).
    const Model b = mlp("mlp:20,16,12,5", 8);
    auto be = make_backend("cpu", 1);
    const DataSplits d = make_gaussian_mixture(300, 50, 20, 5, 3);
    SteConfig ste;
    ste.epochs = 1;
    ste.batch = 100;
    const std::vector<std::pair<const char*, AlignmentResult>> methods = {
        {"wm", weight_matching(a, b)},
        {"am", activation_matching(*be, a, b, d.train)},
        {"ste", straight_through_estimator(*be, a, b, d.train, ste)}};
    const ModelSpectra sb = model_spectra(b, "b");
    for (const auto& [name, r] : methods) {
      Model pb{b.arch, r.aligned.params};
      QVERIFY2(pb.params != b.params, name);  // the method did permute B
      const ModelSpectra spb = model_spectra(pb, "pb");
      for (size_t l = 0; l < sb.layers.size(); ++l)
        for (size_t k = 0; k < sb.layers[l].singular_values.size(); ++k)
          QVERIFY2(std::abs(sb.layers[l].singular_values[k] - spb.layers[l].singular_values[k]) <
                       1e-12 * sb.layers[l].singular_values[0],
                   name);
    }
  }

  void alignedPermutedCopyHasROne() {
    const Model a = mlp("mlp:20,16,12,5", 7);
    const auto spec = a.arch->permutation_spec();
    const auto gammas = default_gammas();
    for (uint64_t seed : {21u, 22u}) {
      const Model pa = apply_permutations(a, random_permutations(spec, seed));
      // Before alignment the hidden units are shuffled: R(0.3) well below 1.
      const SpectraAlignment before = spectra_alignment(a, "a", pa, "pa", 8, gammas);
      QVERIFY(r_at(before, 0.3) < 0.9);
      const AlignmentResult wm = weight_matching(a, pa);
      const Model back{a.arch, wm.aligned.params};
      const SpectraAlignment after = spectra_alignment(a, "a", back, "back", 8, gammas);
      for (double r : after.r) QVERIFY2(std::abs(r - 1.0) < 1e-9, qPrintable(QString::number(r)));
      // Top-k overlap matrices are the identity (up to sign).
      for (const auto& l : after.layers)
        for (int i = 0; i < l.k; ++i)
          QVERIFY(std::abs(l.u_overlap[i * l.k + i] - 1.0) < 1e-6);
    }
  }

  void rIsInvariantToPermutingBBeforeAlignment() {
    // B near A (A plus noise) so that weight matching's optimum is unique and reached from
    // any starting order of B's units.
    const Model a = mlp("mlp:20,16,12,5", 7);
    Model b = a;
    const auto noise = gaussian(static_cast<int>(b.params.size()), 99, 0.02);
    for (size_t i = 0; i < b.params.size(); ++i) b.params[i] += noise[i];
    const auto spec = a.arch->permutation_spec();
    const auto gammas = default_gammas();
    const Model wb{a.arch, weight_matching(a, b).aligned.params};
    const auto r0 = spectra_alignment(a, "a", wb, "b", 8, gammas).r;
    for (uint64_t seed : {5u, 6u, 7u}) {
      const Model pb = apply_permutations(b, random_permutations(spec, seed));
      const Model wpb{a.arch, weight_matching(a, pb).aligned.params};
      QVERIFY(wpb.params == wb.params);
      const auto r1 = spectra_alignment(a, "a", wpb, "pb", 8, gammas).r;
      for (size_t g = 0; g < r0.size(); ++g) QVERIFY(std::abs(r0[g] - r1[g]) < 1e-12);
      // Unaligned, the permuted B scores lower.
      QVERIFY(r_at(spectra_alignment(a, "a", pb, "pb", 8, gammas), 0.3) < r_at(spectra_alignment(a, "a", wb, "b", 8, gammas), 0.3));
    }
    // R depends only on the singular triplets: it is exactly invariant to applying the same
    // permutation to both models.
    const auto perms = random_permutations(spec, 9);
    const auto r1 = spectra_alignment(a, "a", wb, "b", 8, gammas).r;
    const auto r2 = spectra_alignment(apply_permutations(a, perms), "pa",
                                      apply_permutations(wb, perms), "pb", 8, gammas).r;
    for (size_t g = 0; g < r1.size(); ++g) QVERIFY(std::abs(r1[g] - r2[g]) < 1e-9);
  }

  void decompositionSumsToInnerProduct() {
    const Model a = mlp("mlp:20,16,12,5", 7), b = mlp("mlp:20,16,12,5", 8);
    const SpectraAlignment al = spectra_alignment(a, "a", b, "b", 4, {0.0, 0.3});
    double total = 0;
    for (const auto& blk : weight_matrices(*a.arch)) {
      double ip = 0;
      const size_t n = static_cast<size_t>(blk.shape[0]) * blk.shape[1];
      for (size_t i = 0; i < n; ++i) ip += double(a.params[blk.offset + i]) * b.params[blk.offset + i];
      total += ip;
      const auto& l = *std::find_if(al.layers.begin(), al.layers.end(),
                                    [&](const LayerAlignment& x) { return x.name == blk.name; });
      QVERIFY2(std::abs(l.inner_product - ip) < 1e-10 * (1 + std::abs(ip)),
               qPrintable(QString("%1 vs %2").arg(l.inner_product).arg(ip)));
      QVERIFY(std::abs(l.inner_top_k) <= std::abs(l.inner_product) * 10 + 1);
    }
    QVERIFY(std::abs(al.inner_product - total) < 1e-10 * (1 + std::abs(total)));
    // The full top-k (k = r) is the whole sum.
    const SpectraAlignment full = spectra_alignment(a, "a", b, "b", 1000, {0.0});
    for (const auto& l : full.layers) QVERIFY(std::abs(l.top_k_share - 1.0) < 1e-9);
  }

  void powerLawFitRecoversParetoExponent() {
    for (double alpha : {2.5, 3.5, 5.0}) {
      std::mt19937_64 g(static_cast<uint64_t>(alpha * 10));
      std::uniform_real_distribution<double> u(0, 1);
      std::vector<double> x(2000);
      for (auto& v : x) v = std::pow(1 - u(g), -1.0 / (alpha - 1.0));  // p(x) ∝ x^−α, x ≥ 1
      const PowerLawFit f = fit_power_law(x);
      QVERIFY(f.ok);
      QVERIFY2(std::abs(f.alpha - alpha) < 3 * f.alpha_se + 0.05,
               qPrintable(QString("alpha %1 ± %2, true %3").arg(f.alpha).arg(f.alpha_se).arg(alpha)));
      QVERIFY(f.ks_distance > 0 && f.ks_distance < 0.1);
      QVERIFY(f.tail >= 5 && f.tail <= 2000);
    }
  }

  void powerLawFitFailsClearly() {
    const PowerLawFit few = fit_power_law({1, 2, 3});
    QVERIFY(!few.ok);
    QVERIFY(few.failure.find("too few") != std::string::npos);
    const PowerLawFit flat = fit_power_law(std::vector<double>(50, 2.0));
    QVERIFY(!flat.ok);
    QVERIFY(flat.failure.find("degenerate") != std::string::npos);
  }

  void marchenkoPasturEdgeOfGaussianMatrix() {
    const int m = 600, n = 300;
    const double sd = 0.05;
    const auto w = gaussian(m * n, 17, sd);
    const MatrixSpectrum sp = matrix_spectrum("w", w.data(), m, n);
    const double closed = m * sd * sd * std::pow(1 + std::sqrt(double(n) / m), 2);
    QVERIFY(std::abs(sp.mp_edge - closed) < 0.02 * closed);
    const double lmax = sp.singular_values[0] * sp.singular_values[0];
    QVERIFY2(std::abs(lmax - closed) < 0.03 * closed,
             qPrintable(QString("λmax %1, edge %2").arg(lmax).arg(closed)));
    QVERIFY(sp.mp_spikes <= 2);
    // A planted rank-one spike well above the bulk is counted.
    auto w2 = w;
    for (int i = 0; i < m; ++i)
      for (int j = 0; j < n; ++j) w2[i * n + j] += static_cast<float>(0.02 * ((i % 3) - 1) * ((j % 2) ? 1 : -1));
    QVERIFY(matrix_spectrum("w2", w2.data(), m, n).mp_spikes >= 1);
  }

  void filesRoundTrip() {
    const Model a = mlp("mlp:20,16,12,5", 7), b = mlp("mlp:20,16,12,5", 8);
    SpectraResult r;
    r.aligned_to = "a";
    r.top_k = 4;
    r.models = {model_spectra(a, "a"), model_spectra(b, "b@wm")};
    r.alignments = {spectra_alignment(a, "a", b, "b@wm", 4, default_gammas())};
    const auto dir = std::filesystem::temp_directory_path() / "ridgeline-test-spectra";
    std::filesystem::remove_all(dir);
    write_spectra(r, dir.string(), "sp");
    QVERIFY(std::filesystem::exists(dir / spectra_npy_name("sp", "b@wm", "fc1.weight")));
    const SpectraResult back = load_spectra((dir / "sp.json").string());
    QCOMPARE(back.models.size(), size_t{2});
    QCOMPARE(back.models[1].layers[0].singular_values, r.models[1].layers[0].singular_values);
    QCOMPARE(back.alignments[0].r, r.alignments[0].r);
    QCOMPARE(back.alignments[0].layers[2].u_overlap, r.alignments[0].layers[2].u_overlap);
    QCOMPARE(back.models[0].layers[1].fit.ok, r.models[0].layers[1].fit.ok);
    std::filesystem::remove_all(dir);
    QVERIFY_THROWS_EXCEPTION(InputError, load_spectra((dir / "missing.json").string()));
  }

  // A hand-edited or corrupted result is refused with one line naming the file and what is
  // wrong, where the views would otherwise index past an array (tests/fuzz/fuzz_spectra.cpp
  // fuzzes the same reader).
  void malformedResultsAreRefused() {
    const Model a = mlp("mlp:20,16,12,5", 7), b = mlp("mlp:20,16,12,5", 8);
    SpectraResult r;
    r.aligned_to = "a";
    r.top_k = 4;
    r.models = {model_spectra(a, "a"), model_spectra(b, "b")};
    r.alignments = {spectra_alignment(a, "a", b, "b", 4, default_gammas())};
    const nlohmann::json good = nlohmann::json::parse(spectra_to_json(r));
    QCOMPARE(spectra_to_json(parse_spectra_json(good.dump(), "S.json")), spectra_to_json(r));
    auto refused = [&](const std::function<void(nlohmann::json&)>& edit, const std::string& why) {
      nlohmann::json j = good;
      edit(j);
      try {
        parse_spectra_json(j.dump(), "S.json");
      } catch (const InputError& e) {
        const std::string m = e.what();
        return m.rfind("S.json: not a spectra result", 0) == 0 && m.find(why) != std::string::npos &&
               m.find('\n') == std::string::npos;
      }
      return false;
    };
    QVERIFY(refused([](auto& j) { j["models"][0]["layers"][0]["singular_values"].erase(0); },
                    "min(rows, cols) singular values"));
    QVERIFY(refused([](auto& j) { j["models"][1]["layers"][1]["singular_values"][3] = 1e9; },
                    "descending"));
    QVERIFY(refused([](auto& j) { j["alignments"][0]["r"].erase(0); }, "one value per gamma"));
    QVERIFY(refused([](auto& j) { j["alignments"][0]["layers"][0]["k"] = 99; }, "k is not within"));
    QVERIFY(refused([](auto& j) { j["alignments"][0]["layers"][0]["u_overlap"][0] = 3.0; },
                    "within [0, 1]"));
    QVERIFY(refused([](auto& j) { j["alignments"][0]["gammas"][0] = 2.0; }, "outside [0, 1]"));
    QVERIFY(refused([](auto& j) { j["alignments"][0]["layers"][1]["r_count"].erase(0); },
                    "r_sum and r_count"));
    QVERIFY(refused([](auto& j) { j["top_k"] = "many"; }, "top_k"));
  }
};

QTEST_APPLESS_MAIN(TestSpectra)
#include "test_spectra.moc"
