#!/usr/bin/python3
"""PyTorch peer for bench_train and bench_interpolate: the same work, the same data.

  torch_peer.py train [--arch 784,512,512,512,10] [--batch 128] [--samples 30000] [--threads N]
  torch_peer.py interpolate [--arch ...] [--points 25] [--threads N] [--repeats 3]

Prints one JSON line. Run with Debian's python3-torch (with libopenblas0-pthread installed,
otherwise torch falls back to the reference BLAS).
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


def load(split):
    prefix = "train" if split == "train" else "t10k"
    x = load_idx(f"{prefix}-images-idx3-ubyte.gz").reshape(-1, 784).astype(np.float32) / 255.0
    y = load_idx(f"{prefix}-labels-idx1-ubyte.gz").astype(np.int64)
    return torch.from_numpy(x), torch.from_numpy(y)


def mlp(widths):
    layers = []
    for i in range(len(widths) - 1):
        layers.append(nn.Linear(widths[i], widths[i + 1]))
        if i + 2 < len(widths):
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def train(args, widths):
    x, y = load("train")
    n = (args.samples // args.batch) * args.batch
    g = torch.Generator().manual_seed(0)
    idx = torch.randperm(x.shape[0], generator=g)[: args.samples]
    x, y = x[idx], y[idx]
    torch.manual_seed(0)
    model = mlp(widths)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    lossf = nn.CrossEntropyLoss()

    def epoch(count):
        perm = torch.randperm(x.shape[0], generator=g)
        for s in range(count // args.batch):
            b = perm[s * args.batch: (s + 1) * args.batch]
            xb, yb = x[b], y[b]
            opt.zero_grad(set_to_none=True)
            loss = lossf(model(xb), yb)
            loss.backward()
            opt.step()
            loss.item()  # per-step metric, as Ridgeline reports one

    epoch(args.batch * 8)  # warm-up
    t0 = time.perf_counter()
    epoch(n)
    dt = time.perf_counter() - t0
    return {"bench": "train", "impl": "pytorch", "torch": torch.__version__, "threads": torch.get_num_threads(),
            "batch": args.batch, "samples": n, "seconds": round(dt, 4), "samples_per_second": round(n / dt, 1)}


def interpolate(args, widths):
    x, y = load("test")
    torch.manual_seed(0)
    a = mlp(widths).state_dict()
    torch.manual_seed(1)
    b = mlp(widths).state_dict()
    model = mlp(widths)
    alphas = np.linspace(0, 1, args.points)

    def sweep():
        out = []
        with torch.no_grad():
            for t in alphas:
                model.load_state_dict({k: (1 - t) * a[k] + t * b[k] for k in a})
                total, correct = 0.0, 0
                for s in range(0, x.shape[0], 1000):
                    logits = model(x[s: s + 1000])
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
    return {"bench": "interpolate", "impl": "pytorch", "torch": torch.__version__, "threads": torch.get_num_threads(),
            "points": args.points, "samples": int(x.shape[0]), "seconds": round(best, 4)}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=["train", "interpolate"])
    p.add_argument("--arch", default="784,512,512,512,10")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--samples", type=int, default=30000)
    p.add_argument("--points", type=int, default=25)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    widths = [int(w) for w in args.arch.replace("mlp:", "").split(",")]
    r = train(args, widths) if args.what == "train" else interpolate(args, widths)
    print(json.dumps(r))


if __name__ == "__main__":
    main()
