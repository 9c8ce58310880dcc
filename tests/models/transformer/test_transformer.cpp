// The tiny transformer (models/transformer/transformer.h): its architecture text, its
// gradients against central differences of its own loss for every attention variant and both
// forms (token decoder, ViT-style image encoder), causality of the whole model, attention
// captures and maps, the evaluator over parameter points, safetensors names, and training
// on a small MQAR and on images through the model interface.
#include <QtTest>
#include <cmath>
#include <random>

#include "ridgeline/core/backend.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/models/model_io.h"
#include "ridgeline/models/transformer/transformer.h"
#include "ridgeline/paths/evaluator.h"
#include "ridgeline/tasks/task_data.h"
#include "ridgeline/train/evaluate.h"
#include "ridgeline/train/train_model.h"
#include "test_support.h"
#include "transformer_data.h"

using namespace ridgeline;

namespace {

// A small token task (labels at some positions); images come from transformer_data.h.
Dataset token_data(int n, int seq, int vocab, uint64_t seed) {
  std::mt19937_64 g(seed);
  Dataset d;
  d.name = "tokens";
  d.n = n;
  d.dim = seq;
  d.classes = vocab;
  d.label_width = seq;
  for (int i = 0; i < n * seq; ++i) {
    d.x.push_back(static_cast<float>(g() % vocab));
    d.y.push_back(g() % 3 == 0 ? -100 : static_cast<int32_t>(g() % vocab));
  }
  for (int i = 0; i < n; ++i) d.y[static_cast<size_t>(i) * seq + seq - 1] = 1;  // one label each
  return d;
}

// Mean loss of `params` on `data` through the compute object.
double loss_of(Backend& be, const ModelArch& arch, const std::vector<float>& params,
               const Dataset& data) {
  Model m{std::shared_ptr<const ModelArch>(&arch, [](const ModelArch*) {}), params};
  return evaluate(be, m, data, data.n).loss;
}

// The gradient, twice through one compute object: the second time its forward keeps what the
// attention variants' backward reuses (transformer_compute.h: from the first backward on).
std::pair<std::vector<float>, std::vector<float>> gradient_twice(Backend& be, const ModelArch& arch,
                                                                 const std::vector<float>& params,
                                                                 const Dataset& data) {
  auto net = arch.compute(be, data.n);
  std::vector<float> labels(static_cast<size_t>(data.n) * data.label_width);
  labels_as_float(data, 0, data.n, labels.data());
  std::vector<float> g[2];
  for (auto& gi : g) {
    net->forward(params.data(), data.x.data(), data.n);
    net->loss(labels.data(), data.n, true);
    gi.resize(params.size());
    net->backward(params.data(), gi.data(), data.n);
  }
  return {g[0], g[1]};
}

// Directional derivatives along random directions and along single coordinates of every
// block, against central differences of the loss.
void check_gradients(const std::string& text, const Dataset& data) {
  auto arch = parse_model_arch(text);
  auto be = make_backend("cpu", 1);
  std::vector<float> p = arch->init(7);
  // Move away from the initialisation so that every parameter matters (LayerNorm gains of 1
  // and zero biases are a special point).
  std::mt19937_64 g(11);
  std::normal_distribution<float> n(0.0f, 0.05f);
  for (float& v : p) v += n(g);
  const auto [grad, again] = gradient_twice(*be, *arch, p, data);
  for (size_t i = 0; i < grad.size(); ++i)  // the same to float rounding (Eigen's small products)
    QVERIFY2(std::abs(grad[i] - again[i]) <= 1e-6 * std::max(1.0f, std::abs(grad[i])),
             qPrintable(QString::fromStdString(text) + ": the second gradient differs"));
  const double eps = 1e-2;
  auto central = [&](const std::vector<float>& u) {
    std::vector<float> a = p, b = p;
    for (size_t i = 0; i < p.size(); ++i) {
      a[i] += static_cast<float>(eps * u[i]);
      b[i] -= static_cast<float>(eps * u[i]);
    }
    return (loss_of(*be, *arch, a, data) - loss_of(*be, *arch, b, data)) / (2 * eps);
  };
  for (int trial = 0; trial < 3; ++trial) {
    std::vector<float> u(p.size());
    double norm = 0;
    for (float& v : u) {
      v = n(g);
      norm += double(v) * v;
    }
    for (float& v : u) v = static_cast<float>(v / std::sqrt(norm));
    double analytic = 0;
    for (size_t i = 0; i < p.size(); ++i) analytic += double(grad[i]) * u[i];
    const double fd = central(u);
    QVERIFY2(std::abs(analytic - fd) <= 2e-3 * std::max(1e-2, std::abs(fd)) + 2e-5,
             qPrintable(QString("%1: direction %2: analytic %3, central %4")
                            .arg(QString::fromStdString(text)).arg(trial).arg(analytic).arg(fd)));
  }
  // One coordinate per named block (the largest-gradient entry), so no block is missed.
  for (const ParamBlockInfo& b : arch->blocks()) {
    size_t count = 1;
    for (int64_t s : b.shape) count *= static_cast<size_t>(s);
    size_t at = b.offset;
    for (size_t i = b.offset; i < b.offset + count; ++i)
      if (std::abs(grad[i]) > std::abs(grad[at])) at = i;
    std::vector<float> u(p.size(), 0.0f);
    u[at] = 1.0f;
    const double fd = central(u);
    QVERIFY2(std::abs(grad[at] - fd) <= 1e-2 * std::max(1e-3, std::abs(fd)) + 5e-5,
             qPrintable(QString("%1: block %2: analytic %3, central %4")
                            .arg(QString::fromStdString(text), QString::fromStdString(b.name))
                            .arg(grad[at]).arg(fd)));
  }
}

}  // namespace

