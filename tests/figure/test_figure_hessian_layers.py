#!/usr/bin/env python3
"""`ridgeline figure RUN --view hessian-layers:<id>` and the predictions on
`--view layerwise:<id>` end to end on a tiny real run (docs/USER_GUIDE.md, "Curvature").

usage: test_figure_hessian_layers.py RIDGELINE WORK_DIR cli|python

cli:    the per-layer figure is drawn (PDF, SVG, PNG) with no display for a hessian step with
        per_layer and path_to; a step without per-layer paths is not one of the views (exit 2,
        one line naming what the view needs); the layer-wise figure of the same A and B carries
        the predictions' legend entry, the one of another pair does not.
python: the exported data are the run's numbers: per path b(½) measured, by the midpoint form
        and by the endpoint form; on the layer-wise figure the midpoint form's largest b(α) per
        layer (none for the cumulative range). FIG.py redraws it (exit 77 without matplotlib).
"""
import csv
import json
import math
import os
import shutil
import subprocess
import sys

RIDGELINE, WORK, PART = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2]), sys.argv[3]

CHEAP = {"top_k": 1, "max_iter": 8, "trace_samples": 2, "density_vectors": 0,
         "path_points": 5, "path_lanczos": 0, "path_trace_samples": 0, "split": "test"}
SPEC = {
    "name": "tiny-hessian-layers",
    "data": {"name": "gmm:600,200,8,3,7"},
    "model": {"arch": "mlp:8,16,16,3"},
    "train": {"epochs": 3, "batch": 32, "lr": 0.01},
    "models": [{"name": "seed0", "seed": 0}, {"name": "seed1", "seed": 1}],
    "steps": [
        {"type": "hessian", "id": "H", "model": "seed0", "path_to": "seed1", "per_layer": True, **CHEAP},
        {"type": "hessian", "id": "Hwhole", "model": "seed0", "path_to": "seed1", **CHEAP},
        {"type": "layerwise", "id": "L", "a": "seed0", "b": "seed1", "points": 5},
        {"type": "layerwise", "id": "Lback", "a": "seed1", "b": "seed0", "points": 5},
    ],
}


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
        out = os.path.join(WORK, f"hl.{ext}")
        p = run("figure", "run", "--view", "hessian-layers:H", "--out", out, env=env)
        check(os.path.getsize(out) > 1000, f"{out} is too small")
        check(p.stderr == "", f"stderr not empty: {p.stderr!r}")
    svg = open(os.path.join(WORK, "hl.svg"), encoding="utf-8").read()
    for text in ("measured b(\u00bd)", "midpoint form", "endpoint form", "fc0", "fc2", "whole"):
        check(text in svg, f"{text!r} is not in the figure")
    p = run("figure", "run", "--view", "hessian-layers:Hwhole", "--out", "x.pdf", code=2)
    check("per_layer and path_to" in p.stderr and "hessian-layers:H" in p.stderr, p.stderr)
    check(not os.path.exists(os.path.join(WORK, "x.pdf")), "a refused figure left a file")
    run("figure", "run", "--view", "layerwise:L", "--out", "L.svg", env=env)
    check("predicted loss barrier (Hessian, n = 200)" in open(os.path.join(WORK, "L.svg"), encoding="utf-8").read(),
          "the layer-wise figure of seed0 → seed1 lacks the predictions")
    run("figure", "run", "--view", "layerwise:Lback", "--out", "Lback.svg", env=env)
    check("Hessian batch" not in open(os.path.join(WORK, "Lback.svg"), encoding="utf-8").read(),
          "the layer-wise figure of seed1 → seed0 shows predictions of seed0 → seed1")


def rows(csv_path):
    out = {}
    with open(csv_path, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            out.setdefault(r["label"], []).append(float(r["y"]) if r["y"] else None)
    return out


def same(a, b):
    return len(a) == len(b) and all(
        (x is None and (y is None or math.isnan(y))) or
        (x is not None and y is not None and abs(x - y) <= 1e-9 * max(1.0, abs(y))) for x, y in zip(a, b))


def redraw(script):
    out = script[:-3] + "-matplotlib.pdf"
    p = subprocess.run([sys.executable, script, out], capture_output=True, text=True)
    check(p.returncode == 0, f"{script}: exit {p.returncode}\n{p.stderr}")
    check(open(out, "rb").read(4) == b"%PDF", out + ": not a PDF")


def python():
    res = json.load(open(os.path.join(WORK, "run", "results", "H.json")))
    half = [p["alpha"].index(0.5) for p in res["paths"]]
    run("figure", "run", "--view", "hessian-layers:H", "--out", "hl.svg", "--python")
    got = rows(os.path.join(WORK, "hl.csv"))
    check(same(got["measured b(\u00bd)"], [p["barrier"][i] for p, i in zip(res["paths"], half)]),
          f"measured b(½) are not the run's: {got['measured b(½)']}")
    check(same(got["midpoint form"], [p["predicted_midpoint"][i] for p, i in zip(res["paths"], half)]),
          "the midpoint form is not the run's")
    check(same(got["endpoint form"], [p["predicted_endpoint_half"] for p in res["paths"]]),
          "the endpoint form is not the run's")
    check([p["selection"] for p in res["paths"]] == [None, "fc0", "fc1", "fc2"], "not one path per layer")
    redraw(os.path.join(WORK, "hl.py"))
    run("figure", "run", "--view", "layerwise:L", "--out", "L.svg", "--python")
    got = rows(os.path.join(WORK, "L.csv"))
    label = "predicted, midpoint form (Hessian batch, 200 samples)"
    check(label in got, f"no series {label!r} in {sorted(got)}")
    layers = [p["predicted_max"] for p in res["paths"][1:]]
    check(same(got[label], layers + [None]), f"{got[label]} are not the run's {layers} (and none for fc0..fc1)")
    redraw(os.path.join(WORK, "L.py"))


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
