#!/usr/bin/env bash
# Curvature benchmark (docs/PERFORMANCE.md, "Curvature"): trains the 784-512-512-512-10 model
# once, writes its parameters and the 1,000-image batch, then runs bench_hessian and its
# PyTorch/SciPy peer (bench/hessian_peer.py) interleaved, ROUNDS rounds for 2 threads and 1.
# Usage: bench/run_hessian.sh [WORK_DIR] [ROUNDS]
# Build first (RIDGELINE_BUILD=dir for another build folder); peers:
# RIDGELINE_BENCH_DEPS=1 scripts/bootstrap.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/tmp/ridgeline-bench-hessian}
rounds=${2:-3}
build="${RIDGELINE_BUILD:-$root/build}"
mkdir -p "$work"
cd "$work"
if [[ ! -f A.safetensors ]]; then
  "$build/app/ridgeline" train --arch mlp:784,512,512,512,10 --data fashion-mnist \
    --train-subset 10000 --epochs 2 --seed 0 --quiet --out A.safetensors
fi
if [[ ! -f dump/params.npy ]]; then
  "$build/bench/bench_hessian" --model A.safetensors --hvps 1 --trace-samples 2 --dump dump > /dev/null
fi
lscpu | grep -E 'Model name' || true
for round in $(seq "$rounds"); do
  for t in 2 1; do
    echo "round $round, $t thread(s), load $(cut -d' ' -f1 /proc/loadavg)"
    OMP_WAIT_POLICY=passive OPENBLAS_NUM_THREADS=$t OMP_NUM_THREADS=$t \
      "$build/bench/bench_hessian" --model A.safetensors --threads "$t" --trace-samples 20
    # PyTorch's fastest configuration here: intra-op threads 1, OpenBLAS on T threads.
    OPENBLAS_NUM_THREADS=$t /usr/bin/python3 "$root/bench/hessian_peer.py" dump --threads 1 --hvps 10
  done
done
