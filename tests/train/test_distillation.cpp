// Hedgehog attention distillation (attention/distillation.h, train/distill.h): the per-head
// loss against its formula and its gradient against central differences in float64; the
// transformer's distillation loss and W gradient against the per-head function on the
// captured queries and keys and against central differences in W; a short MQAR training where
// the distillation loss falls and the trained map's KL from softmax ends well below the same
// run trained by the task loss alone; and bad input (a model without hedgehog attention, a
// negative weight) as one InputError.
#include <QtTest>
#include <cmath>
#include <random>

#include "transformer_data.h"
#include "ridgeline/attention/analysis.h"
#include "ridgeline/attention/distillation.h"
#include "ridgeline/core/backend.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/experiment/spec.h"
#include "ridgeline/models/transformer/transformer.h"
#include "ridgeline/tasks/task_data.h"
#include "ridgeline/train/distill.h"
#include "ridgeline/train/train_model.h"
#include "test_support.h"

using namespace ridgeline;
using attention::MatrixD;
using attention::MatrixF;

namespace {

MatrixD gaussian(int r, int c, uint64_t seed, double sd = 1.0) {
  std::mt19937_64 g(seed);
  std::normal_distribution<double> n(0.0, sd);
  MatrixD m(r, c);
  for (double& x : m.data) x = n(g);
  return m;
}

std::unique_ptr<attention::AttentionVariant> hedgehog(int d, int f, uint64_t seed) {
  attention::VariantOptions o;
  o.features = f;
  o.seed = seed;
  auto v = attention::make_variant("hedgehog", d, o);
  // Away from the initialisation: a W with no structure.
  std::vector<double> w = v->params();
  std::mt19937_64 g(seed + 100);
  std::normal_distribution<double> n(0.0, 0.7);
  for (double& x : w) x = n(g);
  v->set_params(w);
  return v;
}

// The softmax map written out again: p_ij = exp(q_i·k_j/√d) / Σ_s exp(q_i·k_s/√d).
MatrixD softmax_map(const MatrixD& Q, const MatrixD& K, bool causal) {
  const int n = Q.rows, d = Q.cols;
  MatrixD p(n, n);
  for (int i = 0; i < n; ++i) {
    const int last = causal ? i : n - 1;
    double z = 0;
    for (int j = 0; j <= last; ++j) {
      double s = 0;
      for (int c = 0; c < d; ++c) s += Q(i, c) * K(j, c);
      p(i, j) = std::exp(s / std::sqrt(double(d)));
      z += p(i, j);
    }
    for (int j = 0; j <= last; ++j) p(i, j) /= z;
  }
  return p;
}

// −(1/N) Σ_ij p_ij log â_ij with p given (the teacher held fixed).
double cross_entropy(const MatrixD& p, const MatrixD& a) {
  double s = 0;
  for (size_t k = 0; k < p.data.size(); ++k)
    if (p.data[k] > 0) s -= p.data[k] * std::log(a.data[k]);
  return s / p.rows;
}

const char* kTinyArch =
    "transformer:tokens=7,seq=5,d=8,heads=2,layers=2,ff=8,attn=hedgehog,features=3,fseed=4,causal";

// The tiny model with every parameter moved off its initialisation (queries and keys of
// order one, a W with no structure), so that the maps are far from uniform.
Model tiny_model() {
  auto arch = parse_model_arch(kTinyArch);
  Model m{arch, arch->init(3)};
  std::mt19937_64 g(9);
  std::normal_distribution<float> n(0.0f, 0.5f);
  for (float& x : m.params) x += n(g);
  return m;
}

}  // namespace

class TestDistillation : public QObject {
  Q_OBJECT
 private slots:
  // The loss is −(1/N) Σ p log â with p the softmax map of the same queries and keys, and its
  // KL is the loss minus the teacher's mean row entropy.
  void headLossMatchesItsFormula() {
    for (bool causal : {false, true}) {
      auto v = hedgehog(4, 3, 1);
      const MatrixD Q = gaussian(6, 4, 11, 1.5), K = gaussian(6, 4, 12, 1.5);
      const auto r = attention::distill_to_softmax(*v, Q, K, causal, false);
      const MatrixD p = softmax_map(Q, K, causal), a = v->materialise(Q, K, causal);
      const double ce = cross_entropy(p, a);
      double h = 0;
      for (double x : p.data)
        if (x > 0) h -= x * std::log(x);
      h /= p.rows;
      QVERIFY2(std::abs(r.loss - ce) <= 1e-12 * std::max(1.0, ce), qPrintable(QString::number(r.loss)));
      QVERIFY(std::abs(r.kl - (ce - h)) <= 1e-12);
      QVERIFY(r.kl > 1e-3);  // a W with no structure is far from softmax
      QVERIFY(r.grads.dparams.empty());
    }
  }

