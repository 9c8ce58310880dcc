#!/usr/bin/python3
"""SciPy peer of bench_assignment: reads its JSON lines (stdin or files given as arguments),
loads the .npy matrix each one names, times scipy.optimize.linear_sum_assignment(C,
maximize=True) (best of --repeats), checks that the objective equals Ridgeline's to 1e-9
relative, and prints one JSON line per matrix with both times and the ratio
scipy_seconds / ridgeline_seconds (> 1: Ridgeline is faster).

Run with Debian's interpreter (/usr/bin/python3), which has python3-numpy and python3-scipy.
"""
import argparse
import json
import sys
import time

import numpy as np
import scipy
from scipy.optimize import linear_sum_assignment


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("inputs", nargs="*",
                    help="files of bench_assignment JSON lines (default: stdin)")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    lines = []
    if args.inputs:
        for path in args.inputs:
            with open(path) as f:
                lines.extend(f.read().splitlines())
    else:
        lines = sys.stdin.read().splitlines()
    failed = False
    for line in lines:
        line = line.strip()
        if not line.startswith("{"):
            continue
        ours = json.loads(line)
        c = np.load(ours["file"])
        assert c.dtype == np.float64 and c.shape == (ours["n"], ours["n"]), (c.dtype, c.shape)
        best = float("inf")
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            rows, cols = linear_sum_assignment(c, maximize=True)
            best = min(best, time.perf_counter() - t0)
        objective = float(c[rows, cols].sum())
        rel = abs(objective - ours["objective"]) / max(1.0, abs(objective))
        ok = rel <= 1e-9
        failed |= not ok
        print(json.dumps({
            "bench": "assignment", "kind": ours["kind"], "n": ours["n"],
            "ridgeline_seconds": ours["seconds"], "scipy_seconds": round(best, 6),
            "ratio": round(best / ours["seconds"], 3),
            "objective_ridgeline": ours["objective"], "objective_scipy": objective,
            "objective_rel_diff": rel, "objective_match": ok, "scipy": scipy.__version__,
        }), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
