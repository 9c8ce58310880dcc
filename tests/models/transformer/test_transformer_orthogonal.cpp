// Orthogonal maps of the residual stream (models/transformer/transformer_orthogonal.h): the
// canonical form (mean-free writes, LayerNorm gains and shifts folded into their readers)
// computes the same logits; any orthogonal Q with Q·1 = 1 applied to a canonical model does
// too; Procrustes on the streams recovers a planted rotation; what cannot be done is refused.
#include <QtTest>
#include <Eigen/Dense>
#include <cmath>
#include <random>

#include "ridgeline/core/backend.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/models/transformer/transformer.h"
#include "ridgeline/models/transformer/transformer_orthogonal.h"
#include "ridgeline/models/transformer/transformer_symmetry.h"
#include "test_support.h"
#include "orthogonal_maps.h"
#include "transformer_data.h"

using namespace ridgeline;

namespace {

using MatD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

Model model_of(const std::string& text, uint64_t seed) {
  Model m;
  m.arch = parse_model_arch(text);
  m.params = m.arch->init(seed);
  std::mt19937_64 g(seed + 5);
  std::normal_distribution<float> n(0.0f, 0.15f);
  for (float& v : m.params) v += n(g);  // gains and shifts away from 1 and 0, writes not mean-free
  return m;
}

std::vector<double> random_q(int d, uint64_t seed) { return test::random_stream_map(d, seed); }

const char* const kArchs[] = {
    "transformer:image=8x8,patch=4,classes=5,d=12,heads=3,layers=2,ff=16,attn=softmax",
    "transformer:image=8x8,patch=4,classes=5,d=8,heads=2,layers=1,ff=12,attn=linear_elu,nocls",
    "transformer:tokens=11,seq=6,d=8,heads=2,layers=2,ff=12,attn=softmax,causal",
    "transformer:tokens=11,seq=6,d=8,heads=2,layers=1,ff=12,attn=hedgehog,features=4",
};

Dataset data_for(const Model& m) {
  const TransformerArch& a = *as_transformer_arch(*m.arch);
  return a.is_image() ? test::random_images(16, a.image_h, a.image_w, a.classes, 3)
                      : test::random_tokens(16, a.seq, a.vocab, 3);
}

void check_same_function(const Model& a, const Model& b, const char* what) {
  double top = 0;
  const double diff = transformer_max_logit_difference(a, b, data_for(a), 16, &top);
  QVERIFY2(top > 0.1, what);
  QVERIFY2(function_check_passes(diff, top),
           (std::string(what) + ": max |logit difference| " + std::to_string(diff)).c_str());
}

}  // namespace

class TestTransformerOrthogonal : public QObject {
  Q_OBJECT

 private slots:
  void canonicalFormComputesTheSameFunction() {
    for (const char* text : kArchs) {
      const Model m = model_of(text, 1);
      const Model c = canonical_residual_form(m);
      check_same_function(m, c, text);
      // Gains 1, shifts 0; the positions (a writer) are mean-free along the stream.
      for (const ParamBlockInfo& b : c.arch->blocks()) {
        const bool gain = b.name.find("ln") != std::string::npos && b.name.ends_with(".weight");
        const bool shift = b.name.find("ln") != std::string::npos && b.name.ends_with(".bias");
        for (int64_t i = 0; i < (gain || shift ? b.shape[0] : 0); ++i)
          QCOMPARE(c.params[b.offset + i], gain ? 1.0f : 0.0f);
        if (b.name == "pos_embed") {
          const int64_t d = b.shape[1];
          for (int64_t r = 0; r < b.shape[0]; ++r) {
            double s = 0;
            for (int64_t k = 0; k < d; ++k) s += c.params[b.offset + r * d + k];
            QVERIFY(std::fabs(s) < 1e-5);
          }
        }
      }
      // Twice is once.
      const Model cc = canonical_residual_form(c);
      double most = 0;
      for (size_t i = 0; i < c.params.size(); ++i) most = std::max(most, double(std::fabs(cc.params[i] - c.params[i])));
      QVERIFY(most < 1e-6);
    }
  }

  void rotatedCanonicalModelsComputeTheSameFunction() {
    for (const char* text : kArchs) {
      const Model c = canonical_residual_form(model_of(text, 2));
      const int d = as_transformer_arch(*c.arch)->d;
      const Model r = rotate_residual(c, random_q(d, 7));
      QVERIFY(l2_distance(c.params, r.params) > 0.5);
      check_same_function(c, r, text);
    }
    // A rotation of a model still holding its gains is not a symmetry: refused.
    const Model m = model_of(kArchs[0], 2);
    QVERIFY_THROWS_EXCEPTION(InputError, rotate_residual(m, random_q(12, 7)));
    // Nor is a map that moves 1, or one that is not orthogonal.
    const Model c = canonical_residual_form(m);
    std::vector<double> id(144, 0.0);
    for (int i = 0; i < 12; ++i) id[i * 12 + i] = 2.0;
    QVERIFY_THROWS_EXCEPTION(InputError, rotate_residual(c, id));
    QVERIFY_THROWS_EXCEPTION(InputError, rotate_residual(c, std::vector<double>(10, 0.0)));
  }

  // B is A's canonical form rotated by a planted Q₀: Procrustes finds Q₀ᵀ and gives A back.
  void procrustesRecoversAPlantedRotation() {
    for (const char* text : {kArchs[0], kArchs[2]}) {
      const Model a = model_of(text, 3);
      const int d = as_transformer_arch(*a.arch)->d;
      const std::vector<double> q0 = random_q(d, 11);
      const Model b = rotate_residual(canonical_residual_form(a), q0);
      auto be = make_backend("cpu", 1);
      const OrthogonalAlignment r = orthogonal_residual_alignment(*be, a, b, data_for(a), 16);
      QVERIFY2(r.mismatch_before > 0.5, text);
      QVERIFY2(r.mismatch_after < 1e-3, (std::string(text) + " " + std::to_string(r.mismatch_after)).c_str());
      const Eigen::Map<const MatD> q(r.q.data(), d, d), p(q0.data(), d, d);
      QVERIFY((q - p.transpose()).cwiseAbs().maxCoeff() < 1e-4);
      double most = 0;
      for (size_t i = 0; i < r.a.params.size(); ++i)
        most = std::max(most, double(std::fabs(r.a.params[i] - r.b.params[i])));
      QVERIFY2(most < 1e-4, std::to_string(most).c_str());
      check_same_function(b, r.b, text);
    }
  }

  void tiedModelsAreRefused() {
    const Model m = model_of("transformer:tokens=11,seq=6,d=8,heads=2,layers=1,ff=12,attn=softmax,tied", 1);
    bool named = false;
    try {
      canonical_residual_form(m);
    } catch (const InputError& e) {
      named = std::string(e.what()).find("tied") != std::string::npos;
    }
    QVERIFY(named);
  }
};

QTEST_APPLESS_MAIN(TestTransformerOrthogonal)
#include "test_transformer_orthogonal.moc"
