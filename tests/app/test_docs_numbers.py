#!/usr/bin/env python3
"""scripts/docs_numbers.py against a hand-made run folder whose numbers are known.

Checks that every number the docs' regions quote comes from the run (formatted by the display
rules), that the barrier's α is the linear form's argmax and an endpoint maximum reads "no
interior barrier", that --check tells stale docs from current ones, and that bad input is one
line with exit 2 and leaves the document untouched.
Usage: test_docs_numbers.py SOURCE_DIR WORK_DIR
"""
import json
import os
import shutil
import subprocess
import sys

source, work = sys.argv[1], sys.argv[2]
script = os.path.join(source, "scripts", "docs_numbers.py")
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def write(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(obj if isinstance(obj, str) else json.dumps(obj))


def run(*args):
    p = subprocess.run([sys.executable, script, *args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


shutil.rmtree(work, ignore_errors=True)
folder = os.path.join(work, "run")
alpha = [0.0, 0.25, 0.5, 0.75, 1.0]
write(f"{folder}/experiment.json", {
    "name": "t", "data": {"name": "fashion-mnist"}, "model": {"arch": "mlp:784,512,10"},
    "train": {"optimizer": "adam", "lr": 0.001, "batch": 128, "epochs": 2},
    "models": [{"name": "seed0", "seed": 0}, {"name": "seed1", "seed": 1}],
    "steps": [
        {"type": "align", "id": "align-seed1@wm", "a": "seed0", "b": "seed1", "method": "wm"},
        {"type": "interpolate", "id": "naive", "a": "seed0", "b": "seed1", "points": 5},
        {"type": "interpolate", "id": "wm", "a": "seed0", "b": "seed1@wm", "points": 5,
         "repair": False}]})
write(f"{folder}/provenance.json", {"status": "finished", "started": "2026-11-30T08:00:00Z",
                                    "ridgeline_version": "9.9.9", "seconds": 185.2,
                                    "device": "CPU (OpenBLAS 0.3.21, 2 threads)"})
for m, err in (("seed0", 0.11304), ("seed1", 0.1151)):
    write(f"{folder}/results/train-{m}.json",
          {"epochs": [{"epoch": 1, "test_loss": 0.5, "test_error": 0.2},
                      {"epoch": 2, "test_loss": 0.4, "test_error": err}]})
write(f"{folder}/results/align-seed1@wm.json",
      {"method": "wm", "sweeps": 18, "seconds": 1.234, "l2_before": 79.41, "l2_after": 60.62,
       "function_check": {"passed": True, "max_abs_logit_diff": 3.1e-5, "max_abs_logit": 82.0}})
# naive: a hump at α = 0.25; wm: rises toward α = 1 only (below the chord).
write(f"{folder}/results/naive.json", {
    "alpha": alpha, "test": {"loss": [0.3, 1.9, 1.8, 1.0, 0.32], "error": [0.11, 0.7, 0.69, 0.4, 0.12]},
    "barrier": {"test": {"loss_lin": 1.595, "loss_mid": 1.59, "error_lin": 0.5875, "error_mid": 0.585},
                "train": {"loss_lin": 1.6, "loss_mid": 1.62123, "error_lin": 0.5, "error_mid": 0.5}}})
write(f"{folder}/results/wm.json", {
    "alpha": alpha, "test": {"loss": [0.30, 0.301, 0.302, 0.303, 0.305],
                             "error": [0.11, 0.111, 0.112, 0.113, 0.115]},
    "barrier": {"test": {"loss_lin": 0.0, "loss_mid": 0.0025, "error_lin": 0.0, "error_mid": 0.0025}}})

doc = os.path.join(work, "doc.md")
template = ("intro\n<!-- begin numbers: fmnist-mlp-lmc (scripts/docs_numbers.py; do not edit by hand) -->\n"
            "stale\n<!-- end numbers: fmnist-mlp-lmc -->\nmiddle\n"
            "<!-- begin numbers: fmnist-mlp-lmc-headline (generated) -->\nold\n"
            "<!-- end numbers: fmnist-mlp-lmc-headline -->\nend\n")
write(doc, template)

rc, out, err = run("--check", folder, doc)
check(rc == 1 and "differ" in err, f"--check on stale docs exits 1 (got {rc}: {err!r})")
rc, out, err = run(folder, doc)
check(rc == 0, f"rewrite exits 0 (got {rc}: {err!r})")
text = open(doc, encoding="utf-8").read()
for want in ["intro\n", "\nmiddle\n", "\nend\n",
             "ridgeline 9.9.9", "3 min 05 s", "seed0 11.30%", "seed1 11.51%",
             "18 sweeps", "1.23 s", "79.4 → 60.6", "function check passed",
             "| naive (`naive`) | +1.595 / +1.59 | 0.250 | +58.75% / +58.50% | 69.00% | +1.621 |",
             "| weight matching (`wm`) | 0 / +0.0025 | none (no interior barrier) | +0.00% / +0.25% | 11.20% | n/a |",
             "test barrier (loss +1.59, error +58.50%", "falls to loss +0.0025 (error +0.25%)"]:
    check(want in text, f"the docs hold {want!r}")
check("stale" not in text and "\nold\n" not in text, "the old region bodies are gone")
rc, out, err = run("--check", folder, doc)
check(rc == 0, f"--check on current docs exits 0 (got {rc}: {err!r})")

# Bad input: one line, exit 2, the document untouched.
def bad(doc_text, what, run_folder=folder, expect=""):
    write(doc, doc_text)
    rc, out, err = run(run_folder, doc)
    check(rc == 2 and err.count("\n") == 1 and expect in err, f"{what}: exit 2, one line with {expect!r} (got {rc}: {err!r})")
    check(open(doc, encoding="utf-8").read() == doc_text, f"{what}: document untouched")

bad("<!-- begin numbers: fmnist-mlp-lmc x -->\nno end\n", "missing end marker", expect="end marker")
bad("<!-- begin numbers: nope x -->\nx\n<!-- end numbers: nope -->\n", "unknown region", expect="unknown numbers region 'nope'")
bad("no regions\n", "no region", expect="no '<!-- begin numbers")
bad(template, "missing run folder", run_folder=os.path.join(work, "missing"), expect="experiment.json: cannot read")
write(f"{folder}/results/wm.json", "{not json")
bad(template, "malformed result", expect="wm.json: not valid JSON")
rc, out, err = run(folder, "/dev/null")
check(rc == 2 and "not a regular file" in err, f"a device is refused (got {rc}: {err!r})")

print("test_docs_numbers:", "FAILED" if failures else "passed", f"({len(failures)} failures)")
sys.exit(1 if failures else 0)
