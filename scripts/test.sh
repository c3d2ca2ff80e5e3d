#!/usr/bin/env bash
# Runs every test: C unit tests (ctest) and the end-to-end suite against the
# real binary, first on the normal build with SQLite, then the same build with
# PostgreSQL, then again under ASan+UBSan (SQLite).
# PostgreSQL: VIBED_TEST_PG_URL names a server where the user may create
# databases; without it a throwaway cluster is started for the run
# (scripts/pg-test-server.sh) and stopped at the end.
# Set VB_SKIP_ASAN=1 to skip the sanitizer pass, VB_SKIP_PG=1 the PostgreSQL
# one, VB_SKIP_FUZZ=1 the libFuzzer targets (scripts/fuzz.sh, about 80 s),
# VB_SKIP_LINT=1 the static analysis (scripts/lint.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

# The browser suite (tests/e2e/browser.test.mjs) drives Debian's chromium
# against the built web app: install the one and build the other.
bash scripts/install-deps.sh browser
echo "== web app"
(cd web && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent)
if [ ! -d tests/e2e/node_modules ] || [ tests/e2e/package-lock.json -nt tests/e2e/node_modules ]; then
  (cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error)
fi

run_tests() {
  local dir=$1 label=$2
  echo "== unit tests ($dir, $label)"
  (cd "$dir" && ctest --output-on-failure -j2)
  echo "== end-to-end tests ($dir, $label)"
  (cd tests/e2e && VIBED_BIN="$root/$dir/vibed" npm test --silent)
}

run_pass() {
  local dir=$1; shift
  echo "== build $dir"
  bash scripts/build.sh "$dir" "$@"
  (unset VIBED_TEST_PG_URL; run_tests "$dir" sqlite)
}

pg_dir=""
stop_pg() { [ -n "$pg_dir" ] && bash scripts/pg-test-server.sh stop "$pg_dir" && rm -rf "$pg_dir"; }

run_pg() {
  if [ -z "${VIBED_TEST_PG_URL:-}" ]; then
    pg_dir=$(mktemp -d /tmp/vibed-pg.XXXXXX)
    trap stop_pg EXIT
    VIBED_TEST_PG_URL=$(bash scripts/pg-test-server.sh start "$pg_dir" 2>/dev/null)
    export VIBED_TEST_PG_URL
    export VIBED_TEST_PG_DIR="$pg_dir" # lets the fault tests stop and start it
  fi
  run_tests build postgresql
}

if command -v clang-format >/dev/null 2>&1 && [ -d .git ]; then
  echo "== formatting (.clang-format)"
  bash scripts/check-format.sh
fi

run_pass build
if [ "${VB_SKIP_PG:-0}" != "1" ]; then
  run_pg
fi
[ "${VB_SKIP_FUZZ:-0}" = "1" ] || { echo "== fuzzing (scripts/fuzz.sh)"; bash scripts/fuzz.sh; }
[ "${VB_SKIP_LINT:-0}" = "1" ] || { echo "== static analysis"; bash scripts/lint.sh build; }
if [ "${VB_SKIP_ASAN:-0}" != "1" ]; then
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  run_pass build-asan -DVB_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
fi
echo "all tests passed"
