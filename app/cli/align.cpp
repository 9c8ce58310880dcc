// `ridgeline align`: permute B's hidden units to match A, check the function is unchanged,
// save π(B).
#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "cli/progress.h"
#include "cli/provenance.h"
#include "ridgeline/align/alignment.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/core/format.h"
#include "ridgeline/experiment/preflight.h"
#include "ridgeline/experiment/spec.h"
#include "ridgeline/experiment/steps/align_step.h"
#include "ridgeline/io/safetensors.h"
#include "ridgeline/models/mlp/mlp_model.h"
#include "ridgeline/models/model_io.h"
#include "ridgeline/models/transformer/transformer.h"
#include "ridgeline/models/transformer/transformer_orthogonal.h"
#include "ridgeline/paths/interpolation.h"
#include "ridgeline/paths/repair.h"

namespace ridgeline::cli {

const CommandSpec& align_spec() {
  static const CommandSpec s{
      "align",
      "Permute B's hidden units to match A (the function is unchanged, and checked), and save "
      "π(B).",
      {"align A.safetensors B.safetensors --out B_to_A.safetensors [options]"},
      join({{"out", "FILE", "", "(required) where π(B) is saved (safetensors)"},
            {"method", "wm|am|am-pearson|ste", "wm",
             "weight matching, activation matching (cross-moment or Pearson correlation), or "
             "the straight-through estimator"},
            {"seed", "S", "0", "wm, ste: seed of the sweep order (ste: also the shuffle)"},
            {"max-sweeps", "N", "100", "wm, ste: most coordinate-ascent sweeps"},
            {"samples", "N", "10000",
             "am, am-pearson and --repair: first N training samples for statistics (0: all)"},
            {"epochs", "N", "10", "ste, --learn: training epochs"},
            {"lr", "X", "0.01", "ste, --learn: learning rate"},
            {"batch", "N", "1000", "ste, --learn: mini-batch size"},
            {"repair", "", "",
             "also report the midpoint (α = 0.5) test loss and error: naive, aligned, aligned + "
             "REPAIR"},
            {"orthogonal", "", "",
             "transformers (untied): after the permutations, an orthogonal map of the residual "
             "stream by Procrustes on both models' streams (LayerNorm in its exact RMS form); "
             "--out then holds that model and --out-a A's same function in the form the map "
             "needs: interpolate those two"},
            {"out-a", "FILE", "", "with --orthogonal (required there): where A's canonical form is saved",
             "none"},
            {"learn", "", "",
             "with --orthogonal: then learned matching (Theus et al. 2025): the straight-through "
             "estimator over the permutations and the stream's orthogonal map together, on the "
             "loss at (1-λ)·A + λ·T(B), λ ~ U(0.4, 0.6), from the closed-form map (--epochs, "
             "--lr, --batch, --seed); --out then holds the learned model (the closed-form one "
             "when learning did not lower the midpoint training loss)"},
            {"within-heads", "", "",
             "transformers: after the method's permutations, permute the dimensions within each "
             "head by weight matching (query/key together, value with the output projection)"},
            {"activation", "relu|gelu", "relu",
             "activation of PyTorch files without Ridgeline metadata (Ridgeline files record theirs)"}},
           {data_option_specs(), compute_option_specs(),
            {{"json", "", "",
              "print one JSON object (objectives, distances, function check, permutations, "
              "provenance) on stdout"},
             {"quiet", "", "", "no summary lines"}}}),
      {"ridgeline align A.safetensors B.safetensors --method wm --data fashion-mnist --repair "
       "--out B_to_A.safetensors",
       "ridgeline align A.safetensors B.safetensors --method ste --epochs 2 --json --out "
       "B_ste.safetensors",
       "ridgeline align vit0.safetensors vit1.safetensors --method wm --orthogonal --out "
       "vit1_orth.safetensors --out-a vit0_canonical.safetensors",
       "ridgeline align vit0.safetensors vit1.safetensors --method wm --within-heads --out "
       "vit1_heads.safetensors",
       "ridgeline align vit0.safetensors vit1.safetensors --method wm --within-heads --orthogonal "
       "--learn --epochs 5 --data fashion-mnist --train-subset 10000 --out vit1_learned.safetensors "
       "--out-a vit0_canonical.safetensors"},
      {"Every aligned model must compute its source's function: the largest |logit difference| "
       "is printed, and a failure is an error."}};
  return s;
}

namespace {

std::string format_gain(double before, double after) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "gain %.6g -> %.6g", before, after);
  return buf;
}

}  // namespace

