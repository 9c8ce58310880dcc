// The "align" step kind and the align-method dispatcher (align_step.h).
#include "ridgeline/experiment/steps/align_step.h"

#include <cstdio>

#include "experiment/steps/step_kind.h"
#include "ridgeline/models/mlp/mlp_model.h"
#include "ridgeline/models/transformer/transformer_orthogonal.h"
#include "ridgeline/models/model_io.h"
#include "ridgeline/align/activation_matching.h"
#include "ridgeline/align/within_heads.h"
#include "ridgeline/models/transformer/transformer.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/core/format.h"
#include "ridgeline/io/fileio.h"
#include "ridgeline/io/safetensors.h"

namespace ridgeline {

namespace {

// The method's permutations, then (p.within_heads) those within heads.
AlignmentResult with_heads(const Model& a, const Model& b, const AlignParams& p, AlignmentResult r) {
  if (!p.within_heads) return r;
  if (!r.aligned.arch) r.aligned.arch = b.arch;
  const WithinHeadsResult w = align_within_heads(a, r.aligned);
  r.aligned = w.aligned;
  r.l2_after = l2_distance(a.params, r.aligned.params);
  if (p.method == "wm" || p.method == "ste")
    r.objective_after += (w.qk_after - w.qk_before) + (w.vo_after - w.vo_before);
  r.seconds += w.seconds;
  r.within_heads = static_cast<const WithinHeadsSummary&>(w);
  return r;
}

AlignmentResult align_permutations(Backend& backend, const Model& a, const Model& b,
                                   const Dataset& train, const AlignParams& p, int ste_batch,
                                   const std::function<void(const SteProgress&)>& ste_progress,
                                   const CancelToken* cancel) {
  if (p.method == "wm") {
    WeightMatchingConfig cfg;
    cfg.seed = p.seed;
    cfg.max_sweeps = p.max_sweeps;
    return weight_matching(a, b, cfg, {}, cancel);
  }
  if (p.method == "ste") {
    SteConfig cfg;
    cfg.seed = p.seed;
    cfg.max_sweeps = p.max_sweeps;
    cfg.epochs = p.epochs;
    cfg.lr = p.lr;
    if (ste_batch > 0) cfg.batch = ste_batch;
    return straight_through_estimator(backend, a, b, train, cfg, ste_progress, cancel);
  }
  if (p.method == "am" || p.method == "am-pearson") {
    ActivationMatchingConfig cfg;
    cfg.samples = p.samples;
    cfg.pearson = p.method == "am-pearson";
    return activation_matching(backend, a, b, train, cfg, cancel);
  }
  std::string list;
  for (const auto& m : step_key_choices("method")) list += (list.empty() ? "" : ", ") + m;
  throw InputError("align method '" + p.method + "' is not one of " + list);
}

}  // namespace

namespace {

// A stage's report with the function check of `after` against `before` (check_alignment
// throws when it fails): method and the check filled in.
AlignmentReport checked_stage(Backend& backend, const Model& before, const Model& after,
                              const std::string& method, const Dataset& test) {
  AlignmentResult check;
  check.method = method;
  check.aligned = after;
  check_alignment(backend, before, check, test);
  AlignmentReport r;
  r.method = method;
  r.function_max_diff = check.function_max_diff;
  r.function_max_logit = check.function_max_logit;
  r.function_passed = function_check_passes(check.function_max_diff, check.function_max_logit);
  return r;
}

}  // namespace

StreamStages align_stream_stages(Backend& backend, const Model& a, const AlignmentResult& r,
                                 const DataSplits& data, const AlignParams& p, int batch,
                                 const std::function<void(const SteProgress&)>& learn_progress,
                                 const CancelToken* cancel) {
  StreamStages s;
  s.orthogonal = orthogonal_residual_alignment(
      backend, a, r.aligned, data.train, p.samples > 0 ? std::min(p.samples, 2000) : 2000, cancel);
  const OrthogonalAlignment& o = s.orthogonal;
  AlignmentReport& orth = s.orthogonal_report;
  orth = checked_stage(backend, r.aligned, o.b, r.method + "+orth", data.test);
  orth.objective_before = o.mismatch_before;
  orth.objective_after = o.mismatch_after;
  orth.l2_before = l2_distance(o.a.params, canonical_residual_form(r.aligned).params);
  orth.l2_after = l2_distance(o.a.params, o.b.params);
  orth.seconds = o.seconds;
  if (!p.learn) return s;
  LearnedMatchingConfig cfg;
  cfg.epochs = p.epochs;
  cfg.lr = p.lr;
  cfg.seed = p.seed;
  cfg.max_sweeps = p.max_sweeps;
  if (batch > 0) cfg.batch = batch;
  s.learned = learned_orthogonal_matching(backend, o.a, o.b, data.train, cfg, learn_progress, cancel);
  const LearnedMatchingResult& l = *s.learned;
  AlignmentReport& lr = s.learned_report;
  lr = checked_stage(backend, o.b, l.aligned, orth.method + "+learned", data.test);
  lr.objective_before = l.start_loss;
  lr.objective_after = l.best_epoch < 0 ? l.start_loss : l.midpoint_losses[static_cast<size_t>(l.best_epoch)];
  lr.objective_per_sweep = l.midpoint_losses;
  lr.sweeps = cfg.epochs;
  lr.l2_before = l.l2_before;
  lr.l2_after = l.l2_after;
  lr.seconds = l.seconds;
  return s;
}

AlignmentResult align_by_method(Backend& backend, const Model& a, const Model& b, const Dataset& train,
                                const AlignParams& p, int ste_batch,
                                const std::function<void(const SteProgress&)>& ste_progress,
                                const CancelToken* cancel) {
  if (p.within_heads && !as_transformer_arch(*a.arch))
    throw InputError("within_heads: permutations within attention heads need transformers, not " +
                     a.arch->to_string());
  return with_heads(a, b, p, align_permutations(backend, a, b, train, p, ste_batch, ste_progress, cancel));
}


namespace detail {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

class AlignStep final : public PairStepKind {
 public:
  std::string type() const override { return "align"; }
  std::any parse_params(const json& j) const override {
    AlignParams p;
    p.method = j["method"];
    p.seed = j["seed"].get<uint64_t>();
    p.max_sweeps = j["max_sweeps"];
    p.samples = j["samples"];
    p.epochs = j["epochs"];
    p.lr = j["lr"];
    p.orthogonal = j.value("orthogonal", false);
    p.within_heads = j.value("within_heads", false);
    p.learn = j.value("learn", false);
    return p;
  }
  void check(const StepSpec& st, const std::string& where) const override {
    if (st.a == st.b) throw InputError(where + ": align needs two different models");
    if (st.as<AlignParams>().learn && !st.as<AlignParams>().orthogonal)
      throw InputError(where + ".learn: learned matching starts from the orthogonal map of the "
                       "residual stream; set \"orthogonal\": true as well");
  }
  void check_in_spec(const StepSpec& st, const ExperimentSpec& spec,
                     const std::string& where) const override {
    if (st.as<AlignParams>().within_heads && !as_transformer_arch(*spec.model()))
      throw InputError(where + ".within_heads: permutations within attention heads need a "
                       "transformer (the spec's model is " + spec.model()->to_string() + ")");
  }
  void write(const StepSpec& st, ordered_json& out) const override {
    const AlignParams& p = st.as<AlignParams>();
    out["a"] = st.a;
    out["b"] = st.b;
    out["method"] = p.method;
    out["seed"] = p.seed;
    out["max_sweeps"] = p.max_sweeps;
    out["samples"] = p.samples;
    out["epochs"] = p.epochs;
    out["lr"] = p.lr;
    if (p.orthogonal) out["orthogonal"] = true;
    if (p.within_heads) out["within_heads"] = true;
    if (p.learn) out["learn"] = true;
  }
  std::string default_id(const StepSpec& st) const override { return "align-" + outputs(st)[0]; }
  std::vector<std::string> outputs(const StepSpec& st) const override {
    const AlignParams& p = st.as<AlignParams>();
    const std::string aligned = st.b + "@" + p.method + (p.within_heads ? "+heads" : "");
    std::vector<std::string> out{aligned};
    if (p.orthogonal) {
      out.push_back(aligned + "+orth");
      out.push_back(st.a + "@canonical");
      if (p.learn) out.push_back(aligned + "+orth+learned");
    }
    return out;
  }
  void add_outputs(const StepSpec& st, std::vector<std::string>& available,
                   const std::string& where) const override {
    for (const std::string& out : outputs(st)) {
      // A's canonical form depends on A alone: several steps may produce the same one.
      const bool canonical = out == st.a + "@canonical";
      if (std::find(available.begin(), available.end(), out) != available.end()) {
        if (canonical) continue;
        throw InputError(where + ": model '" + out + "' is produced twice");
      }
      available.push_back(out);
    }
  }

