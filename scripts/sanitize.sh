#!/usr/bin/env bash
# AddressSanitizer + UBSan (clang) and the tests that matter most under it: builds the sanitizer
# tree build-asan/ (scripts/sanitizer-tree.sh: engine, tests, `ridgeline` and the fuzz
# harnesses, no GUI, no CUDA), then runs the quick engine tests (label "engine" minus the
# Fashion-MNIST ones) and the malformed-input catalogue (app.test_malformed_inputs) against it.
# Any sanitizer report fails the test it happens in. Extra arguments go to both ctest runs.
# Works on a fresh Debian 12 (installs what is missing through scripts/bootstrap.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-asan"
"$root/scripts/bootstrap.sh"
"$root/scripts/sanitizer-tree.sh"
# halt_on_error: the first report ends the process with a non-zero code (never exit 2), so a
# catalogue case or an engine test that triggers one fails.
export ASAN_OPTIONS="halt_on_error=1:detect_stack_use_after_return=1:strict_string_checks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
cd "$build"
status=0
ctest --output-on-failure -j "$(nproc)" -L engine -E 'fashion_mnist' "$@" || status=1
ctest --output-on-failure -R '^app\.test_malformed_inputs$' "$@" || status=1
exit $status
