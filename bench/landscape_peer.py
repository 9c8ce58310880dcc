#!/usr/bin/python3
"""PyTorch peer for bench_landscape: the same grid of the plane through three models,
evaluated point by point (form θ, load it, run the test images in batches of 1000), in
PyTorch's fastest configuration for this loop (no_grad, float32, every core).

  landscape_peer.py [--arch 784,512,512,512,10] [--grid 11] [--samples 1000] [--threads N]
                    [--repeats 3] [--precision fp32|bf16]

--precision bf16 runs the model in torch.bfloat16 (weights and images cast; the loss in
float32 from the bf16 logits), PyTorch's own way to a bf16 grid on the CPU.

The samples are the first S test images (the timing does not depend on which). Prints one JSON
line. Run with Debian's python3-torch (with libopenblas0-pthread installed, otherwise torch
falls back to the reference BLAS).
"""
import argparse, gzip, json, os, time

import numpy as np
import torch
from torch import nn

DATA = "/usr/share/datasets/fashion-mnist"


def load_idx(name):
    with gzip.open(os.path.join(DATA, name), "rb") as f:
        raw = f.read()
    ndim = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def mlp(widths):
    layers = []
    for i in range(len(widths) - 1):
        layers.append(nn.Linear(widths[i], widths[i + 1]))
        if i + 2 < len(widths):
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--arch", default="784,512,512,512,10")
    p.add_argument("--grid", type=int, default=11)
    p.add_argument("--samples", type=int, default=1000)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--precision", choices=("fp32", "bf16"), default="fp32")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    widths = [int(w) for w in args.arch.replace("mlp:", "").split(",")]
    x = torch.from_numpy(load_idx("t10k-images-idx3-ubyte.gz").reshape(-1, 784)[: args.samples]
                         .astype(np.float32) / 255.0)
    y = torch.from_numpy(load_idx("t10k-labels-idx1-ubyte.gz")[: args.samples].astype(np.int64))
    models = []
    for seed in range(3):
        torch.manual_seed(seed)
        models.append(mlp(widths).state_dict())
    a, b, c = models
    # The plane's coordinates (Gram–Schmidt in float64, units of |B - A|), as Ridgeline's.
    flat = lambda m: np.concatenate([v.double().numpy().ravel() for v in m.values()])
    d1, dc = flat(b) - flat(a), flat(c) - flat(a)
    cx = dc @ d1 / (d1 @ d1)
    cy = np.linalg.norm(dc - cx * d1) / np.linalg.norm(d1)
    axis = np.linspace(-0.5, 1.5, args.grid)
    dtype = torch.bfloat16 if args.precision == "bf16" else torch.float32
    model = mlp(widths).to(dtype)
    xd = x.to(dtype)

    def sweep():
        out = []
        with torch.no_grad():
            for yv in axis:
                for xv in axis:
                    bb = yv / cy
                    aa = xv - bb * cx
                    model.load_state_dict({k: a[k] + aa * (b[k] - a[k]) + bb * (c[k] - a[k]) for k in a})
                    total, correct = 0.0, 0
                    for s in range(0, x.shape[0], 1000):
                        logits = model(xd[s: s + 1000]).float()
                        total += nn.functional.cross_entropy(logits, y[s: s + 1000], reduction="sum").item()
                        correct += (logits.argmax(1) == y[s: s + 1000]).sum().item()
                    out.append((total / x.shape[0], 1 - correct / x.shape[0]))
        return out

    sweep()  # warm-up
    best = 1e30
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        sweep()
        best = min(best, time.perf_counter() - t0)
    points = args.grid * args.grid
    print(json.dumps({"bench": "landscape", "impl": "pytorch", "precision": args.precision,
                      "torch": torch.__version__,
                      "threads": torch.get_num_threads(), "points": points, "samples": int(x.shape[0]),
                      "seconds": round(best, 4), "points_per_second": round(points / best, 2)}))


if __name__ == "__main__":
    main()
