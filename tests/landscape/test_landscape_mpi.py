#!/usr/bin/env python3
"""`mpirun -np 2 ridgeline landscape` against one process (docs/USER_GUIDE.md, "Landscapes"):

- a plane of three tiny gmm models on a grid of three row groups (rank 0 evaluates two, rank 1
  one) and random directions on a grid of one group (rank 1 evaluates nothing): every output
  file equals the single-process run's byte for byte; only rank 0 prints (one JSON object);
- bad input under mpirun (a bad --grid, a resume folder of another computation) is one error
  line and a non-zero exit, with no files written.

Exits 77 (skipped) when mpirun is absent or ridgeline was built without MPI.

    test_landscape_mpi.py RIDGELINE WORK_DIR HAVE_MPI
"""
import json
import os
import shutil
import subprocess
import sys

EXE, WORK, HAVE_MPI = os.path.abspath(sys.argv[1]), sys.argv[2], sys.argv[3]
MPIRUN = shutil.which("mpirun")
if not MPIRUN or HAVE_MPI.upper() not in ("1", "ON", "TRUE", "YES"):
    print("mpirun or ridgeline's MPI support is missing: skipped", file=sys.stderr)
    sys.exit(77)
GMM = "gmm:300,200,8,3,5"
MPI = [MPIRUN, "-np", "2", "--oversubscribe", "--allow-run-as-root"]
FILES = ("landscape.json", "landscape.loss.npy", "landscape.error.npy", "landscape.xs.npy", "landscape.ys.npy",
         "landscape.vts")
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)


def run(args, mpi=False, expect=0):
    cmd = (MPI if mpi else []) + [EXE] + [str(a) for a in args]
    r = subprocess.run(cmd, cwd=WORK, capture_output=True, text=True, timeout=300)
    if (expect == 0) != (r.returncode == 0) or (expect not in (0, "nonzero") and r.returncode != expect):
        sys.exit("%s: exit %d (wanted %s)\n%s" % (" ".join(cmd), r.returncode, expect, r.stderr))
    return r


def same_files(a, b, what):
    for f in FILES:
        pa, pb = os.path.join(WORK, a, f), os.path.join(WORK, b, f)
        if not (os.path.isfile(pa) and os.path.isfile(pb)):
            check(False, "%s: %s missing" % (what, f))
            continue
        with open(pa, "rb") as fa, open(pb, "rb") as fb:
            check(fa.read() == fb.read(), "%s: %s differs between one process and mpirun -np 2" % (what, f))
    check(not os.path.exists(os.path.join(WORK, b, "landscape.resume")), what + ": resume folder left behind")


if os.path.isdir(WORK):
    shutil.rmtree(WORK)
os.makedirs(WORK)
for name, seed in (("A", 0), ("B", 1), ("C", 2)):
    run(["train", "--arch", "mlp:8,12,3", "--data", GMM, "--seed", seed, "--epochs", 2, "--batch", 50,
         "--threads", 1, "--quiet", "--out", name + ".safetensors"])

# A plane on 9×21 points: 7 rows per batch of 64 points, three groups (ranks 0, 1, 0).
plane = ["landscape", "A.safetensors", "B.safetensors", "C.safetensors", "--data", GMM, "--grid", "9x21",
         "--subset", 150, "--threads", 1, "--json"]
one = run(plane + ["--out", "plane-1"])
two = run(plane + ["--out", "plane-2"], mpi=True)
same_files("plane-1", "plane-2", "plane")
try:
    j1, j2 = json.loads(one.stdout), json.loads(two.stdout)  # one object: only rank 0 prints
    check(j2.get("ranks") == 2 and "ranks" not in j1, "ranks in --json: %r / %r" % (j2.get("ranks"), j1.get("ranks")))
    check(j1["pass"] == j2["pass"] and j1["persistence"] == j2["persistence"], "pass/persistence differ")
except ValueError as e:
    check(False, "--json under mpirun is not one JSON object (%s): %r" % (e, two.stdout[:300]))
check(two.stderr.count("device:") == 1, "progress from more than one rank:\n" + two.stderr)

# Random directions, 5×5: one group, so rank 1 evaluates no row; text output from rank 0 only.
rnd = ["landscape", "A.safetensors", "--random", "--seed", 3, "--data", GMM, "--grid", "5x5", "--threads", 1,
       "--quiet"]
run(rnd + ["--out", "random-1"])
two = run(rnd + ["--out", "random-2"], mpi=True)
same_files("random-1", "random-2", "random")
check(two.stdout.count("wall-clock") == 1 and "2 MPI ranks" in two.stdout, "text output:\n" + two.stdout)

# Bad input: one line from ridgeline, non-zero exit, nothing written.
r = run(plane[:-1] + ["--grid", "9y21", "--out", "bad"], mpi=True, expect="nonzero")
lines = [l for l in r.stderr.splitlines() if l.startswith("ridgeline")]
check(len(lines) == 1 and "--grid" in lines[0], "bad --grid: %r" % lines)
check(not os.path.exists(os.path.join(WORK, "bad")), "bad --grid: output written")

# A resume folder of another computation: refused on every rank, one line.
os.makedirs(os.path.join(WORK, "stale", "landscape.resume"))
with open(os.path.join(WORK, "stale", "landscape.resume", "key.json"), "w") as f:
    f.write('{"kind": "other"}\n')
r = run(plane + ["--out", "stale", "--resume"], mpi=True, expect="nonzero")
lines = [l for l in r.stderr.splitlines() if l.startswith("ridgeline")]
check(len(lines) == 1 and "another computation" in lines[0], "stale resume folder: %r" % lines)
check(not os.path.exists(os.path.join(WORK, "stale", "landscape.json")), "stale resume: files written")

if failures:
    sys.exit("FAILED:\n  " + "\n  ".join(failures))
print("ok: mpirun -np 2 gives the single-process files byte for byte")
