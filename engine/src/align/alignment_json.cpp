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
  return j.dump(indent);
}

}  // namespace ridgeline
