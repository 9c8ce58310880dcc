#!/usr/bin/env python3
"""Writes the numbers the docs quote from a finished run folder of the bundled study.

The docs never carry hand-copied numbers: README.md and docs/REPRODUCTION.md hold regions

    <!-- begin numbers: NAME (scripts/docs_numbers.py; do not edit by hand) -->
    ...
    <!-- end numbers: NAME -->

and this script replaces each region's body with text made from the run folder's
results/*.json, experiment.json and provenance.json, formatted by the display rules of
docs/USER_GUIDE.md ("Numbers": loss to 4 significant digits, error in % with 2 decimals).

    scripts/docs_numbers.py RUN_DIR FILE.md...           rewrite the regions in place
    scripts/docs_numbers.py --check RUN_DIR FILE.md...   exit 1 when a region differs
    --note TEXT                                          a remark after the run's time

scripts/reproduce.sh runs the study and then this script. Exit 2 with one line naming the file
on bad input (a missing result, a malformed JSON file, a region without its end marker).
"""
import json
import math
import os
import platform
import re
import sys

REGION = re.compile(
    r"(<!-- begin numbers: (?P<name>[a-z0-9-]+) [^>]*-->\n)(?P<body>.*?)(<!-- end numbers: (?P=name) -->)",
    re.S)


class InputError(Exception):
    pass


# Display rules (engine/include/ridgeline/core/format.h).
def loss(v):
    return "n/a" if v is None or math.isnan(v) else f"{v:.4g}"


def loss_barrier(v):
    if v is None or math.isnan(v):
        return "n/a"
    return "0" if v == 0 else f"{v:+.4g}"


def error(v):
    return "n/a" if v is None or math.isnan(v) else f"{100 * v:.2f}%"


def error_barrier(v):
    return "n/a" if v is None or math.isnan(v) else f"{100 * v:+.2f}%"


def seconds(v):
    if v < 10:
        return f"{v:.2f} s"
    if v < 60:
        return f"{v:.1f} s"
    t = round(v)
    return f"{t // 60} min {t % 60:02d} s"


def read_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except OSError as e:
        raise InputError(f"{path}: cannot read ({e.strerror})")
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: not valid JSON ({e})")


def num(x):
    return float("nan") if x is None else float(x)


class Run:
    def __init__(self, folder):
        self.folder = folder
        self.spec = read_json(os.path.join(folder, "experiment.json"))
        self.prov = read_json(os.path.join(folder, "provenance.json"))
        if self.prov.get("status") != "finished":
            raise InputError(f"{folder}/provenance.json: the run is not finished "
                             f"(status {self.prov.get('status')!r})")
        try:
            self.models = [m["name"] for m in self.spec["models"]]
            self.steps = self.spec["steps"]
        except (KeyError, TypeError) as e:
            raise InputError(f"{folder}/experiment.json: no models or steps ({e})")
        self.train = {m: read_json(self.result(f"train-{m}")) for m in self.models}
        self.align = [s for s in self.steps if s.get("type") == "align"]
        self.paths = [s for s in self.steps if s.get("type") == "interpolate"]

    def result(self, step_id):
        return os.path.join(self.folder, "results", step_id + ".json")

    def aligned_name(self, s):
        return s["b"] + "@" + s.get("id", s.get("method", "wm"))

    def align_result(self, s):
        sid = s.get("id") or "align-" + s["b"] + "@" + s.get("method", "wm")
        return read_json(self.result(sid))

    def path(self, s):
        return read_json(self.result(s["id"]))


def final_test_error(run, model):
    epochs = run.train[model].get("epochs", [])
    tested = [e for e in epochs if e.get("test_error") is not None and e.get("test_loss", -1) >= 0]
    if not tested:
        raise InputError(f"{run.result('train-' + model)}: no tested epoch")
    return num(tested[-1]["test_error"])


NOTE = ""


def machine(run):
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (f"Run {run.prov.get('started', '?')[:10]} with ridgeline {run.prov.get('ridgeline_version', '?')} "
            f"on {cpu}, {run.prov.get('device', '?')}; the whole study took "
            f"{seconds(num(run.prov.get('seconds', float('nan'))))} of wall-clock time" + (f" ({NOTE})" if NOTE else "") + ".")


METHOD_WORDS = {"wm": "weight matching", "am": "cross-moment activation matching",
                "am-pearson": "Pearson activation matching", "ste": "the straight-through estimator"}


def path_label(run, s):
    b = s["b"]
    words = "naive" if "@" not in b else METHOD_WORDS.get(b.split("@", 1)[1], b.split("@", 1)[1])
    if s.get("repair"):
        words += " + REPAIR"
    return f"{words} (`{s['id']}`)"


