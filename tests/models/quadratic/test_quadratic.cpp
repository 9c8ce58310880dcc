// The quadratic model: its form against an independent float64 eigendecomposition, its
// gradient against finite differences, and the evaluator over parameter points (lines,
// planes, Bézier curves) and a whole run spec against the closed forms.
#include <QtTest>
#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <filesystem>

#include "ridgeline/core/backend.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/experiment/run.h"
#include "ridgeline/experiment/spec.h"
#include "ridgeline/io/safetensors.h"
#include "ridgeline/models/model_io.h"
#include "ridgeline/models/quadratic/quadratic.h"
#include "ridgeline/paths/evaluator.h"
#include "ridgeline/paths/interpolation.h"
#include "test_support.h"

using namespace ridgeline;

namespace {

std::vector<double> to_double(const std::vector<float>& v) { return {v.begin(), v.end()}; }

// L(θ_A + αΔ) = L_A + α e_Aᵀ A Δ + ½ α² Δᵀ A Δ, with e_A = θ_A − θ*, in float64.
struct LineForm {
  double la, slope, curv;
  LineForm(const QuadraticForm& f, const std::vector<float>& a, const std::vector<float>& b) {
    const int n = f.n;
    std::vector<double> e(n), d(n);
    for (int i = 0; i < n; ++i) e[i] = double(a[i]) - f.theta_star[i], d[i] = double(b[i]) - a[i];
    la = f.loss(to_double(a));
    slope = curv = 0.0;
    for (int r = 0; r < n; ++r)
      for (int s = 0; s < n; ++s) {
        slope += e[r] * f.A[r * n + s] * d[s];
        curv += d[r] * f.A[r * n + s] * d[s];
      }
  }
  double operator()(double t) const { return la + t * slope + 0.5 * t * t * curv; }
};

double rel(double a, double b) { return std::abs(a - b) / std::max(1.0, std::abs(b)); }

}  // namespace

class TestQuadratic : public QObject {
  Q_OBJECT
 private slots:
  void formMatchesEigendecomposition() {
    for (bool indefinite : {false, true}) {
      QuadraticArch q;
      q.dim = 12;
      q.seed = 5;
      q.indefinite = indefinite;
      const QuadraticForm f = quadratic_form(q);
      Eigen::MatrixXd A(f.n, f.n);
      for (int r = 0; r < f.n; ++r)
        for (int s = 0; s < f.n; ++s) A(r, s) = f.A[r * f.n + s];
      QVERIFY((A - A.transpose()).cwiseAbs().maxCoeff() < 1e-12);
      Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(A);
      std::vector<double> want = f.eigenvalues;
      std::sort(want.begin(), want.end());
      for (int i = 0; i < f.n; ++i) QVERIFY(std::abs(es.eigenvalues()(i) - want[i]) < 1e-10);
      const long negative = std::count_if(want.begin(), want.end(), [](double v) { return v < 0; });
      QCOMPARE(negative, indefinite ? 3l : 0l);
      QCOMPARE(f.loss(f.theta_star), q.c);  // the minimum (or saddle) value is c
    }
  }

  void gradientMatchesFiniteDifferences() {
    auto arch = quadratic_model_arch(parse_quadratic_arch("quadratic:dim=9,seed=2,indefinite", "t"));
    auto be = make_backend("cpu", 1);
    const std::vector<float> p = arch->init(4);
    auto net = arch->compute(*be, 1);
    DeviceBuffer dp(*be, p.size()), dg(*be, p.size());
    be->upload(dp.data(), p.data(), p.size());
    net->forward(dp.data(), nullptr, 1);
    net->loss(nullptr, 1, true);
    net->backward(dp.data(), dg.data(), 1);
    std::vector<float> g(p.size());
    be->download(g.data(), dg.data(), g.size());
    const QuadraticForm f = quadratic_form(*as_quadratic_arch(*arch));
    const double h = 1e-5;
    for (size_t i = 0; i < p.size(); ++i) {
      std::vector<double> up = to_double(p), dn = up;
      up[i] += h;
      dn[i] -= h;
      const double fd = (f.loss(up) - f.loss(dn)) / (2 * h);
      // Central differences of a quadratic are exact up to rounding (~1e-10 here); the
      // gradient is returned in float32 (relative 6e-8).
      QVERIFY2(std::abs(fd - g[i]) < 1e-5 * std::max(1.0, std::abs(fd)),
               qPrintable(QString("%1: %2 vs %3").arg(i).arg(fd).arg(g[i])));
    }
  }

