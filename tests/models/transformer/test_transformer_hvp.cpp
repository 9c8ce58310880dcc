// Exact Hessian-vector products of transformers (ModelCompute::hvp, transformer_hvp.h): the
// R-operator against central differences of the float64 gradient (transformer_loss_grad_f64,
// itself checked against central differences of the float64 loss and against the model's own
// float32 backward()), symmetry vᵀHw = wᵀHv, for ViT-style image models (class token or mean
// pooling) and token models (causal or not, tied or untied output, tanh GELU), with softmax,
// linear_elu and linear_relu attention (HeadRop) and with TransNormer, InLine, cosFormer,
// Performer, Hedgehog and FLatten attention (LinearHeadRop, whose heads' learned parameters the
// HVP covers); one attention head's float64 forward against the variant's own; the refusal of
// the variants without an R-operator (none of the registry's now), and its message.
#include <QtTest>
#include <cmath>
#include <random>

#include "models/transformer/transformer_attention_rop.h"
#include "models/transformer/transformer_compute.h"
#include "models/transformer/transformer_hvp.h"
#include "models/transformer/transformer_layout.h"
#include "models/transformer/transformer_linear_rop.h"
#include "ridgeline/attention/attention.h"
#include "ridgeline/core/backend.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/curvature/hessian.h"
#include "ridgeline/models/transformer/transformer.h"

using namespace ridgeline;

namespace {

struct Problem {
  std::shared_ptr<const ModelArch> arch;
  TransformerArch t;
  std::vector<double> params;  ///< float32 values (the model computes at the float θ)
  std::vector<float> x, labels;
  int rows = 0;
};

// Parameters from init(seed) plus N(0, 0.2²) noise (LayerNorm's γ ≠ 1 and β ≠ 0, so their
// curvature terms are exercised); token labels with −100 positions and one example without
// any target.
Problem make_problem(const std::string& text, int rows, uint64_t seed) {
  Problem p;
  p.arch = parse_model_arch(text);
  p.t = *as_transformer_arch(*p.arch);
  p.rows = rows;
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0.0, 1.0);
  for (float w : p.arch->init(seed))
    p.params.push_back(static_cast<double>(static_cast<float>(w + 0.2 * g(rng))));
  if (p.t.is_image()) {
    for (int i = 0; i < rows * p.t.inputs(); ++i) p.x.push_back(static_cast<float>(g(rng)));
    for (int b = 0; b < rows; ++b) p.labels.push_back(static_cast<float>(rng() % p.t.classes));
  } else {
    for (int i = 0; i < rows * p.t.seq; ++i) p.x.push_back(static_cast<float>(rng() % p.t.vocab));
    for (int i = 0; i < rows * p.t.seq; ++i)
      p.labels.push_back(i < p.t.seq || rng() % 3 == 0 ? -100.0f
                                                       : static_cast<float>(rng() % p.t.vocab));
  }
  return p;
}

std::vector<double> random_vector(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0.0, 1.0);
  std::vector<double> v(n);
  for (auto& e : v) e = g(rng);
  return v;
}

std::vector<double> unit_vector(size_t n, uint64_t seed) {
  std::vector<double> v = random_vector(n, seed);
  double s = 0;
  for (double e : v) s += e * e;
  for (double& e : v) e /= std::sqrt(s);
  return v;
}

double rel_err(const std::vector<double>& got, const std::vector<double>& ref) {
  double num = 0, den = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    num += (got[i] - ref[i]) * (got[i] - ref[i]);
    den += ref[i] * ref[i];
  }
  return std::sqrt(num / den);
}

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

// The model's compute object (float32 forward/backward, float64 HVP) at θ.
struct Net {
  std::unique_ptr<Backend> be;
  std::unique_ptr<ModelCompute> net;
  const Problem& p;
  std::vector<float> theta, out;

