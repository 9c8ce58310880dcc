#!/usr/bin/env python3
"""`ridgeline hessian` end to end (docs/USER_GUIDE.md, "Curvature"): on a quadratic checkpoint
(Hessian A with known eigenvalues 0.1·100^(i/(n−1))) the top-3 eigenvalues are A's, the
trace lies within 4 standard errors of tr A, the stability check compares with 2/η, and along
the path to a second point the midpoint and endpoint predictions equal the measured barrier;
on two tiny trained MLPs: --per-layer selections, density weights summing to 1 per run, a path
with the predictions, provenance; the text output; bad input exits 2 with one line.

    test_hessian_cli.py RIDGELINE WORK_DIR
"""
import json
import math
import os
import random
import shutil
import struct
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


def write_quadratic(path, arch, values):
    """A quadratic checkpoint as Ridgeline writes it: one F32 tensor "theta" and the kind in
    the safetensors metadata."""
    data = struct.pack("<%df" % len(values), *values)
    header = {"__metadata__": {"ridgeline.kind": "quadratic", "ridgeline.arch": arch},
              "theta": {"dtype": "F32", "shape": [len(values)], "data_offsets": [0, len(data)]}}
    h = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + data)


shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)

# ---------------------------------------------------------------- the quadratic oracle
n = 20
rng = random.Random(4)
write_quadratic(os.path.join(WORK, "QA.safetensors"), "quadratic:dim=%d,seed=3" % n,
                [rng.gauss(0, 1) for _ in range(n)])
write_quadratic(os.path.join(WORK, "QB.safetensors"), "quadratic:dim=%d,seed=3" % n,
                [rng.gauss(0, 1) for _ in range(n)])
eig = sorted((0.1 * 100 ** (i / (n - 1)) for i in range(n)), reverse=True)
j = json.loads(run("hessian", "QA.safetensors", "--path", "QB.safetensors", "--top-k", 3, "--max-iter", n,
                   "--trace-samples", 40, "--lr", 0.15, "--path-points", 5, "--json").stdout)
s = j["selections"][0]
check(s["selection"] is None and s["parameters"] == n, "quadratic selection %r" % s["selection"])
for got, want in zip(s["eigen"]["values"], eig[:3]):
    check(abs(got - want) <= 1e-5 * want, "quadratic eigenvalue %g, want %g" % (got, want))
check(s["eigen"]["converged"], "quadratic Lanczos not converged")
tr, se = s["trace"]["mean"], s["trace"]["se"]
check(se > 0 and abs(tr - sum(eig)) <= 4 * se, "trace %g ± %g, tr A = %g" % (tr, se, sum(eig)))
st = s["stability"]
check(abs(st["threshold"] - 2 / 0.15) < 1e-12 and st["gd_stable"] == (eig[0] <= 2 / 0.15), "stability %r" % st)
p = j["paths"][0]
check(p["alpha"] == [0, 0.25, 0.5, 0.75, 1], "path α %r" % p["alpha"])
scale = max(abs(x) for x in p["dHd"])
for a, b, m in zip(p["alpha"], p["barrier"], p["predicted_midpoint"]):
    check(abs(b - m) <= 1e-5 * scale, "α %g: measured %g, midpoint form %g" % (a, b, m))
check(abs(p["predicted_endpoint_half"] - p["barrier"][2]) <= 1e-5 * scale,
      "endpoint form %g, measured %g" % (p["predicted_endpoint_half"], p["barrier"][2]))
for lm in p["lambda_max"]:
    check(abs(lm - eig[0]) <= 1e-3 * eig[0], "λ_max along the path %g" % lm)

# ---------------------------------------------------------------- tiny trained MLPs
for name, seed in (("A", 0), ("B", 1)):
    run("train", "--arch", "mlp:8,12,10,3", "--data", GMM, "--seed", seed, "--epochs", 3, "--batch", 50,
        "--threads", 1, "--quiet", "--out", name + ".safetensors")
j = json.loads(run("hessian", "A.safetensors", "--path", "B.safetensors", "--per-layer", "--data", GMM,
                   "--samples", 300, "--top-k", 2, "--trace-samples", 20, "--density-steps", 30,
                   "--path-points", 3, "--path-lanczos", 10, "--path-trace-samples", 4, "--threads", 1,
                   "--json").stdout)
names = [x["selection"] for x in j["selections"]]
check(names[0] is None and len(names) == 4, "selections %r" % names)
check(sum(x["parameters"] for x in j["selections"][1:]) == j["selections"][0]["parameters"],
      "layers do not add up to the model")
check(j["rows"] == 300, "rows %r" % j["rows"])
for x in j["selections"]:
    ev = x["eigen"]["values"]
    check(len(ev) == 2 and ev[0] >= ev[1], "%s eigenvalues %r" % (x["selection"], ev))
    for r in x["density"]["runs"]:
        check(abs(sum(r["weights"]) - 1) < 1e-9, "%s density weights sum %g" % (x["selection"], sum(r["weights"])))
    check(max(r["nodes"][-1] for r in x["density"]["runs"]) <= ev[0] * (1 + 1e-3) + 1e-9,
          "%s: an SLQ node above λ_max" % x["selection"])
