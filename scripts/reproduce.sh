#!/usr/bin/env bash
# Reruns the bundled study exactly as the README's quick start does (all cores, the default
# device) and writes the numbers README.md and docs/REPRODUCTION.md quote from its run folder
# (scripts/docs_numbers.py). The docs never carry hand-copied numbers.
# Usage: scripts/reproduce.sh [--check] [BUILD_DIR]   (default build/; --check: only compare,
#        exit 1 when the docs differ from this machine's run)
# Numbers are bit-identical for the same machine, build and thread count; another CPU picks other
# OpenBLAS kernels, so its last digits (and WM's sweep count) may differ (docs/REPRODUCTION.md).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
check=
if [[ ${1:-} == --check ]]; then check=--check; shift; fi
build=${1:-$root/build}
exe=$build/app/ridgeline
[[ -x $exe ]] || { echo "reproduce.sh: $exe not found; build first (scripts/build.sh)" >&2; exit 2; }
ws=$(mktemp -d)
trap 'rm -rf "$ws"' EXIT
run=$ws/fmnist-mlp-lmc
RIDGELINE_WORKSPACE=$ws "$exe" run "$root/resources/experiments/fmnist-mlp-lmc.json" --out "$run"
python3 "$root/scripts/docs_numbers.py" $check "$run" "$root/README.md" "$root/docs/REPRODUCTION.md"
