#!/usr/bin/env bash
# Regenerates the golden images of the paper-figure tests (tests/figure/golden/*.png) from the
# fixed synthetic results of tests/figure/figure_fixtures.h (and the contour map of
# tests/figure/surface_fixture.h), then checks them. Run it after an
# intended change of the paper style, look at every image (git diff shows which changed), and
# commit them with the change. Usage: scripts/update-golden.sh [BUILD_DIR]   (default: build)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
if [[ ! -f "$build/CMakeCache.txt" ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release
fi
cmake --build "$build" --target test_figure_golden test_contour_figure
export QT_QPA_PLATFORM=offscreen
RIDGELINE_UPDATE_GOLDEN=1 "$build/tests/figure/test_figure_golden"
"$build/tests/figure/test_figure_golden"
# The contour map (tests/figure/test_contour_figure.cpp, golden()).
RIDGELINE_UPDATE_GOLDEN=1 "$build/tests/figure/test_contour_figure" golden
"$build/tests/figure/test_contour_figure" golden
git -C "$root" status --short -- tests/figure/golden
