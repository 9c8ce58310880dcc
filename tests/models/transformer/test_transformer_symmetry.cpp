// The transformer's permutation symmetries (models/transformer/transformer_symmetry.h; Theus
// et al. 2025, arXiv 2506.22712): the spec covers every parameter once, permuting the residual
// stream, whole heads and MLP units leaves the logits unchanged (to float32 rounding) for
// both forms and several variants, a head permutation moves heads' Q/K/V and maps whole,
// weight matching recovers a planted permutation exactly, and the function check catches a
// change that is not a symmetry.
#include <QtTest>
#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "ridgeline/align/activation_matching.h"
#include "ridgeline/align/alignment.h"
#include "ridgeline/align/within_heads.h"
#include "ridgeline/core/backend.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/models/transformer/transformer.h"
#include "ridgeline/models/transformer/transformer_symmetry.h"
#include "test_support.h"
#include "transformer_data.h"

using namespace ridgeline;

namespace {

// A model away from its initialisation (LayerNorm gains of 1 and zero biases are symmetric
// under any permutation, so they would not test anything).
Model model_of(const std::string& text, uint64_t seed) {
  Model m;
  m.arch = parse_model_arch(text);
  m.params = m.arch->init(seed);
  std::mt19937_64 g(seed + 99);
  std::normal_distribution<float> n(0.0f, 0.1f);
  for (float& v : m.params) v += n(g);
  return m;
}

Dataset data_for(const Model& m) {
  const TransformerArch& a = *as_transformer_arch(*m.arch);
  return a.is_image() ? test::random_images(24, a.image_h, a.image_w, a.classes, 5)
                      : test::random_tokens(24, a.seq, a.vocab, 5);
}

// Equal to float32 rounding (GEMMs may sum in another order when rows move).
bool close(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size() || a.empty()) return false;
  double top = 0, diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    top = std::max(top, std::fabs(static_cast<double>(a[i])));
    diff = std::max(diff, std::fabs(static_cast<double>(a[i]) - b[i]));
  }
  return diff <= 1e-6 + 1e-5 * top;
}

const char* const kArchs[] = {
    "transformer:tokens=11,seq=8,d=12,heads=3,layers=2,ff=20,attn=softmax,causal",
    "transformer:tokens=11,seq=8,d=12,heads=2,layers=1,ff=16,attn=linear_elu,causal,tied",
    "transformer:tokens=9,seq=6,d=8,heads=2,layers=2,ff=12,attn=hedgehog,features=4",
    "transformer:tokens=9,seq=6,d=8,heads=2,layers=1,ff=12,attn=performer,features=8,fseed=3",
    "transformer:image=8x8,patch=4,classes=5,d=12,heads=3,layers=2,ff=16,attn=softmax",
    "transformer:image=8x8,patch=4,classes=5,d=12,heads=2,layers=1,ff=16,attn=inline,nocls",
    "transformer:image=8x8,patch=4,classes=5,d=8,heads=1,layers=1,ff=8,attn=transnormer",
};

// Seeded random permutations within every head: query/key and value/output, layer-major.
std::pair<std::vector<Permutation>, std::vector<Permutation>> random_within_heads(
    const TransformerArch& t, uint64_t seed) {
  std::mt19937_64 g(seed);
  std::vector<Permutation> qk, vo;
  for (int k = 0; k < t.layers * t.heads; ++k) {
    Permutation p(static_cast<size_t>(t.head_dim()));
    std::iota(p.begin(), p.end(), 0);
    std::shuffle(p.begin(), p.end(), g);
    qk.push_back(p);
    std::shuffle(p.begin(), p.end(), g);
    vo.push_back(p);
  }
  return {qk, vo};
}

}  // namespace

class TestTransformerSymmetry : public QObject {
  Q_OBJECT

