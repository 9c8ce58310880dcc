#!/usr/bin/python3
"""NumPy/SciPy peer for bench_weight_matching: Git Re-Basin's weight-matching loop for an MLP
(random permutation order per sweep, scipy.optimize.linear_sum_assignment, stop after a sweep
with no gain > 1e-12, at most 100 sweeps), in float64 like Ridgeline, on the same two
safetensors files (read with numpy, no torch needed). Prints one JSON line.

  wm_peer.py A.safetensors B.safetensors [--repeats 3] [--seed 0]
"""
import argparse, json, struct, time

import numpy as np
from scipy.optimize import linear_sum_assignment


def load(path):
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8: 8 + n])
    meta = header.pop("__metadata__", {})
    names = meta["ridgeline.layers"].split(",")
    t = {}
    for k, v in header.items():
        b, e = v["data_offsets"]
        t[k] = np.frombuffer(raw[8 + n + b: 8 + n + e], dtype="<f4").reshape(v["shape"]).astype(np.float64)
    return [t[f"{l}.weight"] for l in names], [t[f"{l}.bias"] for l in names]


def weight_matching(wa, ba, wb, bb, seed, max_iter=100):
    L = len(wa)
    hidden = L - 1
    perm = [np.arange(wa[l].shape[0]) for l in range(hidden)]
    rng = np.random.default_rng(seed)
    sweeps = 0
    for _ in range(max_iter):
        progress = False
        sweeps += 1
        for l in rng.permutation(hidden):
            w_in = wb[l][:, perm[l - 1]] if l > 0 else wb[l]
            w_out = wb[l + 1][perm[l + 1], :] if l + 1 < hidden else wb[l + 1]
            c = wa[l] @ w_in.T + np.outer(ba[l], bb[l]) + wa[l + 1].T @ w_out
            ri, ci = linear_sum_assignment(c, maximize=True)
            old = c[np.arange(len(perm[l])), perm[l]].sum()
            new = c[ri, ci].sum()
            progress = progress or new > old + 1e-12
            perm[l] = ci
        if not progress:
            break
    return perm, sweeps


def main():
    p = argparse.ArgumentParser()
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    wa, ba = load(args.a)
    wb, bb = load(args.b)
    best = 1e30
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        perm, sweeps = weight_matching(wa, ba, wb, bb, args.seed)
        best = min(best, time.perf_counter() - t0)
    obj = 0.0
    for l in range(len(wa)):
        w = wb[l]
        b = bb[l]
        if l < len(perm):
            w, b = w[perm[l], :], b[perm[l]]
        if l > 0:
            w = w[:, perm[l - 1]]
        obj += (wa[l] * w).sum() + (ba[l] * b).sum()
    print(json.dumps({"bench": "weight_matching", "impl": "numpy+scipy", "seconds": round(best, 4),
                      "sweeps": sweeps, "seconds_per_sweep": round(best / sweeps, 5),
                      "objective_after": obj}))


if __name__ == "__main__":
    main()
