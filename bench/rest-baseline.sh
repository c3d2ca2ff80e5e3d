#!/usr/bin/env bash
# REST baseline: wrk against the authenticated task list (100 tasks) and task
# create, with the server's RSS at idle and under load. Bounded: each run lasts
# DURATION seconds (default 10). Usage: bench/rest-baseline.sh [build/vibed]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-build/vibed}
DURATION=${DURATION:-10}
CONNS=${CONNS:-64}
command -v wrk >/dev/null || bash scripts/install-deps.sh bench
tmp=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$tmp"' EXIT
AUTH_RATE_LIMIT=0 "$BIN" serve --port 0 --log-level warn --database-url "sqlite:$tmp/bench.db" \
  --jwt-secret "bench-secret-bench-secret-bench-secret-0123" 2>"$tmp/err" &
pid=$!
# --log-level warn hides the listening line: find the port from /proc.
for _ in $(seq 100); do
  port=$(ss -ltnp 2>/dev/null | awk -v p="pid=$pid," '$0 ~ p {sub(/.*:/, "", $4); print $4; exit}')
  [ -n "$port" ] && break
  sleep 0.1
done
base="http://127.0.0.1:$port/api/v1"
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print(eval('d'+sys.argv[1]))" "$1"; }
tok=$(curl -sf -X POST "$base/auth/register" -H 'Content-Type: application/json' \
  -d '{"email":"bench@example.com","password":"bench-password","firstName":"Bench","lastName":"User"}' | json '["data"]["accessToken"]')
wid=$(curl -sf -X POST "$base/workspaces" -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
  -d '{"name":"Bench"}' | json '["data"]["id"]')
pid_=$(curl -sf -X POST "$base/workspaces/$wid/projects" -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
  -d '{"name":"Bench","key":"BEN"}' | json '["data"]["id"]')
for i in $(seq 100); do
  curl -sf -o /dev/null -X POST "$base/projects/$pid_/tasks" -H "Authorization: Bearer $tok" \
    -H 'Content-Type: application/json' -d "{\"title\":\"Task $i\",\"priority\":\"medium\"}"
done
rss() { awk '/VmRSS/ {print $2}' "/proc/$pid/status"; }
echo "server RSS idle after setup: $(rss) KiB"
cat > "$tmp/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"title":"Load task","priority":"low"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $tok"
LUA
echo "== GET /projects/:pid/tasks?limit=100 (100 tasks), $CONNS connections, ${DURATION}s"
wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -H "Authorization: Bearer $tok" \
  "$base/projects/$pid_/tasks?limit=100" | grep -E "Requests/sec|99%|50%|Non-2xx" &
wpid=$!; sleep $((DURATION / 2)); echo "server RSS under GET load: $(rss) KiB"; wait $wpid

echo "== POST /projects/:pid/tasks, $CONNS connections, ${DURATION}s"
wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -s "$tmp/post.lua" "$base/projects/$pid_/tasks" \
  | grep -E "Requests/sec|99%|50%|Non-2xx" &
wpid=$!; sleep $((DURATION / 2)); echo "server RSS under POST load: $(rss) KiB"; wait $wpid
echo "server RSS after: $(rss) KiB"
