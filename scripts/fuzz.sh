#!/usr/bin/env bash
# Builds the libFuzzer harnesses (tests/fuzz/) in the sanitizer tree build-asan/ (clang, ASan,
# UBSan; scripts/sanitizer-tree.sh, shared with scripts/sanitize.sh) and runs each over its seed
# corpus (tests/fuzz/corpus/<harness>) with its dictionary (tests/fuzz/dict/<harness>.dict).
# Needs clang, libclang-rt-14-dev and libomp-dev (scripts/bootstrap.sh installs them).
#
#   scripts/fuzz.sh smoke            each harness ~60 s (FUZZ_SMOKE_SECONDS); exit 1 on any finding
#   scripts/fuzz.sh long SECONDS     each harness SECONDS; a table of executions, coverage and
#                                    findings per harness
#
# Both modes first replay tests/fuzz/corpus/regressions/<harness>/ (inputs that once crashed).
# New corpus entries go to build-asan/fuzz/corpus/<harness> (the repository's seeds are only
# read); a finding's input is saved under build-asan/fuzz/artifacts/<harness>/ and its log
# beside it. Environment: FUZZ_HARNESSES (space-separated subset), FUZZ_JOBS (harnesses run
# at once, default 1), FUZZ_MAX_LEN (default 65536), FUZZ_NICE (nice level, default 10).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-asan"
mode=${1:-}
case "$mode" in
  smoke) seconds=${FUZZ_SMOKE_SECONDS:-60} ;;
  long)
    seconds=${2:-}
    [[ "$seconds" =~ ^[0-9]+$ ]] || { echo "usage: $0 long SECONDS" >&2; exit 2; } ;;
  *) echo "usage: $0 smoke | long SECONDS" >&2; exit 2 ;;
esac
harnesses=(${FUZZ_HARNESSES:-fuzz_safetensors fuzz_model_load fuzz_idx fuzz_npy fuzz_spec fuzz_study fuzz_landscape fuzz_spectra fuzz_analyses fuzz_bpe fuzz_gpt2})
jobs=${FUZZ_JOBS:-1}
nice_level=${FUZZ_NICE:-10}

SANITIZER_NICE=$nice_level "$root/scripts/sanitizer-tree.sh" fuzz_all

out="$build/fuzz"
mkdir -p "$out"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# Runs one harness; writes "<name> <seconds> <execs> <cov> <ft> <corpus> <findings>" to
# $out/<name>.result. A finding is a failed regression replay or a libFuzzer crash report.
run_one() {
  local name=$1 bin="$build/tests/fuzz/$1" seeds="$root/tests/fuzz/corpus/$1"
  local work="$out/corpus/$name" art="$out/artifacts/$name/" log="$out/$name.log"
  local regress="$root/tests/fuzz/corpus/regressions/$name" findings=0
  mkdir -p "$work" "$art"
  : >"$log"
  if [[ -d "$regress" ]] && compgen -G "$regress/*" >/dev/null; then
    for f in "$regress"/*; do
      if ! nice -n "$nice_level" "$bin" "$f" >>"$log" 2>&1; then
        echo "fuzz: $name: regression input $f fails" >&2
        findings=$((findings + 1))
      fi
    done
  fi
  local rc=0
  nice -n "$nice_level" "$bin" "$work" "$seeds" -dict="$root/tests/fuzz/dict/$name.dict" \
    -max_total_time="$seconds" -max_len="${FUZZ_MAX_LEN:-65536}" -timeout=25 -rss_limit_mb=2560 \
    -artifact_prefix="$art" -print_final_stats=1 >>"$log" 2>&1 || rc=$?
  if ((rc != 0)); then
    echo "fuzz: $name: finding (libFuzzer exit $rc); see $log and $art" >&2
    findings=$((findings + 1))
  fi
  local execs cov ft corp
  execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || true)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || true)
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || true)
  corp=$(grep -o 'corp: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || true)
  echo "$name $seconds ${execs:-?} ${cov:-?} ${ft:-?} ${corp:-?} $findings" >"$out/$name.result"
}

pids=()
for name in "${harnesses[@]}"; do
  run_one "$name" &
  pids+=($!)
  while (($(jobs -rp | wc -l) >= jobs)); do wait -n || true; done
done
wait || true

total=0
echo
echo "| harness | seconds | executions | coverage (edges) | features | corpus | findings |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for name in "${harnesses[@]}"; do
  read -r n s e c f k x <"$out/$name.result"
  echo "| $n | $s | $e | $c | $f | $k | $x |"
  total=$((total + x))
done
if ((total > 0)); then
  echo "fuzz: $total finding(s); logs in $out" >&2
  exit 1
fi