  void interpolationMatchesClosedForm() {
    auto be = make_backend("cpu", 2);
    for (const char* text : {"quadratic:dim=20,seed=1", "quadratic:dim=20,seed=1,indefinite"}) {
      const Model a{parse_model_arch(text), {}}, b{a.arch, {}};
      Model ma = a, mb = b;
      ma.params = a.arch->init(10);
      mb.params = a.arch->init(11);
      InterpolationConfig cfg;
      cfg.points = 25;
      cfg.train = false;
      const InterpolationResult r = interpolate(*be, ma, mb, DataSplits{}, cfg);
      const LineForm line(quadratic_form(*as_quadratic_arch(*a.arch)), ma.params, mb.params);
      double worst = 0, worst_lin = -INFINITY;
      for (size_t k = 0; k < r.alpha.size(); ++k) {
        worst = std::max(worst, rel(r.test->loss[k], line(r.alpha[k])));
        QVERIFY(std::isnan(r.test->error[k]));  // no accuracy: undefined, never made up
        const double t = r.alpha[k];
        worst_lin = std::max(worst_lin, line(t) - ((1 - t) * line(0) + t * line(1)));
      }
      QVERIFY2(worst < 1e-6, qPrintable(QString("%1: %2").arg(text).arg(worst)));
      // Endpoints are the models themselves.
      QCOMPARE(r.test->loss.front(), quadratic_form(*as_quadratic_arch(*a.arch)).loss(to_double(ma.params)));
      QVERIFY(std::abs(r.test->barriers.loss_lin - worst_lin) < 1e-6);
      if (line.curv > 0) QVERIFY(std::abs(r.test->barriers.loss_lin) < 1e-6);  // convex: none
      QVERIFY(std::isnan(r.test->barriers.error_lin));
    }
  }

  void planesAndCurvesMatchClosedForm() {
    auto be = make_backend("cpu", 2);
    auto arch = parse_model_arch("quadratic:dim=15,seed=8,indefinite");
    const QuadraticForm f = quadratic_form(*as_quadratic_arch(*arch));
    const std::vector<float> t0 = arch->init(1), t1 = arch->init(2), t2 = arch->init(3);
    // A plane as origin + directions (general rows (1, x, y)) and a Bézier curve (affine rows).
    std::vector<float> d1(t0.size()), d2(t0.size());
    for (size_t i = 0; i < t0.size(); ++i) d1[i] = t1[i] - t0[i], d2[i] = t2[i] - t0[i];
    ParameterPoints plane{{&t0, &d1, &d2}, {}}, bezier{{&t0, &t1, &t2}, {}};
    for (double x : {-0.5, 0.0, 0.3, 1.0})
      for (double y : {-1.0, 0.25, 0.9}) plane.coeffs.push_back({1.0, x, y});
    for (double t : {0.0, 0.2, 0.5, 0.8, 1.0})
      bezier.coeffs.push_back({(1 - t) * (1 - t), t * t, 2 * t * (1 - t)});
    for (const ParameterPoints* pts : {&plane, &bezier}) {
      const PointValues v = evaluate_points(*be, *arch, *pts, nullptr);
      QCOMPARE(v.loss.size(), pts->coeffs.size());
      for (size_t k = 0; k < pts->coeffs.size(); ++k) {
        std::vector<double> theta(t0.size(), 0.0);
        for (size_t j = 0; j < 3; ++j)
          for (size_t i = 0; i < theta.size(); ++i) theta[i] += pts->coeffs[k][j] * (*pts->basis[j])[i];
        QVERIFY2(rel(v.loss[k], f.loss(theta)) < 1e-6, qPrintable(QString::number(k)));
      }
    }
    // Unit rows give the basis vectors exactly.
    const PointValues ends = evaluate_points(*be, *arch, bezier, nullptr);
    QCOMPARE(ends.loss.front(), f.loss(to_double(t0)));
    QCOMPARE(ends.loss.back(), f.loss(to_double(t1)));
  }

  void filesAndTextRoundTrip() {
    test::ScratchDir tmp("quadratic");
    auto arch = parse_model_arch("quadratic:dim=6,seed=4,c=0.25,indefinite");
    QCOMPARE(arch->to_string(), std::string("quadratic:dim=6,seed=4,c=0.25,indefinite"));
    const Model m{arch, arch->init(7)};
    const std::string path = tmp.file("q.safetensors");
    save_model(path, m);
    const Model back = load_model(path);
    QCOMPARE(back.arch->to_string(), arch->to_string());
    QCOMPARE(back.params, m.params);
    // Malformed quadratic files: one clear InputError each, naming the file.
    auto write = [&](const std::string& name, std::map<std::string, std::string> meta,
                     std::vector<int64_t> shape, const char* tensor = "theta") {
      SafetensorsFile f;
      f.metadata = std::move(meta);
      Tensor t;
      t.shape = shape;
      size_t n = 1;
      for (int64_t d : shape) n *= static_cast<size_t>(d);
      t.data.assign(n, 0.5f);
      f.tensors.emplace_back(tensor, std::move(t));
      const std::string file = tmp.file(name);
      write_safetensors(file, f);
      return file;
    };
    const std::map<std::string, std::string> kind{{"ridgeline.kind", "quadratic"}};
    auto with_arch = [&](const std::string& a) {
      auto m = kind;
      m["ridgeline.arch"] = a;
      return m;
    };
    const std::vector<std::string> bad_files = {
        write("no-arch.safetensors", kind, {6}),
        write("mismatch.safetensors", with_arch("mlp:6,2"), {6}),
        write("bad-arch.safetensors", with_arch("quadratic:dim=x"), {6}),
        write("shape.safetensors", with_arch("quadratic:dim=6,seed=4"), {5}),
        write("name.safetensors", with_arch("quadratic:dim=6,seed=4"), {6}, "theta0"),
    };
    for (const std::string& f : bad_files) {
      try {
        load_model(f);
        QFAIL(qPrintable(QString::fromStdString(f + " loaded")));
      } catch (const InputError& e) {
        QVERIFY2(std::string(e.what()).find(f) == 0, e.what());
      }
    }
    for (const char* bad : {"quadratic:", "quadratic:dim=0", "quadratic:dim=3,seed=-1",
                            "quadratic:dim=3,c=nan", "quadratic:dim=3,foo=1", "quadratic:seed=2",
                            "quadratic:dim=3x"})
      QVERIFY_THROWS_EXCEPTION(InputError, parse_model_arch(bad, "t"));
  }