  explicit Net(const Problem& pr, int threads = 1) : be(make_backend("cpu", threads)), p(pr) {
    net = p.arch->compute(*be, p.rows);
    theta.assign(p.params.begin(), p.params.end());
    out.resize(theta.size());
    net->forward(theta.data(), p.x.data(), p.rows);
    net->loss(p.labels.data(), p.rows, true);
  }
  std::vector<double> hvp(const std::vector<double>& v) {
    const std::vector<float> vf(v.begin(), v.end());
    net->hvp(theta.data(), vf.data(), out.data(), p.rows);
    return {out.begin(), out.end()};
  }
  std::vector<double> grad() {
    net->backward(theta.data(), out.data(), p.rows);
    return {out.begin(), out.end()};
  }
  double loss() {
    double l = 0, c = 0;
    net->sums(p.rows, l, c);
    return l / p.rows;
  }
};

// Float64 H·v by central differences of the float64 analytic gradient. h = 3e-6: truncation
// O(h²·|∇³L|) and rounding O(ε₆₄·|∇L|/h) ≈ 3e-11, far below the tolerances below. FLatten's
// third derivatives are the largest (its focusing power p = 3): at h = 1e-5 its truncation
// alone reached 2.6e-7 relative (falling as h², 4e-8 at 3e-6), the other variants' ≤ 1e-8.
std::vector<double> hv_fd(const Problem& p, const std::vector<double>& v) {
  const double h = 3e-6;
  std::vector<double> tp = p.params, tm = p.params, gp, gm;
  for (size_t i = 0; i < v.size(); ++i) {
    tp[i] += h * v[i];
    tm[i] -= h * v[i];
  }
  transformer_loss_grad_f64(p.t, tp, p.x, p.labels, p.rows, &gp);
  transformer_loss_grad_f64(p.t, tm, p.x, p.labels, p.rows, &gm);
  std::vector<double> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = (gp[i] - gm[i]) / (2 * h);
  return out;
}

void add_archs() {
  QTest::addColumn<QString>("arch");
  // Image models: 8×8 pixels in 4×4 patches, 4 patches (+ the class token).
  const std::string img = "transformer:image=8x8,patch=4,classes=3,d=8,heads=2,layers=2,ff=12,";
  QTest::newRow("vit softmax cls") << QString::fromStdString(img + "attn=softmax");
  QTest::newRow("vit softmax mean-pooled") << QString::fromStdString(img + "attn=softmax,nocls");
  QTest::newRow("vit linear_relu") << QString::fromStdString(img + "attn=linear_relu");
  // Token models: 6 tokens of a vocabulary of 7.
  const std::string tok = "transformer:tokens=7,seq=6,d=8,heads=2,layers=2,ff=12,";
  QTest::newRow("decoder softmax causal") << QString::fromStdString(tok + "attn=softmax,causal");
  QTest::newRow("encoder softmax tied tanh-gelu")
      << QString::fromStdString(tok + "attn=softmax,tied,gelu_tanh");
  QTest::newRow("decoder linear_elu causal") << QString::fromStdString(tok + "attn=linear_elu,causal");
  QTest::newRow("decoder linear_relu causal tied")
      << QString::fromStdString(tok + "attn=linear_relu,causal,tied");
  // The other linear variants (LinearHeadRop): an image model and a causal token model each.
  // Hedgehog's W and FLatten's scale are parameters of every head (make_problem perturbs them);
  // Performer's 5 random features (d·ln d, d = 4) come from the architecture's seed, as the
  // model draws them.
  for (const char* v : {"transnormer", "inline", "cosformer", "performer", "hedgehog", "flatten"}) {
    QTest::newRow((std::string("vit ") + v).c_str()) << QString::fromStdString(img + "attn=" + v);
    QTest::newRow((std::string("decoder causal ") + v).c_str())
        << QString::fromStdString(tok + "attn=" + v + ",causal");
  }
  QTest::newRow("decoder performer features=7 fseed=3")
      << QString::fromStdString(tok + "attn=performer,features=7,fseed=3");
  QTest::newRow("vit hedgehog features=3 nocls")
      << QString::fromStdString(img + "attn=hedgehog,features=3,nocls");
}

}  // namespace

