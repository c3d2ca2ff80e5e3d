#!/usr/bin/env bash
# Installs what is missing, builds, and starts vibed on http://localhost:3000
# with a SQLite file under ./data/ and the demo data (logins are printed).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh build
exec build/vibed serve --demo "$@"
