#!/usr/bin/python3
"""NumPy peer for bench_spectra: numpy.linalg.svd (LAPACK dgesdd, float64) of the same weight
matrices, values only and with vectors (full_matrices=False).

  build/bench/bench_spectra --dump /tmp/spectra-mats
  spectra_peer.py /tmp/spectra-mats [--repeats 5]

Prints one JSON line. Values only is numpy's part of model_spectra (which also computes every
statistic and the power-law fit); with vectors is what the alignment needs.
"""
import argparse, glob, json, os, time

import numpy as np


def best(f, repeats):
    f()
    t = 1e30
    for _ in range(repeats):
        t0 = time.perf_counter()
        f()
        t = min(t, time.perf_counter() - t0)
    return t


def main():
    p = argparse.ArgumentParser()
    p.add_argument("dir")
    p.add_argument("--repeats", type=int, default=5)
    a = p.parse_args()
    mats = [np.load(f).astype(np.float64) for f in sorted(glob.glob(os.path.join(a.dir, "w*.npy")))]
    s0 = [0.0]

    def values():
        for i, w in enumerate(mats):
            s = np.linalg.svd(w, compute_uv=False)
            if i == 0:
                s0[0] = float(s[0])

    def vectors():
        for w in mats:
            np.linalg.svd(w, full_matrices=False)

    tv, tu = best(values, a.repeats), best(vectors, a.repeats)
    print(json.dumps({"bench": "spectra", "impl": "numpy " + np.__version__, "matrices": len(mats),
                      "seconds_values": round(tv, 4), "seconds_vectors": round(tu, 4),
                      "sigma_max_0": s0[0]}))


if __name__ == "__main__":
    main()