class TestTransformerHvp : public QObject {
  Q_OBJECT
 private slots:
  void float64GradientIsTheModelsGradient_data() { add_archs(); }
  void float64GradientIsTheModelsGradient() {
    // The reference the HVP is checked against: its loss and gradient against the model's own
    // float32 forward/backward (a few ulps per layer: measured ≤ 4e-8 relative for the loss,
    // ≤ 3.6e-7 for the gradient, ≤ 1.5e-6 for TransNormer's and FLatten's (no denominator
    // behind RMSNorm; cubes); tolerances 1e-6 and 1e-5) and its gradient against central
    // differences of its own loss along random unit directions (h = 1e-4: truncation
    // ≈ 1e-8·|∇³L|, rounding ≈ 1e-12; measured ≤ 3e-10, tolerance 1e-7·|∇L|).
    QFETCH(QString, arch);
    const Problem p = make_problem(arch.toStdString(), 5, 3);
    Net net(p);
    std::vector<double> g;
    const double loss = transformer_loss_grad_f64(p.t, p.params, p.x, p.labels, p.rows, &g);
    QVERIFY2(std::abs(loss - net.loss()) <= 1e-6 * std::abs(loss),
             qPrintable(QString("loss %1 vs float32 %2").arg(loss).arg(net.loss())));
    const double e32 = rel_err(net.grad(), g);
    QVERIFY2(e32 < 1e-5, qPrintable(QString("float32 gradient: relative error %1").arg(e32)));
    for (uint64_t s = 0; s < 3; ++s) {
      const auto u = unit_vector(g.size(), 40 + s);
      const double h = 1e-4;
      std::vector<double> tp = p.params, tm = p.params;
      for (size_t i = 0; i < u.size(); ++i) {
        tp[i] += h * u[i];
        tm[i] -= h * u[i];
      }
      const double fd = (transformer_loss_grad_f64(p.t, tp, p.x, p.labels, p.rows, nullptr) -
                         transformer_loss_grad_f64(p.t, tm, p.x, p.labels, p.rows, nullptr)) /
                        (2 * h);
      const double gu = dot(g, u);
      QVERIFY2(std::abs(fd - gu) <= 1e-7 * std::sqrt(dot(g, g)),
               qPrintable(QString("directional derivative %1 vs %2").arg(gu).arg(fd)));
    }
  }

  void hvpMatchesGradientDifferences_data() { add_archs(); }
  void hvpMatchesGradientDifferences() {
    // The HVP is float64 inside and rounded once to float32 at the end (ε₃₂ ≈ 6e-8 relative;
    // measured 2e-8..9.2e-8 in the 2-norm, every variant); the reference is good to ≈ 1e-9.
    // 1e-6 leaves a 10× margin, while a missing term (one of R{P}'s, GELU's σ'', a variant's
    // R{v_θ} or its map's second derivative: 5e-5..100) is off by far more.
    QFETCH(QString, arch);
    const Problem p = make_problem(arch.toStdString(), 5, 7);
    Net net(p);
    QVERIFY(net.net->hvp_unsupported().empty());
    QVERIFY(p.arch->hvp_unsupported().empty());
    const size_t n = p.params.size();
    for (uint64_t s = 0; s < 3; ++s) {
      const auto v = unit_vector(n, 100 + s);
      const double err = rel_err(net.hvp(v), hv_fd(p, v));
      QVERIFY2(err < 1e-6, qPrintable(QString("relative error %1").arg(err)));
    }
    // Unit vectors into the first block (the embedding) and the last (the head or LN_f's β).
    for (size_t j : {size_t{0}, n - 1}) {
      std::vector<double> e(n, 0.0);
      e[j] = 1.0;
      const double err = rel_err(net.hvp(e), hv_fd(p, e));
      QVERIFY2(err < 1e-6, qPrintable(QString("column %1: relative error %2").arg(j).arg(err)));
    }
    // backward() between HVPs changes nothing (the contract allows it).
    const auto v = random_vector(n, 9);
    const auto a = net.hvp(v);
    net.grad();
    QCOMPARE(net.hvp(v), a);
  }

