#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster for the tests and prints its URL.
#
#   bash scripts/pg-test-server.sh start [DIR]   # prints postgres://...; DIR defaults to a new temp folder
#   bash scripts/pg-test-server.sh stop DIR
#   bash scripts/pg-test-server.sh restart DIR   # pg_ctl start on an existing cluster (fault tests)
#
# The cluster lives in DIR (data in DIR/data, socket and log in DIR), listens
# on 127.0.0.1 at a free port with trust authentication and C collation,
# and is run by the postgres user when started as root (PostgreSQL refuses
# root). The URL printed names the superuser "postgres" and the database
# "postgres"; the tests create one fresh database per server from it
# (VIBED_TEST_PG_URL).
set -euo pipefail

bindir=""
for d in /usr/lib/postgresql/*/bin; do [ -x "$d/initdb" ] && bindir="$d"; done
if [ -z "$bindir" ]; then
  bindir="$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/initdb)")"
fi
[ -x "$bindir/initdb" ] || { echo "pg-test-server: initdb not found (install postgresql)" >&2; exit 1; }

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

cmd="${1:-start}"
dir="${2:-}"
case "$cmd" in
  start)
    if [ -z "$dir" ]; then dir="$(mktemp -d /tmp/vibed-pg.XXXXXX)"; fi
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      as_pg "$bindir/initdb" -D "$dir/data" -U postgres -A trust --locale=C -E UTF8 >"$dir/initdb.log"
      port="$(free_port)"
      {
        echo "listen_addresses = '127.0.0.1'"
        echo "port = $port"
        echo "unix_socket_directories = '$dir'"
        echo "max_connections = 200"
        echo "fsync = on"
        echo "synchronous_commit = on"
      } >>"$dir/data/postgresql.conf"
      echo "$port" >"$dir/port"
    fi
    as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 start >/dev/null
    echo "postgres://postgres@127.0.0.1:$(cat "$dir/port")/postgres"
    echo "$dir" >&2
    ;;
  restart)
    as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 start >/dev/null
    ;;
  stop)
    [ -n "$dir" ] || { echo "pg-test-server: stop needs the folder" >&2; exit 2; }
    as_pg "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    ;;
  *)
    echo "usage: pg-test-server.sh start [DIR] | stop DIR | restart DIR" >&2
    exit 2
    ;;
esac
