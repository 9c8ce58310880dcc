#!/usr/bin/env bash
# Regenerates the user guide's screenshots (docs/images/view-*.png) and the paper figure of each
# view beside them (docs/images/figure-*.png) from the real application: runs the bundled
# one-minute experiment headless into a scratch workspace, then opens the run folder once per
# view with --view NAME --screenshot FILE under a virtual X server, and draws each view with
# `ridgeline figure` (no display needed).
# Usage: scripts/screenshots.sh [BUILD_DIR]   (default: build/)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
exe=$build/app/ridgeline
out=$root/docs/images
[[ -x $exe ]] || { echo "screenshots.sh: $exe not found; build first (scripts/build.sh)" >&2; exit 2; }
command -v xvfb-run >/dev/null || { echo "screenshots.sh: xvfb-run not found (apt install xvfb)" >&2; exit 2; }
ws=$(mktemp -d)
trap 'rm -rf "$ws"' EXIT
export RIDGELINE_WORKSPACE=$ws
spec=$root/resources/experiments/fmnist-quick-rebasin.json
"$exe" run "$spec" --out "$ws/runs/fmnist-quick-rebasin" --quiet
# A second run with another recipe (SGD), for the compare view.
sed -e 's/"name": "fmnist-quick-rebasin"/"name": "fmnist-quick-rebasin-sgd"/' \
    -e 's/"optimizer": "adam", "lr": 0.001/"optimizer": "sgd", "lr": 0.05, "momentum": 0.9/' \
    "$spec" > "$ws/sgd.json"
"$exe" run "$ws/sgd.json" --out "$ws/runs/fmnist-quick-rebasin-sgd" --quiet
shoot() {  # shoot NAME ARGS...
  local name=$1; shift
  xvfb-run -a -s "-screen 0 1600x1000x24" "$exe" "$@" --screenshot "$out/$name.png"
  echo "wrote docs/images/$name.png"
}
run=$ws/runs/fmnist-quick-rebasin
shoot window --open-run "$run"
for view in all-paths paths:wm+repair training alignment experiment runs log; do
  shoot "view-${view//[:+]/-}" --open-run "$run" --view "$view"
done
shoot view-compare --open-run "$run" --compare "$ws/runs/fmnist-quick-rebasin-sgd" --view compare
# The paper figure of each view (PNG at 200 dpi for the guide; PDF/SVG are the paper formats).
figure() {  # figure NAME ARGS...
  local name=$1; shift
  "$exe" figure "$run" --out "$out/$name.png" --dpi 200 "$@" >/dev/null
  echo "wrote docs/images/$name.png"
}
for view in all-paths paths:wm+repair training; do
  figure "figure-${view//[:+]/-}" --view "$view"
done
figure figure-alignment --view alignment --width-mm 183
figure figure-compare --view compare --compare "$ws/runs/fmnist-quick-rebasin-sgd"
# The live window 30 s into the bundled 10-epoch study (training monitor, job with time left).
shoot live --run-spec "$root/resources/experiments/fmnist-mlp-lmc.json" --screenshot-after 30
# The Jobs dock shows runs started from the window: run the spec there.
shoot view-jobs --run-spec "$spec" --view jobs
# A study (the seconds-long gmm-width-study) in the window's study view.
"$exe" run "$root/resources/studies/gmm-width-study.json" --out "$ws/studies/gmm-width" --quiet
shoot study --open-run "$ws/studies/gmm-width" --view study
# A landscape (the seconds-long gmm-landscape example): the 3-D tab and its contour figure.
"$exe" run "$root/resources/experiments/gmm-landscape.json" --out "$ws/runs/gmm-landscape" --quiet
shoot view-landscape --open-run "$ws/runs/gmm-landscape" --view landscape:plane
"$exe" figure "$ws/runs/gmm-landscape" --view landscape:plane --out "$out/figure-landscape.png" --dpi 200 >/dev/null
echo "wrote docs/images/figure-landscape.png"
# Around seed0 along its top and most negative Hessian eigenvectors.
shoot view-landscape-hessian --open-run "$ws/runs/gmm-landscape" --view landscape:saddle-seed0
"$exe" figure "$ws/runs/gmm-landscape" --view landscape:saddle-seed0 --out "$out/figure-landscape-hessian.png" --dpi 200 >/dev/null
echo "wrote docs/images/figure-landscape-hessian.png"
# Spectra: the quick spec's models and weight matching with a spectra step of seed0, seed1 and
# seed1@wm aligned to seed0 (half a minute): the spectra tab and its paper figure.
python3 - "$spec" "$ws/spectra.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
s["name"] = "fmnist-quick-spectra"
s["description"] = ("The quick spec's two 784-256-10 MLPs (3 epochs on 10,000 Fashion-MNIST images), "
                    "seed1 aligned to seed0 by weight matching, and the singular-value spectra of "
                    "seed0, seed1 and seed1@wm with their singular-vector alignment to seed0.")
s["steps"] = [st for st in s["steps"] if st["type"] == "align"] + [
    {"type": "spectra", "id": "spectra", "models": ["seed0", "seed1", "seed1@wm"], "aligned_to": "seed0"}]
json.dump(s, open(sys.argv[2], "w"), indent=1)
PY
"$exe" run "$ws/spectra.json" --out "$ws/runs/fmnist-quick-spectra" --quiet
shoot view-spectra --open-run "$ws/runs/fmnist-quick-spectra" --view spectra:spectra
"$exe" figure "$ws/runs/fmnist-quick-spectra" --view spectra:spectra --width-mm 183 --height-mm 70 \
  --out "$out/figure-spectra.png" --dpi 200 >/dev/null
echo "wrote docs/images/figure-spectra.png"
# Layer-wise barriers and curvature: the seconds-long gmm examples.
"$exe" run "$root/resources/experiments/gmm-layerwise.json" --out "$ws/runs/gmm-layerwise" --quiet
shoot view-layerwise --open-run "$ws/runs/gmm-layerwise" --view layerwise:layerwise-naive
"$exe" figure "$ws/runs/gmm-layerwise" --view layerwise:layerwise-naive --out "$out/figure-layerwise.png" --dpi 200 >/dev/null
echo "wrote docs/images/figure-layerwise.png"
"$exe" run "$root/resources/experiments/gmm-hessian.json" --out "$ws/runs/gmm-hessian" --quiet
shoot view-hessian --open-run "$ws/runs/gmm-hessian" --view hessian:hessian-naive
"$exe" figure "$ws/runs/gmm-hessian" --view hessian:hessian-naive --width-mm 183 --out "$out/figure-hessian.png" --dpi 200 >/dev/null
echo "wrote docs/images/figure-hessian.png"
"$exe" figure "$ws/runs/gmm-hessian" --view hessian-layers:hessian-naive --out "$out/figure-hessian-layers.png" --dpi 200 >/dev/null
echo "wrote docs/images/figure-hessian-layers.png"
