#!/usr/bin/env python3
"""`ridgeline figure STUDY_DIR --view study` end to end (docs/USER_GUIDE.md, "Studies").

Usage: test_figure_study.py RIDGELINE WORKDIR cli|python. Runs a small study (widths 4, 16 and
64 on a Gaussian mixture, 3 seed pairs), draws its figure as PDF, SVG and PNG, checks the
refusals (a run folder, another view, --x naming no varying variable, three swept variables),
draws a two-variable study (width × depth, 2 seed pairs: one line per path kind and depth) and,
for "python", checks that the exported scripts redraw both with matplotlib and their data are
the means of results/study.csv and results/study.json. A study over attention variants (tiny
transformers on MQAR, softmax × linear_elu × inline) draws them on a category axis: named in
the sweep's order, points with error bars beside their category, no line between them; with
a learning rate swept too, the rate is the x axis and the variants are the lines.
"""
import csv
import json
import os
import shutil
import subprocess
import sys

RIDGELINE, WORK, PART = sys.argv[1], os.path.abspath(sys.argv[2]), sys.argv[3]

BASE = {
    "data": {"name": "gmm:600,200,8,4,1"},
    "model": {"arch": "mlp:8,16,4"},
    "train": {"optimizer": "adam", "lr": 0.01, "batch": 64, "epochs": 2},
    "models": [{"name": "seed0", "seed": 0}, {"name": "seed1", "seed": 1}],
    "steps": [
        {"type": "align", "a": "seed0", "b": "seed1", "method": "wm"},
        {"type": "interpolate", "id": "naive", "a": "seed0", "b": "seed1", "points": 5},
        {"type": "interpolate", "id": "wm", "a": "seed0", "b": "seed1@wm", "points": 5},
    ],
}


def run(*args, code=0):
    p = subprocess.run([RIDGELINE, *args], capture_output=True, text=True, cwd=WORK)
    if p.returncode != code:
        print(f"FAIL: ridgeline {' '.join(args)}: exit {p.returncode}, want {code}\n{p.stdout}{p.stderr}")
        sys.exit(1)
    return p


def check(cond, what):
    if not cond:
        print("FAIL:", what)
        sys.exit(1)