class TestTransformer : public QObject {
  Q_OBJECT
 private slots:
  void architectureTextRoundTrips() {
    for (const std::string t :
         {"transformer:tokens=64,seq=16,d=32,heads=2,layers=2,ff=64,attn=softmax,causal,tied",
          "transformer:image=28x28,patch=7,classes=10,d=32,heads=4,layers=1,ff=64,attn=linear_elu",
          "transformer:image=8x8,patch=4,classes=3,d=8,heads=2,layers=1,ff=8,attn=performer,"
          "features=16,fseed=3,nocls"}) {
      auto a = parse_model_arch(t);
      QCOMPARE(a->kind(), std::string("transformer"));
      QCOMPARE(a->to_string(), t);
      QVERIFY(parse_model_arch(a->to_string())->same_shape(*a));
    }
    auto a = parse_model_arch("transformer:image=28x28,patch=7,classes=10,d=32,heads=4,layers=1,"
                              "ff=64,attn=softmax");
    QCOMPARE(as_transformer_arch(*a)->tokens(), 17);  // 16 patches and the class token
  }

  void badArchitecturesNameTheProblem() {
    const std::vector<std::pair<std::string, std::string>> rows = {
        {"transformer:tokens=64,seq=16,d=30,heads=4,layers=1,ff=8,attn=softmax", "divisible"},
        {"transformer:tokens=64,seq=16,d=32,heads=4,layers=1,ff=8,attn=nope", "nope"},
        {"transformer:tokens=64,seq=16,d=32,heads=4,layers=1,ff=8", "attn"},
        {"transformer:image=28x28,patch=5,classes=10,d=8,heads=1,layers=1,ff=8,attn=softmax",
         "divide"},
        {"transformer:image=28x28,patch=7,classes=10,d=8,heads=1,layers=1,ff=8,attn=softmax,tied",
         "ties"},
        {"transformer:tokens=64,d=8,heads=1,layers=1,ff=8,attn=softmax", "seq"},
        {"transformer:tokens=64,seq=16,image=8x8,d=8,heads=1,layers=1,ff=8,attn=softmax",
         "either"},
        {"transformer:tokens=64,seq=16,d=8,heads=1,layers=0,ff=8,attn=softmax", "layers"},
        {"transformer:tokens=64,seq=16,d=8,heads=1,layers=1,ff=8,attn=softmax,depth=2", "depth"},
    };
    for (const auto& [text, word] : rows) {
      try {
        parse_model_arch(text, "spec.json: model.arch");
        QFAIL(qPrintable("accepted " + QString::fromStdString(text)));
      } catch (const InputError& e) {
        const std::string m = e.what();
        QVERIFY2(m.find("spec.json: model.arch") == 0 && m.find(word) != std::string::npos,
                 e.what());
      }
    }
  }

  // The variants whose maps are smooth in Q and K. The ReLU-based ones (linear_relu, cosformer,
  // transnormer, flatten) have kinks where a feature crosses zero and near-zero denominators
  // at small queries, so float32 central differences of a whole model disagree with the exact
  // gradient by chance; their own backward is checked in float64 against central differences
  // in attention.test_attention_variants, and the model code around a variant is the same
  // for every variant (hedgehog covers a variant with learned parameters).
  void tokenGradientsMatchCentralDifferences_data() {
    QTest::addColumn<QString>("attn");
    for (const char* v : {"softmax", "linear_elu", "performer", "inline", "hedgehog"})
      QTest::newRow(v) << v;
  }
  void tokenGradientsMatchCentralDifferences() {
    QFETCH(QString, attn);
    const Dataset data = token_data(3, 6, 11, 5);
    check_gradients("transformer:tokens=11,seq=6,d=8,heads=2,layers=2,ff=12,attn=" +
                        attn.toStdString() + ",causal",
                    data);
    check_gradients("transformer:tokens=11,seq=6,d=8,heads=2,layers=1,ff=12,attn=" +
                        attn.toStdString() + ",tied",
                    data);
  }

