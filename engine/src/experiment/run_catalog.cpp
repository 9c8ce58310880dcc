// The SQLite run catalog (see run_catalog.h).
#include "ridgeline/experiment/run_catalog.h"

#include <sqlite3.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <utility>

#include "experiment/run_owner.h"
#include "experiment/steps/step_kind.h"
#include "ridgeline/core/errors.h"
#include "ridgeline/io/fileio.h"

namespace ridgeline {

namespace fs = std::filesystem;

namespace {

constexpr int kSchemaVersion = 1;
constexpr int kBusyTimeoutMs = 5000;

const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY, dir TEXT NOT NULL, name TEXT NOT NULL, status TEXT NOT NULL,
  started TEXT NOT NULL, seconds REAL NOT NULL, data TEXT NOT NULL, arch TEXT NOT NULL,
  device TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS barriers (
  run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, ord INTEGER NOT NULL,
  step TEXT NOT NULL, split TEXT NOT NULL, loss_mid REAL NOT NULL, error_mid REAL NOT NULL,
  PRIMARY KEY (run_id, ord));
)sql";

// A prepared statement, finalized on scope exit. Errors name the catalog file.
class Stmt {
 public:
  Stmt(sqlite3* db, const std::string& file, const char* sql) : db_(db), file_(file) {
    if (sqlite3_prepare_v2(db, sql, -1, &st_, nullptr) != SQLITE_OK) fail();
  }
  ~Stmt() { sqlite3_finalize(st_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& bind(int i, const std::string& s) {
    sqlite3_bind_text(st_, i, s.c_str(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& bind(int i, double v) {
    sqlite3_bind_double(st_, i, v);
    return *this;
  }
  Stmt& bind(int i, int v) {
    sqlite3_bind_int(st_, i, v);
    return *this;
  }
  /// True while there is a row.
  bool step() {
    const int rc = sqlite3_step(st_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) fail();
    return false;
  }
  void run() {
    while (step()) {
    }
  }
  /// Ready to bind and run again.
  void reset() {
    sqlite3_reset(st_);
    sqlite3_clear_bindings(st_);
  }
  bool is_null(int c) const { return sqlite3_column_type(st_, c) == SQLITE_NULL; }
  std::string text(int c) const {
    const auto* p = sqlite3_column_text(st_, c);
    return p ? reinterpret_cast<const char*>(p) : "";
  }
  double real(int c) const { return sqlite3_column_double(st_, c); }
  int integer(int c) const { return sqlite3_column_int(st_, c); }

 private:
  [[noreturn]] void fail() const {
    throw InputError(file_ + ": run catalog error (" + sqlite3_errmsg(db_) + ")");
  }
  sqlite3* db_;
  std::string file_;
  sqlite3_stmt* st_ = nullptr;
};

const char* kSelectRuns =
    "SELECT id, dir, name, status, started, seconds, data, arch, device FROM runs";

// A record as stored, except that a "running" run whose process is gone shows as
// "interrupted" (run_owner.h): the catalog cannot be told when a run is killed.
RunRecord record_from_row(const Stmt& s) {
  RunRecord r;
  r.id = s.text(0);
  r.dir = s.text(1);
  r.name = s.text(2);
  r.status = detail::shown_status(r.dir, s.text(3));
  r.started = s.text(4);
  r.seconds = s.real(5);
  r.data = s.text(6);
  r.arch = s.text(7);
  r.device = s.text(8);
  return r;
}

std::string folder_name(const std::string& dir) {
  fs::path p = fs::path(dir).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  return p.filename().string();
}

}  // namespace

const RunBarrier* RunRecord::headline() const {
  for (const auto& b : barriers)
    if (b.split == "test") return &b;
  return nullptr;
}

const RunBarrier* RunRecord::best_other() const {
  const RunBarrier* first = headline();
  const RunBarrier* best = nullptr;
  for (const auto& b : barriers)
    if (b.split == "test" && first && b.step != first->step &&
        (!best || b.loss_mid < best->loss_mid))
      best = &b;
  return best;
}

RunRecord make_run_record(const ExperimentSpec& spec, const RunSummary& sum,
                          const std::string& started) {
  RunRecord r;
  std::error_code ec;
  const fs::path abs = fs::absolute(sum.run_dir, ec);
  r.dir = ec ? sum.run_dir : abs.lexically_normal().string();
  r.id = folder_name(r.dir);
  r.name = spec.name;
  r.status = sum.status;
  r.started = started;
  r.seconds = sum.seconds;
  r.data = spec.data;
  r.arch = spec.model()->to_string();
  r.device = sum.device;
  for (const auto& res : sum.results)
    if (const detail::StepKind* kind = detail::find_step_kind(res.type)) kind->catalog_rows(res, r.barriers);
  return r;
}

RunCatalog::RunCatalog(const std::string& workspace)
    : workspace_(workspace), file_((fs::path(workspace) / "catalog.sqlite").string()) {
  std::error_code ec;
  fs::create_directories(workspace, ec);
  if (ec) throw InputError(workspace + ": cannot create workspace (" + ec.message() + ")");
  if (sqlite3_open_v2(file_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
    const std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw InputError(file_ + ": cannot open run catalog (" + why + ")");
  }
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
  try {
    exec("PRAGMA foreign_keys = ON");
    exec("BEGIN IMMEDIATE");
    try {
      exec(kSchema);
      Stmt v(db_, file_, "SELECT max(version) FROM schema_version");
      v.step();
      if (v.is_null(0)) {
        Stmt ins(db_, file_, "INSERT INTO schema_version (version) VALUES (?)");
        ins.bind(1, kSchemaVersion).run();
      } else if (v.integer(0) > kSchemaVersion) {
        throw InputError(file_ + ": run catalog schema version " + std::to_string(v.integer(0)) +
                         " is newer than this Ridgeline understands (" +
                         std::to_string(kSchemaVersion) + ")");
      }
      exec("COMMIT");
    } catch (...) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
  } catch (...) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

RunCatalog::~RunCatalog() { sqlite3_close(db_); }

RunCatalog::RunCatalog(RunCatalog&& o) noexcept
    : workspace_(std::move(o.workspace_)), file_(std::move(o.file_)), db_(std::exchange(o.db_, nullptr)) {}

RunCatalog& RunCatalog::operator=(RunCatalog&& o) noexcept {
  if (this != &o) {
    sqlite3_close(db_);
    workspace_ = std::move(o.workspace_);
    file_ = std::move(o.file_);
    db_ = std::exchange(o.db_, nullptr);
  }
  return *this;
}

void RunCatalog::exec(const char* sql) const {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string why = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    throw InputError(file_ + ": " + (why == "file is not a database"
                                         ? "not a Ridgeline run catalog (file is not an SQLite database)"
                                         : "run catalog error (" + why + ")"));
  }
}

void RunCatalog::upsert(const RunRecord& r) {
  exec("BEGIN IMMEDIATE");
  try {
    Stmt del(db_, file_, "DELETE FROM barriers WHERE run_id = ?");
    del.bind(1, r.id).run();
    Stmt up(db_, file_,
            "INSERT INTO runs (id, dir, name, status, started, seconds, data, arch, device) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT(id) DO UPDATE SET "
            "dir = ?2, name = ?3, status = ?4, started = ?5, seconds = ?6, data = ?7, "
            "arch = ?8, device = ?9");
    up.bind(1, r.id).bind(2, r.dir).bind(3, r.name).bind(4, r.status).bind(5, r.started);
    up.bind(6, r.seconds).bind(7, r.data).bind(8, r.arch).bind(9, r.device).run();
    Stmt ins(db_, file_,
             "INSERT INTO barriers (run_id, ord, step, split, loss_mid, error_mid) "
             "VALUES (?, ?, ?, ?, ?, ?)");
    for (size_t i = 0; i < r.barriers.size(); ++i) {
      const RunBarrier& b = r.barriers[i];
      ins.bind(1, r.id).bind(2, static_cast<int>(i)).bind(3, b.step).bind(4, b.split);
      ins.bind(5, b.loss_mid).bind(6, b.error_mid).run();
      ins.reset();
    }
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

std::vector<RunRecord> RunCatalog::list() const {
  std::vector<RunRecord> out;
  std::map<std::string, size_t> index;
  Stmt s(db_, file_, (std::string(kSelectRuns) + " ORDER BY started, id").c_str());
  while (s.step()) {
    out.push_back(record_from_row(s));
    index[out.back().id] = out.size() - 1;
  }
  Stmt b(db_, file_, "SELECT run_id, step, split, loss_mid, error_mid FROM barriers ORDER BY run_id, ord");
  while (b.step())
    if (auto it = index.find(b.text(0)); it != index.end())
      out[it->second].barriers.push_back({b.text(1), b.text(2), b.real(3), b.real(4)});
  return out;
}

std::optional<RunRecord> RunCatalog::find(const std::string& key) const {
  if (key.empty()) return std::nullopt;
  std::vector<RunRecord> hits;
  {
    Stmt s(db_, file_, (std::string(kSelectRuns) + " WHERE id = ?1").c_str());
    s.bind(1, key);
    while (s.step()) hits.push_back(record_from_row(s));
  }
  if (hits.empty()) {
    Stmt s(db_, file_, (std::string(kSelectRuns) + " WHERE substr(id, 1, length(?1)) = ?1 ORDER BY id").c_str());
    s.bind(1, key);
    while (s.step()) hits.push_back(record_from_row(s));
  }
  if (hits.empty()) return std::nullopt;
  if (hits.size() > 1)
    throw InputError(key + ": ambiguous run id, matches " + std::to_string(hits.size()) +
                     " runs (" + hits[0].id + ", " + hits[1].id + (hits.size() > 2 ? ", ..." : "") + ")");
  RunRecord r = std::move(hits.front());
  Stmt b(db_, file_, "SELECT step, split, loss_mid, error_mid FROM barriers WHERE run_id = ? ORDER BY ord");
  b.bind(1, r.id);
  while (b.step()) r.barriers.push_back({b.text(0), b.text(1), b.real(2), b.real(3)});
  return r;
}

int RunCatalog::rescan() {
  const fs::path runs = fs::path(workspace_) / "runs";
  std::error_code ec;
  if (!fs::is_directory(runs, ec)) return 0;
  std::map<std::string, bool> known;
  {
    Stmt s(db_, file_, "SELECT id FROM runs");
    while (s.step()) known[s.text(0)] = true;
  }
  int added = 0;
  for (const auto& entry : fs::directory_iterator(runs, ec)) {
    if (!entry.is_directory(ec) || known.count(entry.path().filename().string())) continue;
    if (!fs::exists(entry.path() / "experiment.json", ec)) continue;
    RunRecord r;
    try {
      ExperimentSpec spec;
      const RunSummary sum = load_run(entry.path().string(), &spec);
      std::string started;
      const fs::path prov = entry.path() / "provenance.json";
      if (fs::exists(prov, ec))
        started = nlohmann::json::parse(read_file(prov.string())).value("started", "");
      r = make_run_record(spec, sum, started);
    } catch (const std::exception&) {
      continue;  // not (or no longer) a readable run folder: leave it out of the catalog
    }
    if (r.status.empty()) r.status = "unknown";  // a folder without provenance.json
    upsert(r);  // catalog errors do propagate
    ++added;
  }
  return added;
}

}  // namespace ridgeline
