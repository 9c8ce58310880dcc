// The "interpolate" step kind: the linear path between two models (plain or REPAIRed), its
// results files, the run's barrier table and the catalog's headline barriers.
#include "ridgeline/experiment/steps/interpolate_step.h"

#include <cstdio>
#include <sstream>

#include "experiment/steps/step_kind.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/core/format.h"
#include "ridgeline/io/fileio.h"
#include "ridgeline/paths/repair.h"

namespace ridgeline::detail {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using nlohmann::ordered_json;

class InterpolateStep final : public PairStepKind {
 public:
  std::string type() const override { return "interpolate"; }
  std::any parse_params(const json& j) const override {
    InterpolateParams p;
    p.points = j["points"];
    const std::string split = j["split"];
    p.train = split != "test";
    p.test = split != "train";
    p.repair = j["repair"];
    p.samples = j["samples"];
    return p;
  }
  void write(const StepSpec& st, ordered_json& out) const override {
    const InterpolateParams& p = st.as<InterpolateParams>();
    out["a"] = st.a;
    out["b"] = st.b;
    out["points"] = p.points;
    out["split"] = p.train && p.test ? "both" : p.train ? "train" : "test";
    out["repair"] = p.repair;
    out["samples"] = p.samples;
  }
  std::string default_id(const StepSpec& st) const override {
    return type() + "-" + st.a + "-" + st.b;
  }
  void check_in_spec(const StepSpec& st, const ExperimentSpec& spec,
                     const std::string& where) const override {
    if (!st.as<InterpolateParams>().repair) return;
    const std::string why = repair_unsupported(*spec.model());
    if (!why.empty()) throw InputError(where + ".repair: " + why);
  }

  StepResult run(const StepSpec& st, ModelMap& models, StepContext& ctx) const override {
    const InterpolateParams& p = st.as<InterpolateParams>();
    ctx.log("step " + st.id + ": interpolate " + st.a + " → " + st.b + " at " +
            std::to_string(p.points) + " points" + (p.repair ? " with REPAIR" : ""));
    InterpolationConfig ic;
    ic.points = p.points;
    ic.train = p.train;
    ic.test = p.test;
    auto progress = [&](const Progress& q) { ctx.progress(st, q.done, q.total, q.message, q.stage); };
    InterpolationResult r;
    if (p.repair) {
      RepairConfig rc;
      rc.samples = p.samples;
      r = interpolate_repaired(ctx.backend, models.at(st.a), models.at(st.b), ctx.data, ic, rc,
                               progress, ctx.cancel);
    } else {
      r = interpolate(ctx.backend, models.at(st.a), models.at(st.b), ctx.data, ic, progress, ctx.cancel);
    }
    const fs::path res = ctx.dir / "results";
    write_file_atomic((res / (st.id + ".json")).string(), interpolation_to_json(r, 2) + "\n");
    const int64_t n = static_cast<int64_t>(r.alpha.size());
    write_npy((res / (st.id + ".alpha.npy")).string(), r.alpha, {n});
    for (const auto& [name, c] : {std::pair{"train", &r.train}, std::pair{"test", &r.test}})
      if (*c) {
        write_npy((res / (st.id + "." + name + "_loss.npy")).string(), (*c)->loss, {n});
        write_npy((res / (st.id + "." + name + "_error.npy")).string(), (*c)->error, {n});
      }
    const SplitCurve& c = r.test ? *r.test : *r.train;
    ctx.log("step " + st.id + ": " + (r.test ? "test " : "train ") + barrier_summary(c.barriers) +
            " (wall-clock " + format_seconds(r.seconds) + ")");
    auto table = ctx.summary.interpolations();
    table.emplace_back(st.id, r);
    write_barrier_table(res, ctx.spec, table);
    const double seconds = r.seconds;
    return {st.id, type(), std::move(r), seconds};
  }

  std::optional<StepResult> load(const StepSpec& st, const fs::path& dir) const override {
    const auto f = dir / "results" / (st.id + ".json");
    if (!fs::exists(f)) return std::nullopt;
    return StepResult{st.id, type(), interpolation_from_json(read_file(f.string()), f.string())};
  }

  void catalog_rows(const StepResult& r, std::vector<RunBarrier>& rows) const override {
    const auto* res = r.as<InterpolationResult>();
    if (!res) return;
    for (const auto& [split, curve] : {std::pair{"test", &res->test}, std::pair{"train", &res->train}})
      if (*curve) rows.push_back({r.id, split, (*curve)->barriers.loss_mid, (*curve)->barriers.error_mid});
  }
};

}  // namespace

const StepKind& interpolate_step_kind() {
  static const InterpolateStep kind;
  return kind;
}

void write_barrier_table(const fs::path& results_dir, const ExperimentSpec& spec,
                         const std::vector<std::pair<std::string, InterpolationResult>>& interpolations) {
  json rows = json::array();
  std::ostringstream csv;
  // loss_alpha/error_alpha: where the linear-form barrier occurs (an endpoint: no interior
  // barrier); loss_at_half/error_at_half: the values at the grid point nearest α = ½.
  csv << "step,a,b,repair,split,loss_lin,loss_mid,error_lin,error_mid,loss_alpha,error_alpha,"
         "loss_a,loss_at_half,loss_b,error_a,error_at_half,error_b\n";
  for (const auto& [id, r] : interpolations) {
    const StepSpec* st = nullptr;
    for (const auto& s : spec.steps)
      if (s.id == id) st = &s;
    if (!st) continue;
    const bool repair = st->as<InterpolateParams>().repair;
    for (const auto& [name, c] : {std::pair{"test", &r.test}, std::pair{"train", &r.train}}) {
      if (!*c) continue;
      const SplitCurve& k = **c;
      const size_t mid = k.loss.size() / 2;  // α = ½ for an odd number of points
      rows.push_back({{"step", id}, {"a", st->a}, {"b", st->b}, {"repair", repair},
                      {"split", name}, {"loss_lin", k.barriers.loss_lin},
                      {"loss_mid", k.barriers.loss_mid}, {"error_lin", k.barriers.error_lin},
                      {"error_mid", k.barriers.error_mid}, {"loss_alpha", k.barriers.loss_alpha},
                      {"error_alpha", k.barriers.error_alpha}, {"alpha_mid", r.alpha[mid]},
                      {"loss", {k.loss.front(), k.loss[mid], k.loss.back()}},
                      {"error", {k.error.front(), k.error[mid], k.error.back()}}});
      char buf[2048];
      std::snprintf(buf, sizeof buf,
                    "%s,%s,%s,%d,%s,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g\n",
                    id.c_str(), st->a.c_str(), st->b.c_str(), repair ? 1 : 0, name,
                    k.barriers.loss_lin, k.barriers.loss_mid, k.barriers.error_lin,
                    k.barriers.error_mid, k.barriers.loss_alpha, k.barriers.error_alpha,
                    k.loss.front(), k.loss[mid], k.loss.back(),
                    k.error.front(), k.error[mid], k.error.back());
      csv << buf;
    }
  }
  write_file_atomic((results_dir / "barriers.json").string(), rows.dump(2) + "\n");
  write_file_atomic((results_dir / "barriers.csv").string(), csv.str());
}

}  // namespace ridgeline::detail
