// Learned matching with an orthogonal map of the residual stream (align/learned_matching.h;
// Theus et al. 2025, arXiv 2506.22712): the weight-space Procrustes map recovers a planted
// rotation; the projection recovers planted whole-model permutations and a rotation together
// (θ_A projects onto A itself, the learned loop's first candidate); the result is the candidate with the lowest midpoint
// training loss, re-measured independently, never above the start's; runs are deterministic;
// bad input is refused by name.
#include <QtTest>
#include <cmath>
#include <random>

#include "ridgeline/align/alignment.h"
#include "ridgeline/align/learned_matching.h"
#include "ridgeline/core/backend.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/models/transformer/transformer.h"
#include "ridgeline/models/transformer/transformer_orthogonal.h"
#include "ridgeline/models/transformer/transformer_symmetry.h"
#include "ridgeline/train/evaluate.h"
#include "orthogonal_maps.h"
#include "test_support.h"
#include "transformer_data.h"

using namespace ridgeline;

namespace {

// A canonical model away from its initialisation.
Model canonical_model(const std::string& text, uint64_t seed) {
  Model m;
  m.arch = parse_model_arch(text);
  m.params = m.arch->init(seed);
  std::mt19937_64 g(seed + 17);
  std::normal_distribution<float> n(0.0f, 0.15f);
  for (float& v : m.params) v += n(g);
  return canonical_residual_form(m);
}

Dataset data_for(const Model& m, int n) {
  const TransformerArch& a = *as_transformer_arch(*m.arch);
  return a.is_image() ? test::random_images(n, a.image_h, a.image_w, a.classes, 7)
                      : test::random_tokens(n, a.seq, a.vocab, 7);
}

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(static_cast<double>(a[i]) - b[i]));
  return m;
}

double max_abs(const std::vector<float>& a) {
  double m = 0;
  for (float v : a) m = std::max(m, std::fabs(static_cast<double>(v)));
  return m;
}

const char* const kArchs[] = {
    "transformer:image=8x8,patch=4,classes=5,d=12,heads=3,layers=2,ff=16,attn=softmax",
    "transformer:tokens=11,seq=6,d=8,heads=2,layers=2,ff=12,attn=linear_elu,causal",
};

LearnedMatchingConfig small(int epochs) {
  LearnedMatchingConfig c;
  c.epochs = epochs;
  c.batch = 16;
  c.lr = 0.05;
  c.seed = 3;
  return c;
}

}  // namespace

class TestLearnedMatching : public QObject {
  Q_OBJECT

 private slots:
  void weightProcrustesRecoversAPlantedRotation() {
    for (const char* text : kArchs) {
      const Model a = canonical_model(text, 1);
      const int d = as_transformer_arch(*a.arch)->d;
      const Model b = rotate_residual(a, test::random_stream_map(d, 5));
      QVERIFY(max_abs_diff(a.params, b.params) > 0.05);
      const Model back = rotate_residual(b, residual_procrustes_on_weights(b, a.params));
      QVERIFY2(max_abs_diff(a.params, back.params) < 1e-5 * max_abs(a.params),
               (std::string(text) + ": " + std::to_string(max_abs_diff(a.params, back.params))).c_str());
    }
  }

  void projectionRecoversPermutationsAndRotationTogether() {
    // B = π(Q·A): the same function far from A. Projecting A onto B's orbit must find A itself,
    // from the identity: permutations and rotation planted together are recovered together.
    for (const char* text : kArchs) {
      const Model a = canonical_model(text, 2);
      const int d = as_transformer_arch(*a.arch)->d;
      Model b = rotate_residual(a, test::random_stream_map(d, 9));
      b = apply_permutations(b, random_permutations(a.arch->permutation_spec(), 4));
      const Dataset data = data_for(a, 32);
      double top = 0;
      QVERIFY(function_check_passes(transformer_max_logit_difference(a, b, data, 32, &top), top));
      QVERIFY(l2_distance(a.params, b.params) > 1.0);
      const StreamMatch t = match_stream(a.params, b, identity_stream_match(b), 100, 0, 5);
      const Model back = apply_stream_match(b, t);
      QVERIFY2(max_abs_diff(a.params, back.params) < 1e-5 * max_abs(a.params),
               (std::string(text) + ": " + std::to_string(max_abs_diff(a.params, back.params))).c_str());
      // Permutations alone do not get there: the rotation is doing its part.
      QVERIFY(weight_matching(a, b).l2_after > 0.1 * l2_distance(a.params, b.params));
      // The learned loop's first candidate is that projection (θ̃ starts at A): the midpoint of
      // A with A, whose loss is A's own.
      auto be = make_backend("cpu", 1);
      const LearnedMatchingResult r = learned_orthogonal_matching(*be, a, b, data, small(1));
      QCOMPARE(r.midpoint_losses.size(), size_t{2});
      const double own = evaluate(*be, a, data, 2000).loss;
      QVERIFY2(std::fabs(r.midpoint_losses[0] - own) < 1e-6 * own,
               (std::to_string(r.midpoint_losses[0]) + " vs A's " + std::to_string(own)).c_str());
      QVERIFY(function_check_passes(transformer_max_logit_difference(b, r.aligned, data, 32, &top), top));
    }
  }

