#!/usr/bin/env bash
# Runs each Ridgeline benchmark and its PyTorch peer in the same script, on the same threads,
# and prints the ratios. Usage: bench/run.sh [THREADS] [all|landscape]
# Build first (scripts/build.sh; RIDGELINE_BUILD=dir to use another build folder) and install
# the peers: RIDGELINE_BENCH_DEPS=1 scripts/bootstrap.sh
#
# PyTorch runs in two configurations, both reported:
#  - "torch threads": torch.set_num_threads(T) and OPENBLAS_NUM_THREADS=T, which is what a user
#    gets by default when T = nproc: Debian's torch runs its OpenMP pool and OpenBLAS's own
#    pthreads side by side, which oversubscribes a small machine.
#  - "torch best": intra-op threads 1 and OPENBLAS_NUM_THREADS=T, the fastest we found for
#    this torch build on these shapes. The headline ratio is against this one.
#
# Landscape grids (docs/PERFORMANCE.md, "Landscape grids"): fp32 and bf16 rows, 784-512-512-512-10
# on 1,000 images (11x11 grid) and 10,000 (5x5), each against the peer in the same precision
# and in fp32 (torch best). RIDGELINE_BENCH_MODELS=A,B,C (trained safetensors of that
# architecture) makes the bf16 rows' deviation from fp32 that of real models; without it the
# models are freshly initialised (the timing is the same). Set OMP_WAIT_POLICY=passive on a
# shared machine (see PERFORMANCE.md).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
threads=${1:-$(nproc)}
what=${2:-all}
bin="${RIDGELINE_BUILD:-$root/build}/bench"
py=/usr/bin/python3
peer="$root/bench/torch_peer.py"
lscpu | grep -E 'Model name' || true
echo "threads: $threads"
if [ "$what" = all ]; then
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
fi

# ---------------------------------------------------------------------- landscape grids
models=()
[ -n "${RIDGELINE_BENCH_MODELS:-}" ] && models=(--models "$RIDGELINE_BENCH_MODELS")
lpeer="$root/bench/landscape_peer.py"
rows=()
for cfg in "1000 11" "10000 5"; do
  set -- $cfg
  for prec in fp32 bf16; do
    ours=$("$bin/bench_landscape" --threads "$threads" --samples "$1" --grid "$2" --repeats 1 \
           --precision "$prec" "${models[@]}")
    peer=$(OPENBLAS_NUM_THREADS=$threads "$py" "$lpeer" --threads 1 --samples "$1" --grid "$2" \
           --repeats 1 --precision "$prec")
    rows+=("$ours" "$peer")
    printf '%s\n' "$ours" "$peer"
  done
done
"$py" - "${rows[@]}" <<'PY'
import json, sys
r = [json.loads(a) for a in sys.argv[1:]]
print("| images | precision | Ridgeline points/s | PyTorch same precision | ratio | PyTorch fp32 | ratio | max abs dloss | max derror |")
print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
for i in range(0, len(r), 4):
    o32, p32, o16, p16 = r[i:i + 4]
    for o, p in ((o32, p32), (o16, p16)):
        dev = o.get("max_abs_dloss"), o.get("max_derror")
        print(f"| {o['samples']:,} | {o['precision']} | {o['points_per_second']:.2f} | {p['points_per_second']:.2f} | "
              f"{o['points_per_second'] / p['points_per_second']:.2f}x | {p32['points_per_second']:.2f} | "
              f"{o['points_per_second'] / p32['points_per_second']:.2f}x | "
              f"{'' if dev[0] is None else '%.3g' % dev[0]} | {'' if dev[1] is None else '%.2f%%' % (100 * dev[1])} |")
PY
