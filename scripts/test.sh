#!/usr/bin/env bash
# Runs every test: C unit tests (ctest) and the end-to-end suite against the
# real binary, first on the normal build, then again under ASan+UBSan.
# Set VB_SKIP_ASAN=1 to run the normal pass only, VB_SKIP_FUZZ=1 to skip the
# libFuzzer targets (scripts/fuzz.sh, about 80 s after the normal pass).
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

run_pass() {
  local dir=$1; shift
  echo "== build $dir"
  bash scripts/build.sh "$dir" "$@"
  echo "== unit tests ($dir)"
  (cd "$dir" && ctest --output-on-failure -j2)
  echo "== end-to-end tests ($dir)"
  (cd tests/e2e && VIBED_BIN="$root/$dir/vibed" npm test --silent)
}

if command -v clang-format >/dev/null 2>&1 && [ -d .git ]; then
  echo "== formatting (.clang-format)"
  bash scripts/check-format.sh
fi

run_pass build
[ "${VB_SKIP_FUZZ:-0}" = "1" ] || { echo "== fuzzing (scripts/fuzz.sh)"; bash scripts/fuzz.sh; }
[ "${VB_SKIP_LINT:-0}" = "1" ] || { echo "== static analysis"; bash scripts/lint.sh build; }
if [ "${VB_SKIP_ASAN:-0}" != "1" ]; then
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  run_pass build-asan -DVB_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
fi
echo "all tests passed"