def write_spec(name, sweep, base=None):
    spec = dict(base or BASE, name=name, sweep=sweep)
    with open(os.path.join(WORK, name + ".json"), "w") as f:
        json.dump(spec, f)


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
    write_spec("width", {"width": [4, 16, 64], "seeds": [0, 1, 2, 3, 4, 5]})
    run("run", "width.json", "--out", "study", "--threads", "1", "--quiet")
    if PART == "cli":
        for ext in ("pdf", "svg", "png"):
            out = f"study.{ext}"
            p = run("figure", "study", "--view", "study", "--out", out, "--dpi", "150")
            check(os.path.getsize(os.path.join(WORK, out)) > 1000, out + " is too small")
            check(p.stderr == "", "stderr not empty: " + p.stderr)
        svg = open(os.path.join(WORK, "study.svg"), encoding="utf-8").read()
        for text in ("test loss barrier (linear)", "naive", "wm", "width", ">16<", ">64<"):
            check(text in svg, f"SVG lacks {text!r}")
        run("figure", "study", "--view", "study", "--band", "minmax", "--out", "minmax.svg")
        check("min–max" in open(os.path.join(WORK, "minmax.svg"), encoding="utf-8").read(), "no min–max note")
        # Refusals: one line, exit 2.
        p = run("figure", "study", "--view", "study", "--band", "sd", "--out", "x.pdf", code=2)
        check("--band" in p.stderr, p.stderr)
        p = run("figure", "study/cells/width=4,pair=0", "--view", "training", "--band", "std", "--out", "x.pdf", code=2)
        check("--band: only for --view study" in p.stderr, p.stderr)
        p = run("figure", "study", "--view", "training", "--out", "x.pdf", code=2)
        check("only --view study" in p.stderr, p.stderr)
        p = run("figure", "study/cells/width=4,pair=0", "--view", "study", "--out", "x.pdf", code=2)
        check("needs a study folder" in p.stderr, p.stderr)
        p = run("figure", "study/cells/width=4,pair=0", "--view", "training", "--x", "width", "--out", "x.pdf", code=2)
        check("--x: only for --view study" in p.stderr, p.stderr)
        p = run("figure", "study", "--view", "study", "--x", "depth", "--out", "x.pdf", code=2)
        check("--x depth: not a swept variable; choices: width" in p.stderr, p.stderr)
        # Two swept variables: one line per (path kind, depth); --x picks the x axis.
        two_variable_study()
        run("figure", "two", "--view", "study", "--out", "two.svg")
        svg = open(os.path.join(WORK, "two.svg"), encoding="utf-8").read()
        for text in ("naive", "wm", "depth = 1", "depth = 2", ">width<", "mean over seed pairs, n = 2"):
            check(text in svg, f"two.svg lacks {text!r}")
        run("figure", "two", "--view", "study", "--x", "depth", "--out", "two-depth.svg")
        svg = open(os.path.join(WORK, "two-depth.svg"), encoding="utf-8").read()
        for text in ("width = 4", "width = 16", ">depth<"):
            check(text in svg, f"two-depth.svg lacks {text!r}")
        p = run("figure", "two", "--view", "study", "--x", "lr", "--out", "x.pdf", code=2)
        check(p.stderr.count("\n") == 1 and "--x lr: not a swept variable; choices: width, depth" in p.stderr, p.stderr)
        p = run("figure", "two", "--view", "study", "--where", "depth=3", "--out", "x.pdf", code=2)
        check("--where depth=3: no finished cell has depth = 3; values: 1, 2" in p.stderr, p.stderr)
        # Three: refused naming them, unless --where fixes one.
        write_spec("three", {"width": [4, 16], "depth": [1, 2], "epochs": [1, 2], "seeds": [0, 1]})
        run("run", "three.json", "--out", "three", "--threads", "1", "--quiet")
        p = run("figure", "three", "--view", "study", "--out", "x.pdf", code=2)
        check(p.stderr.count("\n") == 1 and "varies width, depth and epochs" in p.stderr and "--where" in p.stderr, p.stderr)
        check(not os.path.exists(os.path.join(WORK, "x.pdf")), "a refused figure left a file")
        run("figure", "three", "--view", "study", "--where", "epochs=2", "--out", "three.svg")
        check("depth = 2" in open(os.path.join(WORK, "three.svg"), encoding="utf-8").read(), "three.svg lacks depth")
        # Attention variants: a category axis named in the sweep's order.
        attn_study()
        p = run("figure", "attn", "--view", "study", "--out", "attn.svg")
        check(p.stderr == "", "stderr not empty: " + p.stderr)
        svg = open(os.path.join(WORK, "attn.svg"), encoding="utf-8").read()
        for text in (">attn<", ">softmax<", ">linear_elu<", ">inline<", "naive", "wm"):
            check(text in svg, f"attn.svg lacks {text!r}")
        check(svg.index(">softmax<") < svg.index(">linear_elu<") < svg.index(">inline<"),
              "the variants are not in the sweep's order")
        run("figure", "attn", "--view", "study", "--out", "attn.png", "--dpi", "200")
        write_spec("attn-lr", {"attn": ["softmax", "linear_elu"], "lr": [0.003, 0.01], "seeds": [0, 1]},
                   ATTN_BASE)
        run("run", "attn-lr.json", "--out", "attn-lr", "--threads", "1", "--quiet")
        run("figure", "attn-lr", "--view", "study", "--out", "attn-lr.svg")
        svg = open(os.path.join(WORK, "attn-lr.svg"), encoding="utf-8").read()
        for text in (">lr<", "attn = softmax", "attn = linear_elu"):
            check(text in svg, f"attn-lr.svg lacks {text!r}")
        run("figure", "attn-lr", "--view", "study", "--x", "attn", "--out", "attn-lr-x.svg")
        svg = open(os.path.join(WORK, "attn-lr-x.svg"), encoding="utf-8").read()
        for text in (">attn<", ">softmax<", "lr = 0.003", "lr = 0.01"):
            check(text in svg, f"attn-lr-x.svg lacks {text!r}")
        p = run("figure", "attn", "--view", "study", "--where", "attn=flash", "--out", "x.pdf", code=2)
        check("--where attn=flash: no finished cell has attn = flash; values: softmax, linear_elu, inline"
              in p.stderr, p.stderr)
        # results/study.csv, cells.csv and study.json are outputs: nothing reads them back, so
        # corrupting them changes neither `ridgeline study` nor the figure.
        before = run("study", "study", "--json").stdout
        for name in ("study.csv", "cells.csv", "study.json"):
            with open(os.path.join(WORK, "study", "results", name), "w") as f:
                f.write("\x00garbage,\"\n{")
        after = run("study", "study", "--json").stdout
        strip = lambda t: {k: v for k, v in json.loads(t).items() if k != "provenance"}
        check(strip(before) == strip(after), "a corrupted results/ file changed `ridgeline study`")
        run("figure", "study", "--view", "study", "--out", "after-corrupt.svg")
        # A cell without results (as after a cancel): drawn from the rest, with a warning.
        shutil.rmtree(os.path.join(WORK, "study", "cells", "width=64,pair=2"))
        p = run("figure", "study", "--view", "study", "--out", "partial.pdf")
        check("1 of 9 cells have no results yet (width=64,pair=2)" in p.stderr, p.stderr)
    else:
        run("figure", "study", "--view", "study", "--out", "s.pdf", "--python")
        p = subprocess.run([sys.executable, os.path.join(WORK, "s.py")], capture_output=True, text=True, cwd="/")
        check(p.returncode == 0, "s.py failed: " + p.stderr)
        check(os.path.getsize(os.path.join(WORK, "s-matplotlib.pdf")) > 1000, "s.py wrote no PDF")
        # The script's data are the means of results/study.csv (test split, linear form).
        want = {}
        with open(os.path.join(WORK, "study/results/study.csv"), newline="") as f:
            for r in csv.DictReader(f):
                if r["split"] == "test":
                    want[(r["path"], "loss_lin", float(r["width"]))] = float(r["loss_lin_mean"])
        got = {}
        with open(os.path.join(WORK, "s.csv"), newline="") as f:
            for r in csv.DictReader(f):
                path, _, measure, _ = r["label"].split(" ")
                if measure == "loss_lin":
                    got[(path, measure, float(r["x"]))] = float(r["y"])
        check(got.keys() == want.keys(), f"series {sorted(got)} != {sorted(want)}")
        for k, v in want.items():
            check(abs(got[k] - v) <= 1e-12 * max(1, abs(v)), f"{k}: {got[k]} != {v}")
        # Two variables: the script redraws it; its data are the means of results/study.json.
        two_variable_study()
        run("figure", "two", "--view", "study", "--out", "t.png", "--python")
        p = subprocess.run([sys.executable, os.path.join(WORK, "t.py")], capture_output=True, text=True, cwd="/")
        check(p.returncode == 0, "t.py failed: " + p.stderr)
        check(os.path.getsize(os.path.join(WORK, "t-matplotlib.pdf")) > 1000, "t.py wrote no PDF")
        with open(os.path.join(WORK, "two/results/study.json")) as f:
            agg = json.load(f)
        want = {}
        for g in agg["groups"]:
            if g["split"] == "test":
                for m in ("loss_lin", "error_lin"):
                    want[(g["path"], m, float(g["values"]["width"]), str(g["values"]["depth"]))] = g[m]["mean"]
        got = {}
        with open(os.path.join(WORK, "t.csv"), newline="") as f:
            for r in csv.DictReader(f):
                path, split, measure, _, depth = r["label"].split(" ")
                check(split == "test" and depth.startswith("depth="), r["label"])
                got[(path, measure, float(r["x"]), depth[len("depth="):])] = float(r["y"])
        check(got.keys() == want.keys(), f"series {sorted(got)} != {sorted(want)}")
        for k, v in want.items():
            check(abs(got[k] - v) <= 1e-12 * max(1, abs(v)), f"{k}: {got[k]} != {v}")
        # Attention variants: the script draws error bars on a category axis; a point's x is its
        # category's index plus a small offset; its y is the group's mean.
        attn_study()
        run("figure", "attn", "--view", "study", "--out", "a.pdf", "--python")
        p = subprocess.run([sys.executable, os.path.join(WORK, "a.py")], capture_output=True, text=True, cwd="/")
        check(p.returncode == 0, "a.py failed: " + p.stderr)
        with open(os.path.join(WORK, "attn/results/study.json")) as f:
            agg = json.load(f)
        order = ["softmax", "linear_elu", "inline"]
        want = {(g["path"], g["values"]["attn"]): g["loss_lin"]["mean"]
                for g in agg["groups"] if g["split"] == "test"}
        got = {}
        with open(os.path.join(WORK, "a.csv"), newline="") as f:
            for r in csv.DictReader(f):
                path, _, measure, _ = r["label"].split(" ")
                if measure == "loss_lin":
                    x = float(r["x"])
                    i = round(x)
                    check(0 < abs(x - i) <= 0.2, f"x {x} is not beside category {i}")
                    got[(path, order[i])] = float(r["y"])
        check(got.keys() == want.keys(), f"series {sorted(got)} != {sorted(want)}")
        for k, v in want.items():
            check(abs(got[k] - v) <= 1e-12 * max(1, abs(v)), f"{k}: {got[k]} != {v}")
        script = open(os.path.join(WORK, "a.py"), encoding="utf-8").read()
        check('"whiskers": true' in script and "ax.errorbar(" in script, "the script draws no error bars")
    print("ok")


# Tiny causal transformers on MQAR (seconds a cell).
ATTN_BASE = {
    "data": {"name": "task:mqar,vocab=16,length=8,pairs=2,train=128,test=64,seed=1"},
    "model": {"kind": "transformer",
              "arch": "transformer:tokens=16,seq=8,d=8,heads=2,layers=1,ff=16,attn=softmax,causal"},
    "train": {"optimizer": "adam", "lr": 0.01, "batch": 32, "epochs": 2},
    "models": [{"name": "seed0", "seed": 0}, {"name": "seed1", "seed": 1}],
    "steps": BASE["steps"],
}


def attn_study():
    """softmax × linear_elu × inline, 2 seed pairs: 6 cells."""
    write_spec("attn", {"attn": ["softmax", "linear_elu", "inline"], "seeds": [0, 1, 2, 3]}, ATTN_BASE)
    run("run", "attn.json", "--out", "attn", "--threads", "1", "--quiet")


def two_variable_study():
    """width × depth, 2 seed pairs: 8 cells."""
    write_spec("two", {"width": [4, 16], "depth": [1, 2], "seeds": [0, 1, 2, 3]})
    run("run", "two.json", "--out", "two", "--threads", "1", "--quiet")


main()
