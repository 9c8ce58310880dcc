// The quadratic model (see quadratic.h): its form, architecture object and compute object.
#include "ridgeline/models/quadratic/quadratic.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <mutex>
#include <numbers>
#include <random>
#include <sstream>

#include "ridgeline/core/errors.h"
#include "ridgeline/paths/evaluator.h"

namespace ridgeline {

namespace {

// Portable standard normals (Box–Muller on mt19937_64 bits), the same on every machine.
struct Normal {
  std::mt19937_64 rng;
  explicit Normal(uint64_t seed) : rng(seed) {}
  double uniform() { return (static_cast<double>(rng() >> 11) + 0.5) * 0x1.0p-53; }
  double operator()() {
    const double u = uniform(), v = uniform();
    return std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * std::numbers::pi * v);
  }
};

}  // namespace

std::string QuadraticArch::to_string() const {
  std::ostringstream s;
  s.precision(17);
  s << "quadratic:dim=" << dim << ",seed=" << seed;
  if (c != 1.0) s << ",c=" << c;
  if (indefinite) s << ",indefinite";
  return s.str();
}

QuadraticArch parse_quadratic_arch(const std::string& text, const std::string& what) {
  const std::string prefix = "quadratic:";
  auto bad = [&](const std::string& why) {
    throw InputError(what + ": '" + echo_input(text) + "' " + why +
                     " (expected quadratic:dim=N[,seed=S][,c=C][,indefinite])");
  };
  if (text.rfind(prefix, 0) != 0) bad("is not a quadratic architecture");
  QuadraticArch q;
  bool have_dim = false;
  std::stringstream ss(text.substr(prefix.size()));
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item == "indefinite") {
      q.indefinite = true;
      continue;
    }
    const size_t eq = item.find('=');
    if (eq == std::string::npos) bad("has an unknown item '" + echo_input(item) + "'");
    const std::string key = item.substr(0, eq), val = item.substr(eq + 1);
    size_t used = 0;
    try {
      if (key == "dim") {
        const long v = std::stol(val, &used);
        if (v < 1 || v > 4096) bad("has dim outside 1..4096");
        q.dim = static_cast<int>(v);
        have_dim = true;
      } else if (key == "seed") {
        if (!val.empty() && val[0] == '-') bad("has a negative seed");
        q.seed = std::stoull(val, &used);
      } else if (key == "c") {
        q.c = std::stod(val, &used);
        if (!std::isfinite(q.c)) bad("has a non-finite c");
      } else {
        bad("has an unknown key '" + echo_input(key) + "'");
      }
    } catch (const InputError&) {
      throw;
    } catch (...) {
      used = 0;
    }
    if (used != val.size() || val.empty()) bad("has a bad value for '" + echo_input(key) + "'");
  }
  if (!have_dim) bad("names no dim");
  return q;
}

QuadraticForm quadratic_form(const QuadraticArch& arch) {
  const int n = arch.dim;
  QuadraticForm f;
  f.n = n;
  f.c = arch.c;
  Normal normal(arch.seed * 0x9E3779B97F4A7C15ull + 0x51ED270B27ull);
  // Q: modified Gram–Schmidt on the columns of a Gaussian matrix (drawn row by row). The
  // columns are kept as the rows of C (C[j·n + r] = Q[r, j]) so that every loop is contiguous.
  std::vector<double> C(static_cast<size_t>(n) * n);
  for (int r = 0; r < n; ++r)
    for (int j = 0; j < n; ++j) C[static_cast<size_t>(j) * n + r] = normal();
  for (int j = 0; j < n; ++j) {
    double* cj = C.data() + static_cast<size_t>(j) * n;
    for (int i = 0; i < j; ++i) {
      const double* ci = C.data() + static_cast<size_t>(i) * n;
      double dot = 0.0;
      for (int r = 0; r < n; ++r) dot += ci[r] * cj[r];
      for (int r = 0; r < n; ++r) cj[r] -= dot * ci[r];
    }
    double norm = 0.0;
    for (int r = 0; r < n; ++r) norm += cj[r] * cj[r];
    norm = std::sqrt(norm);
    for (int r = 0; r < n; ++r) cj[r] /= norm;
  }
  f.eigenvalues.resize(n);
  const int negative = arch.indefinite ? (n + 3) / 4 : 0;
  for (int i = 0; i < n; ++i) {
    const double t = n > 1 ? static_cast<double>(i) / (n - 1) : 0.0;
    f.eigenvalues[i] = 0.1 * std::pow(100.0, t) * (i < negative ? -1.0 : 1.0);
  }
  // A = Σ_i λ_i q_i q_iᵀ, the terms added in order of i.
  f.A.assign(static_cast<size_t>(n) * n, 0.0);
  for (int i = 0; i < n; ++i) {
    const double* ci = C.data() + static_cast<size_t>(i) * n;
    for (int r = 0; r < n; ++r) {
      const double a = ci[r] * f.eigenvalues[i];
      double* row = f.A.data() + static_cast<size_t>(r) * n;
      for (int s = 0; s < n; ++s) row[s] += a * ci[s];
    }
  }
  f.theta_star.resize(n);
  for (double& v : f.theta_star) v = normal();
  return f;
}

double QuadraticForm::loss(const std::vector<double>& theta, std::vector<double>* grad) const {
  std::vector<double> e(n), Ae(n, 0.0);
  for (int i = 0; i < n; ++i) e[i] = theta[i] - theta_star[i];
  double q = 0.0;
  for (int r = 0; r < n; ++r) {
    double v = 0.0;
    for (int s = 0; s < n; ++s) v += A[r * n + s] * e[s];
    Ae[r] = v;
    q += e[r] * v;
  }
  if (grad) *grad = Ae;
  return 0.5 * q + c;
}

