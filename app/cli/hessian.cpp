// `ridgeline hessian`: curvature of one model's loss on a batch — top-k Hessian eigenvalues,
// trace ± standard error, spectral density, the stability check against 2/η — for the whole
// model, one block or every layer, and along the path to a second model with the
// second-order barrier predictions (docs/USER_GUIDE.md, "Curvature").
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "cli/progress.h"
#include "cli/provenance.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/core/format.h"
#include "ridgeline/curvature/hessian_report.h"
#include "ridgeline/paths/interpolation.h"

namespace ridgeline::cli {

const CommandSpec& hessian_spec() {
  static const CommandSpec s{
      "hessian",
      "Hessian curvature of a model's loss on a batch: top-k eigenvalues (Lanczos), trace ± "
      "standard error (Hutchinson), spectral density (SLQ), stability against 2/η; whole model, "
      "one block or every layer; along the path to a second model with the second-order "
      "barrier predictions.",
      {"hessian MODEL.safetensors [--path B.safetensors] [--block NAME | --per-layer] [options]"},
      join({{"path", "FILE", "", "second model B: curvature along θ_A + α(θ_B − θ_A) and the "
                                 "barrier predictions", "none"},
            {"block", "NAME", "", "restrict to one parameter block (fc1.weight) or one layer's "
                                  "blocks (fc1)", "none: the whole model"},
            {"per-layer", "", "", "also every layer on its own (the whole model first)"},
            {"split", "train|test", "train", "the split the batch is drawn from"},
            {"samples", "N", "1000", "batch: a seeded random subset of N samples of the split (0: all)"},
            {"top-k", "K", "3", "largest eigenvalues (0: none)"},
            {"max-iter", "N", "100", "Lanczos steps at most"},
            {"tol", "X", "0.001", "Lanczos: every top-k residual ≤ X·|λ_max|"},
            {"trace-samples", "N", "50", "Hutchinson Rademacher samples (0: no trace)"},
            {"density-vectors", "N", "1", "SLQ start vectors (0: no density)"},
            {"density-steps", "N", "80", "SLQ Lanczos steps per vector"},
            {"lr", "X", "", "learning rate η of the stability check (λ_max and tr H against 2/η)",
             "none: no check"},
            {"path-points", "N", "5", "evenly spaced α in [0, 1] along the path"},
            {"path-lanczos", "N", "20", "Lanczos steps for λ_max at each α (0: no λ_max)"},
            {"path-trace-samples", "N", "10", "Hutchinson samples at each α (0: no trace)"},
            {"seed", "S", "0", "seed of the batch, the start vectors and the samples"},
            {"chunk", "N", "1000", "rows per HVP chunk (the batch's HVP is their row-weighted mean)"},
            {"activation", "relu|gelu", "relu",
             "activation of PyTorch files without Ridgeline metadata (Ridgeline files record theirs)"}},
           {data_option_specs(), compute_option_specs(),
            {{"json", "", "", "print one JSON object (eigenvalues, trace, density, path, provenance)"},
             {"quiet", "", "", "no device or progress lines"}}}),
      {"ridgeline hessian A.safetensors --data fashion-mnist --samples 1000 --top-k 3 --lr 0.1",
       "ridgeline hessian A.safetensors --path B_to_A.safetensors --per-layer --data fashion-mnist --json"},
      {"Exact Hessian-vector products (Pearlmutter's R-operator) of MLPs, of transformers (every "
       "attention variant: softmax, linear_elu, linear_relu, transnormer, inline, cosformer, "
       "performer, hedgehog, flatten) and of quadratic models.",
       "Predictions: midpoint b(α) ≈ −½α(1−α)ΔᵀH(θ(α))Δ, endpoint b(½) ≈ ¼(g_A − g_B)·Δ + "
       "(1/16)Δᵀ(H_A + H_B)Δ; with --block or --per-layer Δ is restricted to the block and the "
       "other blocks stay at A."}};
  return s;
}

namespace {

std::string g4(double x) {
  if (!std::isfinite(x)) return "—";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", x);
  return buf;
}

std::string label(const std::string& sel) { return sel.empty() ? "whole model" : sel; }

void print_selection(const SelectionCurvature& s) {
  std::printf("%s (%zu parameters; %lld HVPs, %s)\n", label(s.name).c_str(), s.size, s.hvps,
              format_seconds(s.seconds).c_str());
  if (!s.eigen.values.empty()) {
    std::string v;
    for (double x : s.eigen.values) v += (v.empty() ? "" : ", ") + g4(x);
    std::printf("  top-%zu eigenvalues: %s (Lanczos, %d steps, %s)\n", s.eigen.values.size(),
                v.c_str(), s.eigen.iterations, s.eigen.converged ? "converged" : "NOT converged");
  }
  if (s.trace)
    std::printf("  trace: %s ± %s (Hutchinson, %zu Rademacher samples)\n", g4(s.trace->mean).c_str(),
                g4(s.trace->se).c_str(), s.trace->samples.size());
  if (s.density)
    // The density's own trace is an estimate from as many start vectors as the density has
    // (one by default): say so, or it reads as a contradiction of Hutchinson's line above.
    std::printf("  density: %zu×%zu SLQ nodes on [%s, %s]; SLQ trace %s (from %zu start vector%s, "
                "no error bar)\n",
                s.density->nodes.size(), s.density->nodes.front().size(),
                g4(s.density->min_node()).c_str(), g4(s.density->max_node()).c_str(),
                g4(s.density->trace()).c_str(), s.density->nodes.size(),
                s.density->nodes.size() == 1 ? "" : "s");
  if (s.stability) {
    const StabilityCheck& c = *s.stability;
    std::printf("  stability (η = %s, 2/η = %s): λ_max %s %s 2/η: %s; tr H %s %s 2/η: %s\n",
                g4(c.lr).c_str(), g4(c.threshold).c_str(), g4(c.lambda_max).c_str(),
                c.gd_stable ? "≤" : ">", c.gd_stable ? "GD-stable" : "not GD-stable",
                g4(c.trace).c_str(), c.sgd_stable ? "≤" : ">",
                c.sgd_stable ? "SGD-stable" : "not SGD-stable");
  }
}

void print_path(const PathCurvature& p, const std::string& to) {
  std::printf("path to %s, %s (‖Δ‖ = %s)\n", to.c_str(), label(p.selection).c_str(),
              g4(p.delta_norm).c_str());
  std::printf("  %7s %10s %10s %18s %10s %10s %10s\n", "alpha", "loss", "λ_max", "tr H ± se",
              "ΔᵀHΔ", "barrier", "predicted");
  for (const PathCurvaturePoint& q : p.points)
    std::printf("  %7s %10s %10s %18s %10s %10s %10s\n", format_alpha(q.alpha).c_str(),
                format_loss(q.loss).c_str(), g4(q.lambda_max).c_str(),
                (g4(q.trace) + " ± " + g4(q.trace_se)).c_str(), g4(q.dHd).c_str(),
                format_loss_barrier(q.barrier).c_str(), format_loss_barrier(q.predicted).c_str());
  std::string half = "—";
  for (const PathCurvaturePoint& q : p.points)
    if (q.alpha == 0.5) half = format_loss_barrier(q.barrier);
  // The largest value of a curve, or "no interior barrier" when it sits at an endpoint.
  auto largest = [](double value, double alpha) {
    return has_interior_barrier(value, alpha)
               ? format_loss_barrier(value) + " at α = " + format_alpha(alpha)
               : std::string("no interior barrier");
  };
  std::printf("  b(½): measured %s, endpoint form %s; largest measured: %s; midpoint form: %s\n",
              half.c_str(), format_loss_barrier(p.endpoint_prediction).c_str(),
              largest(p.measured_max, p.measured_alpha).c_str(),
              largest(p.predicted_max, p.predicted_alpha).c_str());
}

}  // namespace

int cmd_hessian(int argc, char** argv) {
  Args a(argc, argv, 2, hessian_spec());
  if (a.positionals().size() != 1) throw InputError("expected one model file MODEL.safetensors");
  const std::string fa = a.positionals()[0];
  const std::string fb = a.has("path") ? a.str("path") : "";
  if (a.has("block") && a.flag("per-layer"))
    throw InputError("--block: give either --block or --per-layer, not both");
  const std::string split = a.str("split");
  if (split != "train" && split != "test")
    throw InputError("--split: '" + split + "' is not one of train, test");
  HessianConfig cfg;
  const int samples = static_cast<int>(a.integer("samples", 0, 1 << 30));
  cfg.top_k = static_cast<int>(a.integer("top-k", 0, 1000));
  cfg.max_iter = static_cast<int>(a.integer("max-iter", 1, 100000));
  if (cfg.top_k > cfg.max_iter) throw InputError("--top-k: larger than --max-iter");
  cfg.tol = a.number("tol");
  if (!(cfg.tol > 0 && cfg.tol < 1)) throw InputError("--tol: must lie in (0, 1)");
  cfg.trace_samples = static_cast<int>(a.integer("trace-samples", 0, 1 << 20));
  cfg.density_vectors = static_cast<int>(a.integer("density-vectors", 0, 10000));
  cfg.density_steps = static_cast<int>(a.integer("density-steps", 1, 100000));
  if (a.has("lr")) {
    cfg.lr = a.number("lr", 0);
    if (!(cfg.lr > 0)) throw InputError("--lr: must be positive");
  }
  cfg.seed = static_cast<uint64_t>(a.integer("seed", 0, 1ll << 62));
  cfg.path = !fb.empty();
  cfg.path_options.alphas = alpha_grid(static_cast<int>(a.integer("path-points", 2, 1001)));
  cfg.path_options.lanczos_iter = static_cast<int>(a.integer("path-lanczos", 0, 100000));
  cfg.path_options.eigen = cfg.path_options.lanczos_iter > 0;
  cfg.path_options.trace_samples = static_cast<int>(a.integer("path-trace-samples", 0, 1 << 20));
  cfg.path_options.trace = cfg.path_options.trace_samples > 0;
  cfg.path_options.tol = cfg.tol;
  cfg.path_options.seed = cfg.seed;
  const int chunk = static_cast<int>(a.integer("chunk", 1, 1 << 20));
  const int threads = static_cast<int>(a.integer("threads", 0, 1024));
  const bool json_out = a.flag("json"), quiet = a.flag("quiet");

  std::vector<std::string> files = {fa};
  if (!fb.empty()) files.push_back(fb);
  auto [models, data] = load_any_models_and_data(a, files);
  const Model& ma = models[0];
  const ModelArch& arch = *ma.arch;
  std::vector<ParamSelection> sels;
  if (a.has("block")) {
    sels.push_back(select_blocks(arch, a.str("block"), "--block"));
  } else {
    sels.push_back(select_all(arch));
    if (a.flag("per-layer"))
      for (ParamSelection& l : layer_selections(arch)) sels.push_back(std::move(l));
  }
  Dataset batch;
  if (arch.uses_data()) {
    const Dataset& d = split == "train" ? data.train : data.test;
    if (d.n == 0) throw InputError("--split: the " + split + " split of " + a.str("data") + " is empty");
    batch = hessian_batch(data, split, samples, cfg.seed);
  }
  auto backend = make_backend(a.str("device"), threads);
  // Built before the device line: a model without HVPs is bad input, reported alone.
  HessianOperator H(*backend, ma.arch, arch.uses_data() ? &batch : nullptr, chunk);
  ProgressPrinter progress;
  if (!quiet) progress.line("device: " + backend->description());
  auto on_progress = [&](const Progress& p) {
    if (!quiet) progress(p);
  };
  namespace fs = std::filesystem;
  HessianReport r = hessian_report(H, ma.params, fb.empty() ? nullptr : &models[1].params, sels,
                                   cfg, &interrupt_token(), on_progress);
  progress.finish();
  r.model = fs::path(fa).stem().string();
  r.batch = arch.uses_data() ? batch.name : "";
  if (!fb.empty()) r.path_to = fs::path(fb).stem().string();
  if (json_out) {
    nlohmann::json j = nlohmann::json::parse(hessian_report_to_json(r));
    ProvenanceFacts pf;
    pf.models = files;
    if (arch.uses_data()) pf.data = {{a.str("data"), data_options(a)}};
    if (cfg.path) pf.points = static_cast<int>(cfg.path_options.alphas.size());
    pf.backend = backend.get();
    j["provenance"] = provenance_json(a, pf);
    std::printf("%s\n", j.dump().c_str());
    return 0;
  }
  if (arch.uses_data())
    std::printf("%s on %s: %d samples\n", r.model.c_str(), r.batch.c_str(), r.rows);
  else
    std::printf("%s (%s: no data)\n", r.model.c_str(), r.arch.c_str());
  for (const SelectionCurvature& s : r.selections) print_selection(s);
  for (const PathCurvature& p : r.paths) print_path(p, r.path_to);
  std::printf("%lld HVPs, wall-clock %s on %s\n", r.hvps, format_seconds(r.seconds).c_str(),
              backend->description().c_str());
  return 0;
}

}  // namespace ridgeline::cli
