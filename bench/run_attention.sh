#!/usr/bin/env bash
# Attention benchmark against its PyTorch peers (docs/PERFORMANCE.md, "Attention variants"):
# bench_attention and bench/attention_peer.py, interleaved, ROUNDS rounds on the same thread
# count, the best time of each (implementation, variant, length) over the rounds; then the
# ratio tables, peer time over engine time (> 1: the engine is faster), forward and
# forward + backward: softmax against the explicit PyTorch form, each linear variant against
# the chunked PyTorch linear attention (elu+1).
# Usage: bench/run_attention.sh [OUT_DIR]
# Environment: THREADS (1), ROUNDS (2), REPEATS (5, best of, after a warm-up),
#   LENGTHS (256,...,16384), VARIANTS (softmax and the linear variants), CAUSAL (1),
#   RIDGELINE_BUILD (build folder, default build/).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-/tmp/ridgeline-bench-attention}
build="${RIDGELINE_BUILD:-$root/build}"
threads=${THREADS:-1}
rounds=${ROUNDS:-2}
repeats=${REPEATS:-5}
lengths=${LENGTHS:-256,512,1024,2048,4096,8192,16384}
variants=${VARIANTS:-softmax,linear_elu,linear_relu,cosformer,performer,transnormer,inline,flatten,hedgehog}
causal=${CAUSAL:-1}
if [[ ! -x "$build/bench/bench_attention" ]]; then
  echo "run_attention.sh: $build/bench/bench_attention not found (build the bench_attention target)" >&2
  exit 2
fi
if ! /usr/bin/python3 -c "import torch" 2> /dev/null; then
  echo "run_attention.sh: /usr/bin/python3 has no torch (Debian's python3-torch is the peer)" >&2
  exit 2
fi
mkdir -p "$out"
: > "$out/engine.jsonl"
: > "$out/peer.jsonl"
: > "$out/load.txt"
lscpu | grep -E 'Model name' || true
for round in $(seq "$rounds"); do
  echo "round $round, $threads thread(s), load average $(cut -d' ' -f1-3 /proc/loadavg)" |
    tee -a "$out/load.txt"
  OMP_NUM_THREADS=$threads "$build/bench/bench_attention" --threads "$threads" \
    --repeats "$repeats" --causal "$causal" --backward 1 --lengths "$lengths" \
    --variants "$variants" >> "$out/engine.jsonl"
  OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads /usr/bin/python3 \
    "$root/bench/attention_peer.py" --threads "$threads" --repeats "$repeats" \
    --causal "$causal" --backward 1 --lengths "$lengths" >> "$out/peer.jsonl"
done
echo "after, load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/load.txt"
/usr/bin/python3 - "$out" <<'EOF'
import json, sys
out = sys.argv[1]
best = {}
for impl_file in ("engine.jsonl", "peer.jsonl"):
    for line in open(f"{out}/{impl_file}"):
        r = json.loads(line)
        for kind in ("seconds_forward", "seconds_forward_backward"):
            key = (r["variant"], r["n"], kind)
            if r[kind] is not None:
                best[key] = min(best.get(key, float("inf")), r[kind])
lengths = sorted({n for (_, n, _) in best})
ms = lambda s: f"{s * 1e3:.0f}" if s >= 0.1 else f"{s * 1e3:.3g}"
variants = []
for (v, _, _) in best:
    if v not in variants and v not in ("softmax_explicit", "linear_elu_chunked"):
        variants.append(v)
print(f"\nBest over the rounds; ms, and peer time / engine time (> 1: engine faster). Peers: "
      "softmax → PyTorch explicit softmax, linear variants → PyTorch chunked linear (elu+1).")
for kind, title in (("seconds_forward", "Forward"),
                    ("seconds_forward_backward", "Forward + backward")):
    print(f"\n{title}:\n")
    print("| variant | " + " | ".join(str(n) for n in lengths) + " |")
    print("|---|" + "---:|" * len(lengths))
    for peer in ("softmax_explicit", "linear_elu_chunked"):
        cells = [ms(best[(peer, n, kind)]) if (peer, n, kind) in best else "—"
                 for n in lengths]
        print(f"| PyTorch `{peer}` | " + " | ".join(cells) + " |")
    for v in variants:
        peer = "softmax_explicit" if v == "softmax" else "linear_elu_chunked"
        cells = []
        for n in lengths:
            e, p = best.get((v, n, kind)), best.get((peer, n, kind))
            cells.append("—" if e is None else
                         ms(e) + ("" if p is None else f" ({p / e:.2f}×)"))
        print(f"| `{v}` | " + " | ".join(cells) + " |")
EOF
