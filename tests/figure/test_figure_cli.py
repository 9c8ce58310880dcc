#!/usr/bin/env python3
"""`ridgeline figure` end to end on a tiny real run (docs/USER_GUIDE.md, "Paper figures").

usage: test_figure_cli.py RIDGELINE WORK_DIR cli|python

cli:    every view of the run is drawn (PDF, SVG, PNG), with no display; bad input exits 2 with
        one line (unknown views name the views the run can draw); the PNG states its dpi; the
        output is written atomically (a failed write leaves no partial file).
python: the exported FIG.py redraws each figure with matplotlib (this interpreter; exit 77 =
        skipped when it has no matplotlib), the PDF exists, and the numbers in FIG.csv are the
        run's numbers in results/<step>.json.
"""
import csv
import json
import os
import shutil
import struct
import subprocess
import sys

RIDGELINE, WORK, PART = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2]), sys.argv[3]

SPEC = {
    "name": "tiny-figures",
    "data": {"name": "gmm:600,200,8,3,7"},
    "model": {"arch": "mlp:8,16,16,3"},
    "train": {"epochs": 3, "batch": 32, "lr": 0.01},
    "models": [{"name": "seed0", "seed": 0}, {"name": "seed1", "seed": 1}],
    "steps": [
        {"type": "interpolate", "id": "naive", "a": "seed0", "b": "seed1", "points": 9},
        {"type": "align", "a": "seed0", "b": "seed1", "method": "wm"},
        {"type": "interpolate", "id": "wm", "a": "seed0", "b": "seed1@wm", "points": 9},
    ],
}
VIEWS = ["training", "alignment", "paths:naive", "paths:wm", "all-paths"]


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


def png_dpi(path):
    data = open(path, "rb").read()
    at = 8
    while at + 12 <= len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        if kind == b"pHYs":
            x, y, unit = struct.unpack(">IIB", data[at + 8:at + 17])
            check(unit == 1 and x == y, f"{path}: pHYs unit {unit}, {x} x {y}")
            return round(x * 0.0254)
        at += 12 + length
    return None


def slug(view):
    return view.replace(":", "_").replace("+", "_")


def cli():
    env = dict(os.environ)
    env.pop("DISPLAY", None)  # no display: the command must not need one
    env.pop("QT_QPA_PLATFORM", None)
    for view in VIEWS:
        for ext in ("pdf", "svg", "png"):
            out = os.path.join(WORK, f"{slug(view)}.{ext}")
            p = run("figure", "run", "--view", view, "--out", out, "--dpi", "150", env=env)
            check(os.path.getsize(out) > 1000, f"{out} is too small")
            check(p.stderr == "", f"{view}: stderr not empty: {p.stderr!r}")
        check(open(os.path.join(WORK, f"{slug(view)}.pdf"), "rb").read(4) == b"%PDF", view + ": not a PDF")
        check("<text" in open(os.path.join(WORK, f"{slug(view)}.svg"), encoding="utf-8").read(),
              view + ": SVG has no <text>")
    check(png_dpi(os.path.join(WORK, "training.png")) == 150, "PNG pHYs is not 150 dpi")
    run("figure", "run", "--view", "paths:naive", "--out", "w.png", "--width-mm", "183",
        "--height-mm", "70", "--dpi", "600")
    check(png_dpi(os.path.join(WORK, "w.png")) == 600, "PNG pHYs is not 600 dpi")
    svg = open(os.path.join(WORK, "paths_naive.svg"), encoding="utf-8").read()
    check('width="89mm" height="60mm"' in svg, "SVG size is not 89 x 60 mm by default")
    # Bad input: exit 2, one line naming the problem.
    p = run("figure", "run", "--view", "trainig", "--out", "x.pdf", code=2)
    check("this run can draw: training, alignment, paths:naive, paths:wm, all-paths" in p.stderr, p.stderr)
    p = run("figure", "run", "--view", "paths:nope", "--out", "x.pdf", code=2)
    check("paths:naive" in p.stderr, p.stderr)
    p = run("figure", "run", "--view", "compare", "--out", "x.pdf", code=2)
    check("--compare" in p.stderr, p.stderr)
    for opt, val in (("--width-mm", "5"), ("--height-mm", "9999"), ("--font-pt", "0"),
                     ("--dpi", "10"), ("--dpi", "abc"), ("--width-mm", "nan")):
        p = run("figure", "run", "--view", "training", "--out", "x.pdf", opt, val, code=2)
        check(opt in p.stderr, p.stderr)
    p = run("figure", "run", "--view", "training", "--out", "x.png", "--width-mm", "500",
            "--height-mm", "500", "--dpi", "2400", code=2)
    check("million pixels" in p.stderr, p.stderr)
    p = run("figure", "run", "--view", "training", "--out", "x.jpg", code=2)
    check(".pdf, .svg or .png" in p.stderr, p.stderr)
    run("figure", "run", "--view", "training", "--out", "no/such/dir/x.pdf", code=2)
    run("figure", "no-such-run", "--view", "training", "--out", "x.pdf", code=2)
    run("figure", "--view", "training", "--out", "x.pdf", code=2)
    check(not os.path.exists(os.path.join(WORK, "x.pdf")), "a refused figure left a file")
    # compare: two runs, A solid, B dashed.
    run("figure", "run", "--view", "compare", "--compare", "run2", "--out", "compare.pdf")
    # Atomic: a write that fails (the target is a folder) leaves no temporary files behind.
    os.makedirs(os.path.join(WORK, "isdir.pdf"), exist_ok=True)
    run("figure", "run", "--view", "training", "--out", "isdir.pdf", code=1)
    check(not [f for f in os.listdir(WORK) if "isdir.pdf" in f and f != "isdir.pdf"],
          "a failed write left a temporary file")


