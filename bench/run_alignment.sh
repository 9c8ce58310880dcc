#!/usr/bin/env bash
# Linear assignment against SciPy: bench_assignment times Ridgeline's solver on random uniform
# and weight-matching gain matrices (maximise) and writes each matrix as .npy; scipy_peer.py
# times scipy.optimize.linear_sum_assignment(C, maximize=True) on the same files, checks the
# objectives agree to 1e-9 relative, and the table below gives the ratio per n
# (SciPy seconds / Ridgeline seconds; > 1 means Ridgeline is faster). Both single-threaded,
# best of REPEATS runs each.
# Then weight matching of two 784-512-512-512-10 MLPs (trained here by `ridgeline train`, 2
# epochs) to convergence: bench_weight_matching against bench/wm_peer.py (Git Re-Basin's loop
# in NumPy/SciPy, float64 like ours), both on all cores for the GEMMs.
# Usage: bench/run_alignment.sh [SIZES] [REPEATS]   (default 512,1024,2048,4096 and 3)
# Build first (RIDGELINE_BUILD=dir to use another build folder than ./build).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
sizes=${1:-512,1024,2048,4096}
repeats=${2:-3}
bin="${RIDGELINE_BUILD:-$root/build}/bench"
py=/usr/bin/python3  # Debian's interpreter: python3-numpy and python3-scipy
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ridgeline-lap.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
lscpu | grep -E 'Model name' || true
"$bin/bench_assignment" --out "$tmp" --sizes "$sizes" --repeats "$repeats" | tee "$tmp/ours.jsonl"
status=0
OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 "$py" "$root/bench/scipy_peer.py" --repeats "$repeats" \
  "$tmp/ours.jsonl" | tee "$tmp/peer.jsonl" || status=$?
"$py" - "$tmp/peer.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
print(f"{'kind':8} {'n':>5} {'ridgeline s':>12} {'scipy s':>10} {'ratio':>7}  objective")
for r in rows:
    print(f"{r['kind']:8} {r['n']:5d} {r['ridgeline_seconds']:12.4f} {r['scipy_seconds']:10.4f} "
          f"{r['ratio']:6.2f}x  {'match' if r['objective_match'] else 'MISMATCH'} "
          f"(rel diff {r['objective_rel_diff']:.1e})")
PY

ridgeline="${RIDGELINE_BUILD:-$root/build}/app/ridgeline"
for seed in 0 1; do
  "$ridgeline" train --arch mlp:784,512,512,512,10 --epochs 2 --seed $seed --quiet --out "$tmp/m$seed.safetensors"
done
ours_wm=$("$bin/bench_weight_matching" "$tmp/m0.safetensors" "$tmp/m1.safetensors" --repeats "$repeats")
peer_wm=$("$py" "$root/bench/wm_peer.py" "$tmp/m0.safetensors" "$tmp/m1.safetensors" --repeats "$repeats")
printf '%s\n%s\n' "$ours_wm" "$peer_wm"
"$py" - "$ours_wm" "$peer_wm" <<'PY'
import json, sys
o, p = (json.loads(a) for a in sys.argv[1:])
print(f"weight matching 784-512-512-512-10: ridgeline {o['seconds']:.3f} s ({o['sweeps']} sweeps), "
      f"numpy+scipy {p['seconds']:.3f} s ({p['sweeps']} sweeps): {p['seconds'] / o['seconds']:.2f}x; "
      f"per sweep {p['seconds_per_sweep'] / o['seconds_per_sweep']:.2f}x; "
      f"objective {o['objective_after']:.6g} vs {p['objective_after']:.6g}")
PY
exit "$status"
