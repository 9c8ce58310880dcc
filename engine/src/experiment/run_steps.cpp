// Align and interpolate steps of a run, and the run's barrier table (run_steps.h).
#include "experiment/run_steps.h"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "ridgeline/align/activation_matching.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/io/fileio.h"
#include "ridgeline/train/evaluate.h"
#include "ridgeline/align/merge.h"
#include "ridgeline/paths/repair.h"
#include "ridgeline/align/ste.h"
#include "ridgeline/io/safetensors.h"

namespace ridgeline::detail {

namespace fs = std::filesystem;
using nlohmann::json;

AlignmentResult run_align_step(const StepSpec& st, const std::map<std::string, Mlp>& models,
                               StepContext& ctx) {
  const Mlp& a = models.at(st.a);
  const Mlp& b = models.at(st.b);
  ctx.log("step " + st.id + ": align " + st.b + " to " + st.a + " (" + st.method + ")");
  if (ctx.events.on_progress) ctx.events.on_progress({"step " + st.id, 0, 1, st.method});
  AlignmentResult r;
  if (st.method == "wm") {
    WeightMatchingConfig cfg;
    cfg.seed = st.seed;
    cfg.max_sweeps = st.max_sweeps;
    r = weight_matching(a, b, cfg, {}, ctx.cancel);
  } else if (st.method == "ste") {
    SteConfig cfg;
    cfg.seed = st.seed;
    cfg.max_sweeps = st.max_sweeps;
    cfg.epochs = st.epochs;
    cfg.lr = st.lr;
    r = straight_through_estimator(
        ctx.backend, a, b, ctx.data.train, cfg,
        [&](const SteProgress& p) {
          if (ctx.events.on_progress)
            ctx.events.on_progress({"step " + st.id, p.epoch, p.epochs,
                                    "midpoint loss " + std::to_string(p.midpoint_loss)});
        },
        ctx.cancel);
  } else {
    ActivationMatchingConfig cfg;
    cfg.samples = st.samples;
    cfg.pearson = st.method == "am-pearson";
    r = activation_matching(ctx.backend, a, b, ctx.data.train, cfg, ctx.cancel);
  }
  check_alignment(ctx.backend, b, r, ctx.data.test);
  save_mlp((ctx.dir / "checkpoints" / (st.output() + ".safetensors")).string(), r.aligned,
           {{"ridgeline.aligned_to", st.a}, {"ridgeline.aligned_from", st.b},
            {"ridgeline.alignment", r.method}});
  write_file_atomic((ctx.dir / "results" / (st.id + ".json")).string(),
                    alignment_to_json(r, mlp_permutation_spec(a.arch), 2) + "\n");
  char line[256];
  std::snprintf(line, sizeof line,
                "step %s: objective %.6g -> %.6g, L2 %.4g -> %.4g, %d sweep(s), function check "
                "%.2g (%.2fs)",
                st.id.c_str(), r.objective_before, r.objective_after, r.l2_before, r.l2_after,
                r.sweeps, r.function_max_diff, r.seconds);
  ctx.log(line);
  if (ctx.events.on_progress) ctx.events.on_progress({"step " + st.id, 1, 1, st.method});
  return r;
}

Mlp run_merge_step(const StepSpec& st, const std::map<std::string, Mlp>& models, StepContext& ctx) {
  std::string names;
  std::vector<Mlp> inputs;
  for (const auto& n : st.merge_models) {
    inputs.push_back(models.at(n));
    names += (names.empty() ? "" : ", ") + n;
  }
  ctx.log("step " + st.id + ": merge " + names);
  MergeConfig cfg;
  cfg.seed = st.seed;
  cfg.max_sweeps = st.max_sweeps;
  MergeResult r = merge_many(inputs, cfg, ctx.cancel);
  json checks = json::array();
  for (size_t i = 0; i < inputs.size(); ++i) {
    AlignmentResult check;
    check.method = "merge of " + st.merge_models[i];
    check.aligned = r.aligned[i];
    check_alignment(ctx.backend, inputs[i], check, ctx.data.test);
    checks.push_back(check.function_max_diff);
  }
  const LossError e = evaluate(ctx.backend, r.merged, ctx.data.test, 2000, ctx.cancel);
  save_mlp((ctx.dir / "checkpoints" / (st.id + ".safetensors")).string(), r.merged,
           {{"ridgeline.merged_from", names}});
  json report = {{"models", st.merge_models}, {"sweeps", r.sweeps}, {"seconds", r.seconds},
                 {"distance_before", r.distance_before}, {"distance_per_sweep", r.distance_per_sweep},
                 {"function_check_max_abs_logit_diff", checks},
                 {"merged_test", {{"loss", e.loss}, {"error", e.error}}}};
  write_file_atomic((ctx.dir / "results" / (st.id + ".json")).string(), report.dump(2) + "\n");
  char line[256];
  std::snprintf(line, sizeof line, "step %s: %zu models, %d sweep(s); merged test loss %.4f, error %.4f",
                st.id.c_str(), inputs.size(), r.sweeps, e.loss, e.error);
  ctx.log(line);
  return r.merged;
}

InterpolationResult run_interpolate_step(const StepSpec& st, const std::map<std::string, Mlp>& models,
                                         StepContext& ctx) {
  ctx.log("step " + st.id + ": interpolate " + st.a + " → " + st.b + " at " +
          std::to_string(st.points) + " points" + (st.repair ? " with REPAIR" : ""));
  InterpolationConfig ic;
  ic.points = st.points;
  ic.train = st.train;
  ic.test = st.test;
  auto progress = [&](const Progress& p) {
    if (ctx.events.on_progress)
      ctx.events.on_progress({"step " + st.id + " (" + p.stage + ")", p.done, p.total, p.message});
  };
  InterpolationResult r;
  if (st.repair) {
    RepairConfig rc;
    rc.samples = st.samples;
    r = interpolate_repaired(ctx.backend, to_model(models.at(st.a)), to_model(models.at(st.b)), ctx.data, ic, rc,
                             progress, ctx.cancel);
  } else {
    r = interpolate(ctx.backend, to_model(models.at(st.a)), to_model(models.at(st.b)), ctx.data, ic, progress, ctx.cancel);
  }
  const fs::path res = ctx.dir / "results";
  write_file_atomic((res / (st.id + ".json")).string(), interpolation_to_json(r, 2) + "\n");
  const int64_t n = static_cast<int64_t>(r.alpha.size());
  write_npy((res / (st.id + ".alpha.npy")).string(), r.alpha, {n});
  for (const auto& [name, c] : {std::pair{"train", &r.train}, std::pair{"test", &r.test}})
    if (*c) {
      write_npy((res / (st.id + "." + name + "_loss.npy")).string(), (*c)->loss, {n});
      write_npy((res / (st.id + "." + name + "_error.npy")).string(), (*c)->error, {n});
    }
  const SplitCurve& c = r.test ? *r.test : *r.train;
  char line[256];
  std::snprintf(line, sizeof line,
                "step %s: %s loss barrier %.4f (linear) %.4f (mean-endpoint), error barrier %.4f "
                "(linear) (%.2fs)",
                st.id.c_str(), r.test ? "test" : "train", c.barriers.loss_lin, c.barriers.loss_mid,
                c.barriers.error_lin, r.seconds);
  ctx.log(line);
  return r;
}

void write_barrier_table(const fs::path& results_dir, const ExperimentSpec& spec,
                         const RunSummary& summary) {
  json rows = json::array();
  std::ostringstream csv;
  csv << "step,a,b,repair,split,loss_lin,loss_mid,error_lin,error_mid,loss_a,loss_mid_alpha,loss_b,"
         "error_a,error_mid_alpha,error_b\n";
  for (const auto& [id, r] : summary.interpolations) {
    const StepSpec* st = nullptr;
    for (const auto& s : spec.steps)
      if (s.id == id) st = &s;
    if (!st) continue;
    for (const auto& [name, c] : {std::pair{"test", &r.test}, std::pair{"train", &r.train}}) {
      if (!*c) continue;
      const SplitCurve& k = **c;
      const size_t mid = k.loss.size() / 2;  // α = ½ for an odd number of points
      rows.push_back({{"step", id}, {"a", st->a}, {"b", st->b}, {"repair", st->repair},
                      {"split", name}, {"loss_lin", k.barriers.loss_lin},
                      {"loss_mid", k.barriers.loss_mid}, {"error_lin", k.barriers.error_lin},
                      {"error_mid", k.barriers.error_mid}, {"alpha_mid", r.alpha[mid]},
                      {"loss", {k.loss.front(), k.loss[mid], k.loss.back()}},
                      {"error", {k.error.front(), k.error[mid], k.error.back()}}});
      char buf[512];
      std::snprintf(buf, sizeof buf, "%s,%s,%s,%d,%s,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g\n",
                    id.c_str(), st->a.c_str(), st->b.c_str(), st->repair ? 1 : 0, name,
                    k.barriers.loss_lin, k.barriers.loss_mid, k.barriers.error_lin,
                    k.barriers.error_mid, k.loss.front(), k.loss[mid], k.loss.back(),
                    k.error.front(), k.error[mid], k.error.back());
      csv << buf;
    }
  }
  write_file_atomic((results_dir / "barriers.json").string(), rows.dump(2) + "\n");
  write_file_atomic((results_dir / "barriers.csv").string(), csv.str());
}

}  // namespace ridgeline::detail