def lmc_body(run):
    spec, tr = run.spec, run.spec.get("train", {})
    models = run.models
    errs = ", ".join(f"{m} {error(final_test_error(run, m))}" for m in models)
    out = [machine(run), ""]
    out.append(f"Models {', '.join(models)} (`{spec['model']['arch']}`, {tr.get('optimizer', 'adam')} "
               f"lr {tr.get('lr')}, batch {tr.get('batch')}, {tr.get('epochs')} epochs); final test "
               f"error {errs}.")
    sentences = []
    for s in run.align:
        r = run.align_result(s)
        fc = r.get("function_check", {})
        what = METHOD_WORDS.get(r.get("method", s.get("method", "wm")), s.get("method"))
        extra = f"{r['sweeps']} sweeps, " if r.get("method") == "wm" else ""
        if r.get("method", s.get("method")) in ("am", "am-pearson") and "samples" in s:
            extra += f"{s['samples']:,} training images, "
        sentences.append(
            f"{s['b']} aligned to {s['a']} by {what} ({extra}{seconds(num(r['seconds']))}; "
            f"‖θ_A − θ_B‖ {r['l2_before']:.1f} → {r['l2_after']:.1f}; function check "
            f"{'passed' if fc.get('passed') else 'FAILED'}, max |logit difference| "
            f"{num(fc.get('max_abs_logit_diff')):.2g} against logits up to {num(fc.get('max_abs_logit')):.3g}).")
    data = spec.get("data", {})
    sets = [f"{data[k]:,} {w} images" for k, w in (("train_subset", "train"), ("test_subset", "test"))
            if data.get(k)]
    points = sorted({s.get("points", 25) for s in run.paths})
    sentences.append(f"Paths of {'/'.join(map(str, points))} points on {data.get('name', '?')} "
                     f"({', '.join(sets) if sets else 'the full train and test sets'}):")
    out.append(" ".join(sentences))
    out.append("")
    out.append("| path | test loss barrier (linear / mean-endpoint) | at α | test error barrier "
               "(linear / mean-endpoint) | test error at α = ½ | train loss barrier (mean-endpoint) |")
    out.append("|---|---|---|---|---|---|")
    for s in run.paths:
        r = run.path(s)
        try:
            alpha = r["alpha"]
            test, btest = r["test"], r["barrier"]["test"]
            btrain = r["barrier"].get("train")
        except (KeyError, TypeError) as e:
            raise InputError(f"{run.result(s['id'])}: no test curve or barrier ({e})")
        lin = [l - ((1 - a) * test["loss"][0] + a * test["loss"][-1]) for a, l in zip(alpha, test["loss"])]
        k = max(range(len(lin)), key=lambda i: (lin[i], -i))
        where = f"{alpha[k]:.3f}" if 0 < alpha[k] < 1 and lin[k] > 0 else "none (no interior barrier)"
        mid = min(range(len(alpha)), key=lambda i: abs(alpha[i] - 0.5))
        out.append(
            f"| {path_label(run, s)} | {loss_barrier(num(btest['loss_lin']))} / {loss_barrier(num(btest['loss_mid']))} "
            f"| {where} | {error_barrier(num(btest['error_lin']))} / {error_barrier(num(btest['error_mid']))} "
            f"| {error(num(test['error'][mid]))} | {loss_barrier(num(btrain['loss_mid'])) if btrain else 'n/a'} |")
    return "\n".join(out) + "\n"


def headline_body(run):
    naive = next((s for s in run.paths if "@" not in s["b"] and not s.get("repair")), None)
    wm = next((s for s in run.paths if s["b"].endswith("@wm") and not s.get("repair")), None)
    if not naive or not wm:
        raise InputError(f"{run.folder}/experiment.json: needs a naive and a weight-matched path")
    n, w = run.path(naive)["barrier"]["test"], run.path(wm)["barrier"]["test"]
    return (f"The naive path's test barrier (loss {loss_barrier(num(n['loss_mid']))}, error "
            f"{error_barrier(num(n['error_mid']))}, mean-endpoint form) falls to loss "
            f"{loss_barrier(num(w['loss_mid']))} (error {error_barrier(num(w['error_mid']))}) after weight "
            f"matching ({run.prov.get('started', '?')[:10]}, {run.prov.get('device', '?')}; "
            f"docs/REPRODUCTION.md has every path and what varies across machines).\n")


BODIES = {"fmnist-mlp-lmc": lmc_body, "fmnist-mlp-lmc-headline": headline_body}


def rewrite(text, run, source):
    names = re.findall(r"<!-- begin numbers: ([a-z0-9-]+) ", text)
    if len(names) != len(REGION.findall(text)):
        raise InputError(f"{source}: a 'begin numbers' region has no matching end marker")

    def body(m):
        name = m.group("name")
        if name not in BODIES:
            raise InputError(f"{source}: unknown numbers region '{name}' (known: {', '.join(BODIES)})")
        return m.group(1) + BODIES[name](run) + m.group(4)

    return REGION.sub(body, text), len(names)


def main(argv):
    global NOTE
    check = "--check" in argv
    args = [a for a in argv if a != "--check"]
    if "--note" in args:
        i = args.index("--note")
        if i + 1 >= len(args):
            print("docs_numbers: --note needs a text", file=sys.stderr)
            return 2
        NOTE = args[i + 1]
        del args[i:i + 2]
    if len(args) < 2 or any(a in ("-h", "--help") for a in args):
        print(__doc__.strip())
        return 0 if any(a in ("-h", "--help") for a in args) else 2
    try:
        run = Run(args[0])
        stale = []
        for path in args[1:]:
            # Only plain files are rewritten (a device or a link is never replaced by a file).
            if os.path.islink(path) or not os.path.isfile(path):
                raise InputError(f"{path}: not a regular file")
            try:
                with open(path, encoding="utf-8") as f:
                    text = f.read()
            except OSError as e:
                raise InputError(f"{path}: cannot read ({e.strerror})")
            new, count = rewrite(text, run, path)
            if count == 0:
                raise InputError(f"{path}: no '<!-- begin numbers: NAME -->' region")
            if new == text:
                continue
            if check:
                stale.append(path)
                continue
            tmp = path + ".tmp"
            with open(tmp, "w", encoding="utf-8") as f:
                f.write(new)
            os.replace(tmp, path)
            print(f"docs_numbers: updated {path}")
        if stale:
            print("docs_numbers: numbers differ from the run in " + ", ".join(stale), file=sys.stderr)
            return 1
        return 0
    except InputError as e:
        print(f"docs_numbers: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
