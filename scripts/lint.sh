#!/usr/bin/env bash
# Static analysis: cppcheck and clang-tidy (bugprone-* and clang-analyzer-*,
# configured in .clang-tidy) over src/ and tools/. Zero findings, or each one
# suppressed with its reason (scripts/lint/cppcheck-suppressions.txt, .clang-tidy,
# or a NOLINT comment that says why). Needs build/compile_commands.json
# (scripts/build.sh writes it). Usage: bash scripts/lint.sh [build-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
jobs=$(nproc)

if [ ! -f "$dir/compile_commands.json" ]; then
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi

echo "== cppcheck"
# jansson's iteration macros come from a forced include (cppcheck does not
# read system headers; without them files using the macros would not parse).
cppcheck -j"$jobs" --quiet --error-exitcode=1 --inline-suppr --std=c11 \
  --enable=warning,portability,performance \
  --suppressions-list=scripts/lint/cppcheck-suppressions.txt \
  --include=scripts/lint/jansson-macros.h -I src \
  --template='{file}:{line}: {severity}: {id}: {message}' \
  src tools

echo "== clang-tidy (bugprone, clang-analyzer)"
mapfile -t files < <(git ls-files 'src/*.c' 'tools/*.c')
out=$(mktemp)
trap 'rm -f "$out"' EXIT
if ! run-clang-tidy -quiet -j "$jobs" -p "$dir" "${files[@]/#/$PWD/}" >"$out" 2>&1; then
  grep -E 'warning:|error:' "$out" | sort -u || cat "$out"
  echo "clang-tidy: findings above (fix them, or suppress each with its reason)" >&2
  exit 1
fi
echo "lint: no findings"
