#!/usr/bin/env python3
"""Concurrent runs in one workspace (docs/RELIABILITY.md):
1. ten pairs of runs of the same tiny spec, all started at once (most in the same second), get
   twenty distinct run folders and exactly one catalog row each, all finished;
2. a run killed with SIGKILL, whose provenance and catalog row still say "running", is listed
   as "interrupted" by `ridgeline runs list` and `runs show` (which says how to resume it),
   while it is alive it is "running" and a second run into its folder is refused (exit 2).

    test_concurrent_runs.py RIDGELINE WORK_DIR
"""
import json
import re
import os
import shutil
import signal
import subprocess
import sys
import time

TINY = {
    "name": "pair",
    "data": {"name": "gmm:200,100,8,3,7"},
    "model": {"arch": "mlp:8,4,3"},
    "train": {"epochs": 1, "batch": 50, "lr": 0.01},
    "models": [{"name": "seed0", "seed": 0}],
    "steps": [],
}
LONG = dict(TINY, name="long", train={"epochs": 100000, "batch": 50, "lr": 0.01})
PAIRS = 10


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def ridgeline(exe, *args, cwd):
    return subprocess.run([exe] + [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=120)


def runs_json(exe, ws, work):
    r = ridgeline(exe, "runs", "list", "--workspace", ws, "--json", cwd=work)
    if r.returncode != 0:
        fail("runs list: exit %d: %s" % (r.returncode, r.stderr))
    return json.loads(r.stdout)["runs"]  # {"runs": [...], "provenance": {...}}


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    exe, work = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    ws = os.path.join(work, "ws")
    for spec in (TINY, LONG):
        with open(os.path.join(work, spec["name"] + ".json"), "w") as f:
            json.dump(spec, f)

    # 1. Twenty runs at once.
    t0 = time.monotonic()
    procs = [subprocess.Popen([exe, "run", "pair.json", "--workspace", ws, "--threads", "1", "--quiet"],
                              cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2 * PAIRS)]
    dirs = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        if p.returncode != 0:
            fail("a concurrent run exited %d: %s" % (p.returncode, err))
        line = [l for l in out.splitlines() if l.startswith("run folder: ")]
        if len(line) != 1:
            fail("no run folder printed: %r" % out)
        dirs.append(os.path.realpath(line[0][len("run folder: "):]))
    print("%d concurrent runs in %.1f s" % (len(procs), time.monotonic() - t0))
    if len(set(dirs)) != len(dirs):
        fail("runs shared a folder: %s" % sorted(d for d in dirs if dirs.count(d) > 1))
    on_disk = sorted(os.listdir(os.path.join(ws, "runs")))
    if len(on_disk) != len(dirs):
        fail("%d run folders on disk for %d runs: %s" % (len(on_disk), len(dirs), on_disk))
    rows = runs_json(exe, ws, work)
    ids = [r["id"] for r in rows]
    if len(rows) != len(dirs) or len(set(ids)) != len(ids):
        fail("catalog has %d rows (%d distinct) for %d runs" % (len(rows), len(set(ids)), len(dirs)))
    if sorted(os.path.realpath(r["dir"]) for r in rows) != sorted(dirs):
        fail("catalog rows do not name the run folders")
    not_finished = [r["id"] for r in rows if r["status"] != "finished"]
    if not_finished:
        fail("runs not finished in the catalog: %s" % not_finished)
    for d in dirs:
        with open(os.path.join(d, "provenance.json")) as f:
            if json.load(f)["status"] != "finished":
                fail(d + ": provenance does not say finished")
    same_second = sum(1 for n in on_disk if re.search(r"-\d{8}-\d{6}-\d+$", n))
    print("%d folders, %d with a -N suffix (started in a second already taken)" % (len(on_disk), same_second))

    # 2. A killed run is interrupted, a live one running.
    p = subprocess.Popen([exe, "run", "long.json", "--workspace", ws, "--threads", "1", "--quiet"],
                         cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    row = None
    deadline = time.monotonic() + 60
    while row is None and time.monotonic() < deadline:
        time.sleep(0.2)
        if p.poll() is not None:
            fail("the long run ended early: " + p.stderr.read())
        row = next((r for r in runs_json(exe, ws, work) if r["name"] == "long"), None)
    if row is None:
        fail("the long run has no catalog row after 60 s")
    if row["status"] != "running":
        fail("a live run is listed as %r" % row["status"])
    again = ridgeline(exe, "run", "long.json", "--out", row["dir"], "--quiet", cwd=work)
    if again.returncode != 2 or "another run is using this folder" not in again.stderr:
        fail("a second run into a live run's folder: exit %d, %r" % (again.returncode, again.stderr))
    p.send_signal(signal.SIGKILL)
    p.wait()
    with open(os.path.join(row["dir"], "provenance.json")) as f:
        if json.load(f)["status"] != "running":
            fail("the killed run's provenance should still say running (nothing ran to change it)")
    rows = runs_json(exe, ws, work)
    status = {r["id"]: r["status"] for r in rows}
    if status.get(row["id"]) != "interrupted":
        fail("the killed run is listed as %r, expected 'interrupted'" % status.get(row["id"]))
    if len(rows) != 2 * PAIRS + 1:
        fail("catalog has %d rows, expected %d" % (len(rows), 2 * PAIRS + 1))
    show = ridgeline(exe, "runs", "show", row["id"], "--workspace", ws, cwd=work)
    if show.returncode != 0 or "status:     interrupted" not in show.stdout or "resume:" not in show.stdout:
        fail("runs show of the killed run: exit %d\n%s%s" % (show.returncode, show.stdout, show.stderr))
    print("killed run %s listed as interrupted" % row["id"])


if __name__ == "__main__":
    main()
