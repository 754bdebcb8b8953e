#!/usr/bin/env bash
# Runs the two suites that need a kernel with ip6tnl, esp6, MIPv6 and netem,
# the kernel data-path suite (test/kernel/run-suite.sh) and the HMIPv6
# namespace scenarios (scripts/testbed/run-topo-hmip.sh), in ONE boot of the
# distro-kernel VM, or directly when the running kernel has all of it. This
# is what scripts/run-tests.sh runs; `ctest -L kernel` / `ctest -L vm` still
# run each suite on its own (one boot each).
#
# Usage: test/run-vm-suites.sh [--build-dir DIR] [--direct | --vm] [--timeout S]
#   --build-dir DIR  the CMake build dir; default $HMIP_BUILD_DIR or <repo>/build
#   --direct         run both suites on the running kernel whatever it lacks
#   --vm             run inside the distro-kernel VM even if this kernel would do
#   --timeout S      the VM's overall time limit (a hang catcher; default 2400)
#
# A part of each (while working on them): HMIP_KERNEL_CASES="10-ip6ip6-tunnel
# 40-kglue-map" (case names) and HMIP_TOPO_ARGS="test/topo/hmip/test_x.py -k y"
# (pytest arguments, split on blanks).
#
# Output: each suite's own output, then its summary line again at the end:
#   kernel: N passed, M failed
#   topo.hmip: N passed, M failed
# Exit status 0 only if both suites ran and passed. Logs: DIR/test/kernel/out/,
# DIR/test/topo/out-hmip/ (and DIR/test/vm-suites-console.log in VM mode).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
BUILD_DIR=${HMIP_BUILD_DIR:-$REPO/build}
MODE=auto
VM_TIMEOUT=${HMIP_VM_TIMEOUT:-2400}
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) BUILD_DIR=$2; shift 2 ;;
    --direct) MODE=direct; shift ;;
    --vm) MODE=vm; shift ;;
    --timeout) VM_TIMEOUT=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "run-vm-suites: unknown argument $1" >&2; exit 2 ;;
  esac
done
BUILD_DIR=$(cd "$BUILD_DIR" && pwd -P)
KOUT=$BUILD_DIR/test/kernel/out
TOUT=$BUILD_DIR/test/topo/out-hmip

# Each suite says what it needs of the kernel (--probe); both have to be
# satisfied for a direct run.
if [ "$MODE" = auto ]; then
  kmiss=$("$HERE/kernel/run-suite.sh" --build-dir "$BUILD_DIR" --probe) || kmiss="(kernel probe failed)"
  tmiss=$("$REPO/scripts/testbed/run-topo-hmip.sh" --build-dir "$BUILD_DIR" --probe) || tmiss="(topo probe failed)"
  miss="$kmiss $tmiss"
  if [ -z "${miss// /}" ]; then
    MODE=direct
  elif [ -n "${HMIP_IN_VM:-}" ]; then
    MODE=direct  # the suites' own probes report what this kernel lacks
  else
    MODE=vm
    echo "run-vm-suites: the running kernel ($(uname -r)) lacks:$miss; one boot of the distro-kernel VM runs both"
  fi
fi

summaries() {
  local log=$1 k t
  k=$(grep -E '^kernel: [0-9]+ passed, [0-9]+ failed$' "$log" | tail -n1 || true)
  # pytest's last line: "== 35 passed, 1 failed, 2 errors in 501.2s ==" (any order).
  t=$(grep -E '^=* ?[0-9]+ (passed|failed|errors?)' "$log" | tail -n1 || true)
  if [ -n "$k" ]; then echo "$k"; else echo "kernel: 0 passed, 1 failed"; fi
  if [ -n "$t" ]; then
    local p f e
    p=$(grep -oE '[0-9]+ passed' <<<"$t" | grep -oE '[0-9]+' || echo 0)
    f=$(grep -oE '[0-9]+ failed' <<<"$t" | grep -oE '[0-9]+' || echo 0)
    e=$(grep -oE '[0-9]+ errors?' <<<"$t" | grep -oE '[0-9]+' || echo 0)
    echo "topo.hmip: $p passed, $((f + e)) failed"
  else
    echo "topo.hmip: 0 passed, 1 failed"
  fi
}

if [ "$MODE" = vm ]; then
  rm -rf "$KOUT" "$TOUT"
  mkdir -p "$KOUT" "$TOUT"
  log=$BUILD_DIR/test/vm-suites-console.log
  rc=0
  # Both suites write their logs below DIR/test: that is the writable share.
  "$REPO/scripts/vm-run.sh" --out "$BUILD_DIR/test" --timeout "$VM_TIMEOUT" -- \
    "$HERE/run-vm-suites.sh" --direct --build-dir "$BUILD_DIR" 2>&1 | tee "$log" || rc=$?
  echo "run-vm-suites: vm-run status $rc"
  summaries "$log" | tee "$log.summary"
  ! grep -qE ' [1-9][0-9]* failed$' "$log.summary" && [ "$rc" -eq 0 ]
  exit
fi

mkdir -p "$KOUT" "$TOUT"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
krc=0
trc=0
t0=$(date +%s)
# shellcheck disable=SC2086 # lists of words
"$HERE/kernel/run-suite.sh" --direct --build-dir "$BUILD_DIR" ${HMIP_KERNEL_CASES:-} 2>&1 | tee -a "$log" || krc=$?
t1=$(date +%s)
# shellcheck disable=SC2086
"$REPO/scripts/testbed/run-topo-hmip.sh" --direct --build-dir "$BUILD_DIR" -- ${HMIP_TOPO_ARGS:-} 2>&1 | tee -a "$log" || trc=$?
t2=$(date +%s)
echo "run-vm-suites: kernel suite $((t1 - t0)) s, topo.hmip $((t2 - t1)) s on $(uname -r)"
summaries "$log"
[ "$krc" -eq 0 ] && [ "$trc" -eq 0 ]