  void keepsTheCandidateWithTheLowestMidpointLoss() {
    // Two unrelated models: whatever wins, its midpoint loss re-measured here is the one
    // reported, no candidate reported is lower, and b as given wins ties.
    auto be = make_backend("cpu", 1);
    const Model a = canonical_model(kArchs[0], 3);
    const Model b = canonical_model(kArchs[0], 4);
    const Dataset data = data_for(a, 48);
    const LearnedMatchingResult r = learned_orthogonal_matching(*be, a, b, data, small(3));
    QCOMPARE(r.midpoint_losses.size(), size_t{4});
    Model mid = a;
    for (size_t k = 0; k < mid.params.size(); ++k)
      mid.params[k] = 0.5f * (a.params[k] + r.aligned.params[k]);
    const double measured = evaluate(*be, mid, data, 2000).loss;
    const double reported = r.best_epoch < 0 ? r.start_loss : r.midpoint_losses[r.best_epoch];
    QVERIFY2(std::fabs(measured - reported) < 1e-6 * std::max(1.0, measured),
             (std::to_string(measured) + " vs " + std::to_string(reported)).c_str());
    QVERIFY(reported <= r.start_loss);
    for (double l : r.midpoint_losses) QVERIFY(reported <= l);
    double top = 0;
    QVERIFY(function_check_passes(transformer_max_logit_difference(b, r.aligned, data, 48, &top), top));
    // Deterministic for one seed and thread count.
    const LearnedMatchingResult again = learned_orthogonal_matching(*be, a, b, data, small(3));
    QCOMPARE(again.midpoint_losses, r.midpoint_losses);
    QCOMPARE(again.q, r.q);
    QCOMPARE(again.perms, r.perms);
  }

  void refusesBadInput() {
    auto be = make_backend("cpu", 1);
    const Model a = canonical_model(kArchs[0], 1);
    const Dataset data = data_for(a, 8);
    Model gained;  // not canonical: LayerNorm gains away from 1
    gained.arch = a.arch;
    gained.params = a.arch->init(1);
    std::mt19937_64 g(1);
    std::normal_distribution<float> n(0.0f, 0.2f);
    for (float& v : gained.params) v += n(g);
    QVERIFY_THROWS_EXCEPTION(InputError, learned_orthogonal_matching(*be, a, gained, data, small(1)));
    LearnedMatchingConfig bad = small(1);
    bad.lambda_min = 0.7;
    bad.lambda_max = 0.6;
    QVERIFY_THROWS_EXCEPTION(InputError, learned_orthogonal_matching(*be, a, a, data, bad));
    bad = small(0);
    QVERIFY_THROWS_EXCEPTION(InputError, learned_orthogonal_matching(*be, a, a, data, bad));
    const Model other = canonical_model(kArchs[1], 1);
    QVERIFY_THROWS_EXCEPTION(InputError, learned_orthogonal_matching(*be, a, other, data, small(1)));
    Model mlp;
    mlp.arch = parse_model_arch("mlp:64,8,5");
    mlp.params = mlp.arch->init(0);
    QVERIFY_THROWS_EXCEPTION(InputError, learned_orthogonal_matching(*be, mlp, mlp, data, small(1)));
  }
};

QTEST_GUILESS_MAIN(TestLearnedMatching)
#include "test_learned_matching.moc"