 private slots:
  void specCoversEveryParameterOnce() {
    for (const char* text : kArchs) {
      auto arch = parse_model_arch(text);
      const TransformerArch& a = *as_transformer_arch(*arch);
      const PermutationSpec s = arch->permutation_spec();
      s.validate();
      QCOMPARE(s.num_params, arch->num_params());
      QCOMPARE(s.names.front(), std::string("residual"));
      QCOMPARE(s.sizes.front(), a.d);
      // residual + per block (heads when more than one) + mlp
      QCOMPARE(static_cast<int>(s.sizes.size()), 1 + a.layers * (a.heads > 1 ? 2 : 1));
      std::vector<int> covered(arch->num_params(), 0);
      for (const ParamBlock& b : s.blocks)
        for (size_t i = 0; i < b.size(); ++i) ++covered[b.offset + i];
      size_t uncovered = 0;
      for (int c : covered) {
        QVERIFY2(c <= 1, text);
        uncovered += c == 0;
      }
      // Only the head's bias (one per class or token) is acted on by nothing.
      QCOMPARE(uncovered, a.tied ? size_t(0) : static_cast<size_t>(a.outputs()));
    }
  }

  void permutedTransformersComputeTheSameFunction() {
    for (const char* text : kArchs) {
      const Model m = model_of(text, 3);
      const Dataset data = data_for(m);
      const PermutationSpec s = m.arch->permutation_spec();
      for (uint64_t seed : {1u, 2u}) {
        const auto perms = random_permutations(s, seed);
        const Model p = apply_permutations(m, perms);
        QVERIFY2(l2_distance(m.params, p.params) > 0.1, text);
        double top = 0;
        const double diff = transformer_max_logit_difference(m, p, data, data.n, &top);
        QVERIFY2(top > 0.1, text);
        QVERIFY2(function_check_passes(diff, top),
                 (std::string(text) + ": max |logit difference| " + std::to_string(diff)).c_str());
        // Undoing the permutation gives the model back bit for bit.
        std::vector<Permutation> inv;
        for (const auto& q : perms) inv.push_back(inverse(q));
        // inverse(π) acts after π: apply to the permuted model.
        QVERIFY(apply_permutations(p, inv).params == m.params);
      }
    }
  }

  void headPermutationMovesWholeHeads() {
    const Model m = model_of(kArchs[0], 4);  // 3 heads, 2 layers, causal softmax
    const Dataset data = data_for(m);
    const PermutationSpec s = m.arch->permutation_spec();
    auto perms = identity_permutations(s);
    const int heads1 = 3;  // "block1.heads": residual, block0.heads, block0.mlp, block1.heads
    QCOMPARE(s.names[heads1], std::string("block1.heads"));
    perms[heads1] = {2, 0, 1};
    const Model p = apply_permutations(m, perms);
    const std::vector<float> x(data.x.begin(), data.x.begin() + data.dim);
    const AttentionCapture cm = capture_attention(m, x, 1).front();
    const AttentionCapture cp = capture_attention(p, x, 1).front();
    const auto maps_m = attention_maps(m, cm), maps_p = attention_maps(p, cp);
    for (int h = 0; h < 3; ++h) {
      // Layer 0 untouched; layer 1's head h is the original's head perm[h].
      const int from = perms[heads1][h];
      QVERIFY(close(cp.query(0, h).data, cm.query(0, h).data));
      QVERIFY(close(cp.query(1, h).data, cm.query(1, from).data));
      QVERIFY(close(cp.key(1, h).data, cm.key(1, from).data));
      QVERIFY(close(cp.v[3 + h].data, cm.v[3 + from].data));
      QVERIFY(close(maps_p[3 + h].data, maps_m[3 + from].data));
      QVERIFY(!close(cp.query(1, h).data, cm.query(1, h).data));  // they did move
    }
  }

