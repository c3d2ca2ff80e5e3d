#!/usr/bin/env bash
# Installs the Debian packages that building, running and testing vibed need.
# Idempotent: only what is missing is installed (apt-get update runs only then).
set -euo pipefail

PKGS=(
  build-essential cmake pkg-config git
  libuv1-dev node-llhttp libwslay-dev libjansson-dev libjwt-dev libsodium-dev libssl-dev
  libsqlite3-dev libcmocka-dev libhiredis-dev libpq-dev libcurl4-openssl-dev
  sqlite3 curl clang-format cppcheck clang-tidy
  clang libclang-rt-14-dev
  postgresql postgresql-client redis-server nginx
)
# The test scripts use python3 (free ports, the benchmark report).
command -v python3 >/dev/null 2>&1 || PKGS+=(python3)
# Node.js runs the end-to-end tests; install Debian's only when none is present.
command -v node >/dev/null 2>&1 || PKGS+=(nodejs)
command -v npm >/dev/null 2>&1 || PKGS+=(npm)
# Extra groups: `install-deps.sh bench` adds the load tools.
for extra in "$@"; do
  case "$extra" in
    bench) PKGS+=(wrk) ;;
    browser) PKGS+=(chromium) ;;
    *) echo "install-deps: unknown group '$extra'" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