namespace {

// The loss of the parameters given to forward(), on the host in float64; one "row".
class QuadraticCompute final : public ModelCompute {
 public:
  QuadraticCompute(Backend& be, const QuadraticForm& f) : be_(be), f_(f) {}
  void forward(const float* params, const float*, int, const LayerHook&) override {
    params_ = params;
  }
  void loss(const float*, int, bool want_grad) override {
    std::vector<float> p(f_.n);
    be_.download(p.data(), params_, p.size());
    theta_.assign(p.begin(), p.end());
    loss_ = f_.loss(theta_, want_grad ? &grad_ : nullptr);
  }
  void backward(const float*, float* grad, int) override {
    std::vector<float> g(grad_.begin(), grad_.end());
    be_.upload(grad, g.data(), g.size());
  }
  void sums(int rows, double& loss_sum, double& correct_sum) override {
    loss_sum = loss_ * rows;
    correct_sum = std::numeric_limits<double>::quiet_NaN();
  }
  std::string hvp_unsupported() const override { return {}; }
  /// The Hessian is A everywhere: hv = A·v in float64, rounded once to float32.
  void hvp(const float*, const float* v, float* hv, int) override {
    const int n = f_.n;
    std::vector<float> vf(n), out(n);
    be_.download(vf.data(), v, vf.size());
    for (int r = 0; r < n; ++r) {
      const double* row = f_.A.data() + static_cast<size_t>(r) * n;
      double s = 0.0;
      for (int c = 0; c < n; ++c) s += row[c] * static_cast<double>(vf[c]);
      out[r] = static_cast<float>(s);
    }
    be_.upload(hv, out.data(), out.size());
  }

 private:
  Backend& be_;
  const QuadraticForm& f_;
  const float* params_ = nullptr;
  std::vector<double> theta_, grad_;
  double loss_ = 0;
};

class QuadraticModelArch final : public ModelArch {
 public:
  explicit QuadraticModelArch(QuadraticArch a) : arch_(a) {}
  const QuadraticArch& quadratic() const { return arch_; }

  std::string kind() const override { return "quadratic"; }
  std::string to_string() const override { return arch_.to_string(); }
  size_t num_params() const override { return static_cast<size_t>(arch_.dim); }
  std::vector<ParamBlockInfo> blocks() const override { return {{"theta", 0, {arch_.dim}}}; }
  std::vector<float> init(uint64_t seed) const override {
    // θ* displaced by a seeded standard normal vector.
    Normal normal(seed * 0xD1B54A32D192ED03ull + 0x2545F4914F6CDD1Dull);
    std::vector<float> p(arch_.dim);
    const QuadraticForm& f = form();
    for (int i = 0; i < arch_.dim; ++i) p[i] = static_cast<float>(f.theta_star[i] + normal());
    return p;
  }
  PermutationSpec permutation_spec() const override {
    PermutationSpec s;
    s.blocks.push_back(vector_block("theta", 0, arch_.dim, -1));
    s.num_params = arch_.dim;
    return s;
  }
  bool uses_data() const override { return false; }
  std::string hvp_unsupported() const override { return {}; }
  bool has_accuracy() const override { return false; }
  void check_fits(const Dataset&, const std::string&) const override {}
  bool same_shape(const ModelArch& other) const override {
    const QuadraticArch* o = as_quadratic_arch(other);
    return o && o->dim == arch_.dim && o->seed == arch_.seed && o->c == arch_.c &&
           o->indefinite == arch_.indefinite;
  }
  std::unique_ptr<ModelCompute> compute(Backend& be, int) const override {
    return std::make_unique<QuadraticCompute>(be, form());
  }
  PointValues evaluate_points(Backend& be, const ParameterPoints& points, const Dataset*, int,
                              const PointHooks& hooks, const std::function<void()>& on_chunk,
                              const CancelToken* cancel) const override {
    // The points are formed on the backend by the evaluator's rule, like every model's, and
    // the closed form is evaluated on them in float64.
    const size_t T = num_params(), P = points.coeffs.size();
    PointValues v;
    if (P == 0) return v;
    const DevicePoints dp = device_points(be, points, T, hooks);
    std::vector<float> host(T * P);
    be.download(host.data(), dp.params.data(), host.size());
    for (size_t k = 0; k < P; ++k) {
      if (cancel) cancel->check();
      const std::vector<double> theta(host.begin() + k * T, host.begin() + (k + 1) * T);
      v.loss.push_back(form().loss(theta));
      v.error.push_back(std::numeric_limits<double>::quiet_NaN());
    }
    if (on_chunk) on_chunk();
    return v;
  }
  int evaluation_chunks(int, int, int) const override { return 1; }
  std::map<std::string, std::string> metadata() const override {
    return {{"ridgeline.kind", "quadratic"}, {"ridgeline.arch", arch_.to_string()}};
  }

 private:
  QuadraticArch arch_;
  // A, θ* are O(n³) to build: only when a computation needs them, not to parse or name.
  const QuadraticForm& form() const {
    std::call_once(form_once_, [this] { form_ = quadratic_form(arch_); });
    return form_;
  }
  mutable std::once_flag form_once_;
  mutable QuadraticForm form_;
};

}  // namespace

std::shared_ptr<const ModelArch> quadratic_model_arch(const QuadraticArch& arch) {
  return std::make_shared<QuadraticModelArch>(arch);
}

const QuadraticArch* as_quadratic_arch(const ModelArch& arch) {
  const auto* q = dynamic_cast<const QuadraticModelArch*>(&arch);
  return q ? &q->quadratic() : nullptr;
}

}  // namespace ridgeline
