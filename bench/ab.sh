#!/usr/bin/env bash
# Before/after benchmarks of two builds on the same machine in the same run, interleaved so
# that the machine's drift hits both alike: bench_interpolate, bench_train and
# bench_weight_matching, ROUNDS rounds (default 7), and the medians and their ratio.
# Usage: bench/ab.sh BASE_BUILD_DIR NEW_BUILD_DIR A.safetensors B.safetensors [ROUNDS] [THREADS]
# (A and B: two trained 784-512-512-512-10 models for weight matching, e.g. from `ridgeline train`).
set -euo pipefail
base=$1 new=$2 a=$3 b=$4 rounds=${5:-7} threads=${6:-2}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for ((i = 0; i < rounds; ++i)); do
  for v in "base:$base" "new:$new"; do
    n=${v%%:*} dir=${v#*:}
    echo "$n $("$dir/bench/bench_interpolate" --threads "$threads")" >>"$out"
    echo "$n $("$dir/bench/bench_train" --threads "$threads")" >>"$out"
    echo "$n $(OMP_NUM_THREADS=$threads "$dir/bench/bench_weight_matching" "$a" "$b" --repeats 3)" >>"$out"
  done
done
/usr/bin/python3 - "$out" <<'PY'
import json, statistics as st, sys
rows = {}
for line in open(sys.argv[1]):
    v, js = line.split(" ", 1)
    d = json.loads(js)
    rows.setdefault((d["bench"], v), []).append(d["samples_per_second"] if d["bench"] == "train" else d["seconds"])
for b, unit in (("interpolate", "s"), ("train", "samples/s"), ("weight_matching", "s")):
    mb, mn = st.median(rows[(b, "base")]), st.median(rows[(b, "new")])
    print(f"{b:16} base {mb:10.4g} {unit:9} new {mn:10.4g} {unit:9} new/base {mn / mb:.3f} "
          f"(base {min(rows[(b, 'base')]):.4g}..{max(rows[(b, 'base')]):.4g}, new {min(rows[(b, 'new')]):.4g}..{max(rows[(b, 'new')]):.4g})")
PY
