// One model's curvature report (hessian_report.h) and its JSON form.
#include "io/json_number.h"
#include "ridgeline/curvature/hessian_report.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>

#include "ridgeline/core/errors.h"
#include "ridgeline/io/fileio.h"

namespace ridgeline {

namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// JSON numbers: NaN and ±inf become null.
nlohmann::json num(double x) { return json_number::or_null<nlohmann::json>(x); }
nlohmann::json nums(const std::vector<double>& v) { return json_number::or_null<nlohmann::json>(v); }

}  // namespace

HessianReport hessian_report(HessianOperator& H, const std::vector<float>& theta,
                             const std::vector<float>* theta_b,
                             const std::vector<ParamSelection>& selections,
                             const HessianConfig& cfg, const CancelToken* cancel,
                             const ProgressFn& progress) {
  if (cfg.path && !theta_b) throw InputError("hessian: a path needs a second model");
  if (cfg.top_k < 0 || cfg.trace_samples < 0 || cfg.density_vectors < 0)
    throw InputError("hessian: negative counts");
  const double start = now();
  const long long hvps0 = H.hvps();
  HessianReport r;
  r.rows = H.rows();
  r.arch = H.arch().to_string();
  for (const ParamSelection& sel : selections) {
    const double t0 = now();
    const long long h0 = H.hvps();
    H.set_params(theta);
    H.set_cancel(cancel);
    const std::string stage = "hessian " + (sel.name.empty() ? std::string("model") : sel.name);
    const long long lanczos_steps =
        cfg.top_k > 0 ? std::min<long long>(cfg.max_iter, static_cast<long long>(sel.size)) : 0;
    const long long density_steps =
        static_cast<long long>(cfg.density_vectors) *
        std::min<long long>(cfg.density_steps, static_cast<long long>(sel.size));
    const long long total = lanczos_steps + cfg.trace_samples + density_steps;
    H.set_on_hvp([&] {
      if (progress) progress({stage, std::min(H.hvps() - h0, total), total, {}});
    });
    const SymmetricOp op = [&](const std::vector<double>& v, std::vector<double>& hv) {
      H.apply(sel, v, hv);
    };
    SelectionCurvature s;
    s.name = sel.name;
    s.size = sel.size;
    if (cfg.top_k > 0) {
      LanczosOptions lo;
      lo.k = cfg.top_k;
      lo.max_iter = cfg.max_iter;
      lo.tol = cfg.tol;
      lo.seed = cfg.seed;
      s.eigen = lanczos_top(sel.size, op, lo, cancel);
    }
    if (cfg.trace_samples > 0)
      s.trace = hutchinson_trace(sel.size, op, cfg.trace_samples, cfg.seed, cancel);
    if (cfg.density_vectors > 0) {
      s.density = slq_density(sel.size, op, cfg.density_vectors, cfg.density_steps, cfg.seed, cancel);
      // Display smoothing: PyHessian's σ (σ² = 1e-5·max(1, range)), widened to at least two
      // grid spacings so that every node shows on the grid.
      const double lo = s.density->min_node(), hi = s.density->max_node();
      const double span = std::max(hi - lo, 1e-12 * std::max(1.0, std::abs(hi)));
      const int n = std::max(cfg.density_grid, 2);
      const double a = lo - 0.05 * span, b = hi + 0.05 * span, step = (b - a) / (n - 1);
      s.density_sigma = std::max(s.density->default_sigma(), 2 * step);
      for (int i = 0; i < n; ++i) s.density_grid.push_back(a + i * step);
      s.density_values = s.density->smoothed(s.density_grid, s.density_sigma);
    }
    if (cfg.lr > 0 && !s.eigen.values.empty() && s.trace)
      s.stability = stability_check(cfg.lr, s.eigen.values.front(), s.trace->mean);
    H.set_on_hvp({});
    H.set_cancel(nullptr);
    s.hvps = H.hvps() - h0;
    if (progress) progress({stage, total, total, {}});  // Lanczos may stop before its cap
    s.seconds = now() - t0;
    r.selections.push_back(std::move(s));
  }
  if (cfg.path)
    for (const ParamSelection& sel : selections)
      r.paths.push_back(path_curvature(H, theta, *theta_b, sel, cfg.path_options, cancel, progress));
  r.hvps = H.hvps() - hvps0;
  r.seconds = now() - start;
  return r;
}

