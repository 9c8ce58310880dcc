"""Studies end to end (docs/USER_GUIDE.md, "Studies"): `ridgeline run` on the bundled
resources/studies/gmm-width-study.json runs every cell into STUDY_DIR/cells/<name>, writes the
aggregate, and prints the study table; Ctrl-C keeps the finished cells (exit 130) and a restart
reuses them, and so does a restart after kill -9 (the folder reads as interrupted until then);
a second run reuses every cell (nothing is trained: checkpoints and logs stay as
they were); `ridgeline study DIR --json` equals the run's aggregate; malformed sweeps exit 2
with one line naming the key.

    test_study.py RIDGELINE SOURCE_DIR WORK_DIR
"""
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time

EXE, SRC, WORK = os.path.abspath(sys.argv[1]), sys.argv[2], sys.argv[3]
SPEC = os.path.join(SRC, "resources", "studies", "gmm-width-study.json")
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)


def run(*args):
    r = subprocess.run([EXE, *args], capture_output=True, text=True, timeout=300)
    return r.returncode, r.stdout, r.stderr


shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)
spec = json.load(open(SPEC))
n_cells = len(spec["sweep"]["width"]) * len(spec["sweep"]["seeds"]) // 2

# --- a whole study -------------------------------------------------------------------------
study = os.path.join(WORK, "study")
rc, out, err = run("run", SPEC, "--out", study, "--threads", "2", "--json")
check(rc == 0, "run: exit %d: %s" % (rc, err[-2000:]))
res = json.loads(out) if rc == 0 else {}
cells = sorted(os.listdir(os.path.join(study, "cells"))) if os.path.isdir(study + "/cells") else []
check(len(cells) == n_cells, "cells folders: %s" % cells)
check("width=64,pair=2" in cells, "no cell width=64,pair=2: %s" % cells)
record = json.load(open(os.path.join(study, "study.json"))) if rc == 0 else {}
check(record.get("status") == "finished", "study.json status %r" % record.get("status"))
check(record.get("spec", {}).get("sweep") == spec["sweep"], "study.json: the sweep is not recorded")
for c in record.get("cells", []):
    prov = json.load(open(os.path.join(study, c["dir"], "provenance.json")))
    check(prov["status"] == "finished" and c["status"] == "finished", "cell %s: %s" % (c["name"], c))
    check(c["train_seconds"] > 0 and c["analysis_seconds"] > 0 and c["seconds"] >= c["train_seconds"],
          "cell %s timings: %s" % (c["name"], c))
    arch = json.load(open(os.path.join(study, c["dir"], "experiment.json")))["model"]["arch"]
    check(arch == "mlp:8,%d,4" % c["values"]["width"], "cell %s arch %s" % (c["name"], arch))
check(0 < record.get("train_share", 0) < 1, "study.json train_share %r" % record.get("train_share"))
agg = json.load(open(os.path.join(study, "results", "study.json"))) if rc == 0 else {}
check(res.get("aggregate") == agg, "run --json's aggregate differs from results/study.json")
check("provenance" in res and res["provenance"].get("out") == os.path.abspath(study),
      "run --json: provenance %r" % res.get("provenance"))
check(agg.get("paths") == ["naive", "wm"] and agg.get("keys") == ["width"],
      "aggregate paths/keys: %r %r" % (agg.get("paths"), agg.get("keys")))
groups = [g for g in agg.get("groups", []) if g["split"] == "test" and g["path"] == "naive"]
check([g["values"]["width"] for g in groups] == [4, 16, 64] and all(g["n"] == 3 for g in groups),
      "naive test groups: %r" % groups)
