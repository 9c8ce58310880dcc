#!/usr/bin/env python3
"""What the subcommands print (docs/USER_GUIDE.md, "Command line"):

- every `--json` output carries a "provenance" object: the version, the arguments, absolute
  model paths, the data and its options, points, the device used, threads and wall-clock
  seconds, each holding the right value;
- one vocabulary: "error" (a fraction in JSON, % in text), never "accuracy"; times are said to
  be wall-clock; numbers in text follow core/format.h (loss to 4 significant digits, error in %
  with 2 decimals, barriers signed).

    test_cli_output.py RIDGELINE WORK_DIR
"""
import json
import os
import re
import shutil
import subprocess
import sys
import time

EXE, WORK = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)
DATA = "gmm:600,200,8,3,7"
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)


def run(*args):
    t0 = time.monotonic()
    r = subprocess.run([EXE, *args], capture_output=True, text=True, timeout=300, cwd=WORK)
    if r.returncode != 0:
        sys.exit("ridgeline %s: exit %d\n%s" % (" ".join(args), r.returncode, r.stderr))
    return r.stdout, r.stderr, time.monotonic() - t0


def run_json(*args):
    out, err, seconds = run(*args)
    return json.loads(out), seconds


VERSION = run("--version")[0].split()[1]


def keys_anywhere(j):
    if isinstance(j, dict):
        for k, v in j.items():
            yield k
            yield from keys_anywhere(v)
    elif isinstance(j, list):
        for v in j:
            yield from keys_anywhere(v)


def check_provenance(what, j, args, seconds, models=None, out=None, data=None, points=None,
                     threads=None):
    check(not any("accuracy" in k for k in keys_anywhere(j)), "%s: an 'accuracy' key: %s" % (what, j))
    p = j.get("provenance") if isinstance(j, dict) else None
    if not isinstance(p, dict):
        failures.append("%s: no provenance object" % what)
        return
    check(p.get("version") == VERSION, "%s: version %r, not %r" % (what, p.get("version"), VERSION))
    check(p.get("arguments") == list(args), "%s: arguments %r" % (what, p.get("arguments")))
    w = p.get("wall_seconds")
    check(isinstance(w, (int, float)) and 0 < w <= seconds, "%s: wall_seconds %r (took %.2f)" % (what, w, seconds))
    if models is not None:
        want = [os.path.join(WORK, m) for m in models]
        check(p.get("models") == want, "%s: models %r, not %r" % (what, p.get("models"), want))
    if out is not None:
        check(p.get("out") == os.path.join(WORK, out), "%s: out %r" % (what, p.get("out")))
    if data is not None:
        check(p.get("data") == data, "%s: data %r, not %r" % (what, p.get("data"), data))
    if points is not None:
        check(p.get("points") == points, "%s: points %r" % (what, p.get("points")))
    if threads is not None:
        check(p.get("threads") == threads, "%s: threads %r" % (what, p.get("threads")))
        check(str(p.get("device", "")).startswith("CPU"), "%s: device %r" % (what, p.get("device")))


def sig_digits(number):
    return len(re.sub(r"^[+-]?0*\.?0*", "", number.split("e")[0]).replace(".", ""))


LOSS = r"([+-]?[0-9.]+(?:e[+-]?\d+)?)"
ERR = r"([+-]?\d+\.\d\d%)"


def check_loss(what, text):
    check(sig_digits(text) <= 4, "%s: loss %s has more than 4 significant digits" % (what, text))


def check_text(what, text):
    check(not re.search(r"\baccuracy\b|\bacc\b", text), "%s: says accuracy:\n%s" % (what, text))


# ----------------------------------------------------------------------- train
data_opts = ["--data", DATA, "--train-subset", "500", "--test-subset", "150", "--subset-seed", "3",
             "--standardize", "--threads", "2", "--device", "cpu"]
