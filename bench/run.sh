#!/usr/bin/env bash
# Runs each Ridgeline benchmark and its PyTorch peer in the same script, same threads, and
# prints the ratios. Usage: bench/run.sh [THREADS]   (build first: scripts/build.sh)
# Needs the peers: RIDGELINE_BENCH_DEPS=1 scripts/bootstrap.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
threads=${1:-$(nproc)}
bin="${RIDGELINE_BUILD:-$root/build}/bench"
py=/usr/bin/python3
lscpu | grep -E 'Model name' || true
echo "threads: $threads"
ours_t=$("$bin/bench_train" --threads "$threads")
peer_t=$("$py" "$root/bench/torch_peer.py" train --threads "$threads")
ours_i=$("$bin/bench_interpolate" --threads "$threads")
peer_i=$("$py" "$root/bench/torch_peer.py" interpolate --threads "$threads")
printf '%s\n%s\n%s\n%s\n' "$ours_t" "$peer_t" "$ours_i" "$peer_i"
"$py" - "$ours_t" "$peer_t" "$ours_i" "$peer_i" <<'PY'
import json, sys
ot, pt, oi, pi = (json.loads(a) for a in sys.argv[1:])
print(f"train 784-512-512-512-10 batch 128 Adam: ridgeline {ot['samples_per_second']:.0f} samples/s, "
      f"pytorch {pt['samples_per_second']:.0f} samples/s, ratio {ot['samples_per_second'] / pt['samples_per_second']:.2f}x")
print(f"interpolate 25 points x 10k test: ridgeline {oi['seconds']:.3f} s, pytorch {pi['seconds']:.3f} s, "
      f"ratio {pi['seconds'] / oi['seconds']:.2f}x")
PY
