#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite (ctest). GPU tests report
# "skipped" when no CUDA device answers; widget tests run under xvfb-run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/bootstrap.sh"
"$root/scripts/build.sh"
cd "$root/build"
ctest --output-on-failure -j 2 "$@"
