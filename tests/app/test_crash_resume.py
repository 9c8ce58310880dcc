#!/usr/bin/env python3
"""Crash safety of `ridgeline run` (docs/RELIABILITY.md): a small real run is killed with
SIGKILL at random moments and rerun into the same folder each time (a rerun resumes: finished
checkpoints are reused). After every kill each file of the run folder must be complete or
absent, and the folder finished at last must hold the same checkpoints and results as a run
that was never interrupted: checkpoints, .npy and .csv byte for byte, results JSON equal but
for the wall-clock timings they record.

    test_crash_resume.py RIDGELINE WORK_DIR [KILLS]

The kill moments come from a seeded generator (RIDGELINE_CRASH_SEED, printed) so that a
failure can be replayed.
"""
import json
import os
import random
import re
import shutil
import signal
import struct
import subprocess
import sys
import time

SPEC = {
    "name": "crash",
    "data": {"name": "gmm:3000,500,16,4,7"},
    "model": {"arch": "mlp:16,64,64,4"},
    "train": {"epochs": 20, "batch": 32, "lr": 0.01, "checkpoint_every": 4},
    "models": [{"name": "seed0", "seed": 0}, {"name": "seed1", "seed": 1}],
    "steps": [
        {"type": "interpolate", "id": "naive", "a": "seed0", "b": "seed1", "points": 9},
        {"type": "align", "a": "seed0", "b": "seed1", "method": "wm"},
        {"type": "interpolate", "id": "wm+repair", "a": "seed0", "b": "seed1@wm", "points": 9, "repair": True},
        {"type": "merge", "models": ["seed0", "seed1"]},
        {"type": "interpolate", "id": "to-merged", "a": "seed0", "b": "merged", "points": 5},
    ],
}
TIMING_KEYS = {"seconds", "samples_per_second"}  # wall-clock measurements, different every run


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def run_args(exe, spec, out):
    return [exe, "run", spec, "--out", out, "--threads", "1", "--device", "cpu", "--quiet"]


def complete_problem(path):
    """Why the file at `path` is not complete (None when it is)."""
    name = os.path.basename(path)
    with open(path, "rb") as f:
        data = f.read()
    try:
        if name.endswith(".json"):
            json.loads(data)
        elif name.endswith(".safetensors"):
            if len(data) < 8:
                return "shorter than its header length"
            (n,) = struct.unpack("<Q", data[:8])
            header = json.loads(data[8:8 + n])
            end = max(v["data_offsets"][1] for k, v in header.items() if k != "__metadata__")
            if 8 + n + end != len(data):
                return "size %d, header says %d" % (len(data), 8 + n + end)
        elif name.endswith(".npy"):
            if data[:6] != b"\x93NUMPY":
                return "no npy magic"
            (n,) = struct.unpack("<H", data[8:10])
            head = data[10:10 + n].decode()
            shape = [int(x) for x in re.search(r"'shape': \(([^)]*)\)", head).group(1).split(",") if x.strip()]
            item = 8 if "<f8" in head else 4
            count = 1
            for s in shape:
                count *= s
            if 10 + n + count * item != len(data):
                return "size %d, header says %d" % (len(data), 10 + n + count * item)
        elif name.endswith(".csv"):
            if not data.endswith(b"\n"):
                return "does not end with a newline"
    except Exception as e:  # noqa: BLE001 - any parse error means incomplete
        return "unreadable (%s)" % e
    return None


def check_folder(folder, allow_temp):
    for root, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            if ".tmp-" in name:
                if not allow_temp:
                    fail("temporary file left behind: " + path)
                continue  # an atomic write the kill interrupted: never the file itself
            if name in ("log.txt", ".owner"):
                continue  # an append-only log and the lock file
            problem = complete_problem(path)
            if problem:
                fail("%s is incomplete: %s" % (path, problem))


def without_timings(value):
    if isinstance(value, dict):
        return {k: without_timings(v) for k, v in value.items() if k not in TIMING_KEYS}
    if isinstance(value, list):
        return [without_timings(v) for v in value]
    return value


