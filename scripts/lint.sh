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
# The path-sensitive clang-analyzer-* checks run on the wire layer (lib/wire:
# the decoders of what arrives from the network, where a path the tests
# miss matters most; they are fuzzed too). Everywhere else they cost three
# to five times all the other checks together (lib/mn/mn_mcoa.cpp: 27 s
# with them, 6 s without; kernel-glue/src/netlink_dataplane.cpp: 30 s and
# 5 s) and made lint the long pole of the test command (test/README.md);
# those files get every other check, and the sans-IO cores run under
# ASan+UBSan in the unit tests. `scripts/lint.sh BUILD_DIR --full` runs the
# analyzer on every file.
full=0
[ "${2:-}" = "--full" ] && full=1
analyzed=() rest=()
for f in "${files[@]}"; do
  case "$f" in
    lib/wire/*) analyzed+=("$f") ;;
    *) [ "$full" = 1 ] && analyzed+=("$f") || rest+=("$f") ;;
  esac
done
: >"$build/lint.raw"
if [ ${#analyzed[@]} -gt 0 ]; then
  printf '%s\n' "${analyzed[@]}" |
    xargs -P "$(nproc)" -n 4 clang-tidy -p "$build" --quiet \
      --extra-arg=-Wno-unknown-warning-option >>"$build/lint.raw" 2>&1 || status=$?
fi
if [ ${#rest[@]} -gt 0 ]; then
  printf '%s\n' "${rest[@]}" |
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