data_json = {"name": DATA, "train_subset": 500, "test_subset": 150, "subset_seed": 3, "standardize": True}
for name, seed in (("A", 0), ("B", 1), ("C", 2)):
    args = ["train", "--arch", "mlp:8,16,3", "--seed", str(seed), "--epochs", "2", "--batch", "32",
            "--lr", "0.01", *data_opts, "--json", "--out", name + ".safetensors"]
    j, s = run_json(*args)
    check_provenance("train --json", j, args, s, out=name + ".safetensors", data=data_json, threads=2)
    check(j.get("provenance", {}).get("device") == j.get("device"), "train: provenance device differs")
_, err, _ = run("train", "--arch", "mlp:8,16,3", "--epochs", "2", "--batch", "32", *data_opts,
                "--out", "T.safetensors")
check_text("train", err)
epochs = re.findall(r"epoch (\d)/2: train loss %s, error %s; test loss %s, error %s \(wall-clock [0-9.]+ s\)"
                    % (LOSS, ERR, LOSS, ERR), err)
check(len(epochs) == 2, "train: per-epoch lines are not 'epoch k/2: train loss L, error E%%; ...':\n" + err)
for e in epochs:
    check_loss("train", e[1])
    check_loss("train", e[3])
check(re.search(r"saved T.safetensors \(wall-clock ", err), "train: final line lacks wall-clock:\n" + err)

# ----------------------------------------------------------------------- interpolate
args = ["interpolate", "A.safetensors", "B.safetensors", "--points", "7", *data_opts, "--json"]
j, s = run_json(*args)
check_provenance("interpolate --json", j, args, s, models=["A.safetensors", "B.safetensors"],
                 data=data_json, points=7, threads=2)
check(len(j.get("alpha", [])) == 7 and "barrier" in j, "interpolate --json lost its curves: %s" % j)
out, _, _ = run("interpolate", "A.safetensors", "B.safetensors", "--points", "3", *data_opts, "--quiet")
check_text("interpolate", out)
rows = re.findall(r"^ *(\d\.\d{3})  +%s +%s  +%s +%s$" % (LOSS, ERR, LOSS, ERR), out, re.M)
check(len(rows) == 3 and out.startswith("  alpha  train loss train error   test loss  test error"),
      "interpolate: table is not alpha / loss / error %%:\n" + out)
for r in rows:
    check_loss("interpolate", r[1])
check(re.search(r"^test: loss barrier [+-][0-9.e+-]+ \(linear", out, re.M), "interpolate: barrier line:\n" + out)
check(re.search(r"^wall-clock [0-9.]+ s on CPU", out, re.M), "interpolate: time line:\n" + out)

# ----------------------------------------------------------------------- align
args = ["align", "A.safetensors", "B.safetensors", "--repair", *data_opts, "--json", "--out", "BA.safetensors"]
j, s = run_json(*args)
check_provenance("align --json", j, args, s, models=["A.safetensors", "B.safetensors"], out="BA.safetensors",
                 data=data_json, threads=2)
out, _, _ = run("align", "A.safetensors", "B.safetensors", "--repair", *data_opts, "--out", "BA2.safetensors")
check_text("align", out)
mids = re.findall(r"^midpoint (\S+) +test loss %s, error %s$" % (LOSS, ERR), out, re.M)
check(len(mids) == 3, "align --repair: midpoint lines are not 'test loss L, error E%%':\n" + out)
check(re.search(r"^method wm: \d+ sweep\(s\), wall-clock ", out, re.M), "align: time line:\n" + out)

# ----------------------------------------------------------------------- merge
models = ["A.safetensors", "B.safetensors", "C.safetensors"]
args = ["merge", *models, *data_opts, "--json", "--out", "M.safetensors"]
j, s = run_json(*args)
check_provenance("merge --json", j, args, s, models=models, out="M.safetensors", data=data_json, threads=2)
out, _, _ = run("merge", *models, *data_opts, "--out", "M2.safetensors")
check_text("merge", out)
check(re.search(r"^test loss %s, error %s \(naive average: loss %s, error %s\)$" % (LOSS, ERR, LOSS, ERR), out, re.M),
      "merge: summary is not 'test loss L, error E%% (naive average: ...)':\n" + out)
check("wall-clock" in out, "merge: time not said to be wall-clock:\n" + out)

