// `ridgeline run`: run an experiment spec into a run folder.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "cli/progress.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/experiment/run.h"

namespace ridgeline::cli {

int cmd_run(int argc, char** argv) {
  Args a(argc, argv, 2, {"out", "workspace", "device", "threads"}, {"json", "quiet"}, "run");
  if (a.positionals().size() != 1)
    throw InputError("run: expected one experiment spec (SPEC.json)");
  RunOptions o;
  o.out_dir = a.str("out");
  o.workspace = a.str("workspace");
  if (a.has("out") && o.out_dir.empty()) throw InputError("--out: empty path");
  if (a.has("workspace") && o.workspace.empty()) throw InputError("--workspace: empty path");
  const ExperimentSpec spec = load_spec(a.positionals()[0]);
  o.device = a.str("device", "auto");
  o.threads = static_cast<int>(a.integer("threads", 0, 0, 1024));
  const bool json_out = a.flag("json"), quiet = a.flag("quiet");
  ProgressPrinter progress;
  RunEvents ev;
  if (!quiet) {
    ev.on_log = [&](const std::string& l) { progress.line(l); };
    ev.on_progress = [&](const RunProgress& p) { progress(p.plain()); };
  }
  RunSummary s = run_experiment(spec, o, ev, &interrupt_token());
  progress.finish();
  if (json_out) {
    nlohmann::json j = {{"run_dir", s.run_dir}, {"status", s.status}, {"device", s.device},
                        {"seconds", s.seconds}, {"steps", nlohmann::json::object()}};
    for (const auto& [id, r] : s.interpolations())
      j["steps"][id] = nlohmann::json::parse(interpolation_to_json(r));
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("run folder: %s\n", s.run_dir.c_str());
    for (const auto& [id, r] : s.interpolations())
      for (const auto& [name, c] : {std::pair{"train", &r.train}, std::pair{"test", &r.test}})
        if (*c)
          std::printf("%s %s: %s\n", id.c_str(), name, barrier_summary((*c)->barriers).c_str());
  }
  return 0;
}

}  // namespace ridgeline::cli