  void hvpOfABatchInParts() {
    // A batch larger than TransformerCompute::kHvpPartRows runs in parts on threads: the sum
    // of the parts is the batch's HVP (against the float64 gradient of the whole batch), the
    // same bits for one thread and two; with Hedgehog, the heads' own parameters too.
    for (const char* text :
         {"transformer:image=8x8,patch=4,classes=3,d=8,heads=2,layers=2,ff=12,attn=softmax",
          "transformer:tokens=7,seq=6,d=8,heads=2,layers=2,ff=12,attn=softmax,causal",
          "transformer:image=8x8,patch=4,classes=3,d=8,heads=2,layers=2,ff=12,attn=hedgehog"}) {
      const int rows = 2 * TransformerCompute::kHvpPartRows + 6;
      const Problem p = make_problem(text, rows, 13);
      const auto v = unit_vector(p.params.size(), 17);
      std::vector<double> got[2];
      for (int threads : {1, 2}) {
        Net net(p, threads);
        got[threads - 1] = net.hvp(v);
      }
      QCOMPARE(got[0], got[1]);
      const double err = rel_err(got[0], hv_fd(p, v));
      QVERIFY2(err < 1e-6, qPrintable(QString("%1: relative error %2").arg(text).arg(err)));
    }
  }

  void hvpIsSymmetric_data() { add_archs(); }
  void hvpIsSymmetric() {
    // vᵀ(Hw) = wᵀ(Hv) up to the float32 rounding of the results: measured ≤ 5e-9 relative to
    // |v||Hw| (the rounding errors of the n products partly cancel); tolerance 1e-7.
    QFETCH(QString, arch);
    const Problem p = make_problem(arch.toStdString(), 4, 11);
    Net net(p);
    const size_t n = p.params.size();
    for (uint64_t s = 0; s < 3; ++s) {
      const auto v = random_vector(n, 200 + s), w = random_vector(n, 300 + s);
      const auto hv = net.hvp(v), hw = net.hvp(w);
      const double a = dot(v, hw), b = dot(w, hv);
      const double scale = std::sqrt(dot(v, v) * dot(hw, hw));
      QVERIFY2(std::abs(a - b) <= 1e-7 * scale,
               qPrintable(QString("vᵀHw %1, wᵀHv %2").arg(a).arg(b)));
    }
  }

