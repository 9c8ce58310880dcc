// The "spectra" step kind: singular-value spectra of every weight matrix of the step's models
// and their singular-vector alignment to `aligned_to` (spectra/spectra.h).
#include "ridgeline/experiment/steps/spectra_step.h"

#include <chrono>
#include <cmath>

#include "experiment/steps/step_kind.h"
#include "ridgeline/align/alignment.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/core/format.h"
#include "ridgeline/models/model_io.h"

namespace ridgeline::detail {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using nlohmann::ordered_json;

class SpectraStep final : public StepKind {
 public:
  std::string type() const override { return "spectra"; }

  std::any parse_params(const json& j) const override {
    SpectraParams p;
    if (j.contains("aligned_to")) p.aligned_to = j["aligned_to"];
    p.top_k = j["top_k"];
    p.gammas = j["gammas"].get<std::vector<double>>();
    p.over_training = j["over_training"];
    p.over_training_align = j["over_training_align"];
    return p;
  }
  void parse_inputs(const json& j, StepSpec& st, const std::string& where) const override {
    if (!j.contains("models")) throw InputError(where + ".models: required key is missing");
    for (const auto& m : j["models"]) st.models.push_back(m);
    st.params = parse_params(j);
  }
  std::vector<std::pair<std::string, std::string>> inputs(const StepSpec& st) const override {
    std::vector<std::pair<std::string, std::string>> out;
    for (size_t k = 0; k < st.models.size(); ++k)
      out.emplace_back("models[" + std::to_string(k) + "]", st.models[k]);
    const SpectraParams& p = st.as<SpectraParams>();
    if (!p.aligned_to.empty()) out.emplace_back("aligned_to", p.aligned_to);
    return out;
  }
  void check(const StepSpec& st, const std::string& where) const override {
    for (size_t i = 0; i < st.models.size(); ++i)
      for (size_t k = i + 1; k < st.models.size(); ++k)
        if (st.models[i] == st.models[k])
          throw InputError(where + ".models: '" + st.models[i] + "' is listed twice");
  }
  void check_in_spec(const StepSpec& st, const ExperimentSpec& spec,
                     const std::string& where) const override {
    const SpectraParams& p = st.as<SpectraParams>();
    if (!p.over_training) return;
    if (spec.train.checkpoint_every <= 0)
      throw InputError(where + ".over_training: needs saved epochs (train.checkpoint_every is " +
                       std::to_string(spec.train.checkpoint_every) + ")");
    if (trained_models(st, spec).empty())
      throw InputError(where + ".over_training: none of 'models' is a model trained by this run");
    if (!p.aligned_to.empty() && !trained(p.aligned_to, spec))
      throw InputError(where + ".over_training: aligned_to '" + p.aligned_to +
                       "' is not a model trained by this run, so it has no checkpoints");
  }
  void write(const StepSpec& st, ordered_json& out) const override {
    const SpectraParams& p = st.as<SpectraParams>();
    out["models"] = st.models;
    if (!p.aligned_to.empty()) out["aligned_to"] = p.aligned_to;
    out["top_k"] = p.top_k;
    out["gammas"] = p.gammas;
    out["over_training"] = p.over_training;
    out["over_training_align"] = p.over_training_align;
  }
  std::string default_id(const StepSpec& st) const override {
    const SpectraParams& p = st.as<SpectraParams>();
    return p.aligned_to.empty() ? "spectra" : "spectra-" + p.aligned_to;
  }

  StepResult run(const StepSpec& st, ModelMap& models, StepContext& ctx) const override {
    const SpectraParams& p = st.as<SpectraParams>();
    const auto t0 = std::chrono::steady_clock::now();
    SpectraResult r;
    r.aligned_to = p.aligned_to;
    r.top_k = p.top_k;
    const long long total = static_cast<long long>(st.models.size()) * (p.aligned_to.empty() ? 1 : 2);
    long long done = 0;
    for (const auto& name : st.models) {
      if (ctx.cancel) ctx.cancel->check();
      ctx.progress(st, done++, total, "spectra of " + name, "spectra");
      r.models.push_back(model_spectra(models.at(name), name));
    }
    if (!p.aligned_to.empty()) {
      const Model& a = models.at(p.aligned_to);
      for (const auto& name : st.models) {
        if (name == p.aligned_to) continue;
        if (ctx.cancel) ctx.cancel->check();
        ctx.progress(st, done++, total, name + " against " + p.aligned_to, "alignment");
        r.alignments.push_back(
            spectra_alignment(a, p.aligned_to, models.at(name), name, p.top_k, p.gammas));
      }
    }
    if (p.over_training) run_over_training(st, p, models, ctx, r);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    write_spectra(r, (ctx.dir / "results").string(), st.id);
    for (const auto& al : r.alignments) {
      const double r03 = r_at(al, 0.3), r0 = r_at(al, 0.0);
      ctx.log("step " + st.id + ": " + al.b + " against " + al.a + ": R(γ=0) " +
              format_alignment_score(r0) + ", R(γ=0.3) " +
              format_alignment_score(r03));
    }
    ctx.log("step " + st.id + ": spectra of " + std::to_string(r.models.size()) +
            " model(s) (wall-clock " + format_seconds(r.seconds) + ")");
    const double seconds = r.seconds;
    return {st.id, type(), std::move(r), seconds};
  }

