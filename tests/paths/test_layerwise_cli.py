#!/usr/bin/env python3
"""`ridgeline layerwise` and the layerwise step end to end (docs/USER_GUIDE.md, "Layer-wise
barriers"): two tiny models trained by the CLI; --json has every partial path (3 layers: 3 single
paths and 1 cumulative per base), each path's α=0 end has A's interpolated layers and its α=1 end
B's (so a single path with the rest at A starts at A's loss, one with the rest at B ends at B's);
the whole path equals `ridgeline interpolate` on the same data; --no-cumulative/--no-from-b drop
paths; a run's layerwise step gives the same numbers as the CLI on its checkpoints; bad input
exits 2 with one line.

    test_layerwise_cli.py RIDGELINE WORK_DIR
"""
import json
import os
import shutil
import subprocess
import sys

EXE, WORK = os.path.abspath(sys.argv[1]), sys.argv[2]
GMM = "gmm:600,200,8,3,5"
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)


def run(*args, expect=0):
    r = subprocess.run([EXE, *[str(a) for a in args]], cwd=WORK, capture_output=True, text=True, timeout=300)
    if r.returncode != expect:
        sys.exit("ridgeline %s: exit %d (wanted %d)\n%s" % (" ".join(map(str, args)), r.returncode, expect,
                                                          r.stderr))
    return r


def close(x, y, tol=1e-6):
    return abs(x - y) <= tol * max(1.0, abs(x), abs(y))


shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)
spec = {"name": "lw", "data": {"name": GMM}, "model": {"arch": "mlp:8,24,24,3"},
        "train": {"optimizer": "adam", "lr": 0.01, "batch": 50, "epochs": 3},
        "models": [{"name": "seed0", "seed": 0}, {"name": "seed1", "seed": 1}],
        "steps": [{"type": "layerwise", "id": "lw", "a": "seed0", "b": "seed1", "points": 5}]}
with open(os.path.join(WORK, "spec.json"), "w") as f:
    json.dump(spec, f)
run("run", "spec.json", "--out", "run", "--threads", 1, "--quiet")
A, B = "run/checkpoints/seed0.safetensors", "run/checkpoints/seed1.safetensors"

j = json.loads(run("layerwise", A, B, "--data", GMM, "--points", 5, "--threads", 1, "--json").stdout)
lw = j["layerwise"]
check([l["name"] for l in lw["layers"]] == ["fc0", "fc1", "fc2"], "layers %s" % lw["layers"])
labels = [(p["base"], p["cumulative"], tuple(p["layers"])) for p in lw["paths"]]
want = [(b, False, (l,)) for b in "a" for l in ("fc0", "fc1", "fc2")] + [("a", True, ("fc0", "fc1"))]
want += [(b, False, (l,)) for b in "b" for l in ("fc0", "fc1", "fc2")] + [("b", True, ("fc0", "fc1"))]
check(labels == want, "paths %s" % labels)
whole = lw["whole"]["test"]["loss"]
for p in lw["paths"]:
    loss = p["curve"]["test"]["loss"]
    if p["base"] == "a":
        check(close(loss[0], whole[0]), "%s: α=0 is not A" % p["layers"])
    else:
        check(close(loss[-1], whole[-1]), "%s: α=1 is not B" % p["layers"])
check([os.path.relpath(m, WORK) for m in j["provenance"]["models"]] == [A, B], "provenance")

ip = json.loads(run("interpolate", A, B, "--data", GMM, "--points", 5, "--split", "test", "--threads", 1,
                    "--json").stdout)
check(all(close(x, y) for x, y in zip(ip["test"]["loss"], whole)), "whole path != interpolate")
check(close(ip["barrier"]["test"]["loss_lin"], lw["whole"]["barrier"]["test"]["loss_lin"]), "whole barrier")

few = json.loads(run("layerwise", A, B, "--data", GMM, "--points", 5, "--no-cumulative", "--no-from-b",
                     "--threads", 1, "--json").stdout)["layerwise"]
check(len(few["paths"]) == 3 and all(p["base"] == "a" and not p["cumulative"] for p in few["paths"]),
      "--no-cumulative --no-from-b: %d paths" % len(few["paths"]))

with open(os.path.join(WORK, "run/results/lw.json")) as f:
    step = json.load(f)
for ps, pc in zip(step["paths"], lw["paths"]):
    check(ps["layers"] == pc["layers"] and ps["base"] == pc["base"], "step path order")
    check(all(close(x, y) for x, y in zip(ps["curve"]["test"]["loss"], pc["curve"]["test"]["loss"])),
          "step != CLI on %s" % ps["layers"])

text = run("layerwise", A, B, "--data", GMM, "--points", 5, "--threads", 1, "--quiet").stdout
check("fc0..fc1 (rest at B)" in text and "every layer (the whole path)" in text, "text table:\n" + text)

for args, needle in ((["layerwise", A], "two model files"), (["layerwise", A, "nothere.safetensors"], "nothere"),
                     (["layerwise", A, B, "--points", 1], "--points"),
                     (["layerwise", A, B, "--split", "all"], "--split")):
    r = run(*args, "--data", GMM, expect=2)
    check(needle in r.stderr and r.stderr.count("\n") == 1, "%s: %r" % (args, r.stderr))

if failures:
    sys.exit("\n".join(failures))
print("ok")
