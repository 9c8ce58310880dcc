// JSON report of an alignment (alignment.h).
#include <nlohmann/json.hpp>

#include "ridgeline/align/alignment.h"

namespace ridgeline {

std::string alignment_to_json(const AlignmentResult& r, const PermutationSpec& spec, int indent) {
  nlohmann::json j = {{"method", r.method},
                      {"objective_before", r.objective_before},
                      {"objective_after", r.objective_after},
                      {"objective_per_sweep", r.objective_per_sweep},
                      {"l2_before", r.l2_before},
                      {"l2_after", r.l2_after},
                      {"sweeps", r.sweeps},
                      {"seconds", r.seconds},
                      {"function_check", {{"max_abs_logit_diff", r.function_max_diff},
                                          {"max_abs_logit", r.function_max_logit},
                                          {"passed", function_check_passes(r.function_max_diff,
                                                                           r.function_max_logit)}}},
                      {"layers", nlohmann::json::array()}};
  for (size_t p = 0; p < r.perms.size() && p < spec.names.size(); ++p)
    j["layers"].push_back({{"name", spec.names[p]},
                           {"size", spec.sizes[p]},
                           {"gain", p < r.layer_gain.size() ? nlohmann::json(r.layer_gain[p])
                                                     : nlohmann::json(nullptr)},  // unknown
                           {"permutation", r.perms[p]}});
  if (r.within_heads) {
    const WithinHeadsSummary& w = *r.within_heads;
    j["within_heads"] = {{"heads", w.heads},
                         {"heads_moved", w.heads_moved},
                         {"head_perms", w.head_perms},
                         {"qk_moved", w.qk_moved},
                         {"vo_moved", w.vo_moved},
                         {"qk_gain_before", w.qk_before},
                         {"qk_gain_after", w.qk_after},
                         {"vo_gain_before", w.vo_before},
                         {"vo_gain_after", w.vo_after},
                         {"qk_skipped", w.qk_skipped},
                         {"qk", w.qk},
                         {"vo", w.vo}};
  }
  return j.dump(indent);
}

}  // namespace ridgeline