  std::optional<StepResult> load(const StepSpec& st, const fs::path& dir) const override {
    const auto f = dir / "results" / (st.id + ".json");
    if (!fs::exists(f)) return std::nullopt;
    return StepResult{st.id, type(), load_spectra(f.string())};
  }
  // No catalog rows: the catalog's rows are barriers, and R is not one.

 private:
  static bool trained(const std::string& name, const ExperimentSpec& spec) {
    const ModelSpec* m = spec.find_model(name);
    return m && !m->external();
  }
  static std::vector<std::string> trained_models(const StepSpec& st, const ExperimentSpec& spec) {
    std::vector<std::string> out;
    for (const auto& n : st.models)
      if (trained(n, spec)) out.push_back(n);
    return out;
  }
  // The saved epochs: every multiple of checkpoint_every, and the last.
  static std::vector<int> saved_epochs(const TrainConfig& t) {
    std::vector<int> out;
    for (int e = 1; e <= t.epochs; ++e)
      if (e == t.epochs || (t.checkpoint_every > 0 && e % t.checkpoint_every == 0)) out.push_back(e);
    return out;
  }

  static void run_over_training(const StepSpec& st, const SpectraParams& p, ModelMap& models,
                                StepContext& ctx, SpectraResult& r) {
    const ExperimentSpec& spec = ctx.spec;
    std::vector<std::string> names = trained_models(st, spec);
    const bool align = !p.aligned_to.empty();
    if (align && std::find(names.begin(), names.end(), p.aligned_to) == names.end())
      names.insert(names.begin(), p.aligned_to);
    const std::vector<int> epochs = saved_epochs(spec.train);
    r.over_training_align = p.over_training_align;
    auto checkpoint = [&](const std::string& name, int epoch) -> Model {
      const CheckpointRef ref{name, false, epoch};
      if (epoch == spec.train.epochs && models.count(name)) return models.at(name);
      if (models.count(ref.name())) return models.at(ref.name());
      const fs::path file = ctx.dir / "checkpoints" / checkpoint_file_name(spec, ref);
      if (!fs::exists(file))
        throw RunError("step " + st.id + ": over_training: checkpoint " + file.string() +
                       " is missing (was the run trained with this train.checkpoint_every?)");
      return load_model(file.string(), std::nullopt, ctx.cancel);
    };
    const long long total = static_cast<long long>(epochs.size());
    long long done = 0;
    for (int e : epochs) {
      if (ctx.cancel) ctx.cancel->check();
      ctx.progress(st, done++, total, "over training: epoch " + std::to_string(e), "over training");
      SpectraCheckpoint c;
      c.epoch = e;
      std::map<std::string, Model> at;
      for (const auto& n : names) {
        at.emplace(n, checkpoint(n, e));
        c.models.push_back(model_spectra(at.at(n), CheckpointRef{n, false, e}.name()));
      }
      if (align) {
        const Model& a = at.at(p.aligned_to);
        const std::string a_name = CheckpointRef{p.aligned_to, false, e}.name();
        for (const auto& n : names) {
          if (n == p.aligned_to) continue;
          const std::string b_name = CheckpointRef{n, false, e}.name();
          c.alignments.push_back(spectra_alignment(a, a_name, at.at(n), b_name, p.top_k, p.gammas));
          if (p.over_training_align == "wm") {
            const AlignmentResult wm = weight_matching(a, at.at(n), {}, {}, ctx.cancel);
            c.alignments.push_back(
                spectra_alignment(a, a_name, wm.aligned, b_name + "@wm", p.top_k, p.gammas));
          }
        }
      }
      for (const auto& al : c.alignments)
        ctx.log("step " + st.id + ": epoch " + std::to_string(e) + ": " + al.b + " against " +
                al.a + ": R(γ=0.3) " + format_alignment_score(r_at(al, 0.3)));
      r.over_training.push_back(std::move(c));
    }
  }
};

}  // namespace

const StepKind& spectra_step_kind() {
  static const SpectraStep kind;
  return kind;
}

}  // namespace ridgeline::detail
