#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite (ctest). GPU tests report
# "skipped" when no CUDA device answers; widget tests run under xvfb-run. Then the hardening
# jobs (docs/RELIABILITY.md) in the one sanitizer tree build-asan/ (clang, ASan + UBSan): the
# quick engine tests and the malformed-input catalogue (scripts/sanitize.sh), and every
# libFuzzer harness for ~60 s over its corpus, one per core at a time (scripts/fuzz.sh smoke).
# RIDGELINE_TEST_QUICK=1 skips those two. Extra arguments go to the main ctest run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/bootstrap.sh"
"$root/scripts/build.sh"
(cd "$root/build" && ctest --output-on-failure -j 2 "$@")
if [[ "${RIDGELINE_TEST_QUICK:-0}" != 1 ]]; then
  "$root/scripts/sanitize.sh"
  FUZZ_JOBS=${FUZZ_JOBS:-$(nproc)} "$root/scripts/fuzz.sh" smoke
fi