  void imageGradientsMatchCentralDifferences() {
    const Dataset data = test::random_images(4, 8, 8, 3, 9);
    check_gradients("transformer:image=8x8,patch=4,classes=3,d=8,heads=2,layers=2,ff=12,"
                    "attn=softmax",
                    data);
    check_gradients("transformer:image=8x8,patch=4,classes=3,d=8,heads=2,layers=1,ff=12,"
                    "attn=linear_elu,nocls",
                    data);
  }

  // GPT-2's tanh form of the GELU (gelu_tanh): its backward against central differences, in
  // the form a loaded GPT-2 uses (causal, tied, softmax).
  void geluTanhGradientsMatchCentralDifferences() {
    const Dataset data = token_data(3, 6, 11, 5);
    check_gradients("transformer:tokens=11,seq=6,d=8,heads=2,layers=2,ff=12,attn=softmax,causal,"
                    "tied,gelu_tanh",
                    data);
    auto arch = parse_model_arch(
        "transformer:tokens=11,seq=6,d=8,heads=2,layers=1,ff=12,attn=softmax,gelu_tanh");
    QVERIFY(arch->to_string().find(",gelu_tanh") != std::string::npos);
    QCOMPARE(parse_model_arch(arch->to_string())->to_string(), arch->to_string());
  }

  // A causal decoder's prediction at position t never depends on tokens after t.
  void causalModelsIgnoreTheFuture() {
    auto arch = parse_model_arch(
        "transformer:tokens=20,seq=8,d=16,heads=2,layers=2,ff=16,attn=linear_elu,causal");
    Model m{arch, arch->init(3)};
    std::vector<float> x = {1, 5, 7, 2, 9, 4, 4, 3};
    const auto before = capture_attention(m, x, 1).front();
    x[5] = 17;
    const auto after = capture_attention(m, x, 1).front();
    for (int l = 0; l < 2; ++l)
      for (int h = 0; h < 2; ++h)
        for (int t = 0; t < 5; ++t)
          for (int c = 0; c < 8; ++c) QCOMPARE(after.query(l, h)(t, c), before.query(l, h)(t, c));
    QVERIFY(after.query(1, 0)(6, 0) != before.query(1, 0)(6, 0));
  }

  void mapsComeFromTheCapturedQueriesAndKeys() {
    auto arch = parse_model_arch(
        "transformer:tokens=20,seq=8,d=16,heads=2,layers=2,ff=16,attn=softmax,causal");
    Model m{arch, arch->init(4)};
    const std::vector<float> x = {1, 5, 7, 2, 9, 4, 4, 3};
    const auto c = capture_attention(m, x, 1).front();
    QCOMPARE(c.layers, 2);
    QCOMPARE(c.heads, 2);
    QCOMPARE(c.tokens, 8);
    const auto maps = attention_maps(m, c);
    QCOMPARE(maps.size(), size_t(4));
    for (const auto& a : maps)
      for (int i = 0; i < 8; ++i) {
        double s = 0;
        for (int j = 0; j < 8; ++j) {
          if (j > i) QCOMPARE(a(i, j), 0.0f);
          s += a(i, j);
        }
        QVERIFY(std::abs(s - 1.0) < 1e-5);
      }
    // Softmax of the scaled dot products, recomputed here in double.
    const auto& Q = c.query(1, 1);
    const auto& K = c.key(1, 1);
    const int i = 5;
    std::vector<double> z(i + 1);
    double mx = -1e300, sum = 0;
    for (int j = 0; j <= i; ++j) {
      double dot = 0;
      for (int k = 0; k < 8; ++k) dot += double(Q(i, k)) * K(j, k);
      z[j] = dot / std::sqrt(8.0);
      mx = std::max(mx, z[j]);
    }
    for (double& v : z) sum += (v = std::exp(v - mx));
    for (int j = 0; j <= i; ++j) QVERIFY(std::abs(maps[3](i, j) - z[j] / sum) < 1e-5);
  }

