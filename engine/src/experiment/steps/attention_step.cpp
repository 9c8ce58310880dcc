// The "attention" step kind: attention maps and their metrics of transformer models
// (attention/analysis.h).
#include "ridgeline/experiment/steps/attention_step.h"

#include <chrono>

#include "experiment/steps/step_kind.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/core/format.h"

namespace ridgeline::detail {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using nlohmann::ordered_json;

class AttentionStep final : public StepKind {
 public:
  std::string type() const override { return "attention"; }

  std::any parse_params(const json& j) const override {
    AttentionStepParams p;
    p.examples = j["examples"];
    p.show = j["show"];
    return p;
  }
  void parse_inputs(const json& j, StepSpec& st, const std::string& where) const override {
    if (!j.contains("models")) throw InputError(where + ".models: required key is missing");
    for (const auto& m : j["models"]) st.models.push_back(m);
  }
  std::vector<std::pair<std::string, std::string>> inputs(const StepSpec& st) const override {
    std::vector<std::pair<std::string, std::string>> out;
    for (size_t k = 0; k < st.models.size(); ++k)
      out.emplace_back("models[" + std::to_string(k) + "]", st.models[k]);
    return out;
  }
  void check(const StepSpec& st, const std::string& where) const override {
    for (size_t i = 0; i < st.models.size(); ++i)
      for (size_t k = i + 1; k < st.models.size(); ++k)
        if (st.models[i] == st.models[k])
          throw InputError(where + ".models: '" + st.models[i] + "' is listed twice");
  }
  void check_in_spec(const StepSpec&, const ExperimentSpec& spec,
                     const std::string& where) const override {
    if (spec.model()->kind() != "transformer")
      throw InputError(where + ": attention maps need a transformer model (the spec's model is " +
                       spec.model()->to_string() + ")");
  }
  void write(const StepSpec& st, ordered_json& out) const override {
    const AttentionStepParams& p = st.as<AttentionStepParams>();
    out["models"] = st.models;
    out["examples"] = p.examples;
    out["show"] = p.show;
  }
  std::string default_id(const StepSpec&) const override { return "attention"; }

  StepResult run(const StepSpec& st, ModelMap& models, StepContext& ctx) const override {
    const AttentionStepParams& p = st.as<AttentionStepParams>();
    const auto t0 = std::chrono::steady_clock::now();
    AttentionStepResult r;
    AttentionAnalysisOptions o;
    o.examples = p.examples;
    o.show = p.show;
    const long long n = static_cast<long long>(st.models.size());
    for (long long i = 0; i < n; ++i) {
      const std::string& name = st.models[i];
      AttentionAnalysis a = analyse_attention(
          models.at(name), ctx.data.test, o,
          [&](const Progress& q) {
            ctx.progress(st, i * 100 + (q.total > 0 ? 100 * q.done / q.total : 0), n * 100,
                         name + ": " + q.message, q.stage);
          },
          ctx.cancel);
      write_attention_analysis(a, (ctx.dir / "results").string(), st.id + "." + name);
      ctx.log("step " + st.id + ": " + name + " (" + a.variant + "): test accuracy " +
              format_error(a.accuracy) + ", mean row entropy " + format_loss(a.overall.entropy) +
              ", effective rank " + format_loss(a.overall.effective_rank) +
              (std::isfinite(a.overall.kl) ? ", KL to softmax " + format_loss(a.overall.kl)
                                           : std::string()));
      r.models.push_back(name);
      r.analyses.push_back(std::move(a));
    }
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double seconds = r.seconds;
    return {st.id, type(), std::move(r), seconds};
  }

  std::optional<StepResult> load(const StepSpec& st, const fs::path& dir) const override {
    AttentionStepResult r;
    for (const std::string& name : st.models) {
      if (!fs::exists(dir / "results" / (st.id + "." + name + ".json"))) return std::nullopt;
      r.models.push_back(name);
      r.analyses.push_back(read_attention_analysis((dir / "results").string(), st.id + "." + name));
    }
    return StepResult{st.id, type(), std::move(r)};
  }
};

}  // namespace

const StepKind& attention_step_kind() {
  static const AttentionStep kind;
  return kind;
}

}  // namespace ridgeline::detail
