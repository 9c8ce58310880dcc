// The "attention" step kind: attention maps and their metrics of transformer models
// (attention/analysis.h).
#include "ridgeline/experiment/steps/attention_step.h"

#include <chrono>

#include "experiment/steps/step_kind.h"
#include "io/json_limited.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/core/format.h"
#include "ridgeline/io/fileio.h"

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

namespace ridgeline {

namespace fs = std::filesystem;

bool is_attention_folder(const std::string& dir) {
  std::error_code ec;
  return fs::is_regular_file(fs::path(dir) / "comparison.json", ec) &&
         !fs::exists(fs::path(dir) / "experiment.json", ec);
}

std::vector<std::string> parse_attention_comparison(const std::string& text,
                                                     const std::string& file) {
  const nlohmann::json doc = parse_json_limited(text, file);
  if (!doc.is_object() || !doc.contains("models") || !doc["models"].is_array() ||
      doc["models"].empty())
    throw InputError(file + ": models: expected a non-empty array");
  std::vector<std::string> names;
  for (size_t k = 0; k < doc["models"].size(); ++k) {
    const nlohmann::json& m = doc["models"][k];
    const std::string where = file + ": models[" + std::to_string(k) + "].name";
    if (!m.is_object() || !m.contains("name") || !m["name"].is_string())
      throw InputError(where + ": expected a string");
    const std::string name = m["name"].get<std::string>();
    // The name is a file stem inside the folder: never a path.
    if (name.empty() || name.size() > 200 || name[0] == '.' ||
        name.find_first_of("/\\") != std::string::npos || name.find('\0') != std::string::npos)
      throw InputError(where + ": '" + echo_input(name) + "' is not a plain file name");
    for (const std::string& seen : names)
      if (seen == name) throw InputError(where + ": '" + echo_input(name) + "' appears twice");
    names.push_back(name);
  }
  return names;
}

std::vector<std::string> parse_attention_tokens(const std::string& text, const std::string& file) {
  const nlohmann::json t = parse_json_limited(text, file);
  if (!t.is_object() || !t.contains("tokens") || !t["tokens"].is_array())
    throw InputError(file + ": tokens: expected an array of strings");
  std::vector<std::string> tokens;
  for (const auto& v : t["tokens"]) {
    if (!v.is_string()) throw InputError(file + ": tokens: expected an array of strings");
    tokens.push_back(v.get<std::string>());
  }
  return tokens;
}

AttentionStepResult read_attention_folder(const std::string& dir) {
  const fs::path root(dir);
  const std::string file = (root / "comparison.json").string();
  if (!fs::is_regular_file(root / "comparison.json"))
    throw InputError(dir + ": no comparison.json (not a folder written by `ridgeline attention`)");
  AttentionStepResult r;
  for (const std::string& name : parse_attention_comparison(read_file(file), file)) {
    r.models.push_back(name);
    r.analyses.push_back(read_attention_analysis(dir, name));
  }
  // `--text`: the tokens' text labels the one shown input (when the counts agree).
  const fs::path tokens = root / "tokens.json";
  if (fs::is_regular_file(tokens)) {
    const std::vector<std::string> text = parse_attention_tokens(read_file(tokens.string()), tokens.string());
    for (AttentionAnalysis& a : r.analyses)
      if (!a.token_labels.empty() && a.token_labels[0].size() == text.size()) a.token_labels[0] = text;
  }
  return r;
}

}  // namespace ridgeline
