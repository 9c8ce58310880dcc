// Permuted copies from a run's align steps (spectra_copies.h).
#include "figures/spectra_copies.h"

#include "ridgeline/experiment/steps/align_step.h"

namespace ridgeline::figures {

namespace {
std::string method_name(const std::string& m) {
  if (m == "wm") return "weight matching";
  if (m == "am") return "activation matching";
  if (m == "am-pearson") return "activation matching (Pearson)";
  if (m == "ste") return "straight-through estimator";
  return m;
}
}  // namespace

std::vector<widgets::PermutedCopy> permuted_copies(const ExperimentSpec* spec) {
  std::vector<widgets::PermutedCopy> out;
  if (!spec) return out;
  for (const StepSpec& st : spec->steps) {
    if (st.type != "align") continue;
    std::string how;
    if (const auto* p = std::any_cast<AlignParams>(&st.params)) how = method_name(p->method);
    for (const std::string& m : step_outputs(st)) out.push_back({m, st.b, how});
  }
  return out;
}

}  // namespace ridgeline::figures
