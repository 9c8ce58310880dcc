#!/usr/bin/env python3
"""`ridgeline tasks` end to end (docs/USER_GUIDE.md, "Attention lab: tasks and metrics"): the
files (int32 .npy read back here without numpy, task.json), the MQAR layout in them (each
label sits at its queried key and is the value paired with it earlier), the same seed giving
the same bytes and another seed other bytes, --json with provenance, --show, and bad input
answered with one line and exit 2.

    test_tasks_cli.py RIDGELINE WORK_DIR
"""
import array
import ast
import json
import os
import shutil
import struct
import subprocess
import sys

EXE, WORK = os.path.abspath(sys.argv[1]), sys.argv[2]
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)


def run(*args, expect=0):
    r = subprocess.run([EXE, *[str(a) for a in args]], cwd=WORK, capture_output=True, text=True, timeout=120)
    if r.returncode != expect:
        sys.exit("ridgeline %s: exit %d (wanted %d)\n%s" % (" ".join(map(str, args)), r.returncode, expect,
                                                          r.stderr))
    return r


def read_npy_int32(path):
    """(shape, values) of a C-order little-endian int32 .npy file (format 1.0)."""
    data = open(path, "rb").read()
    assert data[:6] == b"\x93NUMPY", path
    (hlen,) = struct.unpack("<H", data[8:10])
    header = ast.literal_eval(data[10:10 + hlen].decode("latin1"))
    assert header["descr"] == "<i4" and not header["fortran_order"], header
    values = array.array("i")
    values.frombytes(data[10 + hlen:])
    return tuple(header["shape"]), list(values)


shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)
V, L, K, N = 512, 48, 6, 200
base = ["tasks", "--task", "mqar", "--vocab", V, "--length", L, "--pairs", K, "--examples", N]
run(*base, "--seed", 7, "--out", "a")
run(*base, "--seed", 7, "--out", "b")
run(*base, "--seed", 8, "--out", "c")
for f in ("inputs.npy", "labels.npy", "task.json"):
    check(open(os.path.join(WORK, "a", f), "rb").read() == open(os.path.join(WORK, "b", f), "rb").read(),
          "same seed, different %s" % f)
check(open(os.path.join(WORK, "a", "inputs.npy"), "rb").read() != open(os.path.join(WORK, "c", "inputs.npy"), "rb").read(),
      "seeds 7 and 8 gave the same inputs")

shape, inputs = read_npy_int32(os.path.join(WORK, "a", "inputs.npy"))
lshape, labels = read_npy_int32(os.path.join(WORK, "a", "labels.npy"))
check(shape == (N, L) and lshape == (N, L), "shapes %s %s" % (shape, lshape))
for i in range(N):
    row, lab = inputs[i * L:(i + 1) * L], labels[i * L:(i + 1) * L]
    pairs = dict(zip(row[0:2 * K:2], row[1:2 * K:2]))
    check(len(pairs) == K and all(1 <= k < V // 2 for k in pairs) and all(V // 2 <= v < V for v in pairs.values()),
          "row %d: context %s" % (i, row[:2 * K]))
    marked = [t for t in range(L) if lab[t] != -100]
    check(len(marked) == K, "row %d: %d labels" % (i, len(marked)))
    for t in marked:
        check(t >= 2 * K and (t - 2 * K) % 2 == 0 and row[t] in pairs and lab[t] == pairs[row[t]],
              "row %d position %d: input %d, label %d" % (i, t, row[t], lab[t]))
task = json.load(open(os.path.join(WORK, "a", "task.json")))
check(task["task"] == "mqar" and task["pairs"] == K and task["seed"] == 7 and task["shape"] == [N, L],
      "task.json: %s" % task)

j = json.loads(run(*base, "--seed", 7, "--json", "--out", "d").stdout)
check(j["vocab"] == V and j["power_a"] == 0.01 and j["random_non_queries"] is False, "--json: %s" % j)
check(j["provenance"]["out"] == os.path.join(os.path.realpath(WORK), "d"), "--json provenance: %s" % j["provenance"])
check(open(os.path.join(WORK, "d", "labels.npy"), "rb").read() == open(os.path.join(WORK, "a", "labels.npy"), "rb").read(),
      "--json changed the data")

shown = run("tasks", "--task", "copying", "--show", 2).stdout
check(shown.count("example ") == 2 and "→" in shown and "not written" in shown, "--show: %r" % shown)

for args, needle in ((["--vocab", 48], "--vocab"), (["--pairs", 13], "--pairs"), (["--length", 47], "--length"),
                     (["--tokens", 3], "--tokens"), (["--out", "a/task.json"], "--out")):
    r = run(*base, *args, expect=2)
    lines = r.stderr.strip().split("\n")
    check(len(lines) == 1 and lines[0].startswith("ridgeline tasks: ") and needle in lines[0],
          "%s: %r" % (args, r.stderr))

for f in failures:
    print("FAIL:", f)
print("%d failure(s)" % len(failures))
sys.exit(1 if failures else 0)