std::string hessian_report_to_json(const HessianReport& r, int indent) {
  using nlohmann::json;
  json j;
  j["model"] = r.model;
  j["arch"] = r.arch;
  j["batch"] = r.batch;
  j["rows"] = r.rows;
  j["hvps"] = r.hvps;
  j["seconds"] = r.seconds;
  json sels = json::array();
  for (const SelectionCurvature& s : r.selections) {
    json o;
    o["selection"] = s.name.empty() ? json() : json(s.name);
    o["parameters"] = s.size;
    if (!s.eigen.values.empty())
      o["eigen"] = {{"values", nums(s.eigen.values)},
                    {"residuals", nums(s.eigen.residuals)},
                    {"smallest_ritz", num(s.eigen.smallest)},
                    {"iterations", s.eigen.iterations},
                    {"converged", s.eigen.converged}};
    if (s.trace)
      o["trace"] = {{"mean", num(s.trace->mean)},
                    {"se", num(s.trace->se)},
                    {"samples", nums(s.trace->samples)}};
    if (s.density) {
      json runs = json::array();
      for (size_t i = 0; i < s.density->nodes.size(); ++i)
        runs.push_back({{"nodes", nums(s.density->nodes[i])}, {"weights", nums(s.density->weights[i])}});
      o["density"] = {{"runs", runs},
                      {"trace", num(s.density->trace())},
                      {"sigma", num(s.density_sigma)},
                      {"grid", nums(s.density_grid)},
                      {"values", nums(s.density_values)}};
    }
    if (s.stability)
      o["stability"] = {{"lr", s.stability->lr},
                        {"threshold", s.stability->threshold},
                        {"lambda_max", num(s.stability->lambda_max)},
                        {"trace", num(s.stability->trace)},
                        {"gd_stable", s.stability->gd_stable},
                        {"sgd_stable", s.stability->sgd_stable}};
    o["hvps"] = s.hvps;
    o["seconds"] = s.seconds;
    sels.push_back(o);
  }
  j["selections"] = sels;
  if (!r.paths.empty()) {
    json paths = json::array();
    for (const PathCurvature& p : r.paths) {
      json o;
      o["selection"] = p.selection.empty() ? json() : json(p.selection);
      o["parameters"] = p.size;
      o["delta_norm"] = num(p.delta_norm);
      std::vector<double> alpha, loss, lmax, tr, se, dhd, bar, pred;
      for (const PathCurvaturePoint& q : p.points) {
        alpha.push_back(q.alpha);
        loss.push_back(q.loss);
        lmax.push_back(q.lambda_max);
        tr.push_back(q.trace);
        se.push_back(q.trace_se);
        dhd.push_back(q.dHd);
        bar.push_back(q.barrier);
        pred.push_back(q.predicted);
      }
      o["alpha"] = nums(alpha);
      o["loss"] = nums(loss);
      o["lambda_max"] = nums(lmax);
      o["trace"] = nums(tr);
      o["trace_se"] = nums(se);
      o["dHd"] = nums(dhd);
      o["barrier"] = nums(bar);
      o["predicted_midpoint"] = nums(pred);
      o["grad_a_dot_delta"] = num(p.grad_a_dot);
      o["grad_b_dot_delta"] = num(p.grad_b_dot);
      o["predicted_endpoint_half"] = num(p.endpoint_prediction);
      o["measured_max"] = num(p.measured_max);
      o["measured_alpha"] = num(p.measured_alpha);
      o["predicted_max"] = num(p.predicted_max);
      o["predicted_alpha"] = num(p.predicted_alpha);
      paths.push_back(o);
    }
    j["path_to"] = r.path_to;
    j["paths"] = paths;
  }
  return j.dump(indent);
}

namespace {

double get(const nlohmann::json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return std::numeric_limits<double>::quiet_NaN();
  return json_number::finite(j[key], key);
}

// A count under `key` (0 where absent: older files).
int64_t count(const nlohmann::json& j, const char* key) {
  return j.contains(key) ? json_number::integer(j[key], key, 0, int64_t{1} << 53) : 0;
}

std::vector<double> getv(const nlohmann::json& j, const char* key) {
  std::vector<double> v;
  if (!j.contains(key)) return v;
  if (!j[key].is_array()) throw std::runtime_error(std::string(key) + " is not an array");
  for (const auto& x : j[key]) v.push_back(json_number::finite_or_null(x, key));
  return v;
}

std::string name_of(const nlohmann::json& j) {
  return j.contains("selection") && j["selection"].is_string() ? j["selection"].get<std::string>() : "";
}

}  // namespace