  void pointsEvaluateAsModels() {
    auto arch = parse_model_arch(
        "transformer:image=8x8,patch=4,classes=3,d=8,heads=2,layers=1,ff=8,attn=softmax");
    const Dataset data = test::random_images(10, 8, 8, 3, 2);
    auto be = make_backend("cpu", 1);
    const std::vector<float> a = arch->init(1), b = arch->init(2);
    ParameterPoints pts;
    pts.basis = {&a, &b};
    pts.coeffs = {{1, 0}, {0.5, 0.5}, {0, 1}};
    const PointValues v = evaluate_points(*be, *arch, pts, &data, 4);
    QCOMPARE(v.loss.size(), size_t(3));
    std::vector<float> mid(a.size());
    for (size_t i = 0; i < a.size(); ++i) mid[i] = 0.5f * a[i] + 0.5f * b[i];
    for (const auto& [k, p] : std::vector<std::pair<int, const std::vector<float>*>>{
             {0, &a}, {1, &mid}, {2, &b}}) {
      const LossError e = evaluate(*be, Model{arch, *p}, data, 3);
      QVERIFY(std::abs(v.loss[k] - e.loss) < 1e-5);
      QVERIFY(std::abs(v.error[k] - e.error) < 1e-9);
    }
  }

  void checkpointsHaveReadableNames() {
    test::ScratchDir dir("transformer");
    auto arch = parse_model_arch(
        "transformer:tokens=11,seq=6,d=8,heads=2,layers=2,ff=12,attn=hedgehog,causal");
    Model m{arch, arch->init(5)};
    const std::string path = dir.file("m.safetensors");
    save_model(path, m);
    const Model back = load_model(path);
    QVERIFY(back.arch->same_shape(*arch));
    QCOMPARE(back.params, m.params);
    std::vector<std::string> names;
    for (const auto& b : arch->blocks()) names.push_back(b.name);
    for (const char* want : {"tok_embed.weight", "pos_embed", "blocks.1.attn.qkv.weight",
                             "blocks.0.attn.head1.hedgehog.W", "blocks.1.mlp.fc2.bias",
                             "ln_f.weight", "head.weight"})
      QVERIFY2(std::find(names.begin(), names.end(), want) != names.end(), want);
  }

  void dataMustFitTheModel() {
    auto tok = parse_model_arch("transformer:tokens=11,seq=6,d=8,heads=2,layers=1,ff=8,attn=softmax");
    auto img = parse_model_arch(
        "transformer:image=8x8,patch=4,classes=3,d=8,heads=2,layers=1,ff=8,attn=softmax");
    auto mlp = parse_model_arch("mlp:6,8,11");
    const Dataset tokens = token_data(2, 6, 11, 1), images = test::random_images(2, 8, 8, 3, 1);
    QVERIFY_THROWS_EXCEPTION(InputError, tok->check_fits(images, "model"));
    QVERIFY_THROWS_EXCEPTION(InputError, img->check_fits(tokens, "model"));
    QVERIFY_THROWS_EXCEPTION(InputError, mlp->check_fits(tokens, "model"));
    tok->check_fits(tokens, "model");
    img->check_fits(images, "model");
    // A token id out of range is one clear error.
    Dataset badtok = tokens;
    badtok.x[3] = 11;
    auto be = make_backend("cpu", 1);
    try {
      evaluate(*be, Model{tok, tok->init(1)}, badtok, 2);
      QFAIL("accepted token 11 of a vocabulary of 11");
    } catch (const InputError& e) {
      QVERIFY2(std::string(e.what()).find("position 3") != std::string::npos, e.what());
    }
  }

  // The learning check: softmax attention learns a small MQAR to ≥ 99% accuracy on
  // held-out examples within a CI-sized budget.
  void softmaxLearnsSmallMqar() {
    const DataSplits data =
        load_task_data("task:mqar,vocab=32,length=16,pairs=4,train=4000,test=500,seed=1");
    auto arch = parse_model_arch(
        "transformer:tokens=32,seq=16,d=64,heads=2,layers=2,ff=128,attn=softmax,causal");
    TrainConfig cfg;
    cfg.optimizer = OptimizerKind::Adam;
    cfg.lr = 1e-3;
    cfg.batch = 32;
    cfg.epochs = 10;  // the accuracy jumps from ~35% (a value of the context) at epoch 5–7
    cfg.eval_test_each_epoch = false;
    auto be = make_backend("cpu", 1);
    const ModelTrainResult r = train_model(*be, arch, data, cfg, 0);
    const LossError test = evaluate(*be, r.model, data.test, 500);
    qInfo("MQAR (V 32, L 16, 4 pairs): test accuracy %.4f after %d epochs, %.1f s",
          1 - test.error, cfg.epochs, r.seconds);
    QVERIFY2(1 - test.error >= 0.99, qPrintable(QString("accuracy %1").arg(1 - test.error)));
  }
};

QTEST_GUILESS_MAIN(TestTransformer)
#include "test_transformer.moc"