check(len(j["paths"]) == 4 and j["path_to"] == "B", "paths")
p = j["paths"][0]
check(p["alpha"] == [0, 0.5, 1] and p["barrier"][0] == 0 and p["barrier"][2] == 0, "path ends %r" % p["barrier"])
check(all(isinstance(x, float) for x in p["dHd"] + p["lambda_max"] + p["trace"]), "path values")
check(j["provenance"]["models"][1].endswith("B.safetensors"), "provenance %r" % j["provenance"]["models"])

text = run("hessian", "A.safetensors", "--block", "fc0", "--data", GMM, "--samples", 100, "--lr", 0.1,
           "--threads", 1, "--quiet").stdout
check("fc0 (" in text and "top-3 eigenvalues" in text and "stability (η = 0.1, 2/η = 20)" in text,
      "text output\n" + text)

# GELU and LayerNorm MLPs have exact HVPs; so do transformers with softmax (or elementwise
# linear) attention; other attention variants say which variant has none.
run("train", "--arch", "mlp:8,6,3+ln+gelu", "--data", GMM, "--epochs", 1, "--threads", 1, "--quiet",
    "--out", "G.safetensors")
g = json.loads(run("hessian", "G.safetensors", "--data", GMM, "--samples", 100, "--threads", 1, "--quiet",
                   "--json").stdout)
check(len(g["selections"][0]["eigen"]["values"]) == 3 and g["selections"][0]["eigen"]["values"][0] > 0,
      "GELU + LayerNorm MLP: %r" % g["selections"][0]["eigen"])
TASK = "task:mqar,vocab=16,length=8,pairs=2,train=40,test=20,seed=1"
run("train", "--arch", "transformer:tokens=16,seq=8,d=8,heads=2,layers=2,ff=8,attn=softmax,causal",
    "--data", TASK, "--epochs", 3, "--threads", 1, "--quiet", "--out", "T.safetensors")
run("train", "--arch", "transformer:tokens=16,seq=8,d=8,heads=2,layers=2,ff=8,attn=softmax,causal",
    "--data", TASK, "--epochs", 3, "--seed", 1, "--threads", 1, "--quiet", "--out", "T1.safetensors")
t = json.loads(run("hessian", "T.safetensors", "--path", "T1.safetensors", "--per-layer", "--data", TASK,
                   "--samples", 40, "--top-k", 2, "--trace-samples", 6, "--density-steps", 10,
                   "--path-points", 3, "--path-lanczos", 6, "--path-trace-samples", 2, "--threads", 1,
                   "--json").stdout)
ts = t["selections"]
check(ts[0]["selection"] is None and len(ts) >= 3, "transformer selections %r" % [x["selection"] for x in ts])
check(sum(x["parameters"] for x in ts[1:]) == ts[0]["parameters"],
      "transformer layers do not add up to the model")
for x in ts:
    ev = x["eigen"]["values"]
    check(len(ev) == 2 and all(math.isfinite(e) for e in ev) and ev[0] >= ev[1],
          "transformer %s eigenvalues %r" % (x["selection"], ev))
    check(math.isfinite(x["trace"]["mean"]), "transformer %s trace %r" % (x["selection"], x["trace"]))
# The whole model's λ_max bounds every layer's (a principal submatrix's top eigenvalue), when
# its Lanczos run converged (otherwise its estimate is only a lower bound).
check(not ts[0]["eigen"]["converged"] or all(x["eigen"]["values"][0] <= ts[0]["eigen"]["values"][0] * (1 + 1e-3) + 1e-9 for x in ts[1:]),
      "a transformer layer's λ_max above the model's: %r" % [x["eigen"]["values"][0] for x in ts])
tp = t["paths"][0]
check(tp["alpha"] == [0, 0.5, 1] and tp["barrier"][0] == 0 and tp["barrier"][2] == 0,
      "transformer path ends %r" % tp["barrier"])
check(all(isinstance(x, float) and math.isfinite(x) for x in tp["dHd"] + tp["lambda_max"] + tp["trace"]),
      "transformer path values %r" % tp)
run("train", "--arch", "transformer:tokens=16,seq=8,d=8,heads=2,layers=1,ff=8,attn=performer,causal",
    "--data", TASK, "--epochs", 1, "--threads", 1, "--quiet", "--out", "P.safetensors")
# Every attention variant has HVPs: a performer transformer's top eigenvalue.
run("hessian", "P.safetensors", "--data", TASK, "--top-k", 1, "--trace-samples", 0,
    "--density-vectors", 0, "--threads", 1, "--quiet")
for args, needle in ((["hessian"], "model file"), (["hessian", "nothere.safetensors"], "nothere.safetensors"),
                     (["hessian", "A.safetensors", "--data", GMM, "--block", "nope"], "--block"),
                     (["hessian", "A.safetensors", "--data", GMM, "--top-k", "-1"], "--top-k"),
                     (["hessian", "A.safetensors", "--data", GMM, "--tol", "2"], "--tol"),
                     (["hessian", "A.safetensors", "--data", GMM, "--lr", "0"], "--lr"),
                     (["hessian", "A.safetensors", "--data", GMM, "--split", "middle"], "--split"),
                     (["hessian", "A.safetensors", "--data", GMM, "--block", "fc0", "--per-layer"], "--block"),
                     (["hessian", "QA.safetensors", "--path", "A.safetensors"], "architectures")):
    r = run(*args, expect=2)
    lines = r.stderr.strip().splitlines()
    check(len(lines) == 1 and needle in lines[0], "%s: %r" % (args, r.stderr))

if failures:
    print("\n".join("FAIL: " + f for f in failures))
    sys.exit(1)
print("ok")
