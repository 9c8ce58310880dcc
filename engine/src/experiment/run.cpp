// Running an experiment spec into a run folder (see run.h).
#include "ridgeline/experiment/run.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "experiment/run_owner.h"
#include "experiment/steps/step_kind.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/core/format.h"
#include "ridgeline/experiment/preflight.h"
#include "ridgeline/experiment/run_catalog.h"
#include "ridgeline/experiment/steps/train_step.h"
#include "ridgeline/io/fileio.h"
#include "ridgeline/io/safetensors.h"
#include "ridgeline/models/model_io.h"
#include "ridgeline/train/train_model.h"

namespace ridgeline {

namespace fs = std::filesystem;
using nlohmann::json;

std::string default_workspace() {
  if (const char* w = std::getenv("RIDGELINE_WORKSPACE"); w && *w) return w;
  if (const char* x = std::getenv("XDG_DATA_HOME"); x && *x) return std::string(x) + "/ridgeline";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.local/share/ridgeline";
  return "ridgeline-workspace";
}

namespace {

// strftime of the current time, local or UTC.
std::string now_formatted(const char* format, bool utc) {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  if (utc) gmtime_r(&t, &tm);
  else localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

std::string timestamp() { return now_formatted("%Y%m%d-%H%M%S", false); }
std::string iso_now() { return now_formatted("%Y-%m-%dT%H:%M:%SZ", true); }

std::string workspace_of(const RunOptions& o) {
  return o.workspace.empty() ? default_workspace() : o.workspace;
}

// A new run folder <workspace>/runs/<name>-<timestamp>: mkdir is the test for "taken", so two
// runs started in the same second get <name>-<timestamp> and <name>-<timestamp>-2, never one
// folder between them.
std::string create_new_run_dir(const ExperimentSpec& spec, const RunOptions& o) {
  const fs::path base = fs::path(workspace_of(o)) / "runs";
  std::error_code ec;
  fs::create_directories(base, ec);
  if (ec)
    throw InputError(base.string() + ": cannot create the runs folder (" + ec.message() + ")");
  const std::string stem = spec.name + "-" + timestamp();
  for (int i = 1; i <= 100000; ++i) {
    const fs::path dir = base / (i == 1 ? stem : stem + "-" + std::to_string(i));
    if (::mkdir(dir.c_str(), 0755) == 0) return dir.string();
    if (errno != EEXIST)
      throw InputError(dir.string() + ": cannot create run folder (" + std::strerror(errno) + ")");
  }
  throw RunError(base.string() + ": no free run folder name for " + stem);
}

// What a killed run may have left half-done, removed before it resumes (the folder's lock is
// held, so no other process writes here): temporary files of atomic writes, and a checkpoint
// whose training record was never written (the record is written after the checkpoint, so
// the model is trained again, to the same bytes).
void remove_unfinished(const fs::path& dir, const ExperimentSpec& spec) {
  std::error_code ec;
  for (const fs::path& sub : {dir, dir / "checkpoints", dir / "results"})
    for (const auto& e : fs::directory_iterator(sub, ec))
      if (e.is_regular_file(ec) && e.path().filename().string().find(".tmp-") != std::string::npos)
        fs::remove(e.path(), ec);
  for (const auto& m : spec.models)
    if (!fs::exists(dir / "results" / ("train-" + m.name + ".json"), ec))
      fs::remove(dir / "checkpoints" / (m.name + ".safetensors"), ec);
}

// Whether the run folder's experiment.json resolves to `resolved` (a folder written by an
// earlier version holds the same experiment in an older layout of the resolved spec).
bool same_experiment(const std::string& spec_file, const std::string& resolved) {
  if (read_file(spec_file) == resolved) return true;
  try {
    return spec_to_json(load_spec(spec_file, false)) == resolved;
  } catch (const InputError&) {
    return false;
  }
}

// Provenance of an external model file: its absolute path, size and modification time (the
// file is referenced, not copied into the run folder).
json external_model_record(const std::string& path) {
  json j = {{"path", path}};
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (!ec) j["size_bytes"] = size;
  struct stat st{};
  if (::stat(path.c_str(), &st) == 0) {
    std::tm tm{};
    gmtime_r(&st.st_mtime, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    j["modified"] = buf;
  }
  return j;
}

class RunLog {
 public:
  RunLog(const fs::path& file, const RunEvents& ev) : out_(file, std::ios::app), ev_(ev) {}
  void operator()(const std::string& line) {
    out_ << "[" << iso_now() << "] " << line << "\n";
    out_.flush();
    if (ev_.on_log) ev_.on_log(line);
  }

 private:
  std::ofstream out_;
  const RunEvents& ev_;
};

// Keeps the workspace's run catalog up to date during a run. The catalog is an index, not the
// record: any catalog failure is logged as a warning and the run goes on.
class CatalogUpdater {
 public:
  CatalogUpdater(const ExperimentSpec& spec, const RunOptions& o, RunLog& log) : spec_(spec), log_(log) {
    // A bare --out folder with no --workspace belongs to no workspace: it is not catalogued
    // (`ridgeline runs` would not find it under <workspace>/runs anyway).
    if (!o.out_dir.empty() && o.workspace.empty()) return;
    try {
      catalog_.emplace(workspace_of(o));
    } catch (const std::exception& e) {
      log_(std::string("warning: run catalog unavailable, run not catalogued: ") + e.what());
    }
  }
  void operator()(const RunSummary& sum, const std::string& status, const std::string& started,
                  double seconds) {
    if (!catalog_) return;
    try {
      RunRecord r = make_run_record(spec_, sum, started);
      r.status = status;
      r.seconds = seconds;
      catalog_->upsert(r);
    } catch (const std::exception& e) {
      log_(std::string("warning: run catalog not updated: ") + e.what());
    }
  }

 private:
  const ExperimentSpec& spec_;
  RunLog& log_;
  std::optional<RunCatalog> catalog_;
};

}  // namespace

RunSummary run_experiment(const ExperimentSpec& spec, const RunOptions& opt, const RunEvents& ev,
                          const CancelToken* cancel) {
  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  RunSummary sum;
  // Input checks first, before any folder or notice line: bad input is one error line.
  if (!opt.out_dir.empty())
    check_output_folder(opt.out_dir, "--out");
  else
    check_output_folder(workspace_of(opt), opt.workspace.empty() ? "workspace" : "--workspace");
  const std::string resolved = spec_to_json(spec);
  if (!opt.out_dir.empty()) {
    const fs::path existing = fs::path(opt.out_dir) / "experiment.json";
    if (fs::exists(existing) && !same_experiment(existing.string(), resolved))
      throw InputError(opt.out_dir + ": holds a different experiment; choose another --out folder");
  }
  const std::shared_ptr<const ModelArch> arch = spec.model();
  // Every model of the spec and every model a step produces is held at once.
  const int copies = static_cast<int>(spec.models.size() + spec.steps.size());
  check_fits_memory(*arch, std::max(spec.train.batch, 2000), copies, "model.arch");
  std::unique_ptr<Backend> be = make_backend(opt.device, opt.threads);
  DataSplits data;
  if (arch->uses_data()) {
    try {
      data = load_data(spec.data, spec.data_options);
    } catch (const InputError& e) {
      throw InputError(std::string("data.name: ") + e.what());  // the key, then the file
    }
    arch->check_fits(data.train, "model.arch");
  }
  check_checkpoint_steps(spec, model_steps_per_epoch(*arch, spec.train, data));

  sum.run_dir = opt.out_dir.empty() ? create_new_run_dir(spec, opt) : opt.out_dir;
  const fs::path dir(sum.run_dir);
  const fs::path spec_file = dir / "experiment.json";
  std::error_code ec;
  fs::create_directories(dir / "checkpoints", ec);
  fs::create_directories(dir / "results", ec);
  if (ec) throw InputError(sum.run_dir + ": cannot create run folder (" + ec.message() + ")");
  const detail::RunOwner owner(sum.run_dir);  // held until the run ends, however it ends
  remove_unfinished(dir, spec);
  write_file_atomic(spec_file.string(), resolved);
  RunLog log(dir / "log.txt", ev);

  json prov = {{"ridgeline_version", RIDGELINE_VERSION},
               {"started", iso_now()},
               {"status", "running"},
               {"experiment", spec.name},
               {"owner", owner.description()},
               {"models", json::object()},
               {"steps", json::object()}};
  auto save_prov = [&] { write_file_atomic((dir / "provenance.json").string(), prov.dump(2) + "\n"); };
  save_prov();
  CatalogUpdater catalog(spec, opt, log);
  const std::string started = prov["started"];
  auto elapsed = [&] { return std::chrono::duration<double>(clock::now() - t0).count(); };
  catalog(sum, "running", started, 0);
  try {
    sum.device = be->description();
    prov["device"] = sum.device;
    prov["threads"] = host_threads();
    log("run folder " + sum.run_dir);
    log("device " + sum.device);
    if (arch->uses_data()) {
      log("data " + spec.data + ": train " + std::to_string(data.train.n) + "×" +
          std::to_string(data.train.dim) + ", test " + std::to_string(data.test.n) + ", " +
          std::to_string(data.train.classes) + " classes");
    } else {
      log("data: none (" + arch->kind() + " models use no data)");
    }
    save_prov();

    detail::ModelMap models;
    detail::StepContext ctx{*be, data, dir, ev, cancel, [&](const std::string& l) { log(l); }, spec, sum, arch};
    for (const auto& m : spec.models) {
      if (m.external()) {
        models[m.name] = load_model(m.path, spec.model_kind == "mlp"
                                                ? std::optional<Activation>(spec.arch.activation)
                                                : std::nullopt, cancel);
        prov["models"][m.name] = external_model_record(m.path);
        log("model " + m.name + ": loaded " + m.path + " (not trained)");
        save_prov();
        continue;
      }
      const StepSpec st = train_step(spec, m);
      StepResult tr = detail::train_step_kind().run(st, models, ctx);
      const auto* t = tr.as<TrainStageResult>();
      if (!t) continue;  // a finished checkpoint was reused
      prov["models"][m.name] = {{"seed", m.seed}, {"seconds", t->seconds},
                                {"samples_per_second", t->samples_per_second}};
      if (m.spawned()) prov["models"][m.name]["from"] = m.from;
      save_prov();
      sum.results.push_back(std::move(tr));
    }

    for (const auto& st : spec.steps) {
      if (cancel) cancel->check();
      // Checkpoints named as inputs ("seed0@epoch2") are read from checkpoints/ when needed.
      for (const auto& [key, name] : detail::step_kind_of(st).inputs(st)) {
        const auto ref = parse_checkpoint_ref(name);
        if (models.count(name) || !ref || !spec.find_model(ref->model)) continue;
        const fs::path file = dir / "checkpoints" / checkpoint_file_name(spec, *ref);
        models[name] = load_model(file.string(), std::nullopt, cancel);
        log("model " + name + ": checkpoint " + file.string());
      }
      StepResult r = detail::step_kind_of(st).run(st, models, ctx);
      if (r.seconds >= 0) prov["steps"][st.id] = {{"seconds", r.seconds}};
      if (ev.on_result) ev.on_result(r);
      sum.results.push_back(std::move(r));
      catalog(sum, "running", started, elapsed());
      save_prov();
    }
    sum.status = "finished";
  } catch (const Cancelled&) {
    prov["status"] = "cancelled";
    prov["ended"] = iso_now();
    save_prov();
    log("cancelled; finished checkpoints and results are kept");
    catalog(sum, "cancelled", started, elapsed());
    throw;
  } catch (const std::exception& e) {
    prov["status"] = "failed";
    prov["error"] = e.what();
    prov["ended"] = iso_now();
    save_prov();
    log(std::string("failed: ") + e.what());
    catalog(sum, "failed", started, elapsed());
    throw;
  }
  sum.seconds = std::chrono::duration<double>(clock::now() - t0).count();
  prov["status"] = sum.status;
  prov["ended"] = iso_now();
  prov["seconds"] = sum.seconds;
  save_prov();
  catalog(sum, sum.status, started, sum.seconds);
  log("finished in wall-clock " + format_seconds(sum.seconds));
  return sum;
}

RunSummary load_run(const std::string& run_dir, ExperimentSpec* spec_out) {
  const fs::path dir(run_dir);
  if (!fs::is_directory(dir)) throw InputError(run_dir + ": not a run folder");
  ExperimentSpec spec = load_spec((dir / "experiment.json").string(), false);
  RunSummary sum;
  sum.run_dir = run_dir;
  const fs::path prov = dir / "provenance.json";
  if (fs::exists(prov)) {
    try {
      json p = json::parse(read_file(prov.string()));
      sum.status = detail::shown_status(run_dir, p.value("status", ""));
      sum.device = p.value("device", "");
      sum.seconds = p.value("seconds", 0.0);
    } catch (const json::exception& e) {
      throw InputError(prov.string() + ": invalid JSON (" + std::string(e.what()) + ")");
    }
  }
  for (const auto& m : spec.models)
    if (!m.external())
      if (auto r = detail::train_step_kind().load(train_step(spec, m), dir)) sum.results.push_back(std::move(*r));
  for (const auto& st : spec.steps)
    if (auto r = detail::step_kind_of(st).load(st, dir)) sum.results.push_back(std::move(*r));
  if (spec_out) *spec_out = std::move(spec);
  return sum;
}

}  // namespace ridgeline