# ----------------------------------------------------------------------- run and runs
with open(os.path.join(WORK, "tiny.json"), "w") as f:
    json.dump({"name": "tiny", "data": {"name": DATA}, "model": {"arch": "mlp:8,16,3"},
               "train": {"epochs": 1, "batch": 32, "lr": 0.01},
               "models": [{"name": "seed0", "seed": 0}, {"name": "seed1", "seed": 1}],
               "steps": [{"type": "interpolate", "id": "naive", "a": "seed0", "b": "seed1", "points": 5}]}, f)
args = ["run", "tiny.json", "--workspace", "ws", "--threads", "2", "--device", "cpu", "--quiet", "--json"]
j, s = run_json(*args)
run_dir = os.path.join(WORK, j.get("run_dir", ""))
check_provenance("run --json", j, args, s, threads=2,
                 data={"name": DATA, "train_subset": 0, "test_subset": 0, "subset_seed": 0, "standardize": False})
p = j.get("provenance", {})
check(p.get("spec") == os.path.join(WORK, "tiny.json"), "run: provenance spec %r" % p.get("spec"))
check(p.get("out") == run_dir, "run: provenance out %r, run_dir %r" % (p.get("out"), run_dir))
check(p.get("models") == [os.path.join(run_dir, "checkpoints", m + ".safetensors")
                          for m in ("seed0", "seed1")], "run: provenance models %r" % p.get("models"))
check(p.get("device") == j.get("device"), "run: provenance device differs from device")

# The run's log lines (stderr, and log.txt): the same rules.
_, err, _ = run("run", "tiny.json", "--out", "logged", "--threads", "2")
check_text("run", err)
check(len(re.findall(r"^model seed\d epoch 1: train loss %s, error %s; test loss %s, error %s \(wall-clock [0-9.]+ s\)$"
                     % (LOSS, ERR, LOSS, ERR), err, re.M)) == 2,
      "run: epoch log lines are not 'train loss L, error E%%; ...':\n" + err)
check(re.search(r"^step naive: test loss barrier .*\(wall-clock [0-9.]+ s\)$", err, re.M), "run: step line:\n" + err)
check(re.search(r"^finished in wall-clock [0-9.]+ s$", err, re.M), "run: last log line:\n" + err)

args = ["runs", "list", "--workspace", "ws", "--json"]
j, s = run_json(*args)
check_provenance("runs list --json", j, args, s)
if not isinstance(j, dict):
    failures.append("runs list --json: not an object {\"runs\", \"provenance\"}: %s" % j)
    j = {"runs": j}
check(isinstance(j.get("runs"), list) and len(j["runs"]) == 1, "runs list --json: %s" % j)
check(j.get("provenance", {}).get("workspace") == os.path.join(WORK, "ws"), "runs list: workspace %s" % j)
run_id = j["runs"][0]["id"] if j.get("runs") else "tiny"
args = ["runs", "show", run_id, "--workspace", "ws", "--json"]
j, s = run_json(*args)
check_provenance("runs show --json", j, args, s)
check(j.get("id") == run_id, "runs show --json: %s" % j)
out, _, _ = run("runs", "list", "--workspace", "ws")
check_text("runs list", out)
check(re.search(r"TEST LOSS BARRIER +TEST ERROR BARRIER\n.* [+-][0-9.]+(e[+-]\d+)?  +[+-]\d+\.\d\d%$", out),
      "runs list: barrier columns are not '+L  +E%%':\n" + out)
out, _, _ = run("runs", "show", run_id, "--workspace", "ws")
check_text("runs show", out)
check(re.search(r"^  naive test: loss [+-][0-9.e+-]+, error [+-]\d+\.\d\d%$", out, re.M),
      "runs show: barriers are not 'loss +L, error +E%%':\n" + out)
check(re.search(r"^wall-clock: ", out, re.M), "runs show: time not said to be wall-clock:\n" + out)

for f in failures:
    print("FAIL:", f)
print("%d failure(s)" % len(failures))
sys.exit(1 if failures else 0)