# The statistics equal a computation over the cells' own barriers.json files.
for g in groups:
    xs = []
    for c in record["cells"]:
        if c["values"]["width"] != g["values"]["width"]:
            continue
        for row in json.load(open(os.path.join(study, c["dir"], "results", "barriers.json"))):
            if row["step"] == "naive" and row["split"] == "test":
                xs.append(row["error_lin"])
    mean = sum(xs) / len(xs)
    std = (sum((x - mean) ** 2 for x in xs) / (len(xs) - 1)) ** 0.5
    check(abs(g["error_lin"]["mean"] - mean) < 1e-12 and abs(g["error_lin"]["std"] - std) < 1e-12
          and g["error_lin"]["max"] == max(xs), "group %s error_lin %r vs %r" % (g["group"], g["error_lin"], xs))
rows = list(csv.DictReader(open(os.path.join(study, "results", "study.csv"))))
check(len(rows) == len(agg.get("groups", [])), "study.csv rows %d" % len(rows))
check(rows and list(rows[0])[:5] == ["width", "group", "path", "split", "n"] and "error_lin_std" in rows[0],
      "study.csv header %s" % (list(rows[0]) if rows else None))
check(rows and 0 <= float(rows[0]["error_lin_mean"]) <= 1, "study.csv: error is not a fraction")

# The table: errors in %, the display rules.
rc, out, err = run("run", SPEC, "--out", study, "--threads", "2")
check(rc == 0 and "study gmm-width-study" in out and "%" in out and "width=64" in out,
      "run (text): %d %s %s" % (rc, out, err[-500:]))

# --- a second run reuses every cell: nothing is trained ------------------------------------
ckpt = os.path.join(study, "cells", "width=16,pair=1", "checkpoints", "seed0.safetensors")
log = os.path.join(study, "cells", "width=16,pair=1", "log.txt")
before = (os.stat(ckpt).st_mtime_ns, os.path.getsize(log)) if os.path.exists(ckpt) else None
rc, out, err = run("run", SPEC, "--out", study, "--threads", "2")
check(rc == 0, "third run: exit %d %s" % (rc, err[-500:]))
check(err.count("reused (finished earlier)") == n_cells and ": running" not in err,
      "a rerun ran cells again:\n%s" % err[-2000:])
check(before == (os.stat(ckpt).st_mtime_ns, os.path.getsize(log)), "a rerun touched a cell's checkpoint or log")
check("%d cells (%d reused)" % (n_cells, n_cells) in out, "rerun summary: %s" % out[-300:])

# --- ridgeline study re-aggregates ---------------------------------------------------------
rc, out, err = run("study", study, "--json")
check(rc == 0, "study --json: exit %d %s" % (rc, err))
got = json.loads(out) if rc == 0 else {}
check(got.get("aggregate") == agg, "study --json's aggregate differs from the run's")
check(got.get("status") == "finished" and len(got.get("cells", [])) == n_cells, "study --json: %r" % got.get("cells"))
check("provenance" in got and "version" in got["provenance"], "study --json: no provenance")
rc, out, err = run("study", study)
check(rc == 0 and "loss (linear)" in out and "±" in out, "study (text): %s %s" % (out, err))