  // ∂L/∂W, and ∂L/∂Q, ∂L/∂K through â with the teacher held fixed, against central
  // differences in float64 (h = 1e-6).
  void headGradientMatchesFiniteDifferences() {
    for (bool causal : {false, true})
      for (int f : {3, 4}) {
        auto v = hedgehog(4, f, 2 + f);
        MatrixD Q = gaussian(5, 4, 21, 1.5), K = gaussian(5, 4, 22, 1.5);
        const auto r = attention::distill_to_softmax(*v, Q, K, causal, true);
        const std::vector<double> W = v->params();
        QCOMPARE(r.grads.dparams.size(), W.size());
        const double h = 1e-6;
        for (size_t k = 0; k < W.size(); ++k) {
          std::vector<double> probe = W;
          probe[k] = W[k] + h;
          v->set_params(probe);
          const double up = attention::distill_to_softmax(*v, Q, K, causal, false).loss;
          probe[k] = W[k] - h;
          v->set_params(probe);
          const double down = attention::distill_to_softmax(*v, Q, K, causal, false).loss;
          const double fd = (up - down) / (2 * h);
          QVERIFY2(std::abs(fd - r.grads.dparams[k]) <= 1e-7 * std::max(1.0, std::abs(fd)),
                   qPrintable(QString("W[%1]: fd %2, analytic %3").arg(k).arg(fd).arg(r.grads.dparams[k])));
        }
        v->set_params(W);
        const MatrixD p = softmax_map(Q, K, causal);
        auto fixed_teacher = [&] { return cross_entropy(p, v->materialise(Q, K, causal)); };
        auto fd_at = [&](double& x) {
          const double keep = x;
          x = keep + h;
          const double up = fixed_teacher();
          x = keep - h;
          const double down = fixed_teacher();
          x = keep;
          return (up - down) / (2 * h);
        };
        for (size_t k = 0; k < Q.data.size(); ++k) {
          const double fq = fd_at(Q.data[k]), fk = fd_at(K.data[k]);
          QVERIFY(std::abs(fq - r.grads.dQ.data[k]) <= 1e-7 * std::max(1.0, std::abs(fq)));
          QVERIFY(std::abs(fk - r.grads.dK.data[k]) <= 1e-7 * std::max(1.0, std::abs(fk)));
        }
      }
    // A wrong width is one error.
    auto v = hedgehog(4, 3, 1);
    QVERIFY_THROWS_EXCEPTION(InputError, attention::distill_to_softmax(*v, gaussian(5, 3, 1),
                                                                        gaussian(5, 3, 2), false, true));
  }

