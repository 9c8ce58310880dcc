// General permutation specs (symmetry/permutation.h; Ainsworth et al. 2023; Theus et al. 2025, arXiv 2506.22712): N-dimensional blocks
// permuted on several axes, grouped permutations (heads as blocks of rows), applying and
// inverting, composing, the MLP spec against the former rows×cols form, and weight matching
// on such a spec (planted recovery, monotone objective, local optimality against swaps).
#include <QtTest>
#include <cstring>
#include <random>

#include "ridgeline/models/mlp/mlp_symmetry.h"
#include "ridgeline/align/alignment.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/models/mlp/mlp_model.h"
#include "ridgeline/symmetry/permutation.h"

using namespace ridgeline;

namespace {

/// A transformer-like toy: "H" = 4 heads of 3 rows, "R" = a 5-unit stream, "F" = 6 units.
/// Q-like {12,5} (H grouped rows, R columns), O-like {5,12} (R rows, H grouped columns),
/// a 3-D {6,2,5} block (F on axis 0, R on axis 2), a 3-D {2,12,6} block (H grouped on the
/// middle axis, F last), vectors on each permutation and one block never permuted.
PermutationSpec toy_spec() {
  PermutationSpec s;
  const int H = s.add_permutation("H", 4), R = s.add_permutation("R", 5), F = s.add_permutation("F", 6);
  size_t off = 0;
  auto add = [&](const std::string& name, std::vector<int> shape, std::vector<int> perm,
                 std::vector<int> group) {
    ParamBlock b{name, off, std::move(shape), std::move(perm), std::move(group)};
    off += b.size();
    s.blocks.push_back(std::move(b));
  };
  add("q.weight", {12, 5}, {H, R}, {3, 1});
  add("o.weight", {5, 12}, {R, H}, {1, 3});
  add("t.weight", {6, 2, 5}, {F, -1, R}, {});
  add("v.weight", {2, 12, 6}, {-1, H, F}, {1, 3, 1});
  add("h.scale", {12}, {H}, {3});
  add("r.bias", {5}, {R}, {});
  add("f.bias", {6}, {F}, {});
  add("fixed", {3}, {-1}, {});
  s.num_params = off;
  return s;
}

std::vector<float> gaussian(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> g;
  std::vector<float> v(n);
  for (float& x : v) x = g(rng);
  return v;
}

double dot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t k = 0; k < a.size(); ++k) s += double(a[k]) * b[k];
  return s;
}

