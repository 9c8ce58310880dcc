// `ridgeline runs list|show ID`: the workspace's run catalog (docs/ARCHITECTURE.md, "Run folders").
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "cli/provenance.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/core/format.h"
#include "ridgeline/experiment/run.h"
#include "ridgeline/experiment/run_catalog.h"

namespace ridgeline::cli {

const CommandSpec& runs_spec() {
  static const CommandSpec s{
      "runs",
      "The workspace's run catalog: list the runs, or show one (its folder, status, device, "
      "wall-clock time and barriers).",
      {"runs list [options]", "runs show ID [options]   (ID or a unique prefix of it)"},
      {{"workspace", "DIR", "", "the workspace whose catalog is read (it must exist)",
        "$RIDGELINE_WORKSPACE, else ~/.local/share/ridgeline"},
       {"json", "", "", "print JSON on stdout: {\"runs\": [...], \"provenance\"} or one run"}},
      {"ridgeline runs list", "ridgeline runs show fmnist-quick-rebasin --json"},
      {"Barriers are mean-endpoint ones: loss to 4 significant digits, error in percentage "
       "points (JSON: fractions)."}};
  return s;
}

namespace {

nlohmann::json record_json(const RunRecord& r) {
  nlohmann::json b = nlohmann::json::array();
  for (const auto& x : r.barriers)
    b.push_back({{"step", x.step}, {"split", x.split}, {"loss_mid", x.loss_mid}, {"error_mid", x.error_mid}});
  return {{"id", r.id},         {"dir", r.dir},   {"name", r.name}, {"status", r.status},
          {"started", r.started}, {"seconds", r.seconds}, {"data", r.data}, {"arch", r.arch},
          {"device", r.device}, {"barriers", b}};
}

// The workspace of --workspace (which must exist) or the default one (created when needed).
RunCatalog open_catalog(const Args& a) {
  std::string ws = a.str("workspace");
  if (!ws.empty()) {
    if (!std::filesystem::is_directory(ws)) throw InputError(ws + ": no such workspace folder");
  } else {
    ws = default_workspace();
  }
  RunCatalog catalog(ws);
  catalog.rescan();  // runs made without the catalog (or copied in) appear too
  return catalog;
}

// Text of the headline test barrier, loss or error ("-" when the run has none).
std::string barrier_text(const RunRecord& r, bool error) {
  const RunBarrier* b = r.headline();
  if (!b) return "-";
  return error ? format_error_barrier(b->error_mid) : format_loss_barrier(b->loss_mid);
}

nlohmann::json runs_provenance(const Args& a) {
  nlohmann::json p = provenance_json(a, {});
  p["workspace"] = absolute_path(a.str("workspace").empty() ? default_workspace() : a.str("workspace"));
  return p;
}

int list_runs(int argc, char** argv) {
  Args a(argc, argv, 3, runs_spec());
  if (!a.positionals().empty()) throw InputError("unexpected argument '" + a.positionals()[0] + "'");
  const std::vector<RunRecord> runs = open_catalog(a).list();
  if (a.flag("json")) {
    nlohmann::json j = {{"runs", nlohmann::json::array()}, {"provenance", runs_provenance(a)}};
    for (const auto& r : runs) j["runs"].push_back(record_json(r));
    std::printf("%s\n", j.dump().c_str());
    return 0;
  }
  if (runs.empty()) {
    std::printf("no runs\n");
    return 0;
  }
  std::vector<std::vector<std::string>> rows = {
      {"ID", "STATUS", "STARTED", "DATA", "ARCH", "TEST LOSS BARRIER", "TEST ERROR BARRIER"}};
  for (const auto& r : runs)
    rows.push_back({r.id, r.status, r.started, r.data, r.arch, barrier_text(r, false),
                    barrier_text(r, true)});
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& row : rows)
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) {
      line += row[c];
      if (c + 1 < row.size()) line += std::string(width[c] - row[c].size() + 2, ' ');
    }
    std::printf("%s\n", line.c_str());
  }
  return 0;
}

int show_run(int argc, char** argv) {
  Args a(argc, argv, 3, runs_spec());
  if (a.positionals().size() != 1) throw InputError("expected one run ID");
  const std::string id = a.positionals()[0];
  const std::optional<RunRecord> r = open_catalog(a).find(id);
  if (!r) throw InputError(id + ": no such run in the catalog (see `ridgeline runs list`)");
  if (a.flag("json")) {
    nlohmann::json j = record_json(*r);
    j["provenance"] = runs_provenance(a);
    std::printf("%s\n", j.dump().c_str());
    return 0;
  }
  std::printf("id:         %s\n", r->id.c_str());
  std::printf("run folder: %s\n", r->dir.c_str());
  std::printf("experiment: %s\n", r->name.c_str());
  std::printf("status:     %s\n", r->status.c_str());
  if (r->status == "interrupted")  // recorded as running, but its process is gone
    std::printf("resume:     ridgeline run %s/experiment.json --out %s\n", r->dir.c_str(),
                r->dir.c_str());
  std::printf("started:    %s\n", r->started.c_str());
  std::printf("wall-clock: %s\n", format_seconds(r->seconds).c_str());
  std::printf("data:       %s\n", r->data.c_str());
  std::printf("arch:       %s\n", r->arch.c_str());
  std::printf("device:     %s\n", r->device.empty() ? "-" : r->device.c_str());
  if (r->barriers.empty()) std::printf("barriers:   -\n");
  else std::printf("barriers (mean-endpoint):\n");
  for (const auto& b : r->barriers)
    std::printf("  %s %s: loss %s, error %s\n", b.step.c_str(), b.split.c_str(),
                format_loss_barrier(b.loss_mid).c_str(), format_error_barrier(b.error_mid).c_str());
  return 0;
}

}  // namespace

int cmd_runs(int argc, char** argv) {
  const std::string action = argc > 2 ? argv[2] : "";
  if (action == "list") return list_runs(argc, argv);
  if (action == "show") return show_run(argc, argv);
  if (action.empty()) throw InputError("expected 'list' or 'show ID' (see: ridgeline runs --help)");
  const std::string near = nearest(action, {"list", "show"});
  throw InputError("unknown action '" + action + "'; expected 'list' or 'show ID'" +
                   (near.empty() ? std::string() : "; did you mean '" + near + "'?"));
}

}  // namespace ridgeline::cli