  // In a transformer: the loss is the mean of the per-head loss over examples, layers and heads
  // of the captured queries and keys; the gradient lands in the Hedgehog blocks only, weighted,
  // and equals central differences of the loss in W.
  void transformerLossAndGradient() {
    const Model m = tiny_model();
    const ModelArch& arch = *m.arch;
    const TransformerArch& t = *as_transformer_arch(arch);
    const Dataset data = test::random_tokens(3, t.seq, t.vocab, 5);
    auto be = make_backend("cpu", 1);
    auto net = arch.compute(*be, data.n);
    net->forward(m.params.data(), data.x.data(), data.n);
    std::vector<float> grad(m.params.size(), 0.0f);
    const double weight = 0.5;
    const double loss = add_distillation(*net, arch, grad.data(), data.n, weight);

    // The same from the captures, head by head, with variants holding the model's W.
    const std::vector<AttentionCapture> caps = capture_attention(m, data.x, data.n);
    std::vector<size_t> offset;  // of each head's W block, layer-major
    for (const ParamBlockInfo& b : arch.blocks())
      if (b.name.find(".hedgehog.W") != std::string::npos) offset.push_back(b.offset);
    QCOMPARE(int(offset.size()), t.layers * t.heads);
    attention::VariantOptions o;
    o.features = t.features;
    o.seed = t.feature_seed;
    auto v = attention::make_variant("hedgehog", t.head_dim(), o);
    const int P = v->num_params();
    double expect = 0;
    std::vector<double> expect_grad(m.params.size(), 0.0);
    for (const AttentionCapture& c : caps)
      for (int l = 0; l < t.layers; ++l)
        for (int h = 0; h < t.heads; ++h) {
          const size_t at = offset[static_cast<size_t>(l) * t.heads + h];
          v->set_params(std::vector<double>(m.params.begin() + at, m.params.begin() + at + P));
          MatrixD Q(c.query(l, h).rows, c.query(l, h).cols), K = Q;
          for (size_t k = 0; k < Q.data.size(); ++k) {
            Q.data[k] = c.query(l, h).data[k];
            K.data[k] = c.key(l, h).data[k];
          }
          const auto r = attention::distill_to_softmax(*v, Q, K, true, true);
          expect += r.loss;
          for (int i = 0; i < P; ++i) expect_grad[at + i] += r.grads.dparams[i];
        }
    const double count = double(data.n) * t.layers * t.heads;
    expect /= count;
    QVERIFY2(std::abs(loss - expect) <= 1e-9 * expect, qPrintable(QString("%1 vs %2").arg(loss).arg(expect)));
    QVERIFY(loss > 0.05);
    double gmax = 0;
    for (size_t k = 0; k < grad.size(); ++k) {
      const double e = weight * expect_grad[k] / count;
      QVERIFY2(std::abs(grad[k] - e) <= 1e-6 * std::max(1e-3, std::abs(e)),
               qPrintable(QString("grad[%1] %2 vs %3").arg(k).arg(grad[k]).arg(e)));
      gmax = std::max(gmax, std::abs(e));
    }
    QVERIFY(gmax > 1e-3);

    // Central differences of the loss in the last layer's W, steps of 1e-3 on the float
    // parameters: its queries and keys do not depend on it and the loss is computed in float64
    // from them. (An earlier layer's W also moves the later layers' queries and keys, a path the
    // distillation gradient leaves out on purpose: train/distill.h.)
    std::mt19937_64 g(17);
    for (int probe = 0; probe < 12; ++probe) {
      const size_t k = offset[static_cast<size_t>(t.layers - 1) * t.heads + g() % t.heads] + g() % P;
      std::vector<float> p = m.params;
      const float up_w = p[k] + 1e-3f, down_w = p[k] - 1e-3f;
      auto loss_at = [&](float w) {
        p[k] = w;
        net->forward(p.data(), data.x.data(), data.n);
        return add_distillation(*net, arch, nullptr, data.n, weight);
      };
      const double fd = (loss_at(up_w) - loss_at(down_w)) / (double(up_w) - double(down_w));
      QVERIFY2(std::abs(weight * fd - grad[k]) <= 1e-5 * std::max(1.0, std::abs(weight * fd)),
               qPrintable(QString("W entry %1: fd %2, analytic %3").arg(k).arg(weight * fd).arg(grad[k])));
    }
  }

