// The SQLite run catalog: round trip, status transitions, rescan, corrupt files, concurrent
// writers, and run_experiment keeping its record up to date.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <QtTest>
#include <filesystem>
#include <fstream>
#include <thread>

#include "ridgeline/core/errors.h"
#include "ridgeline/experiment/run.h"
#include "ridgeline/experiment/run_catalog.h"
#include "ridgeline/io/fileio.h"
#include "test_support.h"

using namespace ridgeline;
namespace fs = std::filesystem;

namespace {
const char* kTiny = R"({
  "name": "tiny",
  "data": {"name": "gmm:300,100,6,3,1"},
  "model": {"arch": "mlp:6,12,3"},
  "train": {"epochs": 1, "batch": 32, "lr": 0.01},
  "models": [{"name": "seed0", "seed": 0}, {"name": "seed1", "seed": 1}],
  "steps": [{"type": "interpolate", "id": "naive", "a": "seed0", "b": "seed1", "points": 3}]
})";

RunRecord sample(const std::string& id, const std::string& started) {
  RunRecord r;
  r.id = id;
  r.dir = "/tmp/ws/runs/" + id;
  r.name = "tiny";
  r.status = "running";
  r.started = started;
  r.seconds = 1.5;
  r.data = "gmm:300,100,6,3,1";
  r.arch = "mlp:6,12,3";
  r.device = "CPU (test)";
  r.barriers = {{"naive", "test", 0.25, 0.125}, {"naive", "train", 0.5, 0.0625}};
  return r;
}
}  // namespace

class TestRunCatalog : public QObject {
  Q_OBJECT
 private slots:
  void roundTrip() {
    test::ScratchDir ws("cat");
    {
      RunCatalog c(ws.path().string());
      QVERIFY(fs::exists(ws.path() / "catalog.sqlite"));
      QVERIFY(c.list().empty());
      c.upsert(sample("tiny-20250101-120000", "2025-01-01T12:00:00Z"));
      c.upsert(sample("tiny-20240101-120000", "2024-01-01T12:00:00Z"));
    }
    RunCatalog c(ws.path().string());  // reopening keeps the records (and the schema)
    const auto all = c.list();
    QCOMPARE(all.size(), size_t(2));
    QCOMPARE(all[0].id, std::string("tiny-20240101-120000"));  // oldest first
    const RunRecord want = sample("tiny-20250101-120000", "2025-01-01T12:00:00Z");
    const RunRecord& got = all[1];
    QCOMPARE(got.dir, want.dir);
    QCOMPARE(got.name, want.name);
    QCOMPARE(got.status, want.status);
    QCOMPARE(got.started, want.started);
    QCOMPARE(got.seconds, want.seconds);
    QCOMPARE(got.data, want.data);
    QCOMPARE(got.arch, want.arch);
    QCOMPARE(got.device, want.device);
    QCOMPARE(got.barriers.size(), size_t(2));
    QCOMPARE(got.barriers[1].split, std::string("train"));
    QCOMPARE(got.barriers[1].loss_mid, 0.5);
    QCOMPARE(got.headline()->loss_mid, 0.25);
    // find: exact id, unique prefix, no match, ambiguous prefix.
    QCOMPARE(c.find("tiny-20250101-120000")->id, want.id);
    auto by_prefix = c.find("tiny-2025");
    QVERIFY(by_prefix);
    QCOMPARE(by_prefix->barriers.size(), size_t(2));
    QCOMPARE(by_prefix->barriers[0].error_mid, 0.125);
    QVERIFY(!c.find("nope"));
    QVERIFY(!c.find(""));
    QVERIFY_THROWS_EXCEPTION(InputError, c.find("tiny-"));
  }

  void bestOtherPathNextToTheHeadline() {
    // Every interpolation step's barriers are stored; the Runs list shows the first (naive)
    // and the lowest test barrier among the others, by name (issue 10).
    test::ScratchDir ws("cat-best");
    RunCatalog c(ws.path().string());
    RunRecord r = sample("r1", "2025-01-01T12:00:00Z");
    r.barriers = {{"naive", "test", 1.45, 0.58}, {"naive", "train", 1.3, 0.5},
                  {"wm", "test", 0.31, 0.1},     {"wm", "train", 0.001, 0.0},
                  {"wm+repair", "test", 0.0025, 0.004}, {"am", "test", 0.2, 0.05}};
    c.upsert(r);
    const RunRecord got = *c.find("r1");
    QCOMPARE(got.barriers.size(), size_t(6));
    QCOMPARE(got.headline()->step, std::string("naive"));
    QVERIFY(got.best_other());
    QCOMPARE(got.best_other()->step, std::string("wm+repair"));
    QCOMPARE(got.best_other()->split, std::string("test"));
    QCOMPARE(got.best_other()->loss_mid, 0.0025);
    // One path only: nothing else to show.
    r.barriers = {{"naive", "test", 1.45, 0.58}, {"naive", "train", 1.3, 0.5}};
    QVERIFY(!r.best_other());
  }

