#!/usr/bin/env python3
"""`ridgeline spectra` end to end (docs/USER_GUIDE.md, "Spectra"): two tiny models trained by the
CLI, B aligned to A by weight matching; the spectra of A, B and π(B) with --json: B and π(B)
have the same singular values, R(γ) of π(B) against A exceeds B's, the top-k share with k ≥ r is
100%, the provenance names the files; the text table; bad input exits 2 with one line.

    test_spectra_cli.py RIDGELINE WORK_DIR
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


shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)
for name, seed in (("A", 0), ("B", 1)):
    run("train", "--arch", "mlp:8,24,24,3", "--data", GMM, "--seed", seed, "--epochs", 3, "--batch", 50,
        "--threads", 1, "--quiet", "--out", name + ".safetensors")
run("align", "A.safetensors", "B.safetensors", "--method", "wm", "--data", GMM, "--threads", 1, "--quiet",
    "--out", "B_wm.safetensors")

j = json.loads(run("spectra", "B.safetensors", "B_wm.safetensors", "--aligned-to", "A.safetensors",
                   "--top-k", 100, "--json").stdout)
names = [m["model"] for m in j["models"]]
check(names == ["A", "B", "B_wm"], "models %s" % names)
by = {m["model"]: m for m in j["models"]}
for lb, lw in zip(by["B"]["layers"], by["B_wm"]["layers"]):
    sb, sw = lb["singular_values"], lw["singular_values"]
    check(max(abs(x - y) for x, y in zip(sb, sw)) <= 1e-9 * sb[0], "%s: σ(π(B)) != σ(B)" % lb["name"])
check([l["shape"] for l in by["A"]["layers"]] == [[24, 8], [24, 24], [3, 24]], "shapes")
al = {a["b"]: a for a in j["alignments"]}
check(set(al) == {"B", "B_wm"}, "alignments %s" % list(al))
g = al["B"]["gammas"].index(0.3)
check(al["B_wm"]["r"][g] > al["B"]["r"][g] + 0.1,
      "R(0.3): B_wm %.3f not above B %.3f" % (al["B_wm"]["r"][g], al["B"]["r"][g]))
for a in al.values():
    check(abs(a["inner_top_k"] - a["inner_product"]) <= 1e-9 * abs(a["inner_product"]), "top-k share with k >= r")
    check(len(a["layers"][1]["u_overlap"]) == 24 * 24, "k×k overlap")
check(os.path.isabs(j["provenance"]["models"][0]) and j["provenance"]["models"][0].endswith("A.safetensors"),
      "provenance models %s" % j["provenance"].get("models"))

text = run("spectra", "A.safetensors", "B_wm.safetensors", "--aligned-to", "A.safetensors").stdout
check("B_wm against A: R(γ=0)" in text, "text: alignment line\n" + text)
check("power-law fit failed: too few positive eigenvalues (3 < 10)" in text, "text: failed fit\n" + text)

for args, needle in ((["spectra"], "model file"), (["spectra", "nothere.safetensors"], "nothere.safetensors"),
                     (["spectra", "A.safetensors", "--top-k", "0"], "--top-k")):
    r = run(*args, expect=2)
    lines = r.stderr.strip().splitlines()
    check(len(lines) == 1 and needle in lines[0], "%s: %r" % (args, r.stderr))

if failures:
    print("\n".join("FAIL: " + f for f in failures))
    sys.exit(1)
print("ok")
