// `ridgeline run`: run an experiment spec into a run folder.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "cli/progress.h"
#include "cli/provenance.h"
#include "cli/study.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/core/format.h"
#include "ridgeline/experiment/run.h"

namespace ridgeline::cli {

const CommandSpec& run_spec() {
  static const CommandSpec s{
      "run",
      "Run an experiment spec (training and every analysis step) into a run folder; rerun into "
      "the same folder to resume.",
      {"run SPEC.json [options]"},
      join({{"out", "DIR", "",
             "the run folder (a finished model there is resumed, not retrained)",
             "<workspace>/runs/<name>-<timestamp>"},
            {"workspace", "DIR", "", "where runs and the run catalog live",
             "$RIDGELINE_WORKSPACE, else ~/.local/share/ridgeline"}},
           {compute_option_specs(),
            {{"json", "", "",
              "print one JSON object (run folder, status, every interpolation, provenance) on "
              "stdout"},
             {"quiet", "", "", "no log or progress lines"}}}),
      {"ridgeline run resources/experiments/fmnist-quick-rebasin.json --threads 2",
       "ridgeline run spec.json --out runs/mine --device cpu --json"}};
  return s;
}

int cmd_run(int argc, char** argv) {
  Args a(argc, argv, 2, run_spec());
  if (a.positionals().size() != 1) throw InputError("expected one experiment spec (SPEC.json)");
  RunOptions o;
  o.out_dir = a.str("out");
  o.workspace = a.str("workspace");
  if (a.has("out") && o.out_dir.empty()) throw InputError("--out: empty path");
  if (a.has("workspace") && o.workspace.empty()) throw InputError("--workspace: empty path");
  o.device = a.str("device");
  o.threads = static_cast<int>(a.integer("threads", 0, 1024));
  if (is_study_spec_file(a.positionals()[0])) return run_study_command(a, o);  // a "sweep": cli/study.cpp
  const ExperimentSpec spec = load_spec(a.positionals()[0]);
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
    ProvenanceFacts pf;
    // The run's models are its checkpoints.
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(s.run_dir + "/checkpoints", ec))
      if (e.path().extension() == ".safetensors") pf.models.push_back(e.path().string());
    std::sort(pf.models.begin(), pf.models.end());
    pf.out = s.run_dir;
    if (spec.model()->uses_data()) pf.data = {{spec.data, spec.data_options}};
    pf.device = s.device;
    j["provenance"] = provenance_json(a, pf);
    j["provenance"]["spec"] = absolute_path(a.positionals()[0]);
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("run folder: %s\n", s.run_dir.c_str());
    for (const auto& [id, r] : s.interpolations())
      for (const auto& [name, c] : {std::pair{"train", &r.train}, std::pair{"test", &r.test}})
        if (*c)
          std::printf("%s %s: %s\n", id.c_str(), name, barrier_summary((*c)->barriers).c_str());
    std::printf("%s in wall-clock %s on %s\n", s.status.c_str(), format_seconds(s.seconds).c_str(),
                s.device.c_str());
  }
  return 0;
}

}  // namespace ridgeline::cli
