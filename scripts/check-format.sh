#!/usr/bin/env bash
# Checks that every C file follows the checked-in .clang-format (exit 1 if not).
# Fix with: clang-format -i FILE
set -euo pipefail
cd "$(dirname "$0")/.."
bad=0
while IFS= read -r f; do
  if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
    echo "not formatted: $f"
    bad=1
  fi
done < <(git ls-files 'src/*.[ch]' 'tests/unit/*.[ch]' 'tests/unit/support/*.[ch]' 'tools/*.c' 'bench/load/*.[ch]' 'fuzz/*.[ch]')
exit $bad