def compare(ref, got):
    def files(folder):
        out = set()
        for sub in ("checkpoints", "results"):
            for name in os.listdir(os.path.join(folder, sub)):
                out.add(os.path.join(sub, name))
        return out

    rf, gf = files(ref), files(got)
    if rf != gf:
        fail("files differ from the uninterrupted run: missing %s, extra %s" % (sorted(rf - gf), sorted(gf - rf)))
    for rel in sorted(rf):
        with open(os.path.join(ref, rel), "rb") as f:
            a = f.read()
        with open(os.path.join(got, rel), "rb") as f:
            b = f.read()
        if rel.endswith(".json"):
            if without_timings(json.loads(a)) != without_timings(json.loads(b)):
                fail("%s differs from the uninterrupted run (beyond timings)" % rel)
        elif a != b:
            fail("%s is not byte-identical to the uninterrupted run" % rel)
    return len(rf)


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    exe, work = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    kills = int(sys.argv[3]) if len(sys.argv) == 4 else 12
    seed = int(os.environ.get("RIDGELINE_CRASH_SEED", "20261130"))
    rng = random.Random(seed)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    spec = os.path.join(work, "crash.json")
    with open(spec, "w") as f:
        json.dump(SPEC, f)

    ref, crash = os.path.join(work, "ref"), os.path.join(work, "crash")
    t0 = time.monotonic()
    r = subprocess.run(run_args(exe, spec, ref), capture_output=True)
    full = time.monotonic() - t0
    if r.returncode != 0:
        fail("uninterrupted run failed: " + r.stderr.decode(errors="replace"))
    check_folder(ref, allow_temp=False)
    print("uninterrupted run: %.2f s; kill seed %d" % (full, seed))

    # A rerun reuses finished checkpoints and is shorter than the first run: kill moments are
    # drawn over the last observed run length, and runs that finish first do not count.
    killed = finished = i = 0
    span = full
    while killed < kills and i < 4 * kills:
        i += 1
        p = subprocess.Popen(run_args(exe, spec, crash), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        delay = rng.uniform(0.02, span)
        time.sleep(delay)
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
            killed += 1
            what = "killed"
        else:
            finished += 1
            what = "finished first"
            span = max(0.05, delay * 0.8)
        _, err = p.communicate()
        if p.returncode not in (0, -signal.SIGKILL):
            fail("rerun %d exited %d: %s" % (i, p.returncode, err.decode(errors="replace")))
        print("run %2d: %s after %.3f s" % (i, what, delay))
        if os.path.isdir(crash):
            check_folder(crash, allow_temp=True)
    if killed < kills:
        fail("only %d of %d runs were killed mid-way (the run is too short for the kill points)" % (killed, kills))
    r = subprocess.run(run_args(exe, spec, crash), capture_output=True)
    if r.returncode != 0:
        fail("the final resume failed: " + r.stderr.decode(errors="replace"))
    check_folder(crash, allow_temp=False)
    with open(os.path.join(crash, "provenance.json")) as f:
        if json.load(f).get("status") != "finished":
            fail("the resumed run's provenance does not say finished")
    n = compare(ref, crash)
    print("%d kills, %d runs finished before their kill; %d files identical to the uninterrupted run" %
          (killed, finished, n))

    # The narrowest window, made on purpose: killed after a model's checkpoint was renamed into
    # place but before its training record was written, with an atomic write's temporary file
    # left behind. The resume must train that model again (not trust the lone checkpoint) and
    # clean up.
    gap = os.path.join(work, "gap")
    shutil.copytree(ref, gap)
    os.remove(os.path.join(gap, "results", "train-seed1.json"))
    with open(os.path.join(gap, "results", "naive.json.tmp-999999-1"), "w") as f:
        f.write('{"trunc')
    r = subprocess.run(run_args(exe, spec, gap), capture_output=True)
    if r.returncode != 0:
        fail("resuming after the checkpoint/record gap failed: " + r.stderr.decode(errors="replace"))
    check_folder(gap, allow_temp=False)
    compare(ref, gap)
    print("a checkpoint without its training record is trained again")


if __name__ == "__main__":
    main()
