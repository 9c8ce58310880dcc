#!/usr/bin/env python3
"""`ridgeline figure RUN --view spectra:<id> [--layer NAME]` end to end on a tiny real run
(docs/USER_GUIDE.md, "Spectra" and "Paper figures").

usage: test_figure_spectra.py RIDGELINE WORK_DIR cli|python

cli:    the spectra figure is drawn (PDF, SVG, PNG) with no display, for the default layer and
        for --layer; bad input (an unknown layer, --layer on another view, an unknown spectra
        step) exits 2 with one line naming the option and what exists.
python: the exported FIG.py redraws it with matplotlib (exit 77 = skipped without it), and the
        numbers in FIG.csv are the run's: the layer's singular values and R(γ).
"""
import csv
import json
import os
import shutil
import subprocess
import sys

RIDGELINE, WORK, PART = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2]), sys.argv[3]

SPEC = {
    "name": "tiny-spectra",
    "data": {"name": "gmm:600,200,8,3,7"},
    "model": {"arch": "mlp:8,16,16,3"},
    "train": {"epochs": 3, "batch": 32, "lr": 0.01},
    "models": [{"name": "seed0", "seed": 0}, {"name": "seed1", "seed": 1}],
    "steps": [
        {"type": "align", "a": "seed0", "b": "seed1", "method": "wm"},
        {"type": "spectra", "id": "sp", "models": ["seed0", "seed1", "seed1@wm"],
         "aligned_to": "seed0", "top_k": 4, "gammas": [0, 0.3, 0.6, 1]},
    ],
}
LAYERS = "fc0.weight, fc1.weight, fc2.weight"


def run(*args, code=0, env=None):
    p = subprocess.run([RIDGELINE, *args], capture_output=True, text=True, cwd=WORK, env=env)
    if p.returncode != code:
        sys.exit(f"ridgeline {' '.join(args)}: exit {p.returncode}, expected {code}\n"
                 f"stdout: {p.stdout}\nstderr: {p.stderr}")
    if code == 2 and len(p.stderr.strip().splitlines()) != 1:
        sys.exit(f"ridgeline {' '.join(args)}: expected one error line, got:\n{p.stderr}")
    return p


def check(cond, what):
    if not cond:
        sys.exit("FAIL: " + what)


def cli():
    env = dict(os.environ)
    env.pop("DISPLAY", None)  # no display: the command must not need one
    env.pop("QT_QPA_PLATFORM", None)
    for ext in ("pdf", "svg", "png"):
        out = os.path.join(WORK, f"sp.{ext}")
        p = run("figure", "run", "--view", "spectra:sp", "--out", out, "--width-mm", "183", env=env)
        check(os.path.getsize(out) > 1000, f"{out} is too small")
        check(p.stderr == "", f"stderr not empty: {p.stderr!r}")
    svg = open(os.path.join(WORK, "sp.svg"), encoding="utf-8").read()
    check("fc0.weight" in svg, "the default layer is not the first weight matrix")
    run("figure", "run", "--view", "spectra:sp", "--layer", "fc1.weight", "--out", "fc1.svg",
        "--width-mm", "183", env=env)
    svg = open(os.path.join(WORK, "fc1.svg"), encoding="utf-8").read()
    check("fc1.weight" in svg and "fc0.weight" not in svg, "--layer fc1.weight did not draw fc1")
    check("Ito et al." in svg, "the paper's γ = 0.3 is not marked")
    p = run("figure", "run", "--view", "spectra:sp", "--layer", "fc9.weight", "--out", "x.pdf", code=2)
    check("--layer" in p.stderr and LAYERS in p.stderr, p.stderr)
    p = run("figure", "run", "--view", "training", "--layer", "fc1.weight", "--out", "x.pdf", code=2)
    check("--layer" in p.stderr and "spectra:" in p.stderr, p.stderr)
    p = run("figure", "run", "--view", "spectra:nope", "--out", "x.pdf", code=2)
    check("spectra:sp" in p.stderr, p.stderr)
    p = run("figure", "run", "--view", "trainig", "--out", "x.pdf", code=2)
    check("spectra:sp" in p.stderr, p.stderr)
    check(not os.path.exists(os.path.join(WORK, "x.pdf")), "a refused figure left a file")


def rows(csv_path):
    out = {}
    with open(csv_path, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            out.setdefault(r["label"], []).append((float(r["x"]) if r["x"] else None,
                                                   float(r["y"]) if r["y"] else None))
    return out


def python():
    fig = os.path.join(WORK, "sp.svg")
    run("figure", "run", "--view", "spectra:sp", "--layer", "fc1.weight", "--out", fig,
        "--width-mm", "183", "--python")
    script, data = fig[:-4] + ".py", fig[:-4] + ".csv"
    check(os.path.exists(script) and os.path.exists(data), "no script or data")
    out = os.path.join(WORK, "sp-matplotlib.pdf")
    p = subprocess.run([sys.executable, script, out], capture_output=True, text=True)
    check(p.returncode == 0, f"{script}: exit {p.returncode}\n{p.stderr}")
    check(open(out, "rb").read(4) == b"%PDF", out + ": not a PDF")
    res = json.load(open(os.path.join(WORK, "run", "results", "sp.json")))
    got = rows(data)
    for m in res["models"]:
        layer = [l for l in m["layers"] if l["name"] == "fc1.weight"][0]
        label = m["model"] if m["model"] != "seed1@wm" else "seed1@wm = π(seed1): same σ (dashed)"
        check(label in got, f"no series {label!r} in {sorted(got)}")
        check([y for _, y in got[label]] == [s for s in layer["singular_values"] if s > 0],
              f"{label}: σ are not the run's")
    for al in res["alignments"]:
        label = "R: " + al["b"] + (" (before)" if al["b"] == "seed1" else " (after)")
        check([y for _, y in got[label]] == al["r"], f"{label}: R is not the run's")
        check([x for x, _ in got[label]] == al["gammas"], f"{label}: γ are not the run's")
    check(os.path.exists(fig[:-4] + ".grid.csv"), "the heatmaps' grid was not written")


def main():
    if PART == "python":
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            print(f"SKIP: {sys.executable} has no matplotlib (Debian: python3-matplotlib)")
            sys.exit(77)
    if os.path.exists(WORK):
        shutil.rmtree(WORK)
    os.makedirs(WORK)
    with open(os.path.join(WORK, "tiny.json"), "w") as f:
        json.dump(SPEC, f)
    run("run", "tiny.json", "--out", "run", "--threads", "1", "--quiet")
    cli() if PART == "cli" else python()
    print("ok")


main()
