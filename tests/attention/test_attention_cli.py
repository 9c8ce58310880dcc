#!/usr/bin/env python3
"""`ridgeline attention` and `ridgeline train` with transformers, end to end
(docs/USER_GUIDE.md, "The attention lab"): --train writes one model, analysis and maps file
per variant and the comparison files; analysing a model trained by `ridgeline train` reports
the accuracy its last epoch reported on the same test split; bad input is one line and exit 2.

    test_attention_cli.py RIDGELINE WORK_DIR
"""
import ast
import csv
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
    r = subprocess.run([EXE, *[str(a) for a in args]], cwd=WORK, capture_output=True, text=True,
                       timeout=600)
    if r.returncode != expect:
        sys.exit("ridgeline %s: exit %d (wanted %d)\n%s" % (" ".join(map(str, args)), r.returncode,
                                                          expect, r.stderr))
    return r


def npy_shape(path):
    data = open(path, "rb").read()
    assert data[:6] == b"\x93NUMPY", path
    (hlen,) = struct.unpack("<H", data[8:10])
    header = ast.literal_eval(data[10:10 + hlen].decode("latin1"))
    return tuple(header["shape"]), header["descr"], len(data) - 10 - hlen


shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)
TASK = "task:mqar,vocab=32,length=16,pairs=4,train=200,test=40,seed=2"
ARCH = "transformer:tokens=32,seq=16,d=16,heads=2,layers=1,ff=16,attn=softmax,causal"

# --train: one model per variant, analysed; --json on stdout.
r = run("attention", "--train", "--arch", ARCH, "--variants", "softmax,linear_elu", "--data", TASK,
        "--epochs", 1, "--examples", 8, "--show", 2, "--out", "lab", "--threads", 1, "--json")
j = json.loads(r.stdout)
check([m["name"] for m in j["models"]] == ["softmax", "linear_elu"], "variants in order")
for m in j["models"]:
    a = m["analysis"]
    check(a["variant"] == m["name"], "variant of %s" % m["name"])
    check(a["layers"] == 1 and a["heads"] == 2 and a["tokens"] == 16, "shape of %s" % m["name"])
    check(a["examples"] == 8 and a["shown"] == [0, 1], "examples of %s" % m["name"])
    check(len(a["per_head"]) == 2, "per-head metrics of %s" % m["name"])
    check(len(m["epochs"]) == 1, "epochs of %s" % m["name"])
    check(0 <= a["accuracy"] <= 1, "accuracy of %s" % m["name"])
    shape, descr, nbytes = npy_shape(os.path.join(WORK, "lab", m["name"] + "-maps.npy"))
    check(shape == (2, 1, 2, 16, 16) and descr == "<f4" and nbytes == 4 * 2 * 2 * 256,
          "maps of %s: %s %s" % (m["name"], shape, descr))
    check(os.path.exists(os.path.join(WORK, "lab", m["name"] + ".safetensors")), "model file")
check(j["models"][0]["analysis"]["overall"]["kl"] is None, "softmax has no KL to itself")
check(j["models"][1]["analysis"]["overall"]["kl"] >= 0, "linear_elu KL to softmax")
check("provenance" in j, "provenance")
rows = list(csv.DictReader(open(os.path.join(WORK, "lab", "comparison.csv"))))
check([row["variant"] for row in rows] == ["softmax", "linear_elu"], "comparison.csv rows")
check(json.load(open(os.path.join(WORK, "lab", "comparison.json")))["models"][1]["name"] == "linear_elu",
      "comparison.json")

# A transformer trained by `ridgeline train`, analysed: the same test accuracy.
r = run("train", "--arch", ARCH.replace("softmax", "performer"), "--data", TASK, "--epochs", 2,
        "--batch", 16, "--out", "p.safetensors", "--threads", 1, "--json")
last = json.loads(r.stdout)["epochs"][-1]
r = run("attention", "p.safetensors", "--data", TASK, "--out", "again", "--examples", 40,
        "--threads", 1, "--json")
a = json.loads(r.stdout)["models"][0]["analysis"]
check(abs((1 - a["accuracy"]) - last["test_error"]) < 1e-6,
      "analysis accuracy %s vs training's last test error %s" % (a["accuracy"], last["test_error"]))
