#!/usr/bin/env bash
# Installs what is missing, builds, and runs the bundled Fashion-MNIST experiment:
# in the desktop application when a display exists, else headless with its report written.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/bootstrap.sh"
"$root/scripts/build.sh"
spec="$root/resources/experiments/fmnist-mlp-lmc.json"
if [[ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]]; then
  exec "$root/build/app/ridgeline" --run-spec "$spec" "$@"
else
  echo "quickstart: no display; running headless (results in the run folder printed below)"
  exec "$root/build/app/ridgeline" run "$spec" "$@"
fi