  // Permuting a head's query and key dimensions by one σ, and its value dimensions with the
  // projection's columns by one τ, keeps the function (within_heads.h), for the variants whose
  // scores allow σ; Performer, FLatten and Hedgehog refuse σ, and τ alone keeps theirs.
  void permutationsWithinHeadsKeepTheFunction() {
    for (const char* text : kArchs) {
      const Model m = model_of(text, 7);
      const TransformerArch& t = *as_transformer_arch(*m.arch);
      const Dataset data = data_for(m);
      const auto [qk, vo] = random_within_heads(t, 11);
      const bool qk_ok = within_heads_qk_unsupported(t).empty();
      const Model p = apply_within_heads(m, qk_ok ? qk : std::vector<Permutation>{}, vo);
      QVERIFY2(l2_distance(m.params, p.params) > 0.1, text);
      double top = 0;
      const double diff = transformer_max_logit_difference(m, p, data, data.n, &top);
      QVERIFY2(function_check_passes(diff, top),
               (std::string(text) + ": max |logit difference| " + std::to_string(diff)).c_str());
      if (qk_ok) {  // and σ alone changes the parameters but not the function either
        const Model q = apply_within_heads(m, qk, {});
        QVERIFY2(l2_distance(m.params, q.params) > 0.1, text);
        QVERIFY2(function_check_passes(transformer_max_logit_difference(m, q, data, data.n, &top), top), text);
      }
    }
    // The refused variants: a σ on Performer's queries and keys is not a symmetry.
    const Model perf = model_of(kArchs[3], 7);
    const TransformerArch& t = *as_transformer_arch(*perf.arch);
    QVERIFY(!within_heads_qk_unsupported(t).empty());
    std::vector<Permutation> swap(static_cast<size_t>(t.layers * t.heads));
    for (auto& p : swap) {
      p.resize(static_cast<size_t>(t.head_dim()));
      std::iota(p.begin(), p.end(), 0);
      std::swap(p[0], p[1]);
    }
    double top = 0;
    const Dataset data = data_for(perf);
    QVERIFY(!function_check_passes(
        transformer_max_logit_difference(perf, apply_within_heads(perf, swap, {}), data, data.n, &top), top));
  }

  // B = A with permutations planted within its heads (its heads, residual stream and MLP
  // units in A's order, as align_within_heads expects after whole-model alignment): the
  // weight matching within heads gives A back exactly.
  void withinHeadsRecoversPlantedPermutations() {
    for (const char* text : {kArchs[0], kArchs[4], kArchs[2]}) {
      const Model a = model_of(text, 8);
      const TransformerArch& t = *as_transformer_arch(*a.arch);
      const auto [qk, vo] = random_within_heads(t, 23);
      const bool qk_ok = within_heads_qk_unsupported(t).empty();
      const Model wm = apply_within_heads(a, qk_ok ? qk : std::vector<Permutation>{}, vo);
      QVERIFY2(l2_distance(a.params, wm.params) > 0.1, text);  // the planted permutations moved it
      const WithinHeadsResult w = align_within_heads(a, wm);
      QCOMPARE(w.aligned.params, a.params);
      QCOMPARE(w.heads, t.layers * t.heads);
      QVERIFY(w.vo_after > w.vo_before);
      QCOMPARE(w.vo_moved, w.heads);
      if (qk_ok) {
        QVERIFY(w.qk_after > w.qk_before);
        QVERIFY(w.qk_skipped.empty());
      } else {
        QCOMPARE(w.qk_moved, 0);
        QVERIFY(w.qk_skipped.find(t.attention) != std::string::npos);
      }
      // With whole-model permutations planted on top (residual stream, whole heads, MLP units):
      // weight matching, whose head pairing sees the scrambled insides, then the within-heads
      // stage, which pairs heads again on costs the insides cannot change, give A back.
      const Model b = apply_permutations(wm, random_permutations(a.arch->permutation_spec(), 5));
      AlignmentResult r = weight_matching(a, b);
      Model back = r.aligned;
      back.arch = a.arch;
      const WithinHeadsResult full = align_within_heads(a, back);
      QVERIFY2(full.aligned.params == a.params, text);
      QCOMPARE(static_cast<int>(full.head_perms.size()), t.layers);
      // Aligning A to itself permutes nothing.
      const WithinHeadsResult same = align_within_heads(a, a);
      QCOMPARE(same.qk_moved + same.vo_moved + same.heads_moved, 0);
      QCOMPARE(same.aligned.params, a.params);
    }
    // Bad input: another kind, a list of the wrong size.
    Model mlp;
    mlp.arch = parse_model_arch("mlp:4,3,2");
    mlp.params = mlp.arch->init(0);
    QVERIFY_THROWS_EXCEPTION(InputError, align_within_heads(mlp, mlp));
    const Model a = model_of(kArchs[0], 8);
    QVERIFY_THROWS_EXCEPTION(InputError, apply_within_heads(a, {Permutation{0, 1}}, {}));
  }