  void runsThroughASpec() {
    test::ScratchDir tmp("quadratic");
    const std::string text = R"({"name": "q", "model": {"kind": "quadratic", "arch": "quadratic:dim=10,seed=2"},
      "train": {"optimizer": "sgd", "lr": 0.05, "momentum": 0, "epochs": 6},
      "models": [{"name": "s0", "seed": 0}, {"name": "s1", "seed": 1}],
      "steps": [{"type": "interpolate", "a": "s0", "b": "s1", "points": 9}]})";
    const ExperimentSpec spec = parse_spec(text, "q.json");
    QCOMPARE(parse_spec(spec_to_json(spec), "again.json").model()->to_string(),
             spec.model()->to_string());
    RunOptions opt;
    opt.out_dir = tmp.file("run");
    opt.workspace = tmp.file("ws");
    opt.device = "cpu";
    opt.threads = 1;
    const RunSummary sum = run_experiment(spec, opt);
    QCOMPARE(sum.status, std::string("finished"));
    // Gradient descent with lr 0.05 < 2/λ_max = 0.2 on a convex quadratic: the loss falls.
    const auto epochs = sum.training().front().second;
    QCOMPARE(static_cast<int>(epochs.size()), 6);
    for (size_t e = 1; e < epochs.size(); ++e) QVERIFY(epochs[e].train_loss < epochs[e - 1].train_loss);
    const Model a = load_model(tmp.file("run/checkpoints/s0.safetensors"));
    const Model b = load_model(tmp.file("run/checkpoints/s1.safetensors"));
    const LineForm line(quadratic_form(*as_quadratic_arch(*a.arch)), a.params, b.params);
    const auto paths = sum.interpolations();
    QCOMPARE(static_cast<int>(paths.size()), 1);
    const InterpolationResult& r = paths.front().second;
    for (size_t k = 0; k < r.alpha.size(); ++k)
      QVERIFY(rel(r.test->loss[k], line(r.alpha[k])) < 1e-6);
    // What the run wrote reads back the same (NaN errors as null).
    const RunSummary loaded = load_run(opt.out_dir);
    QCOMPARE(loaded.interpolations().front().second.test->loss, r.test->loss);
    QVERIFY(std::isnan(loaded.interpolations().front().second.test->error[0]));
    // Weight matching uses the model's permutation spec: the quadratic has none, so aligning
    // returns the identity at once. Activation matching needs hidden units: a clear error.
    const std::string align = R"({"name": "q", "model": {"kind": "quadratic", "arch": "quadratic:dim=10"},
      "models": [{"name": "s0", "seed": 0}, {"name": "s1", "seed": 1}],
      "steps": [{"type": "align", "a": "s0", "b": "s1"}]})";
    opt.out_dir = tmp.file("run2");
    run_experiment(parse_spec(align, "a.json"), opt);
    const RunSummary aligned = load_run(opt.out_dir);
    QCOMPARE(aligned.alignment_reports().size(), size_t(1));
    QCOMPARE(aligned.alignment_reports().front().second.sweeps, 0);
    QVERIFY(aligned.alignment_reports().front().second.layers.empty());
    const std::string am = R"({"name": "q", "model": {"kind": "quadratic", "arch": "quadratic:dim=10"},
      "models": [{"name": "s0", "seed": 0}, {"name": "s1", "seed": 1}],
      "steps": [{"type": "align", "a": "s0", "b": "s1", "method": "am"}]})";
    opt.out_dir = tmp.file("run3");
    QVERIFY_THROWS_EXCEPTION(InputError, run_experiment(parse_spec(am, "am.json"), opt));
    // The kind and the architecture text must agree.
    QVERIFY_THROWS_EXCEPTION(InputError, parse_spec(R"({"name": "q", "model": {"kind": "quadratic", "arch": "mlp:4,3"},
      "models": [{"name": "s0", "seed": 0}]})", "k.json"));
  }
};

QTEST_APPLESS_MAIN(TestQuadratic)
#include "test_quadratic.moc"