  void statusTransitions() {
    test::ScratchDir ws("cat-status");
    RunCatalog c(ws.path().string());
    RunRecord r = sample("r1", "2025-01-01T12:00:00Z");
    r.barriers.clear();
    c.upsert(r);
    QCOMPARE(c.find("r1")->status, std::string("running"));
    QVERIFY(c.find("r1")->barriers.empty());
    r.barriers = {{"naive", "test", 0.3, 0.1}};
    c.upsert(r);
    QCOMPARE(c.find("r1")->barriers.size(), size_t(1));
    for (const char* s : {"finished", "cancelled", "failed"}) {
      r.status = s;
      r.seconds += 1;
      c.upsert(r);
      QCOMPARE(c.find("r1")->status, std::string(s));
      QCOMPARE(c.find("r1")->seconds, r.seconds);
    }
    QCOMPARE(c.list().size(), size_t(1));  // upsert replaces, never duplicates
    QCOMPARE(c.list()[0].barriers.size(), size_t(1));
  }

  void concurrentWriters() {
    test::ScratchDir ws("cat-conc");
    RunCatalog(ws.path().string());  // create the schema once
    auto writer = [&](int k) {
      RunCatalog c(ws.path().string());
      for (int i = 0; i < 25; ++i) {
        std::string id = std::to_string(k);  // (GCC 12 misreports "lit" + to_string under -Wrestrict)
        id.append("-w").append(std::to_string(i));
        c.upsert(sample(id, "x"));
      }
    };
    std::thread a(writer, 0), b(writer, 1);
    a.join();
    b.join();
    QCOMPARE(RunCatalog(ws.path().string()).list().size(), size_t(50));
  }

  void corruptFileIsInputError() {
    test::ScratchDir ws("cat-bad");
    {
      std::ofstream f(ws.file("catalog.sqlite"), std::ios::binary);
      f << std::string(4096, 'x');
    }
    try {
      RunCatalog c(ws.path().string());
      QFAIL("a non-SQLite catalog opened");
    } catch (const InputError& e) {
      QVERIFY2(std::string(e.what()).find("catalog.sqlite") != std::string::npos, e.what());
    }
  }

  void runExperimentKeepsRecordAndRescan() {
    test::ScratchDir ws("cat-run");
    RunOptions o;
    o.workspace = ws.path().string();
    o.device = "cpu";
    std::vector<std::string> log;
    RunEvents ev;
    ev.on_log = [&](const std::string& l) { log.push_back(l); };
    const RunSummary s = run_experiment(parse_spec(kTiny, "tiny.json"), o, ev);
    for (const auto& l : log) QVERIFY2(l.find("warning") == std::string::npos, l.c_str());
    const std::string id = fs::path(s.run_dir).filename().string();
    RunCatalog c(ws.path().string());
    auto r = c.find(id);
    QVERIFY(r);
    QCOMPARE(r->status, std::string("finished"));
    QCOMPARE(r->name, std::string("tiny"));
    QCOMPARE(r->arch, std::string("mlp:6,12,3"));
    QCOMPARE(r->data, std::string("gmm:300,100,6,3,1"));
    QVERIFY(r->device.find("CPU") != std::string::npos);
    QVERIFY(!r->started.empty());
    QVERIFY(fs::equivalent(r->dir, s.run_dir));
    QVERIFY(r->headline());
    QCOMPARE(r->headline()->step, std::string("naive"));
    QCOMPARE(r->headline()->loss_mid, s.interpolations()[0].second.test->barriers.loss_mid);
    QCOMPARE(c.rescan(), 0);  // already indexed

    // A run folder written without the catalog (a bare --out) copied into the workspace.
    test::ScratchDir elsewhere("cat-out");
    RunOptions bare;
    bare.out_dir = elsewhere.file("copied-run");
    bare.device = "cpu";
    const RunSummary s2 = run_experiment(parse_spec(kTiny, "tiny.json"), bare);
    QVERIFY(!fs::exists(elsewhere.path() / "catalog.sqlite"));
    fs::copy(bare.out_dir, ws.path() / "runs" / "copied-run", fs::copy_options::recursive);
    fs::create_directories(ws.path() / "runs" / "not-a-run");  // skipped
    QVERIFY(!c.find("copied-run"));
    QCOMPARE(c.rescan(), 1);
    auto copied = c.find("copied-run");
    QVERIFY(copied);
    QCOMPARE(copied->status, std::string("finished"));
    QVERIFY(!copied->started.empty());
    QCOMPARE(copied->barriers.size(), size_t(2));
    QCOMPARE(copied->headline()->loss_mid, s2.interpolations()[0].second.test->barriers.loss_mid);
    QCOMPARE(c.list().size(), size_t(2));
    QCOMPARE(c.rescan(), 0);
  }