  void weightMatchingRecoversAPlantedPermutation() {
    for (const char* text : {kArchs[0], kArchs[2], kArchs[4]}) {
      const Model a = model_of(text, 6);
      const PermutationSpec s = a.arch->permutation_spec();
      const auto planted = random_permutations(s, 17);
      const Model b = apply_permutations(a, planted);
      AlignmentResult r = weight_matching(a, b);
      QVERIFY2(r.l2_before > 1.0, text);
      QCOMPARE(r.l2_after, 0.0);
      QVERIFY(r.aligned.params == a.params);
      for (size_t p = 0; p < s.sizes.size(); ++p)
        QCOMPARE(r.perms[p], inverse(planted[p]));
      auto be = make_backend("cpu", 1);
      check_alignment(*be, b, r, data_for(a));  // throws if the function changed
      QVERIFY(function_check_passes(r.function_max_diff, r.function_max_logit));
      QVERIFY(r.function_max_logit > 0.1);
    }
  }

  // Activations of π(A) are A's, permuted: Σ_i E[a_i·a_σ(i)] ≤ Σ_i E[a_i²] (Cauchy–Schwarz and
  // the rearrangement inequality), so the planted permutation is the assignments' optimum, for
  // the residual stream, the MLP units and the heads' contributions alike.
  void activationMatchingRecoversAPlantedPermutation() {
    for (const char* text : {kArchs[0], kArchs[4], kArchs[5]}) {
      for (bool pearson : {false, true}) {
        const Model a = model_of(text, 9);
        const PermutationSpec s = a.arch->permutation_spec();
        const auto planted = random_permutations(s, 23);
        const Model b = apply_permutations(a, planted);
        const Dataset data = data_for(a);
        auto be = make_backend("cpu", 1);
        ActivationMatchingConfig cfg;
        cfg.pearson = pearson;
        cfg.batch = 7;  // several forwards
        AlignmentResult r = activation_matching(*be, a, b, data, cfg);
        QCOMPARE(r.method, std::string(pearson ? "am-pearson" : "am"));
        QCOMPARE(r.perms.size(), s.sizes.size());
        for (size_t p = 0; p < s.sizes.size(); ++p)
          QVERIFY2(r.perms[p] == inverse(planted[p]), (std::string(text) + " " + s.names[p]).c_str());
        QCOMPARE(r.l2_after, 0.0);
        QVERIFY(r.objective_after >= r.objective_before);
      }
    }
  }

  void functionCheckCatchesWhatIsNotASymmetry() {
    const Model b = model_of(kArchs[4], 8);
    const PermutationSpec s = b.arch->permutation_spec();
    AlignmentResult r;
    r.method = "wm";
    r.perms = identity_permutations(s);
    r.perms[0][0] = 1;  // claims a residual swap ...
    r.perms[0][1] = 0;
    r.aligned = b;      // ... but swaps only the first LayerNorm's gains
    size_t ln1 = 0;
    for (const ParamBlock& blk : s.blocks)
      if (blk.name == "blocks.0.ln1.weight") ln1 = blk.offset;
    QVERIFY(ln1 > 0);
    std::swap(r.aligned.params[ln1], r.aligned.params[ln1 + 1]);
    auto be = make_backend("cpu", 1);
    bool threw = false;
    try {
      check_alignment(*be, b, r, data_for(b));
    } catch (const RunError& e) {
      threw = std::string(e.what()).find("function check") != std::string::npos;
    }
    QVERIFY(threw);
    QVERIFY(r.function_max_diff > 1e-3);
  }

  void logitsRefuseOtherInput() {
    const Model m = model_of(kArchs[4], 1);
    QVERIFY_THROWS_EXCEPTION(InputError, transformer_logits(m, std::vector<float>(10), 1));
    Model mlp;
    mlp.arch = parse_model_arch("mlp:4,3,2");
    mlp.params = mlp.arch->init(1);
    QVERIFY_THROWS_EXCEPTION(InputError, transformer_logits(mlp, std::vector<float>(4), 1));
  }
};

QTEST_APPLESS_MAIN(TestTransformerSymmetry)
#include "test_transformer_symmetry.moc"
