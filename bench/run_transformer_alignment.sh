#!/usr/bin/env bash
# Alignment and interpolation of two tiny ViTs against the same steps for the bundled study's
# MLP (docs/PERFORMANCE.md, "Transformers through the tools"): the same data (Fashion-MNIST,
# 10,000 training and 2,000 test images), the same thread count, the same command line:
# `ridgeline align --method wm`, `--method am-pearson --samples 2000`, and an 11-point
# `ridgeline interpolate` of the weight-matched pair; and 3 epochs of a straight-through loop:
# learned matching on the ViTs (`--method wm --orthogonal --learn`: the loop's own seconds)
# against STE on the MLPs (`--method ste`). Each pair is trained first by
# `ridgeline train` (ViT 5 epochs as fmnist-vit-rebasin; MLP 784-512-512-512-10 3 epochs).
# Prints the seconds of each step (the JSON's own timing for the alignment, wall time for the
# path) and the ViT / MLP ratio.
# Usage: bench/run_transformer_alignment.sh [OUT_DIR]
# Environment: THREADS (2), RIDGELINE (the binary, default build/app/ridgeline).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-/tmp/ridgeline-bench-transformer-alignment}
exe=${RIDGELINE:-$root/build/app/ridgeline}
threads=${THREADS:-2}
if [[ ! -x "$exe" ]]; then
  echo "run_transformer_alignment.sh: $exe not found (build the ridgeline target)" >&2
  exit 2
fi
mkdir -p "$out"
data=(--data fashion-mnist --train-subset 10000 --test-subset 2000 --threads "$threads")
vit="transformer:image=28x28,patch=7,classes=10,d=64,heads=4,layers=2,ff=128,attn=softmax"
mlp="mlp:784,512,512,512,10"
train() {  # name arch epochs batch seed
  [[ -f "$out/$1.safetensors" ]] || "$exe" train --arch "$2" --epochs "$3" --batch "$4" --seed "$5" \
    --optimizer adam --lr 0.001 "${data[@]}" --quiet --out "$out/$1.safetensors"
}
train vit0 "$vit" 5 64 0
train vit1 "$vit" 5 64 1
train mlp0 "$mlp" 3 128 0
train mlp1 "$mlp" 3 128 1
json_seconds() { /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["seconds"])'; }
learned_seconds() { /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["learned"]["seconds"])'; }
declare -A t
for m in vit mlp; do
  t[$m-wm]=$("$exe" align "$out/${m}0.safetensors" "$out/${m}1.safetensors" --method wm "${data[@]}" \
    --out "$out/${m}1-wm.safetensors" --json | json_seconds)
  t[$m-am]=$("$exe" align "$out/${m}0.safetensors" "$out/${m}1.safetensors" --method am-pearson \
    --samples 2000 "${data[@]}" --out "$out/${m}1-am.safetensors" --json | json_seconds)
  start=$(date +%s.%N)
  "$exe" interpolate "$out/${m}0.safetensors" "$out/${m}1-wm.safetensors" --points 11 "${data[@]}" \
    --quiet > /dev/null
  t[$m-path]=$(echo "$(date +%s.%N) - $start" | bc)
done
t[vit-ste]=$("$exe" align "$out/vit0.safetensors" "$out/vit1.safetensors" --method wm --orthogonal --learn \
  --epochs 3 "${data[@]}" --out "$out/vit1-learned.safetensors" --out-a "$out/vit0-canonical.safetensors" \
  --json | learned_seconds)
t[mlp-ste]=$("$exe" align "$out/mlp0.safetensors" "$out/mlp1.safetensors" --method ste --epochs 3 \
  "${data[@]}" --out "$out/mlp1-ste.safetensors" --json | json_seconds)
printf "%-34s %10s %10s %10s\n" "step (threads $threads)" "ViT s" "MLP s" "ViT/MLP"
for k in wm am path ste; do
  case $k in
    wm) label="align wm" ;;
    am) label="align am-pearson (2000 images)" ;;
    path) label="interpolate 11 points" ;;
    ste) label="learned (ViT) / ste (MLP), 3 epochs" ;;
  esac
  printf "%-34s %10.3f %10.3f %10.2f\n" "$label" "${t[vit-$k]}" "${t[mlp-$k]}" \
    "$(echo "${t[vit-$k]} / ${t[mlp-$k]}" | bc -l)"
done
