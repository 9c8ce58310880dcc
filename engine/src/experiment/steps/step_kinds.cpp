// The registry of step kinds (step_kind.h) and what every kind shares.
#include <stdexcept>

#include "experiment/steps/step_kind.h"
#include "ridgeline/core/errors.h"

namespace ridgeline {

std::string RunProgress::label() const {
  if (kind == StageKind::Train) return "train " + model;
  return "step " + step_id + (part.empty() ? "" : " (" + part + ")");
}

std::vector<std::pair<std::string, std::vector<EpochMetrics>>> RunSummary::training() const {
  std::vector<std::pair<std::string, std::vector<EpochMetrics>>> out;
  for (const auto& r : results)
    if (const auto* t = r.as<TrainStageResult>()) out.emplace_back(t->model, t->epochs);
  return out;
}

std::vector<std::pair<std::string, AlignmentReport>> RunSummary::alignment_reports() const {
  std::vector<std::pair<std::string, AlignmentReport>> out;
  for (const auto& r : results)
    if (const auto* a = r.as<AlignStepResult>())
      for (auto& row : a->rows(r.id)) out.push_back(std::move(row));
  return out;
}

std::vector<std::pair<std::string, AlignmentResult>> RunSummary::alignments() const {
  std::vector<std::pair<std::string, AlignmentResult>> out;
  for (const auto& r : results)
    if (const auto* a = r.as<AlignStepResult>(); a && a->full) out.emplace_back(r.id, *a->full);
  return out;
}

namespace detail {

void StepContext::progress(const StepSpec& st, long long done, long long total,
                           const std::string& message, const std::string& part) const {
  if (!events.on_progress) return;
  RunProgress p;
  p.kind = StageKind::Step;
  p.step_id = st.id;
  p.step_type = st.type;
  p.part = part;
  p.done = done;
  p.total = total;
  p.message = message;
  events.on_progress(p);
}

const std::vector<const StepKind*>& step_kinds() {
  // Ordered as the schema lists the types; every listed type must have a kind.
  static const std::vector<const StepKind*> kinds = [] {
    const StepKind* all[] = {&interpolate_step_kind(), &align_step_kind(), &merge_step_kind(),
                             &landscape_step_kind(), &curve_step_kind(), &spectra_step_kind(),
                             &layerwise_step_kind(), &hessian_step_kind(),
                             &attention_step_kind()};
    std::vector<const StepKind*> out;
    for (const auto& type : step_key_choices("type")) {
      const StepKind* found = nullptr;
      for (const StepKind* k : all)
        if (k->type() == type) found = k;
      if (!found) throw std::logic_error("step type '" + type + "' of the schema has no step kind");
      out.push_back(found);
    }
    return out;
  }();
  return kinds;
}

const StepKind* find_step_kind(const std::string& type) {
  if (type == train_step_kind().type()) return &train_step_kind();
  for (const StepKind* k : step_kinds())
    if (k->type() == type) return k;
  return nullptr;
}

const StepKind& step_kind_of(const StepSpec& st) {
  if (const StepKind* k = find_step_kind(st.type)) return *k;
  throw std::logic_error("unknown step type '" + st.type + "'");
}


void require_hvps(const ExperimentSpec& spec, const std::string& where) {
  const std::string why = spec.model()->hvp_unsupported();
  if (!why.empty()) throw InputError(where + ": " + why + " (the spec's model is " + spec.model()->to_string() + ")");
}

void PairStepKind::parse_inputs(const nlohmann::json& j, StepSpec& st,
                                const std::string& where) const {
  for (const char* key : {"a", "b"})
    if (!j.contains(key)) throw InputError(where + "." + key + ": required key is missing");
  st.a = j["a"];
  st.b = j["b"];
}

}  // namespace detail
}  // namespace ridgeline