  void headForwardIsTheVariants() {
    // The HVP's own head forward (transformer_attention_rop.h, transformer_linear_rop.h)
    // computes what the variant computes, eps included (a different eps moves O by
    // ≈ eps/Σ_j S_ij ≈ 1e-7 relative), at learned parameters away from their initial values.
    std::mt19937_64 rng(5);
    std::normal_distribution<double> g(0.0, 1.0);
    const int N = 7, d = 4;
    detail::MatD Q(N, d), K(N, d), V(N, d);
    for (auto* m : {&Q, &K, &V})
      for (Eigen::Index i = 0; i < m->size(); ++i) m->data()[i] = g(rng);
    attention::MatrixD q(N, d), k(N, d), v(N, d);
    std::copy_n(Q.data(), N * d, q.data.data());
    std::copy_n(K.data(), N * d, k.data.data());
    std::copy_n(V.data(), N * d, v.data.data());
    for (const std::string& name : attention::variant_names())
      for (const char* options : {"", ",features=6,fseed=2"})
        for (bool causal : {false, true}) {
          if (*options && name != "performer" && name != "hedgehog") continue;
          const TransformerArch arch = parse_transformer_arch(
              "transformer:tokens=5,seq=7,d=8,heads=2,layers=1,ff=4,attn=" + name + options, "test");
          detail::HeadKernel kernel;
          if (!detail::head_kernel_of(name, &kernel)) continue;  // refused (test below)
          auto variant = make_transformer_variant(arch);
          std::vector<double> theta = variant->params();
          for (double& t : theta) t += 0.3 * g(rng);
          if (!theta.empty()) variant->set_params(theta);
          detail::MatD mine;
          if (detail::is_generic_linear(kernel)) {
            const detail::LinearHeadSpec spec(kernel, arch);
            QCOMPARE(spec.params, static_cast<int>(theta.size()));
            mine = detail::LinearHeadRop(spec, causal, Q, K, V, theta.data()).out();
          } else {
            mine = detail::HeadRop(kernel, causal, Q, K, V).out();
          }
          const attention::MatrixD ref = variant->forward(q, k, v, causal);
          double err = 0, scale = 0;
          for (int i = 0; i < N * d; ++i) {
            err = std::max(err, std::abs(mine.data()[i] - ref.data[i]));
            scale = std::max(scale, std::abs(ref.data[i]));
          }
          QVERIFY2(err <= 1e-12 * scale, qPrintable(QString("%1%2 causal=%3: %4")
                                                         .arg(name.c_str(), options)
                                                         .arg(causal)
                                                         .arg(err)));
        }
  }