  StepResult run(const StepSpec& st, ModelMap& models, StepContext& ctx) const override {
    const AlignParams& p = st.as<AlignParams>();
    // Weight matching uses the model's permutation spec; activation matching and STE need an
    // MLP's hidden units and say so for other kinds.
    const Model& a = models.at(st.a);
    const Model& b = models.at(st.b);
    const PermutationSpec spec = a.arch->permutation_spec();
    ctx.log("step " + st.id + ": align " + st.b + " to " + st.a + " (" + p.method + ")");
    ctx.progress(st, 0, 1, p.method);
    auto r = std::make_shared<AlignmentResult>(align_by_method(
        ctx.backend, a, b, ctx.data.train, p, 0,
        [&](const SteProgress& s) {
          ctx.progress(st, s.epoch, s.epochs, "midpoint loss " + std::to_string(s.midpoint_loss));
        },
        ctx.cancel));
    check_alignment(ctx.backend, b, *r, ctx.data.test);
    const std::string output = outputs(st)[0];
    save_model((ctx.dir / "checkpoints" / (output + ".safetensors")).string(), r->aligned,
             {{"ridgeline.aligned_to", st.a}, {"ridgeline.aligned_from", st.b},
              {"ridgeline.alignment", r->method}});
    write_file_atomic((ctx.dir / "results" / (st.id + ".json")).string(),
                      alignment_to_json(*r, spec, 2) + "\n");
    char line[256];
    std::snprintf(line, sizeof line,
                  "step %s: objective %.6g -> %.6g, L2 %.4g -> %.4g, %d sweep(s), function check "
                  "%.2g (wall-clock %s)",
                  st.id.c_str(), r->objective_before, r->objective_after, r->l2_before, r->l2_after,
                  r->sweeps, r->function_max_diff, format_seconds(r->seconds).c_str());
    ctx.log(line);
    ctx.progress(st, 1, 1, p.method);
    AlignStepResult res{make_alignment_report(*r, spec), r, {}};
    models[output] = r->aligned;
    if (p.orthogonal) {
      // The stream's orthogonal map after the permutations (transformer_orthogonal.h), then
      // with "learn" learned matching from it (learned_matching.h).
      const StreamStages stages = align_stream_stages(
          ctx.backend, a, *r, ctx.data, p, 0,
          [&](const SteProgress& s) {
            ctx.progress(st, s.epoch, s.epochs, "learned matching: midpoint loss " +
                                                    std::to_string(s.midpoint_loss));
          },
          ctx.cancel);
      const OrthogonalAlignment& o = stages.orthogonal;
      const std::vector<std::string> outs = outputs(st);
      save_model((ctx.dir / "checkpoints" / (outs[1] + ".safetensors")).string(), o.b,
                 {{"ridgeline.aligned_to", outs[2]}, {"ridgeline.aligned_from", st.b},
                  {"ridgeline.alignment", stages.orthogonal_report.method}});
      save_model((ctx.dir / "checkpoints" / (outs[2] + ".safetensors")).string(), o.a,
                 {{"ridgeline.canonical_form_of", st.a}});
      res.orthogonal = stages.orthogonal_report;
      write_file_atomic((ctx.dir / "results" / (st.id + ".orthogonal.json")).string(),
                        orthogonal_report_json(stages.orthogonal_report, outs[2], outs[1]));
      std::snprintf(line, sizeof line,
                    "step %s: orthogonal map of the residual stream: stream mismatch %.4g -> %.4g, "
                    "function check %.2g (wall-clock %s)",
                    st.id.c_str(), o.mismatch_before, o.mismatch_after,
                    stages.orthogonal_report.function_max_diff, format_seconds(o.seconds).c_str());
      ctx.log(line);
      models[outs[1]] = o.b;
      models[outs[2]] = o.a;
      if (stages.learned) {
        const LearnedMatchingResult& l = *stages.learned;
        const AlignmentReport& lr = stages.learned_report;
        save_model((ctx.dir / "checkpoints" / (outs[3] + ".safetensors")).string(), l.aligned,
                   {{"ridgeline.aligned_to", outs[2]}, {"ridgeline.aligned_from", st.b},
                    {"ridgeline.alignment", lr.method}});
        res.learned = lr;
        write_file_atomic((ctx.dir / "results" / (st.id + ".learned.json")).string(),
                          learned_report_json(lr, outs[2], outs[3], l.best_epoch,
                                              LearnedMatchingConfig{}.lambda_min,
                                              LearnedMatchingConfig{}.lambda_max));
        std::snprintf(line, sizeof line,
                      "step %s: learned matching: midpoint training loss %.4g -> %.4g (best at "
                      "epoch %d of %d; -1: the closed-form map kept), function check %.2g "
                      "(wall-clock %s)",
                      st.id.c_str(), lr.objective_before, lr.objective_after, l.best_epoch,
                      lr.sweeps, lr.function_max_diff, format_seconds(l.seconds).c_str());
        ctx.log(line);
        models[outs[3]] = l.aligned;
      }
    }
    return {st.id, type(), std::move(res), r->seconds};
  }

  std::optional<StepResult> load(const StepSpec& st, const std::filesystem::path& dir) const override {
    const auto f = dir / "results" / (st.id + ".json");
    if (!std::filesystem::exists(f)) return std::nullopt;
    AlignStepResult res{parse_alignment_report(read_file(f.string()), f.string()), nullptr, {}};
    const auto o = dir / "results" / (st.id + ".orthogonal.json");
    if (st.as<AlignParams>().orthogonal && std::filesystem::exists(o))
      res.orthogonal = parse_orthogonal_report(read_file(o.string()), o.string());
    const auto l = dir / "results" / (st.id + ".learned.json");
    if (st.as<AlignParams>().learn && std::filesystem::exists(l))
      res.learned = parse_learned_report(read_file(l.string()), l.string());
    return StepResult{st.id, type(), std::move(res)};
  }
};

}  // namespace

const StepKind& align_step_kind() {
  static const AlignStep kind;
  return kind;
}

}  // namespace detail
}  // namespace ridgeline
