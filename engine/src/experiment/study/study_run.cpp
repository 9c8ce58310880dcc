// Running a study: every cell into its own run folder, one after another, and the study's
// record STUDY_DIR/study.json (see study.h).
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "experiment/run_owner.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/experiment/preflight.h"
#include "ridgeline/experiment/study.h"
#include "ridgeline/io/fileio.h"

namespace ridgeline {

namespace fs = std::filesystem;
using nlohmann::json;
using nlohmann::ordered_json;

namespace {

std::string utc_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// <workspace>/studies/<name>-<timestamp>[-N], created atomically (mkdir tests "taken").
std::string create_study_dir(const StudySpec& study, const StudyOptions& o) {
  const fs::path base =
      fs::path(o.workspace.empty() ? default_workspace() : o.workspace) / "studies";
  std::error_code ec;
  fs::create_directories(base, ec);
  if (ec)
    throw InputError(base.string() + ": cannot create the studies folder (" + ec.message() + ")");
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
  const std::string stem = study.base.name + "-" + stamp;
  for (int i = 1; i <= 100000; ++i) {
    const fs::path dir = base / (i == 1 ? stem : stem + "-" + std::to_string(i));
    if (::mkdir(dir.c_str(), 0755) == 0) return dir.string();
    if (errno != EEXIST)
      throw InputError(dir.string() + ": cannot create study folder (" + std::strerror(errno) +
                       ")");
  }
  throw RunError(base.string() + ": no free study folder name for " + stem);
}

std::string cell_dir(const std::string& study_dir, const StudyCell& c) {
  return (fs::path(study_dir) / "cells" / c.name).string();
}

json read_json(const fs::path& f) {
  try {
    return json::parse(read_file(f.string()));
  } catch (const json::exception& e) {
    throw InputError(f.string() + ": invalid JSON (" + std::string(e.what()) + ")");
  }
}

// A cell's run folder is finished, for the same resolved spec (the resume rule of run folders:
// a folder holding a different experiment is never reused).
bool cell_finished(const std::string& dir, const ExperimentSpec& spec) {
  const fs::path prov = fs::path(dir) / "provenance.json", file = fs::path(dir) / "experiment.json";
  std::error_code ec;
  if (!fs::exists(prov, ec) || !fs::exists(file, ec)) return false;
  try {
    if (read_json(prov).value("status", "") != "finished") return false;
    return read_file(file.string()) == spec_to_json(spec) ||
           spec_to_json(load_spec(file.string())) == spec_to_json(spec);
  } catch (const InputError&) {
    return false;
  } catch (const json::exception&) {  // a provenance.json of the wrong shape: not finished
    return false;
  }
}

// Wall time, training and analysis seconds of a cell, from its provenance.json.
void read_timings(const std::string& dir, StudyCellRecord& r, std::string* device) {
  try {
    const json p = read_json(fs::path(dir) / "provenance.json");
    r.seconds = p.value("seconds", 0.0);
    r.train_seconds = r.analysis_seconds = 0;
    if (p.contains("models") && p["models"].is_object())
      for (const auto& m : p["models"]) r.train_seconds += m.value("seconds", 0.0);
    if (p.contains("steps") && p["steps"].is_object())
      for (const auto& s : p["steps"]) r.analysis_seconds += s.value("seconds", 0.0);
    if (device && p.contains("device") && p["device"].is_string()) *device = p["device"];
  } catch (const std::exception&) {
    // timings are a record, not a result: a cell without them shows zeros
  }
}

ordered_json values_json(const std::vector<SweptValue>& values) {
  ordered_json v = ordered_json::object();
  for (const auto& x : values)
    v[x.key] = std::isfinite(x.number) ? ordered_json::parse(x.text) : ordered_json(x.text);
  return v;
}

void write_study_record(const StudySummary& s, const std::string& started) {
  ordered_json cells = ordered_json::array();
  double total = 0, train = 0, analysis = 0;
  for (size_t i = 0; i < s.cells.size(); ++i) {
    const StudyCell& c = s.cells[i];
    const StudyCellRecord& r = s.records[i];
    cells.push_back({{"name", c.name},
                     {"dir", "cells/" + c.name},
                     {"values", values_json(c.values)},
                     {"seeds", {c.seeds.first, c.seeds.second}},
                     {"status", r.status},
                     {"seconds", r.seconds},
                     {"train_seconds", r.train_seconds},
                     {"analysis_seconds", r.analysis_seconds}});
    total += r.seconds;
    train += r.train_seconds;
    analysis += r.analysis_seconds;
  }
  ordered_json doc = {{"study", s.spec.base.name},
                      {"status", s.status},
                      {"started", started},
                      {"device", s.device},
                      {"seconds", s.seconds},
                      {"cells_seconds", total},
                      {"train_seconds", train},
                      {"analysis_seconds", analysis},
                      {"train_share", total > 0 ? train / total : 0.0},
                      {"analysis_share", total > 0 ? analysis / total : 0.0},
                      {"spec", ordered_json::parse(study_to_json(s.spec))},
                      {"cells", cells}};
  write_file_atomic((fs::path(s.study_dir) / "study.json").string(), doc.dump(2) + "\n");
}

}  // namespace

StudySummary run_study(const StudySpec& study, const StudyOptions& opt, const StudyEvents& ev,
                       const CancelToken* cancel) {
  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  StudySummary s;
  s.spec = study;
  s.cells = expand_study(study);
  if (!opt.out_dir.empty()) {
    check_output_folder(opt.out_dir, "--out");
    const fs::path existing = fs::path(opt.out_dir) / "study.json";
    if (fs::exists(existing)) {
      bool same = false;
      try {
        const json j = read_json(existing);
        same =
            j.contains("spec") &&
            study_to_json(parse_study(j["spec"].dump(), existing.string())) == study_to_json(study);
      } catch (const InputError&) {
      }
      if (!same)
        throw InputError(opt.out_dir + ": holds a different study; choose another --out folder");
    } else if (fs::exists(fs::path(opt.out_dir) / "experiment.json")) {
      throw InputError(opt.out_dir +
                       ": is a run folder, not a study folder; choose another --out folder");
    }
  } else {
    check_output_folder(opt.workspace.empty() ? default_workspace() : opt.workspace,
                        opt.workspace.empty() ? "workspace" : "--workspace");
  }
  s.study_dir = opt.out_dir.empty() ? create_study_dir(study, opt) : opt.out_dir;
  std::error_code ec;
  fs::create_directories(fs::path(s.study_dir) / "cells", ec);
  if (ec) throw InputError(s.study_dir + ": cannot create study folder (" + ec.message() + ")");
  const detail::RunOwner owner(s.study_dir);  // one study process per folder
  const std::string started = utc_now();
  s.status = "running";
  s.records.resize(s.cells.size());
  for (size_t i = 0; i < s.cells.size(); ++i) {
    s.records[i].name = s.cells[i].name;
    s.records[i].run_dir = cell_dir(s.study_dir, s.cells[i]);
  }
  write_study_record(s, started);

  const size_t n = s.cells.size();
  for (size_t i = 0; i < n; ++i) {
    StudyCellRecord& r = s.records[i];
    const bool reuse = cell_finished(r.run_dir, s.cells[i].spec);
    if (ev.on_cell_start) ev.on_cell_start(i, n, s.cells[i], reuse);
    if (reuse) {
      r.status = "reused";
    } else {
      RunOptions ro;
      ro.out_dir = r.run_dir;  // no workspace: cells are not catalogued one by one
      ro.device = opt.device;
      ro.threads = opt.threads;
      try {
        if (cancel) cancel->check();
        r.status = "running";
        write_study_record(s, started);
        const RunSummary rs = run_experiment(s.cells[i].spec, ro, ev.run, cancel);
        s.device = rs.device;
        r.status = "finished";
      } catch (const Cancelled&) {
        r.status = "cancelled";
        s.status = "cancelled";
        s.seconds = std::chrono::duration<double>(clock::now() - t0).count();
        write_study_record(s, started);
        throw;
      } catch (const std::exception&) {
        r.status = "failed";
        s.status = "failed";
        s.seconds = std::chrono::duration<double>(clock::now() - t0).count();
        write_study_record(s, started);
        throw;
      }
    }
    read_timings(r.run_dir, r, s.device.empty() ? &s.device : nullptr);
    if (ev.on_cell_done) ev.on_cell_done(i, n, r);
    s.seconds = std::chrono::duration<double>(clock::now() - t0).count();
    write_study_record(s, started);
  }
  write_aggregate(s.study_dir, aggregate_study_folder(s));
  s.status = "finished";
  s.seconds = std::chrono::duration<double>(clock::now() - t0).count();
  write_study_record(s, started);
  return s;
}

namespace {

// A study.json holds its spec one level down; the spec's own limit is 64 levels.
constexpr int kMaxRecordDepth = 66;
struct TooDeep {};

bool one_of(const std::string& s, std::initializer_list<const char*> choices) {
  for (const char* c : choices)
    if (s == c) return true;
  return false;
}

// The string at `key` of object `o`: `fallback` when absent (or an error when `required`).
std::string string_at(const json& o, const char* key, const std::string& at, bool required,
                      const std::string& fallback = "") {
  const auto it = o.find(key);
  if (it == o.end()) {
    if (required) throw InputError(at + (at.back() == ':' ? " " : ": ") + "no \"" + key + "\"");
    return fallback;
  }
  if (!it->is_string())
    throw InputError(at + (at.back() == ':' ? " " : ".") + key + ": not a string");
  return it->get<std::string>();
}

}  // namespace

StudyRecord parse_study_record(const std::string& text, const std::string& source) {
  json j;
  try {
    j = json::parse(text, [](int depth, json::parse_event_t, json&) {
      if (depth > kMaxRecordDepth) throw TooDeep{};
      return true;
    });
  } catch (const TooDeep&) {
    throw InputError(source + ": invalid JSON: nested deeper than " +
                     std::to_string(kMaxRecordDepth) + " levels");
  } catch (const json::exception& e) {
    const std::string what = e.what();
    throw InputError(source +
                     ": invalid JSON: " + echo_input(what.substr(what.find(']') + 2), 160));
  }
  if (!j.is_object()) throw InputError(source + ": not a study record (a JSON object)");
  const auto spec = j.find("spec");
  if (spec == j.end() || !spec->is_object())
    throw InputError(source + ": spec: " + (spec == j.end() ? "missing" : "not an object") +
                     ": not a study record");
  StudyRecord r;
  r.spec = parse_study(spec->dump(), source + " (spec)");
  r.cells = expand_study(r.spec, source);
  r.status = string_at(j, "status", source + ":", true);
  if (!one_of(r.status, {"running", "finished", "cancelled", "failed"}))
    throw InputError(source + ": status: unknown status '" + echo_input(r.status) +
                     "' (running, finished, cancelled or failed)");
  r.device = echo_input(string_at(j, "device", source + ":", false));
  if (const auto sec = j.find("seconds"); sec != j.end()) {
    if (!sec->is_number() || !std::isfinite(sec->get<double>()) || sec->get<double>() < 0)
      throw InputError(source + ": seconds: not a number of seconds");
    r.seconds = sec->get<double>();
  }
  const auto cells = j.find("cells");
  if (cells == j.end() || !cells->is_array())
    throw InputError(source + ": cells: " + (cells == j.end() ? "missing" : "not an array"));
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < r.cells.size(); ++i) index[r.cells[i].name] = i;
  r.cell_status.assign(r.cells.size(), "pending");
  std::vector<bool> listed(r.cells.size(), false);
  for (size_t i = 0; i < cells->size(); ++i) {
    const json& c = (*cells)[i];
    const std::string at = source + ": cells[" + std::to_string(i) + "]";
    if (!c.is_object()) throw InputError(at + ": not an object");
    const std::string name = string_at(c, "name", at, true);
    const auto k = index.find(name);
    if (k == index.end())
      throw InputError(at + ".name: '" + echo_input(name) + "' is not a cell of the study's sweep");
    if (listed[k->second]) throw InputError(at + ".name: cell " + name + " is listed twice");
    listed[k->second] = true;
    const std::string status = string_at(c, "status", at, true);
    if (!one_of(status, {"pending", "running", "finished", "reused", "cancelled", "failed"}))
      throw InputError(at + ".status: unknown status '" + echo_input(status) +
                       "' (pending, running, finished, reused, cancelled or failed)");
    r.cell_status[k->second] = status;
    // The run folder is always STUDY_DIR/cells/<name>; a "dir" elsewhere (a hand edit, "../..")
    // is refused rather than followed or silently ignored.
    const std::string dir = string_at(c, "dir", at, false, "cells/" + name);
    if (dir != "cells/" + name)
      throw InputError(at + ".dir: '" + echo_input(dir) + "': must be cells/" + name +
                       " (a cell's run folder is always under the study folder's cells/)");
  }
  return r;
}