bool same_bytes(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace

class TestPermutationSpec : public QObject {
  Q_OBJECT
 private slots:
  void validatesSpecs() {
    PermutationSpec s = toy_spec();
    s.validate();
    PermutationSpec twice = s;
    twice.blocks[0].axis_perm = {0, 0};  // one permutation on two axes of a block
    twice.blocks[0].axis_group = {3, 3};
    QVERIFY_THROWS_EXCEPTION(InputError, twice.validate());
    PermutationSpec wrong_group = s;
    wrong_group.blocks[4].axis_group = {2};  // 12 rows are not 4 groups of 2
    QVERIFY_THROWS_EXCEPTION(InputError, wrong_group.validate());
    PermutationSpec past_end = s;
    past_end.num_params -= 1;
    QVERIFY_THROWS_EXCEPTION(InputError, past_end.validate());
  }

  void groupedAxesMoveWholeGroups() {
    const PermutationSpec s = toy_spec();
    const std::vector<float> theta = gaussian(s.num_params, 1);
    const auto perms = random_permutations(s, 3);
    const std::vector<float> out = apply_permutations(s, theta, perms);
    const ParamBlock& h = s.blocks[4];  // h.scale {12}, 4 groups of 3
    for (int u = 0; u < 4; ++u)
      for (int r = 0; r < 3; ++r)
        QCOMPARE(out[h.offset + u * 3 + r], theta[h.offset + perms[0][u] * 3 + r]);
    const ParamBlock& t = s.blocks[2];  // t.weight {6,2,5}: F on axis 0, R on axis 2
    for (int i = 0; i < 6; ++i)
      for (int j = 0; j < 2; ++j)
        for (int k = 0; k < 5; ++k)
          QCOMPARE(out[t.offset + (i * 2 + j) * 5 + k],
                   theta[t.offset + (perms[2][i] * 2 + j) * 5 + perms[1][k]]);
    const ParamBlock& v = s.blocks[3];  // v.weight {2,12,6}: H grouped on axis 1, F on axis 2
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 12; ++j)
        for (int k = 0; k < 6; ++k)
          QCOMPARE(out[v.offset + (i * 12 + j) * 6 + k],
                   theta[v.offset + (i * 12 + perms[0][j / 3] * 3 + j % 3) * 6 + perms[2][k]]);
    const ParamBlock& fixed = s.blocks[7];
    for (int i = 0; i < 3; ++i) QCOMPARE(out[fixed.offset + i], theta[fixed.offset + i]);
  }

  void inverseRestoresAndComposeMatchesTwice() {
    const PermutationSpec s = toy_spec();
    const std::vector<float> theta = gaussian(s.num_params, 2);
    const auto p1 = random_permutations(s, 10), p2 = random_permutations(s, 11);
    std::vector<Permutation> inv, comp;
    for (size_t p = 0; p < p1.size(); ++p) {
      inv.push_back(inverse(p1[p]));
      comp.push_back(compose(p2[p], p1[p]));
    }
    const std::vector<float> once = apply_permutations(s, theta, p1);
    QVERIFY(!same_bytes(once, theta));
    QVERIFY(same_bytes(apply_permutations(s, once, inv), theta));
    QVERIFY(same_bytes(apply_permutations(s, once, p2), apply_permutations(s, theta, comp)));
    QVERIFY(same_bytes(apply_permutations(s, theta, identity_permutations(s)), theta));
  }

  void mlpSpecEqualsTheRowsColsForm() {
    const MlpArch arch = parse_arch("mlp:5,7,6,3+ln");
    const PermutationSpec s = mlp_permutation_spec(arch);
    // The former spec, written out: {name, offset, rows, cols, row_perm, col_perm}, vectors n×1.
    struct Old { std::string name; size_t offset; int rows, cols, rp, cp; };
    const ParamLayout lay(arch);
    std::vector<Old> old;
    for (int l = 0; l < 3; ++l) {
      const int out = arch.widths[l + 1], in = arch.widths[l], rp = l < 2 ? l : -1, cp = l > 0 ? l - 1 : -1;
      old.push_back({"fc" + std::to_string(l) + ".weight", lay.weight_offset[l], out, in, rp, cp});
      old.push_back({"fc" + std::to_string(l) + ".bias", lay.bias_offset[l], out, 1, rp, -1});
      if (l < 2) {
        old.push_back({"ln" + std::to_string(l) + ".weight", lay.ln_weight_offset[l], out, 1, rp, -1});
        old.push_back({"ln" + std::to_string(l) + ".bias", lay.ln_bias_offset[l], out, 1, rp, -1});
      }
    }
    QCOMPARE(s.names, std::vector<std::string>({"P0", "P1"}));
    QCOMPARE(s.sizes, std::vector<int>({7, 6}));
    QCOMPARE(s.num_params, lay.total);
    QCOMPARE(s.blocks.size(), old.size());
    for (size_t k = 0; k < old.size(); ++k) {
      const ParamBlock& b = s.blocks[k];
      QCOMPARE(b.name, old[k].name);
      QCOMPARE(b.offset, old[k].offset);
      const bool vec = old[k].cols == 1;
      const std::vector<int> shape = vec ? std::vector<int>{old[k].rows}
                                         : std::vector<int>{old[k].rows, old[k].cols};
      const std::vector<int> axis_perm = vec ? std::vector<int>{old[k].rp}
                                             : std::vector<int>{old[k].rp, old[k].cp};
      QCOMPARE(b.shape, shape);
      QCOMPARE(b.axis_perm, axis_perm);
      QCOMPARE(b.group(0), 1);
    }
    // The same blocks as the model interface's layout.
    const auto info = mlp_model_arch(arch)->blocks();
    QCOMPARE(info.size(), s.blocks.size());
    for (size_t k = 0; k < info.size(); ++k) {
      QCOMPARE(info[k].name, s.blocks[k].name);
      QCOMPARE(info[k].offset, s.blocks[k].offset);
      QCOMPARE(info[k].shape.size(), s.blocks[k].shape.size());
    }
    // Applying: the former rows×cols gather, bit for bit.
    const Mlp m = init_mlp(arch, 4);
    const auto perms = random_permutations(s, 8);
    std::vector<float> ref = m.params;
    for (const Old& b : old)
      for (int i = 0; i < b.rows; ++i)
        for (int j = 0; j < b.cols; ++j)
          ref[b.offset + size_t(i) * b.cols + j] =
              m.params[b.offset + size_t(b.rp >= 0 ? perms[b.rp][i] : i) * b.cols + (b.cp >= 0 ? perms[b.cp][j] : j)];
    QVERIFY(same_bytes(apply_permutations(s, m.params, perms), ref));
    QVERIFY(same_bytes(apply_permutations(to_model(m), perms).params, ref));
  }

  void weightMatchingRecoversAPlantedGroupedPermutation_data() {
    QTest::addColumn<int>("seed");
    for (int seed : {1, 2, 3, 4, 5}) QTest::newRow(std::to_string(seed).c_str()) << seed;
  }
  void weightMatchingRecoversAPlantedGroupedPermutation() {
    QFETCH(int, seed);
    const PermutationSpec s = toy_spec();
    const std::vector<float> a = gaussian(s.num_params, 100 + seed);
    const auto planted = random_permutations(s, 200 + seed);
    const std::vector<float> b = apply_permutations(s, a, planted);
    WeightMatchingConfig cfg;
    cfg.seed = seed;
    const AlignmentResult r = weight_matching(s, a, b, cfg);
    for (size_t p = 0; p < planted.size(); ++p) QCOMPARE(r.perms[p], inverse(planted[p]));
    QVERIFY(same_bytes(r.aligned.params, a));
    QCOMPARE(r.l2_after, 0.0);
    QVERIFY(std::fabs(r.objective_after - dot(a, a)) <= 1e-9 * dot(a, a));
  }

  void weightMatchingIsMonotoneAndLocallyOptimal() {
    const PermutationSpec s = toy_spec();
    for (uint64_t seed : {7u, 8u, 9u}) {
      const std::vector<float> a = gaussian(s.num_params, seed), b = gaussian(s.num_params, seed + 50);
      WeightMatchingConfig cfg;
      cfg.seed = seed;
      const AlignmentResult r = weight_matching(s, a, b, cfg);
      QCOMPARE(static_cast<int>(r.objective_per_sweep.size()), r.sweeps);
      double prev = r.objective_before;
      for (double o : r.objective_per_sweep) {
        QVERIFY2(o >= prev - 1e-12 * std::fabs(prev), qPrintable(QString("%1 after %2").arg(o).arg(prev)));
        prev = o;
      }
      // The objective is Σ⟨A, π(B)⟩, and π(B) is what was returned.
      QVERIFY(same_bytes(r.aligned.params, apply_permutations(s, b, r.perms)));
      QVERIFY(std::fabs(r.objective_after - dot(a, r.aligned.params)) < 1e-9 * (1 + std::fabs(r.objective_after)));
      // Each permutation is an exact assignment given the others: no swap of two units (two
      // whole groups for H) improves the objective, measured by applying it.
      for (size_t p = 0; p < r.perms.size(); ++p)
        for (int i = 0; i < s.sizes[p]; ++i)
          for (int j = i + 1; j < s.sizes[p]; ++j) {
            auto q = r.perms;
            std::swap(q[p][i], q[p][j]);
            const double o = dot(a, apply_permutations(s, b, q));
            QVERIFY2(o <= r.objective_after + 1e-9 * std::fabs(r.objective_after),
                     qPrintable(QString("perm %1 swap %2,%3: %4 > %5").arg(p).arg(i).arg(j).arg(o).arg(r.objective_after)));
          }
      QCOMPARE(weight_matching(s, a, b, cfg).perms, r.perms);  // deterministic
    }
  }

  void modelWithoutPermutationsReturnsIdentity() {
    const auto arch = parse_model_arch("quadratic:dim=8,seed=1");
    const Model a{arch, arch->init(1)}, b{arch, arch->init(2)};
    const AlignmentResult r = weight_matching(a, b);
    QVERIFY(r.perms.empty());
    QCOMPARE(r.sweeps, 0);
    QCOMPARE(r.objective_before, r.objective_after);
    QVERIFY(std::fabs(r.objective_before - dot(a.params, b.params)) < 1e-12 * (1 + std::fabs(r.objective_before)));
    QVERIFY(same_bytes(r.aligned.params, b.params));
    QVERIFY(r.aligned.arch == b.arch);
  }
};

QTEST_APPLESS_MAIN(TestPermutationSpec)
#include "test_permutation_spec.moc"