  // A run killed mid-way leaves "running" in its provenance and its catalog row; it is shown
  // as "interrupted" once no process holds its folder's lock, and as "running" while one does.
  void killedRunIsInterrupted() {
    test::ScratchDir ws("cat-killed");
    RunOptions o;
    o.workspace = ws.path().string();
    o.device = "cpu";
    const ExperimentSpec spec = parse_spec(kTiny, "tiny.json");
    RunSummary s = run_experiment(spec, o);
    const std::string id = fs::path(s.run_dir).filename().string();
    QVERIFY(fs::exists(fs::path(s.run_dir) / ".owner"));
    // What a kill -9 leaves: the records of a run that never ended.
    s.status = "running";
    RunCatalog c(ws.path().string());
    c.upsert(make_run_record(spec, s, "2025-01-01T12:00:00Z"));
    write_file_atomic((fs::path(s.run_dir) / "provenance.json").string(),
                      R"({"status": "running"})");
    QCOMPARE(c.find(id)->status, std::string("interrupted"));
    QCOMPARE(c.list()[0].status, std::string("interrupted"));
    QCOMPARE(load_run(s.run_dir).status, std::string("interrupted"));
    {
      // A live owner (any process holding the lock): still running, and a second run into
      // the folder is refused.
      const int fd = ::open((fs::path(s.run_dir) / ".owner").c_str(), O_RDWR);
      QVERIFY(fd >= 0);
      QCOMPARE(::flock(fd, LOCK_EX | LOCK_NB), 0);
      QCOMPARE(c.find(id)->status, std::string("running"));
      QCOMPARE(load_run(s.run_dir).status, std::string("running"));
      RunOptions again = o;
      again.out_dir = s.run_dir;
      QVERIFY_THROWS_EXCEPTION(InputError, run_experiment(spec, again));
      ::close(fd);
    }
    QCOMPARE(c.find(id)->status, std::string("interrupted"));
    // A folder never owned (written by an older Ridgeline) keeps its recorded status.
    fs::remove(fs::path(s.run_dir) / ".owner");
    QCOMPARE(c.find(id)->status, std::string("running"));
    // Resuming it in place: finished, and still one row.
    RunOptions resume = o;
    resume.out_dir = s.run_dir;
    run_experiment(spec, resume);
    QCOMPARE(c.find(id)->status, std::string("finished"));
    QCOMPARE(c.list().size(), size_t(1));
  }

  // Input errors are found before the run folder exists: no folder, no catalog row.
  void badInputCreatesNothing() {
    test::ScratchDir ws("cat-bad");
    RunOptions o;
    o.workspace = ws.path().string();
    o.device = "cpu";
    ExperimentSpec big = parse_spec(kTiny, "tiny.json");
    big.arch = parse_arch("mlp:6,16000000,3", "model.arch");  // ~0.5 TB of activations
    QVERIFY_THROWS_EXCEPTION(InputError, run_experiment(big, o));
    ExperimentSpec no_data = parse_spec(kTiny, "tiny.json");
    no_data.data = (ws.path() / "no-such-data").string();
    QVERIFY_THROWS_EXCEPTION(InputError, run_experiment(no_data, o));
    QVERIFY(!fs::exists(ws.path() / "runs") || fs::is_empty(ws.path() / "runs"));
    RunOptions to_file = o;
    to_file.out_dir = ws.file("a-file");
    write_file_atomic(to_file.out_dir, "x");
    QVERIFY_THROWS_EXCEPTION(InputError, run_experiment(parse_spec(kTiny, "tiny.json"), to_file));
  }

  void catalogFailureDoesNotFailRun() {
    test::ScratchDir ws("cat-runbad");
    {
      std::ofstream f(ws.file("catalog.sqlite"), std::ios::binary);
      f << std::string(4096, 'x');
    }
    RunOptions o;
    o.workspace = ws.path().string();
    o.device = "cpu";
    bool warned = false;
    RunEvents ev;
    ev.on_log = [&](const std::string& l) { warned = warned || l.find("warning: run catalog") == 0; };
    QCOMPARE(run_experiment(parse_spec(kTiny, "tiny.json"), o, ev).status, std::string("finished"));
    QVERIFY(warned);
  }
};

QTEST_APPLESS_MAIN(TestRunCatalog)
#include "test_run_catalog.moc"