int cmd_align(int argc, char** argv) {
  Args a(argc, argv, 2, align_spec());
  if (a.positionals().size() != 2)
    throw InputError("expected two model files A.safetensors B.safetensors");
  const std::string fa = a.positionals()[0], fb = a.positionals()[1];
  const std::string out = a.required("out");
  check_output_file(out, "--out");
  const std::string method = a.str("method");
  const std::vector<std::string> methods = step_key_choices("method");
  if (std::find(methods.begin(), methods.end(), method) == methods.end()) {
    std::string list;
    for (const auto& m : methods) list += (list.empty() ? "" : ", ") + m;
    throw InputError("--method: '" + method + "' is not one of " + list);
  }
  const int threads = static_cast<int>(a.integer("threads", 0, 1024));
  const bool json_out = a.flag("json"), quiet = a.flag("quiet");
  const bool orthogonal = a.flag("orthogonal");
  const std::string out_a = a.str("out-a");
  if (orthogonal && out_a.empty()) throw InputError("--orthogonal: name --out-a, where A's canonical form goes");
  if (!orthogonal && !out_a.empty()) throw InputError("--out-a: only with --orthogonal");
  const bool learn = a.flag("learn");
  if (learn && !orthogonal)
    throw InputError("--learn: learned matching starts from the orthogonal map; add --orthogonal");
  if (orthogonal) {
    check_output_file(out_a, "--out-a");
    if (out_a == out) throw InputError("--out-a: the same file as --out");
    if (a.flag("repair"))
      throw InputError("--repair: not with --orthogonal (the midpoint report compares A with B's "
                       "alignment; --orthogonal changes A)");
  }
  // Every option is read before any work, so a bad one is found at once.
  const int samples = static_cast<int>(a.integer("samples", 0, 1 << 30));
  AlignParams p;
  p.method = method;
  p.samples = samples;
  p.within_heads = a.flag("within-heads");
  p.orthogonal = orthogonal;
  p.learn = learn;
  // Read (and range-checked) whatever the method: a bad value is an error even where unused.
  const auto seed = static_cast<uint64_t>(a.integer("seed", 0, (1ll << 62)));
  const int max_sweeps = static_cast<int>(a.integer("max-sweeps", 1, 100000));
  const int epochs = static_cast<int>(a.integer("epochs", 1, 100000));
  const int batch = static_cast<int>(a.integer("batch", 1, 1 << 24));
  const double lr = a.number("lr");
  int ste_batch = 0;
  if (method == "wm" || method == "ste" || learn) {
    p.seed = seed;
    p.max_sweeps = max_sweeps;
  }
  if (method == "ste" || learn) {
    p.epochs = epochs;
    ste_batch = batch;
    p.lr = lr;
  }
  auto [models, data] = load_any_models_and_data(a, {fa, fb});
  const Model ma = models[0];
  const Model mb = models[1];
  if (!as_mlp_arch(*ma.arch) && !as_transformer_arch(*ma.arch))
    throw InputError(fa + ": this analysis needs an MLP or a transformer (units to permute), not " +
                     ma.arch->to_string());
  auto backend = make_backend(a.str("device"), threads);

  ProgressPrinter progress;
  AlignmentResult r = align_by_method(
      *backend, ma, mb, data.train, p, ste_batch,
      [&](const SteProgress& s) {
        if (!quiet) progress({"ste", s.epoch, s.epochs, "midpoint loss " + format_loss(s.midpoint_loss)});
      },
      &interrupt_token());
  check_alignment(*backend, mb, r, data.test);
  // --repair: the midpoint (α = ½) on the test split, naive, aligned, aligned + REPAIR.
  nlohmann::json midpoint;
  if (a.flag("repair")) {
    InterpolationConfig ic;
    ic.points = 3;
    ic.train = false;
    RepairConfig rc;
    rc.samples = samples;
    const InterpolationResult naive = interpolate(*backend, ma, mb, data, ic, {}, &interrupt_token());
    const InterpolationResult aligned = interpolate(*backend, ma, r.aligned, data, ic, {}, &interrupt_token());
    const InterpolationResult repaired =
        interpolate_repaired(*backend, ma, r.aligned, data, ic, rc, {}, &interrupt_token());
    for (const auto& [name, res] : {std::pair{"naive", &naive}, std::pair{"aligned", &aligned},
                                    std::pair{"aligned_repair", &repaired}})
      midpoint[name] = {{"test_loss", res->test->loss[1]}, {"test_error", res->test->error[1]}};
  }
  nlohmann::json orth, learned;
  if (orthogonal) {
    const StreamStages stages = align_stream_stages(
        *backend, ma, r, data, p, ste_batch,
        [&](const SteProgress& s) {
          if (!quiet)
            progress({"learned matching", s.epoch, s.epochs, "midpoint loss " + format_loss(s.midpoint_loss)});
        },
        &interrupt_token());
    const OrthogonalAlignment& o = stages.orthogonal;
    const AlignmentReport& orep = stages.orthogonal_report;
    orth = {{"out_a", out_a},
            {"stream_mismatch_before", o.mismatch_before},
            {"stream_mismatch_after", o.mismatch_after},
            {"l2_after", orep.l2_after},
            {"function_check_max_abs_logit_diff", orep.function_max_diff},
            {"seconds", o.seconds}};
    if (stages.learned) {
      const LearnedMatchingResult& l = *stages.learned;
      const AlignmentReport& lrep = stages.learned_report;
      save_model(out, l.aligned, {{"ridgeline.aligned_to", out_a}, {"ridgeline.aligned_from", fb},
                                  {"ridgeline.alignment", lrep.method}});
      learned = {{"midpoint_train_loss_before", lrep.objective_before},
                 {"midpoint_train_loss_after", lrep.objective_after},
                 {"midpoint_train_loss_per_epoch", lrep.objective_per_sweep},
                 {"best_epoch", l.best_epoch},
                 {"lambda", {LearnedMatchingConfig{}.lambda_min, LearnedMatchingConfig{}.lambda_max}},
                 {"l2_after", lrep.l2_after},
                 {"function_check_max_abs_logit_diff", lrep.function_max_diff},
                 {"seconds", l.seconds}};
    } else {
      save_model(out, o.b, {{"ridgeline.aligned_to", out_a}, {"ridgeline.aligned_from", fb},
                            {"ridgeline.alignment", orep.method}});
    }
    save_model(out_a, o.a, {{"ridgeline.canonical_form_of", fa}});
  } else {
    save_model(out, r.aligned, {{"ridgeline.aligned_to", fa}, {"ridgeline.aligned_from", fb},
                                {"ridgeline.alignment", r.method}});
  }
  if (json_out) {
    nlohmann::json j = nlohmann::json::parse(alignment_to_json(r, ma.arch->permutation_spec()));
    j["out"] = out;
    if (!midpoint.is_null()) j["midpoint"] = midpoint;
    if (!orth.is_null()) j["orthogonal"] = orth;
    if (!learned.is_null()) j["learned"] = learned;
    ProvenanceFacts pf;
    pf.models = {fa, fb};
    pf.out = out;
    pf.data = {{a.str("data"), data_options(a)}};
    pf.backend = backend.get();
    j["provenance"] = provenance_json(a, pf);
    std::printf("%s\n", j.dump().c_str());
  } else if (!quiet) {
    std::printf("method %s: %d sweep(s), wall-clock %s\n", r.method.c_str(), r.sweeps,
                format_seconds(r.seconds).c_str());
    std::printf("objective %.6g -> %.6g; L2 distance %.6g -> %.6g\n", r.objective_before,
                r.objective_after, r.l2_before, r.l2_after);
    const PermutationSpec spec = ma.arch->permutation_spec();
    for (size_t p = 0; p < r.perms.size(); ++p) {
      int moved = 0;
      for (size_t i = 0; i < r.perms[p].size(); ++i) moved += r.perms[p][i] != static_cast<int>(i);
      std::printf("  %s (%d units): gain %.6g, %d units moved\n", spec.names[p].c_str(),
                  spec.sizes[p], r.layer_gain[p], moved);
    }
    if (r.within_heads) {
      const WithinHeadsSummary& w = *r.within_heads;
      if (w.heads_moved > 0)
        std::printf("within heads: %d head(s) paired again on costs their inner permutations "
                    "leave unchanged\n",
                    w.heads_moved);
      std::printf("within heads: query/key %s; value/output gain %.6g -> %.6g, %d of %d heads "
                  "permuted\n",
                  w.qk_skipped.empty()
                      ? (format_gain(w.qk_before, w.qk_after) + ", " + std::to_string(w.qk_moved) +
                         " of " + std::to_string(w.heads) + " heads permuted").c_str()
                      : ("not permuted: " + w.qk_skipped).c_str(),
                  w.vo_before, w.vo_after, w.vo_moved, w.heads);
    }
    std::printf("function check: max |logit difference| %.3g (largest |logit| %.3g): passed\n",
                r.function_max_diff, r.function_max_logit);
    if (!midpoint.is_null())
      for (const char* name : {"naive", "aligned", "aligned_repair"})
        std::printf("midpoint %-15s test loss %s, error %s\n", name,
                    format_loss(midpoint[name]["test_loss"].get<double>()).c_str(),
                    format_error(midpoint[name]["test_error"].get<double>()).c_str());
    if (!orth.is_null())
      std::printf("orthogonal map of the residual stream: stream mismatch %.4g -> %.4g, function "
                  "check %.3g; saved A's canonical form to %s\n",
                  orth["stream_mismatch_before"].get<double>(), orth["stream_mismatch_after"].get<double>(),
                  orth["function_check_max_abs_logit_diff"].get<double>(), out_a.c_str());
    if (!learned.is_null())
      std::printf("learned matching: midpoint training loss %s -> %s (%s), function check %.3g\n",
                  format_loss(learned["midpoint_train_loss_before"].get<double>()).c_str(),
                  format_loss(learned["midpoint_train_loss_after"].get<double>()).c_str(),
                  learned["best_epoch"].get<int>() < 0
                      ? "not lowered: the closed-form map kept"
                      : ("best after epoch " + std::to_string(learned["best_epoch"].get<int>())).c_str(),
                  learned["function_check_max_abs_logit_diff"].get<double>());
    std::printf("saved %s\n", out.c_str());
  }
  return 0;
}

}  // namespace ridgeline::cli