check(abs(a["loss"] - last["test_loss"]) < 1e-5, "analysis loss vs training's last test loss")
r = run("attention", "p.safetensors", "--data", TASK, "--out", "plain", "--threads", 1)
lines = r.stdout.splitlines()
check("accuracy" in lines[0] and lines[1].split()[0] == "p", "table: %r" % r.stdout)

# Hedgehog distillation (--distill): every epoch reports its distillation loss, in the JSON and
# in the saved model's metadata; ridgeline attention --train passes it on.
HH = ARCH.replace("softmax", "hedgehog")
r = run("train", "--arch", HH, "--data", TASK, "--epochs", 2, "--batch", 16, "--distill", 0.5,
        "--out", "hh.safetensors", "--threads", 1, "--json")
j = json.loads(r.stdout)
check(j["distill"] == 0.5, "train --json: distill weight")
check(len(j["epochs"]) == 2 and all(e["distill_loss"] > 0 for e in j["epochs"]),
      "train --json: distill_loss per epoch: %r" % j["epochs"])
with open(os.path.join(WORK, "hh.safetensors"), "rb") as f:
    (hlen,) = struct.unpack("<Q", f.read(8))
    meta = json.loads(f.read(hlen))["__metadata__"]
check(meta.get("ridgeline.distill") == "0.5", "distill weight in the model's metadata: %r" % meta)
r = run("attention", "--train", "--arch", HH, "--variants", "hedgehog", "--data", TASK,
        "--epochs", 1, "--distill", 1, "--examples", 4, "--out", "hhlab", "--threads", 1, "--json")
m = json.loads(r.stdout)["models"][0]
check(m["epochs"][0]["distill_loss"] > 0 and m["analysis"]["overall"]["kl"] >= 0,
      "attention --train --distill: %r" % m["epochs"])

# Bad input: one line naming the problem, exit 2.
run("train", "--arch", "mlp:16,8,3", "--data", "gmm:60,20,16,3,1", "--epochs", 1,
    "--out", "mlp.safetensors", "--quiet")
for args, word in [
    (["attention", "mlp.safetensors", "--data", TASK, "--out", "x"], "not a transformer"),
    (["attention", "--train", "--arch", ARCH, "--variants", "softmax,nope", "--data", TASK,
      "--out", "x"], "nope"),
    (["attention", "--train", "--arch", ARCH, "--data", TASK], "--out"),
    (["attention", "p.safetensors", "--train", "--arch", ARCH, "--data", TASK, "--out", "x"],
     "unexpected argument"),
    (["attention", "--train", "--arch", "mlp:16,8,3", "--data", TASK, "--out", "x"],
     "not a transformer"),
    (["attention", "--train", "--arch", ARCH, "--data", "gmm:60,20,16,3,1", "--out", "x"],
     "labels whole rows"),
    (["attention", "--train", "--arch", ARCH, "--data", "task:mqar,vocab=32,length=16,pairs=9",
      "--out", "x"], "pairs"),
    (["attention", "--train", "--arch", ARCH, "--data", "task:nosuch", "--out", "x"], "nosuch"),
    (["train", "--arch", ARCH, "--data", "task:mqar,vocab=64,length=16,pairs=4", "--out", "y.safetensors"],
     "classes"),
    (["train", "--arch", ARCH, "--data", TASK, "--distill", 1, "--out", "y.safetensors"],
     "--distill: applies to transformers with hedgehog attention"),
    (["train", "--arch", HH, "--data", TASK, "--distill", -1, "--out", "y.safetensors"],
     "--distill: must be a finite number >= 0"),
    (["train", "--arch", "mlp:16,8,3", "--data", "gmm:60,20,16,3,1", "--distill", 1,
      "--out", "y.safetensors"], "is not a transformer"),
    (["attention", "--train", "--arch", HH, "--variants", "hedgehog,softmax", "--data", TASK,
      "--distill", 1, "--out", "x"], "softmax attention"),
    (["attention", "p.safetensors", "--data", TASK, "--distill", 1, "--out", "x"],
     "--distill: applies with --train only"),
]:
    r = run(*args, expect=2)
    lines = r.stderr.strip().splitlines()
    check(len(lines) == 1 and word in lines[0], "%s: %r" % (" ".join(args[:3]), r.stderr))

if failures:
    sys.exit("\n".join(failures))
print("ok")