HessianReport hessian_report_from_json(const std::string& text, const std::string& where) {
  try {
    const nlohmann::json j = nlohmann::json::parse(text);
    HessianReport r;
    r.model = j.value("model", "");
    r.arch = j.value("arch", "");
    r.batch = j.value("batch", "");
    r.rows = static_cast<int>(json_number::integer(j.value("rows", nlohmann::json(0)), "rows", 0,
                                                   std::numeric_limits<int>::max()));
    r.hvps = count(j, "hvps");
    r.seconds = json_number::finite_value(j, "seconds", 0.0);
    if (!j.at("selections").is_array()) throw std::runtime_error("selections is not an array");
    for (const auto& o : j.at("selections")) {
      SelectionCurvature s;
      s.name = name_of(o);
      s.size = static_cast<size_t>(count(o, "parameters"));
      if (o.contains("eigen")) {
        const auto& e = o["eigen"];
        s.eigen.values = getv(e, "values");
        s.eigen.residuals = getv(e, "residuals");
        s.eigen.smallest = get(e, "smallest_ritz");
        s.eigen.iterations = static_cast<int>(json_number::integer(
            e.value("iterations", nlohmann::json(0)), "iterations", 0, std::numeric_limits<int>::max()));
        s.eigen.converged = e.value("converged", false);
      }
      if (o.contains("trace"))
        s.trace = TraceEstimate{get(o["trace"], "mean"), get(o["trace"], "se"), getv(o["trace"], "samples")};
      if (o.contains("density")) {
        const auto& d = o["density"];
        SpectralDensity sd;
        sd.dim = s.size;
        for (const auto& run : d.at("runs")) {
          sd.nodes.push_back(getv(run, "nodes"));
          sd.weights.push_back(getv(run, "weights"));
        }
        s.density = sd;
        s.density_sigma = get(d, "sigma");
        s.density_grid = getv(d, "grid");
        s.density_values = getv(d, "values");
      }
      if (o.contains("stability")) {
        const auto& c = o["stability"];
        StabilityCheck sc;
        sc.lr = get(c, "lr");
        sc.threshold = get(c, "threshold");
        sc.lambda_max = get(c, "lambda_max");
        sc.trace = get(c, "trace");
        sc.gd_stable = c.value("gd_stable", false);
        sc.sgd_stable = c.value("sgd_stable", false);
        s.stability = sc;
      }
      s.hvps = count(o, "hvps");
      s.seconds = json_number::finite_value(o, "seconds", 0.0);
      r.selections.push_back(std::move(s));
    }
    r.path_to = j.value("path_to", "");
    if (j.contains("paths") && !j["paths"].is_array()) throw std::runtime_error("paths is not an array");
    if (j.contains("paths"))
      for (const auto& o : j["paths"]) {
        PathCurvature p;
        p.selection = name_of(o);
        p.size = static_cast<size_t>(count(o, "parameters"));
        p.delta_norm = get(o, "delta_norm");
        const auto alpha = getv(o, "alpha"), loss = getv(o, "loss"), lm = getv(o, "lambda_max"),
                   tr = getv(o, "trace"), se = getv(o, "trace_se"), dhd = getv(o, "dHd"),
                   bar = getv(o, "barrier"), pred = getv(o, "predicted_midpoint");
        for (size_t i = 0; i < alpha.size(); ++i)
          p.points.push_back({alpha[i], loss.at(i), lm.at(i), tr.at(i), se.at(i), dhd.at(i),
                              bar.at(i), pred.at(i)});
        p.grad_a_dot = get(o, "grad_a_dot_delta");
        p.grad_b_dot = get(o, "grad_b_dot_delta");
        p.endpoint_prediction = get(o, "predicted_endpoint_half");
        p.measured_max = get(o, "measured_max");
        p.measured_alpha = get(o, "measured_alpha");
        p.predicted_max = get(o, "predicted_max");
        p.predicted_alpha = get(o, "predicted_alpha");
        r.paths.push_back(std::move(p));
      }
    return r;
  } catch (const InputError&) {
    throw;
  } catch (const std::exception& e) {
    throw InputError(where + ": not a Hessian report (" + std::string(e.what()) + ")");
  }
}

std::string write_hessian_report(const HessianReport& r, const std::string& results_dir,
                                 const std::string& id) {
  namespace fs = std::filesystem;
  const fs::path dir(results_dir);
  for (size_t i = 0; i < r.selections.size(); ++i) {
    const SelectionCurvature& s = r.selections[i];
    const std::string stem = id + "." + std::to_string(i);
    if (!s.density_grid.empty()) {
      std::vector<double> d = s.density_grid;
      d.insert(d.end(), s.density_values.begin(), s.density_values.end());
      write_npy((dir / (stem + ".density.npy")).string(), d,
                {2, static_cast<int64_t>(s.density_grid.size())});
    }
    if (!s.eigen.vectors.empty()) {
      std::vector<float> v;
      v.reserve(s.eigen.vectors.size() * s.size);
      for (const auto& e : s.eigen.vectors) v.insert(v.end(), e.begin(), e.end());
      write_npy((dir / (stem + ".eigenvectors.npy")).string(), v,
                {static_cast<int64_t>(s.eigen.vectors.size()), static_cast<int64_t>(s.size)});
    }
  }
  const std::string path = (dir / (id + ".json")).string();
  write_file_atomic(path, hessian_report_to_json(r, 1) + "\n");
  return path;
}

HessianReport load_hessian_report(const std::string& path) {
  return hessian_report_from_json(read_file(path), path);
}

}  // namespace ridgeline