StudySummary read_study_folder(const std::string& dir) {
  const fs::path file = fs::path(dir) / "study.json";
  std::error_code ec;
  if (!fs::is_directory(dir, ec) || !fs::exists(file, ec))
    throw InputError(echo_input(dir) + ": not a study folder (no study.json)");
  StudyRecord rec = parse_study_record(read_file(file.string()), file.string());
  StudySummary s;
  s.study_dir = dir;
  s.spec = std::move(rec.spec);
  s.cells = std::move(rec.cells);
  s.status = detail::shown_status(dir, rec.status);
  s.device = rec.device;
  s.seconds = rec.seconds;
  for (size_t i = 0; i < s.cells.size(); ++i) {
    const StudyCell& c = s.cells[i];
    StudyCellRecord r;
    r.name = c.name;
    r.run_dir = cell_dir(dir, c);
    const bool done = cell_finished(r.run_dir, c.spec);
    const std::string& recorded = rec.cell_status[i];
    if (done)
      r.status = recorded == "reused" ? "reused" : "finished";
    else if (recorded == "running")
      r.status = s.status == "running" ? "running" : "interrupted";
    else
      r.status = recorded == "finished" || recorded == "reused" ? "missing" : recorded;
    if (done) read_timings(r.run_dir, r, nullptr);
    s.records.push_back(r);
  }
  return s;
}

}  // namespace ridgeline