  // The issue's check: on a small MQAR, the distillation loss falls over training and the
  // trained Hedgehog maps end much closer to softmax (KL of the same queries and keys, as the
  // attention analysis measures it) than the same run, same seed, trained by the task loss
  // alone. Deterministic: one thread, the same seed, per-example sums in order.
  void distillationLowersKlToSoftmax() {
    const DataSplits data =
        load_task_data("task:mqar,vocab=16,length=8,pairs=2,train=512,test=64,seed=3");
    auto arch = parse_model_arch(
        "transformer:tokens=16,seq=8,d=16,heads=2,layers=1,ff=32,attn=hedgehog,causal");
    TrainConfig cfg;
    cfg.lr = 1e-2;
    cfg.batch = 32;
    cfg.epochs = 3;
    cfg.eval_test_each_epoch = false;
    auto be = make_backend("cpu", 1);
    const ModelTrainResult plain = train_model(*be, arch, data, cfg, 0);
    for (const EpochMetrics& e : plain.epochs) QVERIFY(std::isnan(e.distill_loss));
    cfg.distill = 1;
    const ModelTrainResult distilled = train_model(*be, arch, data, cfg, 0);
    const ModelTrainResult again = train_model(*be, arch, data, cfg, 0);
    QCOMPARE(again.model.params, distilled.model.params);

    AttentionAnalysisOptions o;
    o.examples = 64;
    o.show = 0;
    o.evaluate = false;
    const double kl_plain = analyse_attention(plain.model, data.test, o).overall.kl;
    const double kl_distilled = analyse_attention(distilled.model, data.test, o).overall.kl;
    const double first = distilled.epochs.front().distill_loss,
                 last = distilled.epochs.back().distill_loss;
    qInfo("distillation loss %.4f -> %.4f over %d epochs; KL from softmax %.4f (task loss only) vs "
          "%.4f (distilled); %.1f s + %.1f s",
          first, last, cfg.epochs, kl_plain, kl_distilled, plain.seconds, distilled.seconds);
    QVERIFY2(last < 0.8 * first, qPrintable(QString("%1 -> %2").arg(first).arg(last)));
    QVERIFY2(kl_distilled < 0.5 * kl_plain,
             qPrintable(QString("KL %1 (distilled) vs %2").arg(kl_distilled).arg(kl_plain)));
  }

  // Bad input: distillation needs hedgehog attention (training, the spec), a weight ≥ 0.
  void badInputIsOneError() {
    const DataSplits data = load_task_data("task:mqar,vocab=16,length=8,pairs=2,train=8,test=4");
    auto be = make_backend("cpu", 1);
    TrainConfig cfg;
    cfg.epochs = 1;
    cfg.distill = 1;
    auto softmax = parse_model_arch(
        "transformer:tokens=16,seq=8,d=16,heads=2,layers=1,ff=32,attn=softmax,causal");
    try {
      train_model(*be, softmax, data, cfg, 0);
      QFAIL("distilled a softmax transformer");
    } catch (const InputError& e) {
      QVERIFY2(std::string(e.what()).find("train.distill: applies to transformers with hedgehog") == 0,
               e.what());
    }
    QVERIFY(!distill_unsupported(*parse_model_arch("mlp:6,8,3")).empty());
    QVERIFY(distill_unsupported(*parse_model_arch(
                "transformer:tokens=16,seq=8,d=16,heads=2,layers=1,ff=32,attn=hedgehog")).empty());
    cfg.distill = -0.5;
    try {
      cfg.validate("--");
      QFAIL("accepted a negative weight");
    } catch (const InputError& e) {
      QCOMPARE(std::string(e.what()), std::string("--distill: must be a finite number >= 0"));
    }
    const std::string mlp_spec = R"({"name": "t", "data": {"name": "gmm:300,100,6,3,1"},
      "model": {"arch": "mlp:6,8,3"}, "train": {"epochs": 1, "distill": 0.5},
      "models": [{"name": "seed0", "seed": 0}]})";
    try {
      parse_spec(mlp_spec, "spec.json");
      QFAIL("a spec distilled an MLP");
    } catch (const InputError& e) {
      QVERIFY2(std::string(e.what()).find("spec.json: train.distill: ") == 0, e.what());
    }
    std::string negative = mlp_spec;
    negative.replace(negative.find("0.5"), 3, "-1");
    QVERIFY_THROWS_EXCEPTION(InputError, parse_spec(negative, "spec.json"));
    // A hedgehog spec keeps its weight through its JSON.
    const std::string hh = R"({"name": "t", "data": {"name": "task:mqar,vocab=16,length=8,pairs=2"},
      "model": {"kind": "transformer", "arch": "transformer:tokens=16,seq=8,d=16,heads=2,layers=1,ff=32,attn=hedgehog,causal"},
      "train": {"epochs": 1, "distill": 0.25}, "models": [{"name": "seed0", "seed": 0}]})";
    const ExperimentSpec s = parse_spec(hh, "spec.json");
    QCOMPARE(s.train.distill, 0.25);
    QCOMPARE(parse_spec(spec_to_json(s), "again.json").train.distill, 0.25);
  }
};

QTEST_GUILESS_MAIN(TestDistillation)
#include "test_distillation.moc"
