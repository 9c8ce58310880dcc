#!/usr/bin/python3
"""PyTorch peers for bench_hessian on the same parameters and batch (written by
`bench_hessian --dump DIR`): Hessian-vector products by double backpropagation
(torch.autograd.grad with create_graph=True, the graph kept and reused as PyHessian does; torch
1.13 has no torch.func), PyHessian's top-k power iteration with deflation (maxIter 100,
relative tol 1e-3, as amirgholami/PyHessian's hessian.eigenvalues), and SciPy's eigsh
(ARPACK Lanczos, which='LA', same tol) over a LinearOperator of those HVPs.

  hessian_peer.py DIR [--threads N] [--hvps 10] [--k 3] [--tol 1e-3] [--skip-power]

Prints one JSON line. Run with Debian's python3-torch and libopenblas0-pthread, intra-op
threads 1 and OPENBLAS_NUM_THREADS = the thread count (bench/run.sh: its fastest configuration).
"""
import argparse, json, os, time

import numpy as np
import torch
from torch import nn


def mlp(widths):
    layers = []
    for i in range(len(widths) - 1):
        layers.append(nn.Linear(widths[i], widths[i + 1]))
        if i + 2 < len(widths):
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("dir")
    p.add_argument("--arch", default="784,512,512,512,10")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--hvps", type=int, default=10)
    p.add_argument("--k", type=int, default=3)
    p.add_argument("--tol", type=float, default=1e-3)
    p.add_argument("--skip-power", action="store_true")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    widths = [int(w) for w in args.arch.replace("mlp:", "").split(",")]
    flat = np.load(os.path.join(args.dir, "params.npy"))
    x = torch.from_numpy(np.load(os.path.join(args.dir, "x.npy")))
    y = torch.from_numpy(np.load(os.path.join(args.dir, "y.npy")).astype(np.int64))
    model = mlp(widths)
    # Ridgeline's flat layout: per layer weight [out, in] then bias — PyTorch's state_dict order.
    off = 0
    with torch.no_grad():
        for prm in model.parameters():
            n = prm.numel()
            prm.copy_(torch.from_numpy(flat[off: off + n].reshape(prm.shape)))
            off += n
    assert off == flat.size, "parameter count"
    params = [q for q in model.parameters()]
    loss = nn.functional.cross_entropy(model(x), y)
    grads = torch.autograd.grad(loss, params, create_graph=True)
    count = [0]

    def hvp(vs):
        count[0] += 1
        return torch.autograd.grad(grads, params, grad_outputs=vs, retain_graph=True)

    dot = lambda a, b: sum(float((u * w).sum()) for u, w in zip(a, b))

    def normalise(v):
        s = dot(v, v) ** 0.5
        return [u / (s + 1e-6) for u in v]

    # HVPs per second.
    v = [torch.randn_like(q) for q in params]
    hvp(v)
    t0 = time.perf_counter()
    for _ in range(args.hvps):
        hvp(v)
    hvp_s = (time.perf_counter() - t0) / args.hvps

    out = {"bench": "hessian", "impl": "pytorch", "torch": torch.__version__, "threads": torch.get_num_threads(),
           "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS"), "samples": int(x.shape[0]),
           "hvp_seconds": round(hvp_s, 5), "hvps_per_second": round(1 / hvp_s, 3)}

    # PyHessian's eigenvalues(): power iteration, deflated by Gram–Schmidt, maxIter 100.
    if not args.skip_power:
        torch.manual_seed(0)
        count[0] = 0
        t0 = time.perf_counter()
        eigs, vecs = [], []
        for _ in range(args.k):
            ev = None
            v = normalise([torch.randn_like(q) for q in params])
            for _ in range(100):
                for w in vecs:  # orthonormalise against the eigenvectors found
                    c = dot(v, w)
                    v = [a - c * b for a, b in zip(v, w)]
                v = normalise(v)
                hv = hvp(v)
                tmp = dot(hv, v)
                v = normalise(hv)
                if ev is not None and abs(ev - tmp) / (abs(ev) + 1e-6) < args.tol:
                    break  # PyHessian keeps the previous estimate
                ev = tmp
            eigs.append(ev)
            vecs.append(v)
        out.update(power_seconds=round(time.perf_counter() - t0, 3), power_hvps=count[0],
                   power_eigenvalues=[round(e, 6) for e in eigs])

    # SciPy eigsh (ARPACK) over the same HVPs, in float64 vectors.
    from scipy.sparse.linalg import LinearOperator, eigsh
    shapes = [q.shape for q in params]
    sizes = [q.numel() for q in params]
    n = sum(sizes)

    def matvec(z):
        z = np.asarray(z, dtype=np.float32).ravel()
        parts, o = [], 0
        for s, sh in zip(sizes, shapes):
            parts.append(torch.from_numpy(z[o: o + s].reshape(sh)))
            o += s
        return np.concatenate([h.detach().numpy().ravel() for h in hvp(parts)]).astype(np.float64)

    count[0] = 0
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    vals = eigsh(LinearOperator((n, n), matvec=matvec, dtype=np.float64), k=args.k, which="LA",
                 tol=args.tol, v0=rng.standard_normal(n), return_eigenvectors=False)
    out.update(eigsh_seconds=round(time.perf_counter() - t0, 3), eigsh_hvps=count[0],
               eigsh_eigenvalues=[round(float(e), 6) for e in sorted(vals, reverse=True)])
    print(json.dumps(out))


if __name__ == "__main__":
    main()
