#!/usr/bin/env bash
# Installs the Debian 12 packages Ridgeline needs, skipping those already present.
# Idempotent; uses sudo when not root. clang, libclang-rt-14-dev (libFuzzer and the sanitizer
# runtimes: libclang_rt.fuzzer-x86_64.a) and libomp-dev (OpenMP for clang) serve
# scripts/fuzz.sh and the clang build. Set RIDGELINE_BENCH_DEPS=1 to add the benchmark peers
# (PyTorch with OpenBLAS, SciPy). python3-matplotlib and python3-numpy serve the test that
# redraws exported figures with their Python scripts (tests/figure). libopenmpi-dev and
# openmpi-bin serve `mpirun -np N ridgeline landscape` and its test.
set -euo pipefail
packages=(
  cmake ninja-build g++ pkg-config
  qt6-base-dev qt6-charts-dev libqt6opengl6-dev libgl-dev libvtk9-dev
  qt6-svg-dev
  libeigen3-dev libopenblas-openmp-dev nlohmann-json3-dev zlib1g-dev libsqlite3-dev
  xvfb xauth fonts-dejavu-core
  python3 python3-matplotlib python3-numpy
  dataset-fashion-mnist
  clang libclang-rt-14-dev libomp-dev
  libopenmpi-dev openmpi-bin
  libdnnl-dev  # oneDNN: bf16 GEMMs of `--precision bf16` grids (optional in CMake; AVX512-BF16 CPUs)
)
if [[ "${RIDGELINE_BENCH_DEPS:-0}" == 1 ]]; then
  packages+=(python3-torch libopenblas0-pthread python3-numpy python3-scipy)
fi
missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]} == 0)); then
  echo "bootstrap: all ${#packages[@]} packages present"
  exit 0
fi
echo "bootstrap: installing ${missing[*]}"
sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