def rows(csv_path):
    out = {}
    with open(csv_path, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            out.setdefault(r["label"], []).append((float(r["x"]) if r["x"] else None,
                                                   float(r["y"]) if r["y"] else None))
    return out


def same(got, want, what):
    check(len(got) == len(want), f"{what}: {len(got)} values, the run has {len(want)}")
    for g, w in zip(got, want):
        check(g == w, f"{what}: {g!r} != {w!r} (the run's number)")


def python():
    results = os.path.join(WORK, "run", "results")
    for view in VIEWS:
        fig = os.path.join(WORK, f"{slug(view)}.svg")
        run("figure", "run", "--view", view, "--out", fig, "--python")
        script, data = fig[:-4] + ".py", fig[:-4] + ".csv"
        check(os.path.exists(script) and os.path.exists(data), view + ": no script or data")
        code = [l for l in open(script, encoding="utf-8") if l.startswith(("import", "from"))]
        check(not [l for l in code if "ridgeline" in l.lower()], view + ": the script imports Ridgeline")
        out = os.path.join(WORK, f"{slug(view)}-matplotlib.pdf")
        p = subprocess.run([sys.executable, script, out], capture_output=True, text=True)
        check(p.returncode == 0, f"{script}: exit {p.returncode}\n{p.stderr}")
        check(open(out, "rb").read(4) == b"%PDF", out + ": not a PDF")
        # Without an argument it saves FIG-matplotlib.pdf next to itself, leaving a FIG.pdf that
        # Ridgeline wrote as it was.
        before = open(fig[:-4] + ".pdf", "rb").read() if os.path.exists(fig[:-4] + ".pdf") else None
        p = subprocess.run([sys.executable, script], capture_output=True, text=True, cwd="/")
        check(p.returncode == 0 and os.path.exists(fig[:-4] + "-matplotlib.pdf"), f"{script}: no default PDF\n{p.stderr}")
        if before is not None:
            check(open(fig[:-4] + ".pdf", "rb").read() == before, f"{script}: replaced Ridgeline's PDF")
    # The data are the run's numbers, to the last bit.
    for step in ("naive", "wm"):
        res = json.load(open(os.path.join(results, step + ".json")))
        got = rows(os.path.join(WORK, f"paths_{step}.csv"))
        for split in ("test", "train"):
            for q in ("loss", "error"):
                same([y for _, y in got[f"{split} {q}"]], res[split][q], f"paths:{step} {split} {q}")
                same([x for x, _ in got[f"{split} {q}"]], res["alpha"], f"paths:{step} alpha")
        allp = rows(os.path.join(WORK, "all-paths.csv"))
        same([y for _, y in allp[f"{step} test loss"]], res["test"]["loss"], f"all-paths {step}")
    got = rows(os.path.join(WORK, "training.csv"))
    for model in ("seed0", "seed1"):
        epochs = json.load(open(os.path.join(results, f"train-{model}.json")))["epochs"]
        for key in ("train_loss", "test_loss", "train_error", "test_error"):
            split, q = key.split("_")
            same([y for _, y in got[f"{model} {split} {q}"]], [e[key] for e in epochs], f"training {model} {key}")
    rep = json.load(open(os.path.join(results, "align-seed1@wm.json")))
    got = rows(os.path.join(WORK, "alignment.csv"))
    same([y for _, y in got["align-seed1@wm gain"]], [l["gain"] for l in rep["layers"]], "alignment gain")
    same([y for _, y in got["L2 before"]], [rep["l2_before"]], "alignment l2_before")


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
    if PART == "cli":
        run("run", "tiny.json", "--out", "run2", "--threads", "1", "--quiet")
        cli()
    else:
        python()
    print("ok")


main()
