#!/usr/bin/env bash
# Runs the Catch2 unit test binary as SHARDS processes in parallel, the test
# files split between them, instead of one process per test case as ctest
# does: under ASan+UBSan each process start costs about 0.8 s, which for
# ~700 cases was most of the sanitizer stage's time (test/README.md).
#
# Usage: test/run-unit-shards.sh BINARY [SHARDS]   (default: nproc)
# Ends with one line "unit: N passed, M failed"; exits non-zero on a failure,
# and when the shards together ran fewer test cases than the binary lists.
set -uo pipefail
bin=${1:?usage: run-unit-shards.sh BINARY [SHARDS]}
shards=${2:-$(nproc)}
[ -x "$bin" ] || { echo "run-unit-shards: $bin is not built" >&2; echo "unit: 0 passed, 1 failed"; exit 1; }

# Every test case carries its file as a tag with -# ([#test_mn_mcoa]); the
# tags, largest first, are dealt to the shard with the fewest cases so far.
mapfile -t tags < <("$bin" -# --list-tags | sed -n 's/^ *\([0-9][0-9]*\)  *\(\[#[^]]*\]\)$/\1 \2/p' | sort -rn)
total=$("$bin" --list-test-names-only | sed '/^$/d' | wc -l)
if [ "${#tags[@]}" -eq 0 ] || [ "$total" -eq 0 ]; then
  echo "run-unit-shards: $bin lists no test files or no test cases" >&2
  echo "unit: 0 passed, 1 failed"
  exit 1
fi
declare -a spec load
for ((s = 0; s < shards; s++)); do spec[s]=""; load[s]=0; done
for t in "${tags[@]}"; do
  n=${t%% *}
  best=0
  for ((s = 1; s < shards; s++)); do ((load[s] < load[best])) && best=$s; done
  spec[best]+="${spec[best]:+,}${t#* }"
  load[best]=$((load[best] + n))
done

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
pids=()
for ((s = 0; s < shards; s++)); do
  [ -n "${spec[s]}" ] || continue
  "$bin" -# "${spec[s]}" >"$dir/$s.log" 2>&1 &
  pids+=("$s:$!")
done
passed=0 failed=0 ran=0 status=0
for p in "${pids[@]}"; do
  s=${p%%:*}
  wait "${p#*:}" || status=1
  log=$dir/$s.log
  # Catch2 2.x: "All tests passed (A assertions in N test cases)" or
  # "test cases: N | P passed | F failed".
  if line=$(grep -E '^All tests passed \([0-9]+ assertions? in [0-9]+ test cases?\)' "$log" | tail -n1) && [ -n "$line" ]; then
    n=$(sed -E 's/.* in ([0-9]+) test case.*/\1/' <<<"$line")
    passed=$((passed + n)); ran=$((ran + n))
  elif line=$(grep -E '^test cases: *[0-9]+' "$log" | tail -n1) && [ -n "$line" ]; then
    n=$(sed -E 's/^test cases: *([0-9]+).*/\1/' <<<"$line")
    f=$(sed -nE 's/.*\| *([0-9]+) failed.*/\1/p' <<<"$line")
    f=${f:-0}
    passed=$((passed + n - f)); failed=$((failed + f)); ran=$((ran + n))
    cat "$log"
  else
    echo "run-unit-shards: shard $s printed no summary (crashed?):" >&2
    cat "$log"
    failed=$((failed + 1)); status=1
  fi
done
if [ "$ran" -ne "$total" ]; then
  echo "run-unit-shards: the shards ran $ran test cases, the binary lists $total" >&2
  failed=$((failed + 1)); status=1
fi
echo "unit: $passed passed, $failed failed ($shards processes)"
exit "$status"
