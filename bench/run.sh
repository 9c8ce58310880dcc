#!/usr/bin/env bash
# Runs each Ridgeline benchmark and its PyTorch peer in the same script, on the same threads,
# and prints the ratios. Usage: bench/run.sh [THREADS]
# Build first (scripts/build.sh; RIDGELINE_BUILD=dir to use another build folder) and install
# the peers: RIDGELINE_BENCH_DEPS=1 scripts/bootstrap.sh
#
# PyTorch runs in two configurations, both reported:
#  - "torch threads": torch.set_num_threads(T) and OPENBLAS_NUM_THREADS=T, which is what a user
#    gets by default when T = nproc: Debian's torch runs its OpenMP pool and OpenBLAS's own
#    pthreads side by side, which oversubscribes a small machine.
#  - "torch best": intra-op threads 1 and OPENBLAS_NUM_THREADS=T, the fastest we found for
#    this torch build on these shapes. The headline ratio is against this one.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
threads=${1:-$(nproc)}
bin="${RIDGELINE_BUILD:-$root/build}/bench"
py=/usr/bin/python3
peer="$root/bench/torch_peer.py"
lscpu | grep -E 'Model name' || true
echo "threads: $threads"
ours_t=$("$bin/bench_train" --threads "$threads")
peer_t=$(OPENBLAS_NUM_THREADS=$threads "$py" "$peer" train --threads "$threads")
best_t=$(OPENBLAS_NUM_THREADS=$threads "$py" "$peer" train --threads 1)
ours_i=$("$bin/bench_interpolate" --threads "$threads")
peer_i=$(OPENBLAS_NUM_THREADS=$threads "$py" "$peer" interpolate --threads "$threads")
best_i=$(OPENBLAS_NUM_THREADS=$threads "$py" "$peer" interpolate --threads 1)
printf '%s\n' "$ours_t" "$peer_t" "$best_t" "$ours_i" "$peer_i" "$best_i"
"$py" - "$ours_t" "$peer_t" "$best_t" "$ours_i" "$peer_i" "$best_i" <<'PY'
import json, sys
ot, pt, bt, oi, pi, bi = (json.loads(a) for a in sys.argv[1:])
r = lambda a, b: a / b
print(f"train 784-512-512-512-10, batch 128, Adam: ridgeline {ot['samples_per_second']:.0f} samples/s; "
      f"torch threads {pt['samples_per_second']:.0f} ({r(ot['samples_per_second'], pt['samples_per_second']):.2f}x); "
      f"torch best {bt['samples_per_second']:.0f} ({r(ot['samples_per_second'], bt['samples_per_second']):.2f}x)")
print(f"interpolate 25 points x 10k test: ridgeline {oi['seconds']:.3f} s; "
      f"torch threads {pi['seconds']:.3f} s ({r(pi['seconds'], oi['seconds']):.2f}x); "
      f"torch best {bi['seconds']:.3f} s ({r(bi['seconds'], oi['seconds']):.2f}x)")
PY