# --- Ctrl-C keeps finished cells; a restart reuses them ------------------------------------
killed = os.path.join(WORK, "killed")
p = subprocess.Popen([EXE, "run", SPEC, "--out", killed, "--threads", "2"],
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
finished_before = []
deadline = time.time() + 120
while time.time() < deadline and p.poll() is None:
    try:
        rec = json.load(open(os.path.join(killed, "study.json")))
        finished_before = [c["name"] for c in rec["cells"] if c["status"] == "finished"]
    except (OSError, ValueError, KeyError):
        pass
    if finished_before:
        p.send_signal(signal.SIGINT)
        break
    time.sleep(0.01)
out, err = p.communicate(timeout=120)
check(p.returncode == 130, "Ctrl-C: exit %s (finished before the signal?) %s" % (p.returncode, err[-500:]))
rec = json.load(open(os.path.join(killed, "study.json")))
check(rec["status"] == "cancelled", "after Ctrl-C study.json status %r" % rec["status"])
kept = [c["name"] for c in rec["cells"] if c["status"] == "finished"]
check(kept and set(finished_before) <= set(kept), "finished cells not kept: %s" % rec["cells"])
rc, out, err = run("run", SPEC, "--out", killed, "--threads", "2")
check(rc == 0, "restart: exit %d %s" % (rc, err[-500:]))
for name in kept:
    check("%s: reused (finished earlier)" % name in err, "restart did not reuse %s" % name)
check(err.count(": running") == n_cells - len(kept), "restart ran %d cells" % err.count(": running"))
check(json.load(open(os.path.join(killed, "study.json")))["status"] == "finished", "restart: not finished")

# --- kill -9 mid-study: the folder reads as interrupted, a restart reuses the finished cells --
crashed = os.path.join(WORK, "crashed")
p = subprocess.Popen([EXE, "run", SPEC, "--out", crashed, "--threads", "2", "--quiet"],
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
done = []
deadline = time.time() + 120
while time.time() < deadline and p.poll() is None:
    try:
        done = [c["name"] for c in json.load(open(os.path.join(crashed, "study.json")))["cells"]
                if c["status"] == "finished"]
    except (OSError, ValueError, KeyError):
        pass
    if len(done) >= 2:
        p.kill()
        break
    time.sleep(0.01)
p.wait(timeout=60)
check(p.returncode == -signal.SIGKILL, "kill -9: exit %s (finished before the kill?)" % p.returncode)
rc, out, err = run("study", crashed, "--json")
got = json.loads(out) if rc == 0 else {}
check(rc == 0 and got.get("status") == "interrupted", "study after kill -9: %d %r %s" % (rc, got.get("status"), err))
check(set(done) <= {c["name"] for c in got.get("cells", []) if c["status"] == "finished"},
      "study after kill -9: finished cells %r" % got.get("cells"))
rc, out, err = run("run", SPEC, "--out", crashed, "--threads", "2")
check(rc == 0 and all("%s: reused (finished earlier)" % n in err for n in done),
      "restart after kill -9: %d %s" % (rc, err[-1000:]))

# --- bad input: exit 2, one line naming the key --------------------------------------------
bad = {
    "odd-seeds": ({"seeds": [0, 1, 2]}, "sweep.seeds"),
    "zero-width": ({"width": [16, 0]}, "sweep.width[1]"),
    "empty": ({"lr": []}, "sweep.lr"),
    "unknown": ({"height": [3]}, "sweep"),
    "duplicate": ({"batch": [32, 32]}, "sweep.batch"),
    "not-object": ([4], "sweep"),
}
for name, (sweep, key) in bad.items():
    s = dict(spec)
    s["sweep"] = sweep
    path = os.path.join(WORK, name + ".json")
    json.dump(s, open(path, "w"))
    rc, out, err = run("run", path, "--out", os.path.join(WORK, "bad-" + name))
    check(rc == 2 and err.count("\n") == 1 and key in err and path in err,
          "%s: exit %d, stderr %r" % (name, rc, err))
    check(not os.path.exists(os.path.join(WORK, "bad-" + name)), "%s: created the study folder" % name)
other = dict(spec)
other["sweep"] = {"width": [4, 8], "seeds": [0, 1]}
path = os.path.join(WORK, "other.json")
json.dump(other, open(path, "w"))
rc, out, err = run("run", path, "--out", study)
check(rc == 2 and "holds a different study" in err and err.count("\n") == 1, "other study into the folder: %d %r" % (rc, err))
rc, out, err = run("study", os.path.join(WORK))
check(rc == 2 and "not a study folder" in err and err.count("\n") == 1, "study on a non-study folder: %d %r" % (rc, err))

if failures:
    print("\n".join(failures))
    sys.exit(1)
print("ok: %d cells, restart reuse, study --json, bad sweeps" % n_cells)
