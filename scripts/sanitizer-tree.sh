#!/usr/bin/env bash
# The one sanitizer tree, build-asan/: clang with AddressSanitizer and UBSan, every object also
# instrumented for libFuzzer's coverage (RIDGELINE_FUZZ=ON), no GUI, no CUDA, portable code,
# -O1 with line tables only (a report's file:line needs no more; full debug info made this the
# slowest build of CI). scripts/sanitize.sh builds the tests and `ridgeline` here, and
# scripts/fuzz.sh the harnesses, so one engine build serves both (CI used to compile the engine
# twice for them, once with GCC and once with clang). docs/RELIABILITY.md has the details.
#
#   scripts/sanitizer-tree.sh [TARGET...]   configure when needed, then build the targets
#                                           (default: everything). Environment: SANITIZER_NICE
#                                           (nice level for the build, default 0).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-asan"
for tool in clang clang++ cmake; do
  command -v "$tool" >/dev/null || { echo "sanitizer-tree: $tool not found (run scripts/bootstrap.sh)" >&2; exit 2; }
done
# A tree configured by another compiler (the GCC tree of earlier versions) cannot be switched.
if [[ -f "$build/CMakeCache.txt" ]] && ! grep -q '^CMAKE_CXX_COMPILER:[A-Z]*=.*clang++' "$build/CMakeCache.txt"; then
  echo "sanitizer-tree: $build was configured with another compiler: starting it afresh"
  rm -rf "$build"
fi
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
generator=()
if command -v ninja >/dev/null; then generator=(-G Ninja); fi
nice_level=${SANITIZER_NICE:-0}
flags="-O1 -gline-tables-only -DNDEBUG"
nice -n "$nice_level" cmake -S "$root" -B "$build" "${generator[@]}" "${launcher[@]}" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  "-DCMAKE_C_FLAGS_RELWITHDEBINFO=$flags" "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=$flags" \
  -DRIDGELINE_SANITIZE=ON -DRIDGELINE_FUZZ=ON -DRIDGELINE_GUI=OFF -DRIDGELINE_CUDA=OFF \
  -DRIDGELINE_BENCH=OFF -DRIDGELINE_NATIVE=OFF >/dev/null
targets=()
for t in "$@"; do targets+=(--target "$t"); done
nice -n "$nice_level" cmake --build "$build" -j "$(nproc)" "${targets[@]}"
