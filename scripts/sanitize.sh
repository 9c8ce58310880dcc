#!/usr/bin/env bash
# AddressSanitizer + UBSan build (GCC) and the tests that matter most under it: configures
# build-asan/ (RIDGELINE_SANITIZE=ON, no GUI, no CUDA, portable code), builds the engine, its
# tests and the `ridgeline` executable, then runs the quick engine tests (label "engine" minus
# the Fashion-MNIST ones) and the malformed-input catalogue (app.test_malformed_inputs) against
# it. Any sanitizer report fails the test it happens in. Extra arguments go to both ctest runs.
# Works on a fresh Debian 12 (installs what is missing through scripts/bootstrap.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-asan"
"$root/scripts/bootstrap.sh"
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=gcc -DCMAKE_CXX_COMPILER=g++ \
  -DRIDGELINE_SANITIZE=ON -DRIDGELINE_GUI=OFF -DRIDGELINE_CUDA=OFF -DRIDGELINE_BENCH=OFF \
  -DRIDGELINE_NATIVE=OFF "${launcher[@]}"
cmake --build "$build" -j "$(nproc)"
# halt_on_error: the first report ends the process with a non-zero code (never exit 2), so a
# catalogue case or an engine test that triggers one fails.
export ASAN_OPTIONS="halt_on_error=1:detect_stack_use_after_return=1:strict_string_checks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
cd "$build"
status=0
ctest --output-on-failure -j "$(nproc)" -L engine -E 'fashion_mnist' "$@" || status=1
ctest --output-on-failure -R '^app\.test_malformed_inputs$' "$@" || status=1
exit $status
