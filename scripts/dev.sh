#!/usr/bin/env bash
# Installs what is missing, builds, and starts vibed on http://localhost:3000
# with a SQLite file under ./data/ and the demo data (logins are printed).
# The web app (web/) is built into web/dist first when dist is missing or
# older than its sources (npm ci, then the esbuild step).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh build
if [ ! -f web/dist/index.html ] ||
   [ -n "$(find web/src web/public web/build.mjs web/package.json web/package-lock.json -newer web/dist/index.html -print -quit)" ]; then
  echo "dev: building the web app into web/dist"
  (cd web && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent)
fi
exec build/vibed serve --demo --web-root web/dist "$@"