  void linearHeadRopMatchesDifferences() {
    // One LinearHeadRop head alone, in float64, for each of its kernels with non-default
    // options (Performer's and Hedgehog's feature counts), causal or not, at
    // perturbed parameters: its backward against the variant's own (≤ 1e-12 relative) and
    // against central differences of Σ dO⊙O; its R-forward and R-backward against central
    // differences of its forward and backward along (R{Q}, R{K}, R{V}, v_θ), with R{dO} ≠ 0.
    // h = 3e-6: measured ≤ 1.3e-9 for the gradient and ≤ 5e-9 for the R-terms (TransNormer's,
    // causal), ≤ 5.6e-8 at h = 1e-5 (truncation); tolerance 1e-7. Dropping one R-term of a
    // variant (RMSNorm's scale, InLine's h', cosFormer's R{g}, Performer's or Hedgehog's map
    // second derivative) puts R{dQ} off by 0.04..1.9.
    const std::pair<const char*, detail::HeadKernel> kernels[] = {
        {"transnormer", detail::HeadKernel::TransNormer}, {"inline", detail::HeadKernel::InLine},
        {"cosformer", detail::HeadKernel::Cosformer},     {"performer", detail::HeadKernel::Performer},
        {"hedgehog", detail::HeadKernel::Hedgehog},       {"flatten", detail::HeadKernel::Flatten}};
    std::mt19937_64 rng(23);
    std::normal_distribution<double> g(0.0, 1.0);
    const int N = 6, d = 4;
    auto random = [&](Eigen::Index r, Eigen::Index c) {
      detail::MatD m(r, c);
      for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = g(rng);
      return m;
    };
    auto to_head = [](const detail::MatD& m) {
      attention::MatrixD out(static_cast<int>(m.rows()), static_cast<int>(m.cols()));
      std::copy_n(m.data(), m.size(), out.data.data());
      return out;
    };
    auto rel = [](const detail::MatD& a, const detail::MatD& b) {
      return (a - b).norm() / std::max(b.norm(), 1e-300);
    };
    for (const auto& [name, kernel] : kernels)
      for (bool causal : {false, true}) {
        const std::string options = std::string(name) == "performer"  ? ",features=7,fseed=4"
                                    : std::string(name) == "hedgehog" ? ",features=3,fseed=4"
                                                                      : "";
        const TransformerArch arch = parse_transformer_arch(
            std::string("transformer:tokens=5,seq=6,d=8,heads=2,layers=1,ff=4,attn=") + name +
                options,
            "test");
        const detail::LinearHeadSpec spec(kernel, arch);
        auto variant = make_transformer_variant(arch);
        std::vector<double> theta = variant->params();
        for (double& t : theta) t += 0.3 * g(rng);
        if (!theta.empty()) variant->set_params(theta);
        const int P = static_cast<int>(theta.size());
        const detail::MatD Q = random(N, d), K = random(N, d), V = random(N, d), dO = random(N, d),
                           RQ = random(N, d), RK = random(N, d), RV = random(N, d),
                           RdO = random(N, d);
        std::vector<double> vt(P);
        for (double& t : vt) t = g(rng);
        const QString what = QString("%1 causal=%2").arg(name).arg(causal);
        // The backward against the variant's.
        detail::HeadGrads mine;
        detail::LinearHeadRop(spec, causal, Q, K, V, theta.data()).backward(dO, nullptr, mine);
        const auto ref = variant->backward(to_head(Q), to_head(K), to_head(V), causal, to_head(dO));
        auto mat = [](const attention::MatrixD& m) {
          return detail::MatD(Eigen::Map<const detail::MatD>(m.data.data(), m.rows, m.cols));
        };
        for (const auto& [a, b] : {std::pair{&mine.dQ, mat(ref.dQ)}, std::pair{&mine.dK, mat(ref.dK)},
                                   std::pair{&mine.dV, mat(ref.dV)}})
          QVERIFY2(rel(*a, b) <= 1e-12, qPrintable(what + QString(": backward %1").arg(rel(*a, b))));
        for (int i = 0; i < P; ++i)
          QVERIFY2(std::abs(mine.dtheta[i] - ref.dparams[i]) <= 1e-12 * (1 + std::abs(ref.dparams[i])),
                   qPrintable(what + ": dθ"));
        // The point moved by ±h along the tangent, and its forward and gradients there.
        const double h = 3e-6;
        auto at = [&](double s, detail::MatD& out, detail::HeadGrads& grads) {
          std::vector<double> th = theta;
          for (int i = 0; i < P; ++i) th[i] += s * vt[i];
          const detail::MatD q = Q + s * RQ, k = K + s * RK, v = V + s * RV;
          detail::LinearHeadRop head(spec, causal, q, k, v, th.data());
          out = head.out();
          head.backward(dO + s * RdO, nullptr, grads);
        };
        detail::MatD op, om;
        detail::HeadGrads gp, gm;
        at(h, op, gp);
        at(-h, om, gm);
        // Σ dO⊙O along the tangent with R{dO} = 0 is the gradient's directional derivative.
        double dl = (mine.dQ.cwiseProduct(RQ) + mine.dK.cwiseProduct(RK) + mine.dV.cwiseProduct(RV)).sum();
        for (int i = 0; i < P; ++i) dl += mine.dtheta[i] * vt[i];
        const double fd = (op - om).cwiseProduct(dO).sum() / (2 * h);
        QVERIFY2(std::abs(dl - fd) <= 1e-7 * std::abs(fd) + 1e-12,
                 qPrintable(what + QString(": gradient %1 vs %2").arg(dl).arg(fd)));
        // R-forward and R-backward.
        detail::LinearHeadRop head(spec, causal, Q, K, V, theta.data());
        head.tangent(RQ, RK, RV, P ? vt.data() : nullptr);
        detail::HeadGrads r;
        head.backward(dO, &RdO, r);
        const double eo = rel(head.r_out(), (op - om) / (2 * h));
        const double eq = rel(r.RdQ, (gp.dQ - gm.dQ) / (2 * h)),
                     ek = rel(r.RdK, (gp.dK - gm.dK) / (2 * h)),
                     ev = rel(r.RdV, (gp.dV - gm.dV) / (2 * h));
        double et = 0;
        if (P) {
          Eigen::VectorXd a(P), b(P);
          for (int i = 0; i < P; ++i) {
            a[i] = r.Rdtheta[i];
            b[i] = (gp.dtheta[i] - gm.dtheta[i]) / (2 * h);
          }
          et = (a - b).norm() / b.norm();
        }
        QVERIFY2(std::max({eo, eq, ek, ev, et}) <= 1e-7,
                 qPrintable(what + QString(": R{O} %1, R{dQ} %2, R{dK} %3, R{dV} %4, R{dθ} %5")
                                       .arg(eo).arg(eq).arg(ek).arg(ev).arg(et)));
        // The gradient of the dual pass is the plain pass's.
        QVERIFY2(rel(r.dQ, mine.dQ) <= 1e-14 && rel(r.dV, mine.dV) <= 1e-14, qPrintable(what));
      }
  }

