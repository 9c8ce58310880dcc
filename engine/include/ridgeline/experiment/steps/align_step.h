#pragma once
/// @file align_step.h
/// The "align" step kind and the one dispatcher over the alignment methods (wm, am,
/// am-pearson, ste) that both `ridgeline align` and a run's align step call.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ridgeline/align/alignment.h"
#include "ridgeline/align/alignment_report.h"
#include "ridgeline/align/learned_matching.h"
#include "ridgeline/align/ste.h"
#include "ridgeline/models/transformer/transformer_orthogonal.h"

namespace ridgeline {

struct AlignParams {
  std::string method = "wm";  ///< one of step_key_choices("method")
  uint64_t seed = 0;          ///< wm, ste: sweep order (ste: also the shuffle)
  int max_sweeps = 100;       ///< wm, ste
  int samples = 10000;        ///< am, am-pearson: activation statistics rows; 0 = all
  int epochs = 10;            ///< ste, learn
  double lr = 0.01;           ///< ste, learn
  bool orthogonal = false;    ///< transformers: then an orthogonal map of the residual stream
  bool learn = false;         ///< with orthogonal: then learned matching (learned_matching.h)
  bool within_heads = false;  ///< transformers: then permutations within heads (within_heads.h)
};

/// What an align step reports: the report (also loaded back from results/<id>.json) and, in
/// a live run only, the full result with the aligned model.
struct AlignStepResult {
  AlignmentReport report;
  std::shared_ptr<const AlignmentResult> full;
  /// With "orthogonal": the residual stream's orthogonal map after the permutations as a
  /// report of its own (also loaded back from results/<id>.orthogonal.json): method
  /// "<method>+orth", objective before/after = the stream mismatch before/after the rotation,
  /// L2 = between the canonical forms of A and π(B) before and after it, the function check;
  /// no per-layer rows.
  std::optional<AlignmentReport> orthogonal;
  /// With "learn": learned matching after the orthogonal map (also loaded back from
  /// results/<id>.learned.json; learned_report_json says what its fields hold).
  std::optional<AlignmentReport> learned;

  /// The rows a view shows for step `id`: the report, then "<id>+orth" and "<id>+learned"
  /// when there are.
  std::vector<std::pair<std::string, AlignmentReport>> rows(const std::string& id) const {
    std::vector<std::pair<std::string, AlignmentReport>> out{{id, report}};
    if (orthogonal) out.emplace_back(id + "+orth", *orthogonal);
    if (learned) out.emplace_back(id + "+learned", *learned);
    return out;
  }
};

/// The stages after a transformer's permutations (align_stream_stages).
struct StreamStages {
  OrthogonalAlignment orthogonal;   ///< A's canonical form, B's rotated by Procrustes
  AlignmentReport orthogonal_report;
  std::optional<LearnedMatchingResult> learned;
  AlignmentReport learned_report;   ///< set with `learned`
};

/// p.orthogonal: the orthogonal map of the residual stream by Procrustes on the streams of A
/// and the permuted B (`aligned`: align_by_method's result, the function check run), over up
/// to min(p.samples, 2000) training rows; p.learn: then learned matching from that map
/// (epochs, lr, seed, max_sweeps from p; `batch` > 0 overrides its mini-batch), reporting
/// progress per epoch. Each stage gets the function check on `data.test`. Throws InputError
/// for models that are not untied transformers, Cancelled, RunError.
StreamStages align_stream_stages(Backend& backend, const Model& a, const AlignmentResult& aligned,
                                 const DataSplits& data, const AlignParams& p, int batch = 0,
                                 const std::function<void(const SteProgress&)>& learn_progress = {},
                                 const CancelToken* cancel = nullptr);

/// Aligns b to a by `p.method` (weight matching, activation matching by cross-moment or
/// Pearson correlation, or the straight-through estimator); `ste_batch` > 0 overrides the STE
/// mini-batch. With p.within_heads (transformers), then permutes the dimensions within each
/// head by weight matching (align_within_heads) and records it in the result's within_heads.
/// Does not run check_alignment. Throws InputError for an unknown method, or within_heads on
/// a model that is not a transformer.
AlignmentResult align_by_method(Backend& backend, const Model& a, const Model& b, const Dataset& train,
                                const AlignParams& p, int ste_batch = 0,
                                const std::function<void(const SteProgress&)>& ste_progress = {},
                                const CancelToken* cancel = nullptr);

}  // namespace ridgeline
