#!/usr/bin/python3
"""PyTorch peers for bench_attention (docs/PERFORMANCE.md, "Attention variants"), the same
shapes: H heads of width d (d_v = d), float32, seeded Gaussian Q, K, V, dO.

  softmax_explicit    S = QKᵀ/√d, causal mask (-inf above the diagonal), softmax, S·V: the
                      explicit form (PyTorch 1.13 has no public scaled_dot_product_attention).
  linear_elu_chunked  causal linear attention, φ = elu(x)+1, a_ij = φ(q_i)·φ(k_j) / (Σ_s
                      φ(q_i)·φ(k_s) + 1e-6), in the chunked form of flash-linear-attention
                      (Yang et al. 2024, arXiv 2312.06635, §3 "chunkwise parallel form"): rows in
                      chunks of C = 64; inside a chunk the masked (φ(Q)φ(K)ᵀ ⊙ tril)·V; across
                      chunks the state S_c = Σ_{earlier chunks} φ(K)ᵀV (and z_c = Σ φ(K)),
                      read as φ(Q)·S_c. Not causal: S = φ(K)ᵀV once.

Forward runs under torch.no_grad(); forward + backward runs the forward with inputs that
require gradients and then out.backward(dO) (torch autograd). Best of --repeats after one
warm-up. Prints one JSON line per variant and length, like bench_attention.

  attention_peer.py [--variants softmax_explicit,linear_elu_chunked] [--lengths 256,...,16384]
                    [--d 64] [--heads 1] [--causal 1] [--backward 1] [--repeats 3] [--threads 1]
                    [--chunk 64]

Run with Debian's python3-torch (/usr/bin/python3).
"""
import argparse
import json
import sys
import time

import torch
import torch.nn.functional as F

EPS = 1e-6


def fail(message):
    print(f"attention_peer.py: {message}", file=sys.stderr)
    sys.exit(2)


def softmax_explicit(q, k, v, causal):
    n, d = q.shape[-2], q.shape[-1]
    s = torch.matmul(q, k.transpose(-1, -2)) * (d ** -0.5)
    if causal:
        mask = torch.ones(n, n, dtype=torch.bool).triu_(1)
        s = s.masked_fill(mask, float("-inf"))
    return torch.matmul(torch.softmax(s, dim=-1), v)


def elu_plus_one(x):
    return F.elu(x) + 1.0


def linear_elu_chunked(q, k, v, causal, chunk):
    fq, fk = elu_plus_one(q), elu_plus_one(k)
    if not causal:
        s = torch.matmul(fk.transpose(-1, -2), v)                # [H, d, d_v]
        z = fk.sum(dim=-2)                                       # [H, d]
        num = torch.matmul(fq, s)
        den = (fq * z.unsqueeze(-2)).sum(-1, keepdim=True)
        return num / (den + EPS)
    h, n, d = q.shape
    dv = v.shape[-1]
    c = n // chunk
    fq = fq.reshape(h, c, chunk, d)
    fk = fk.reshape(h, c, chunk, d)
    vc = v.reshape(h, c, chunk, dv)
    tril = torch.ones(chunk, chunk, dtype=torch.bool).tril_()
    # Intra-chunk: the masked kernel of the chunk's own rows.
    a = torch.matmul(fq, fk.transpose(-1, -2)).masked_fill(~tril, 0.0)   # [H, C, c, c]
    num = torch.matmul(a, vc)
    den = a.sum(-1)
    # Inter-chunk: the state of the chunks before, an exclusive prefix sum over chunks.
    kv = torch.matmul(fk.transpose(-1, -2), vc)                          # [H, C, d, d_v]
    s = torch.cumsum(kv, dim=1) - kv
    zk = fk.sum(dim=-2)                                                   # [H, C, d]
    z = torch.cumsum(zk, dim=1) - zk
    num = num + torch.matmul(fq, s)
    den = den + torch.matmul(fq, z.unsqueeze(-1)).squeeze(-1)
    out = num / (den + EPS).unsqueeze(-1)
    return out.reshape(h, n, dv)


def time_best(repeats, f):
    f()  # warm-up
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t0)
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--variants", default="softmax_explicit,linear_elu_chunked")
    ap.add_argument("--lengths", default="256,512,1024,2048,4096,8192,16384")
    ap.add_argument("--d", type=int, default=64)
    ap.add_argument("--heads", type=int, default=1)
    ap.add_argument("--causal", type=int, default=1)
    ap.add_argument("--backward", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--chunk", type=int, default=64)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    fns = {"softmax_explicit": lambda q, k, v: softmax_explicit(q, k, v, bool(args.causal)),
           "linear_elu_chunked": lambda q, k, v: linear_elu_chunked(q, k, v, bool(args.causal),
                                                                    args.chunk)}
    names = args.variants.split(",")
    for name in names:
        if name not in fns:
            fail(f"--variants: unknown '{name}' (known: {', '.join(fns)})")
    try:
        lengths = [int(x) for x in args.lengths.split(",")]
    except ValueError:
        fail(f"--lengths: '{args.lengths}' is not a comma-separated list of integers")
    for n in lengths:
        if n < 1 or (args.causal and "linear_elu_chunked" in names and n % args.chunk):
            fail(f"--lengths: {n} is not a positive multiple of --chunk {args.chunk} "
                 "(the chunked causal form needs whole chunks)")
    for name in names:
        f = fns[name]
        for n in lengths:
            g = torch.Generator().manual_seed(n)
            q, k, v, do = (torch.randn(args.heads, n, args.d, generator=g) for _ in range(4))
            sink = 0.0

            def fwd():
                nonlocal sink
                with torch.no_grad():
                    sink += float(f(q, k, v)[0, 0, 0])

            def both():
                nonlocal sink
                qg, kg, vg = (x.detach().requires_grad_() for x in (q, k, v))
                f(qg, kg, vg).backward(do)
                sink += float(qg.grad[0, 0, 0])

            t_fwd = time_best(args.repeats, fwd)
            t_both = time_best(args.repeats, both) if args.backward else None
            print(json.dumps({"bench": "attention", "impl": "torch", "variant": name, "n": n,
                              "d": args.d, "heads": args.heads, "causal": bool(args.causal),
                              "threads": args.threads, "seconds_forward": round(t_fwd, 6),
                              "seconds_forward_backward":
                                  None if t_both is None else round(t_both, 6),
                              "torch": torch.__version__, "check": sink}), flush=True)


if __name__ == "__main__":
    main()