  void variantsWithoutRoperatorAreRefused() {
    // Every variant of the registry either has an R-operator — its transformers have HVPs (the
    // rows above check each one's) and the Hessian operator takes them — or is refused in one
    // line naming it and those that have one: from the architecture (before anything runs)
    // and from the compute object; hvp() throws it; the Hessian operator refuses the model.
    auto be = make_backend("cpu", 1);
    Dataset data;
    data.name = "tokens";
    data.n = 2;
    data.dim = 4;
    data.classes = 8;
    data.label_width = 4;
    data.x = {1, 2, 3, 4, 5, 6, 7, 0};
    data.y = {2, 3, 4, 5, 6, 7, 0, 1};
    for (const std::string& variant : attention::variant_names()) {
      auto arch = parse_model_arch("transformer:tokens=8,seq=4,d=8,heads=2,layers=1,ff=16,attn=" +
                                   variant + ",causal");
      const std::string why = arch->hvp_unsupported();
      if (detail::head_kernel_of(variant, nullptr)) {
        QVERIFY2(why.empty(), why.c_str());
        QVERIFY2(std::string(detail::head_kernels_with_rop()).find(variant) != std::string::npos,
                 variant.c_str());
        HessianOperator H(*be, arch, &data);
        continue;
      }
      QVERIFY2(why.find("'" + variant + "'") != std::string::npos &&
                   why.find("softmax") != std::string::npos && why.find('\n') == std::string::npos,
               why.c_str());
      auto net = arch->compute(*be, 2);
      QCOMPARE(net->hvp_unsupported(), why);
      std::vector<float> buf(arch->num_params());
      QVERIFY_THROWS_EXCEPTION(RunError, net->hvp(buf.data(), buf.data(), buf.data(), 2));
      try {
        HessianOperator H(*be, arch, &data);
        QFAIL("a transformer without an attention R-operator was accepted");
      } catch (const InputError& e) {
        QVERIFY2(std::string(e.what()).find("attention variant '" + variant + "'") !=
                     std::string::npos,
                 e.what());
      }
    }
    // The message for a name the registry does not know (parse_transformer_arch refuses it
    // first), which no variant of the registry may need.
    TransformerArch t = parse_transformer_arch(
        "transformer:tokens=8,seq=4,d=8,heads=2,layers=1,ff=16,attn=softmax", "test");
    t.attention = "nonesuch";
    const std::string why = transformer_hvp_unsupported(t);
    QVERIFY2(why.find("attention variant 'nonesuch'") != std::string::npos &&
                 why.find(detail::head_kernels_with_rop()) != std::string::npos &&
                 why.find('\n') == std::string::npos,
             why.c_str());
    QVERIFY_THROWS_EXCEPTION(InputError, (void)detail::TransformerF64(t));
    // hvp() before forward()+loss() is a RunError, not a crash.
    auto ok = parse_model_arch("transformer:tokens=8,seq=4,d=8,heads=2,layers=1,ff=16,attn=softmax");
    auto net = ok->compute(*be, 2);
    std::vector<float> buf(ok->num_params());
    QVERIFY_THROWS_EXCEPTION(RunError, net->hvp(buf.data(), buf.data(), buf.data(), 2));
  }
};

QTEST_APPLESS_MAIN(TestTransformerHvp)
#include "test_transformer_hvp.moc"
