#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/fuzz_*.c) with clang under ASan+UBSan
# into build-fuzz/ and runs each for a bounded time from its seed corpus
# (fuzz/corpus/<target>/, copied: new inputs stay out of the repository).
# Prints executions per second per target; fails on any crash (the input is
# kept in build-fuzz/artifacts/ - turn it into a unit regression test).
#   FUZZ_SECONDS  total budget, divided evenly between the targets (default 80)
#   FUZZ_TARGETS  space-separated subset (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
dir=build-fuzz
total=${FUZZ_SECONDS:-80}

echo "== build $dir (clang, libFuzzer, ASan+UBSan)"
CC=clang cmake -S . -B "$dir" -DVB_FUZZ=ON -DVB_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$dir" -j"$(nproc)" >/dev/null

targets=${FUZZ_TARGETS:-$(cd fuzz && ls fuzz_*.c | sed 's/\.c$//' | grep -v '^fuzz_net$')}
n=$(echo "$targets" | wc -w)
each=$((total / n))
[ "$each" -ge 1 ] || each=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$dir/artifacts"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

printf '%-18s %12s %10s\n' target executions exec/s >"$work/summary"
failed=0
for t in $targets; do
  mkdir -p "$work/$t"
  echo "== $t (${each}s)"
  if ! "$dir/$t" -max_total_time="$each" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="$root/$dir/artifacts/$t-" "$work/$t" "fuzz/corpus/$t" >"$work/$t.log" 2>&1; then
    failed=1
    tail -n 60 "$work/$t.log"
    echo "$t: FAILED (input in $dir/artifacts/)"
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t.log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$work/$t.log" | tail -1)
  printf '%-18s %12s %10s\n' "$t" "${runs:-?}" "${rate:-?}" >>"$work/summary"
done
echo "== fuzzing summary (${each}s per target)"
cat "$work/summary"
exit $failed
