#!/usr/bin/env bash
# vibed vs Node.js + Express 5 + Socket.IO, side by side: builds vibed and the
# load generator (build-bench, RelWithDebInfo), installs the Node peer's
# packages from its lockfile, runs every scenario against both servers one
# after the other and writes BENCHMARKS.md. Bounded: under 25 minutes with the
# defaults; scale by environment (see DEFAULTS in bench/bench.py and
# bench/cluster.py), e.g.
#   IDLE_HOLD=300 bash bench/run.sh          # the 5-minute RSS stability hold
#   CLUSTER_HOLD=300 BENCH_TARGETS=vibed-pg SCENARIOS=cluster-idle bash bench/run.sh
#   BENCH_TARGETS=vibed SCENARIOS=rest,dash bash bench/run.sh
#   PROFILE=1 bash bench/run.sh              # perf record vibed per scenario
#   BENCH_PG_URL=postgres://me@host/postgres bash bench/run.sh   # vibed-pg on your PostgreSQL
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v wrk >/dev/null || need+=(wrk)
command -v node >/dev/null || need+=(nodejs npm)
command -v cmake >/dev/null || need+=(cmake)
[ -f /usr/include/uv.h ] || need+=(libuv1-dev)
if [ "${PROFILE:-0}" = 1 ] && ! command -v perf >/dev/null; then need+=(linux-perf); fi
if [ ${#need[@]} -gt 0 ]; then
  if [ -f scripts/install-deps.sh ]; then bash scripts/install-deps.sh >/dev/null || true; fi
  apt-get install -y -q "${need[@]}" >/dev/null
fi
BUILD=${BENCH_BUILD_DIR:-build-bench}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVB_TESTS=OFF >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target vibed vb-load >/dev/null
(cd bench/peer-node && { [ -d node_modules ] || npm ci --no-audit --no-fund >/dev/null; })
# One server process may hold at most ~19,900 connections (hard limit of open
# files); the generators split their connections to stay under it.
ulimit -n "$(ulimit -Hn)"
export VB_LOAD="$PWD/$BUILD/vb-load" VIBED_BIN="$PWD/$BUILD/vibed"
# vibed on PostgreSQL (target vibed-pg): BENCH_PG_URL names a server where the
# user may create databases; without it a throwaway cluster is started here.
pg_dir="" redis_pid=""
cleanup() {
  if [ -n "$redis_pid" ]; then kill "$redis_pid" 2>/dev/null || true; wait "$redis_pid" 2>/dev/null || true; fi
  if [ -n "$pg_dir" ]; then bash scripts/pg-test-server.sh stop "$pg_dir"; rm -rf "$pg_dir"; fi
}
trap cleanup EXIT
if [[ ",${BENCH_TARGETS:-vibed,vibed-pg,node}," == *,vibed-pg,* ]] && [ -z "${BENCH_PG_URL:-}" ]; then
  pg_dir=$(mktemp -d /tmp/vibed-bench-pg.XXXXXX)
  BENCH_PG_URL=$(bash scripts/pg-test-server.sh start "$pg_dir" 2>/dev/null)
  export BENCH_PG_URL
fi
# The cluster scenarios (vibed-pg and node targets): a throwaway redis-server
# on a free loopback port, nothing saved, stopped at exit.
if [[ ",${SCENARIOS:-cluster-idle}," == *,cluster-* ]] && [ -z "${BENCH_REDIS_URL:-}" ]; then
  redis_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --maxclients 10000 \
    --loglevel warning >/dev/null 2>&1 &
  redis_pid=$!
  for _ in $(seq 100); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  export BENCH_REDIS_URL="redis://127.0.0.1:$redis_port"
fi
export BENCH_CMDLINE="${BENCH_CMDLINE:-$(env | grep -E '^(BENCH_[A-Z_]+|IDLE_[A-Z]+|FANOUT_[A-Z]+|CLUSTER_[A-Z_]+|PERSIST_[A-Z]+|DASH_[A-Z]+|REST_[A-Z]+|PROFILE|SCENARIOS)=' | grep -v -e BENCH_CMDLINE -e BENCH_PG_URL -e BENCH_REDIS_URL | sort | tr '\n' ' ')bash bench/run.sh}"
timeout "${BENCH_TIMEOUT:-1800}" python3 bench/bench.py
