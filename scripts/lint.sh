#!/usr/bin/env bash
# clang-tidy over the project's own sources (not the tests), with the
# compile commands of a configured build dir. Usage: scripts/lint.sh BUILD_DIR [--full]
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build=${1:?usage: lint.sh BUILD_DIR [--full]}
[ -f "$build/compile_commands.json" ] || { echo "lint: no compile_commands.json in $build" >&2; exit 2; }
mapfile -t files < <(cd "$repo" && find lib kernel-glue daemons -name '*.cpp' 2>/dev/null | sort)
if [ ${#files[@]} -eq 0 ]; then
  echo "lint: no sources" >&2
  exit 2
fi
cd "$repo"
# clang-tidy reads gcc's flags from the database; drop the few clang lacks.
status=0
# The path-sensitive clang-analyzer-* checks run where the logic is (the
# sans-IO cores, the wire layer, kernel-glue); in the Boost.Asio glue
# (daemons/, lib/io/) they spent 60-70% of each file's time walking Asio's
# templates and made lint the long pole of CI (test/README.md), so those
# files get every other check. `scripts/lint.sh BUILD_DIR --full` runs the
# analyzer everywhere.
full=0
[ "${2:-}" = "--full" ] && full=1
glue=() rest=()
for f in "${files[@]}"; do
  case "$f" in
    daemons/* | lib/io/*) [ "$full" = 1 ] && rest+=("$f") || glue+=("$f") ;;
    *) rest+=("$f") ;;
  esac
done
: >"$build/lint.raw"
printf '%s\n' "${rest[@]}" |
  xargs -P "$(nproc)" -n 4 clang-tidy -p "$build" --quiet \
    --extra-arg=-Wno-unknown-warning-option >>"$build/lint.raw" 2>&1 || status=$?
if [ ${#glue[@]} -gt 0 ]; then
  printf '%s\n' "${glue[@]}" |
    xargs -P "$(nproc)" -n 4 clang-tidy -p "$build" --quiet --checks='-clang-analyzer-*' \
      --extra-arg=-Wno-unknown-warning-option >>"$build/lint.raw" 2>&1 || status=$?
fi
grep -v -E '^[0-9]+ warnings? (and [0-9]+ errors? )?generated\.$|^Suppressed [0-9]+ warnings|^Use -header-filter' \
  "$build/lint.raw" >"$build/lint.log" || true
cat "$build/lint.log"
if [ "$status" -ne 0 ]; then
  echo "lint: clang-tidy exited with $status" >&2
  exit 1
fi
if grep -q -E ': (error|warning):' "$build/lint.log"; then
  echo "lint: clang-tidy found problems" >&2
  exit 1
fi
echo "lint: ${#files[@]} files clean"
