// Studies on the command line: `ridgeline run STUDY_SPEC.json` (via run_study_command) and
// `ridgeline study STUDY_DIR [--json]` (docs/USER_GUIDE.md, "Studies").
#include "cli/study.h"

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "cli/progress.h"
#include "cli/provenance.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/core/format.h"
#include "ridgeline/experiment/study.h"
#include "ridgeline/io/fileio.h"

namespace ridgeline::cli {

namespace {

using nlohmann::json;

// Display width of UTF-8 text (code points; "±" is one).
size_t text_width(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string mean_std(const BarrierStats& s, bool error) {
  const std::string mean = error ? format_error_barrier(s.mean) : format_loss_barrier(s.mean);
  if (!std::isfinite(s.std)) return mean;
  return mean + " ± " + (error ? format_error(s.std) : format_loss(s.std));
}

// The study table: per group and path kind, the barriers on the test split (train when a path
// has no test curve), mean ± sample standard deviation over the group's seed pairs.
std::string study_table(const StudyAggregate& agg) {
  std::vector<std::vector<std::string>> rows = {{"group", "path", "split", "n", "loss (linear)",
                                                 "loss (mean-endpoint)", "error (linear)",
                                                 "error (mean-endpoint)"}};
  for (const auto& g : agg.groups) {
    bool has_test = false;
    for (const auto& o : agg.groups)
      has_test |= o.group == g.group && o.path == g.path && o.split == "test";
    if (g.split != (has_test ? "test" : "train")) continue;
    rows.push_back({g.group, g.path, g.split, std::to_string(g.n), mean_std(g.stats[0], false),
                    mean_std(g.stats[1], false), mean_std(g.stats[2], true),
                    mean_std(g.stats[3], true)});
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& r : rows)
    for (size_t c = 0; c < r.size(); ++c) width[c] = std::max(width[c], text_width(r[c]));
  std::string out = "study " + agg.study +
                    ": barriers, mean ± sample standard deviation (n − 1) over n seed pairs\n";
  for (const auto& r : rows) {
    std::string line;
    for (size_t c = 0; c < r.size(); ++c)
      line += r[c] + (c + 1 < r.size() ? std::string(width[c] - text_width(r[c]) + 2, ' ') : "");
    out += line + "\n";
  }
  if (!agg.missing.empty()) {
    std::string list;
    for (const auto& m : agg.missing) list += (list.empty() ? "" : ", ") + m;
    out += "cells without results (not finished): " + list + "\n";
  }
  return out;
}

json records_json(const StudySummary& s) {
  json cells = json::array();
  for (size_t i = 0; i < s.records.size(); ++i) {
    const StudyCellRecord& r = s.records[i];
    cells.push_back({{"name", r.name},
                     {"run_dir", r.run_dir},
                     {"status", r.status},
                     {"seconds", r.seconds},
                     {"train_seconds", r.train_seconds},
                     {"analysis_seconds", r.analysis_seconds}});
  }
  return cells;
}

ProvenanceFacts facts_of(const StudySummary& s) {
  ProvenanceFacts pf;
  pf.out = s.study_dir;
  if (s.spec.base.model()->uses_data()) pf.data = {{s.spec.base.data, s.spec.base.data_options}};
  return pf;
}

// Totals over the cells: the study's wall time, and the shares of the cells' wall time spent
// training and analysing (the rest is setup: data, folders, files).
std::string timing_line(const StudySummary& s) {
  double train = 0, analysis = 0, cells = 0;
  int reused = 0;
  for (const auto& r : s.records) {
    train += r.train_seconds;
    analysis += r.analysis_seconds;
    cells += r.seconds;
    reused += r.status == "reused";
  }
  char share[96] = "";
  if (cells > 0)
    std::snprintf(share, sizeof share, "; of the cells' time %.0f%% training, %.0f%% analysing",
                  100 * train / cells, 100 * analysis / cells);
  return std::to_string(s.records.size()) + " cells (" + std::to_string(reused) +
         " reused) in wall-clock " + format_seconds(s.seconds) +
         (s.device.empty() ? "" : " on " + s.device) + share;
}

}  // namespace

const CommandSpec& study_spec() {
  static const CommandSpec s{
      "study",
      "Re-aggregate a study folder (written by `ridgeline run` on a spec with a \"sweep\"): "
      "each barrier per path kind and cell, and its mean, standard deviation, min and max over "
      "seed pairs.",
      {"study STUDY_DIR [--json]"},
      {{"json", "", "",
        "print one JSON object (the study folder, every cell's status, the aggregate as "
        "results/study.json holds it, provenance) on stdout"}},
      {"ridgeline study studies/gmm-width-study", "ridgeline study studies/gmm-width-study --json"},
      {"The aggregate is read from the cells' results/barriers.json; cells that have not "
       "finished are listed, not counted."}};
  return s;
}

bool is_study_spec_file(const std::string& path) {
  try {
    return has_sweep(read_file(path));
  } catch (const InputError&) {
    return false;  // unreadable: load_spec reports it
  }
}

int run_study_command(const Args& a, const RunOptions& options) {
  const StudySpec study = load_study(a.positionals()[0]);
  const StudyOptions o{options};
  const bool json_out = a.flag("json"), quiet = a.flag("quiet");
  ProgressPrinter progress;
  StudyEvents ev;
  if (!quiet) {
    ev.on_cell_start = [&](size_t i, size_t n, const StudyCell& c, bool reused) {
      progress.line("cell " + std::to_string(i + 1) + "/" + std::to_string(n) + " " + c.name +
                    (reused ? ": reused (finished earlier)" : ": running"));
    };
    ev.on_cell_done = [&](size_t i, size_t n, const StudyCellRecord& r) {
      progress.line("cell " + std::to_string(i + 1) + "/" + std::to_string(n) + " " + r.name +
                    ": " + r.status + ", wall-clock " + format_seconds(r.seconds) + " (training " +
                    format_seconds(r.train_seconds) + ", analysis " +
                    format_seconds(r.analysis_seconds) + ")");
    };
    // Each cell's own log lines are in its log.txt; here, its progress bar.
    ev.run.on_progress = [&](const RunProgress& p) { progress(p.plain()); };
  }
  const StudySummary s = run_study(study, o, ev, &interrupt_token());
  progress.finish();
  const StudyAggregate agg = aggregate_study_folder(s);
  if (json_out) {
    json j = {{"study_dir", s.study_dir}, {"status", s.status},
              {"device", s.device},       {"seconds", s.seconds},
              {"cells", records_json(s)}, {"aggregate", json::parse(aggregate_to_json(agg))}};
    ProvenanceFacts pf = facts_of(s);
    pf.device = s.device;
    j["provenance"] = provenance_json(a, pf);
    j["provenance"]["spec"] = absolute_path(a.positionals()[0]);
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("study folder: %s\n%s", s.study_dir.c_str(), study_table(agg).c_str());
    std::printf("%s %s\n", s.status.c_str(), timing_line(s).c_str());
  }
  return 0;
}

int cmd_study(int argc, char** argv) {
  Args a(argc, argv, 2, study_spec());
  if (a.positionals().size() != 1) throw InputError("expected one study folder (STUDY_DIR)");
  const StudySummary s = read_study_folder(a.positionals()[0]);
  const StudyAggregate agg = aggregate_study_folder(s);
  if (a.flag("json")) {
    json j = {{"study_dir", s.study_dir},
              {"status", s.status},
              {"cells", records_json(s)},
              {"aggregate", json::parse(aggregate_to_json(agg))}};
    j["provenance"] = provenance_json(a, facts_of(s));
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("study folder: %s (%s)\n%s", s.study_dir.c_str(), s.status.c_str(),
                study_table(agg).c_str());
    std::printf("%s\n", timing_line(s).c_str());
  }
  return 0;
}

}  // namespace ridgeline::cli
