#!/usr/bin/env bash
# Runs the kernel data-path suite: every test/kernel/cases/*.sh in turn, each
# reporting PASS or FAIL by name, then "kernel: N passed, M failed"; exits
# non-zero if any failed.
#
# Usage: test/kernel/run-suite.sh [--build-dir DIR] [--direct | --vm]
#                                 [--timeout S] [CASE-NAME...]
#   --build-dir DIR  the CMake build dir (mh_probe); default $HMIP_BUILD_DIR or <repo>/build
#   --direct         run on the running kernel whatever it lacks
#   --vm             run inside Debian's distro kernel (scripts/vm-run.sh) even
#                    if the running kernel would do
#   --timeout S      the VM's overall time limit (default 600)
#   --probe          print what the running kernel lacks (nothing: it has it
#                    all) and exit
#   CASE-NAME        run only these cases (file names without .sh)
#
# By default the suite probes the RUNNING kernel in a scratch network
# namespace: an ip6tnl link, an ESP state and MIPv6 route2/hao states. If all
# can be made (and we are root), the cases run right here; otherwise the whole
# suite runs inside ONE boot of the distro kernel under qemu. Logs and pcaps
# go to DIR/test/kernel/out/<case>/.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
BUILD_DIR=${HMIP_BUILD_DIR:-$REPO/build}
MODE=${HMIP_KERNEL_MODE:-auto}
VM_TIMEOUT=${HMIP_VM_TIMEOUT:-600}
CASE_TIMEOUT=${HMIP_KERNEL_CASE_TIMEOUT:-180}
ONLY=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) BUILD_DIR=$2; shift 2 ;;
    --direct) MODE=direct; shift ;;
    --vm) MODE=vm; shift ;;
    --timeout) VM_TIMEOUT=$2; shift 2 ;;
    --probe) MODE=probe; shift ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "run-suite: unknown option $1" >&2; exit 2 ;;
    *) ONLY+=("$1"); shift ;;
  esac
done
BUILD_DIR=$(cd "$BUILD_DIR" && pwd -P)
OUT=$BUILD_DIR/test/kernel/out

# What the running kernel lacks, as a list of words (empty: nothing).
missing_features() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "root"
    return
  fi
  unshare --net bash -c '
    m=""
    ip link set lo up
    ip link add hk0 type veth peer name hk1 2>/dev/null || m="$m veth"
    ip link add hkt type ip6tnl mode ip6ip6 local 2001:db8::1 remote 2001:db8::2 2>/dev/null || m="$m ip6tnl"
    ip xfrm state add src 2001:db8::1 dst 2001:db8::2 proto esp spi 0x100 mode transport \
      enc "cbc(aes)" 0x000102030405060708090a0b0c0d0e0f \
      auth-trunc "hmac(sha256)" 0x000102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f 128 \
      2>/dev/null || m="$m esp6"
    ip xfrm state add src 2001:db8::1 dst 2001:db8::2 proto route2 mode ro coa 2001:db8::3 2>/dev/null || m="$m mip6-route2"
    ip xfrm state add src 2001:db8::1 dst 2001:db8::2 proto hao mode ro coa 2001:db8::3 2>/dev/null || m="$m mip6-hao"
    echo $m
  ' 2>/dev/null || echo "netns"
}

if [ "$MODE" = probe ]; then
  missing_features
  exit 0
fi
if [ "$MODE" = auto ]; then
  miss=$(missing_features)
  if [ -z "$miss" ]; then
    MODE=direct
    echo "run-suite: the running kernel ($(uname -r)) has ip6tnl, esp6 and MIPv6: running directly"
  elif [ -n "${HMIP_IN_VM:-}" ]; then
    echo "run-suite: inside the test VM and still missing:$miss" >&2
    echo "kernel: 0 passed, 1 failed"
    exit 1
  else
    MODE=vm
    echo "run-suite: the running kernel ($(uname -r)) lacks:$miss; running the suite in the distro-kernel VM"
  fi
fi

if [ "$MODE" = vm ]; then
  rm -rf "$OUT"
  mkdir -p "$OUT"
  log=$OUT/vm-console.log
  rc=0
  t0=$(date +%s.%N)
  # One boot runs every case; the guest writes its logs and pcaps to $OUT.
  # (pipefail: rc is vm-run's status unless tee fails.)
  "$REPO/scripts/vm-run.sh" --out "$OUT" --timeout "$VM_TIMEOUT" -- \
    "$HERE/run-suite.sh" --direct --build-dir "$BUILD_DIR" "${ONLY[@]}" 2>&1 | tee "$log" || rc=$?
  t1=$(date +%s.%N)
  echo "run-suite: VM boot + suite took $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}')s wall (vm-run status $rc)"
  summary=$(grep -E '^kernel: [0-9]+ passed, [0-9]+ failed$' "$log" | tail -n1 || true)
  if [ -z "$summary" ]; then
    echo "run-suite: the VM run produced no summary (see $log)"
    echo "kernel: 0 passed, 1 failed"
    exit 1
  fi
  # Repeat the guest's summary as the last line, after vm-run's own output.
  echo "$summary"
  [ "$rc" -eq 0 ] && exit 0
  exit 1
fi

# Direct: run the cases here, one after the other.
mkdir -p "$OUT"
cases=()
for f in "$HERE"/cases/*.sh; do
  name=$(basename "$f" .sh)
  if [ ${#ONLY[@]} -gt 0 ]; then
    keep=0
    for o in "${ONLY[@]}"; do [ "$o" = "$name" ] && keep=1; done
    [ "$keep" -eq 1 ] || continue
  fi
  cases+=("$f")
done
[ ${#cases[@]} -gt 0 ] || { echo "run-suite: no cases selected"; echo "kernel: 0 passed, 1 failed"; exit 1; }

export HMIP_BUILD_DIR=$BUILD_DIR
passed=0
failed=0
failed_names=()
t_suite=$(date +%s.%N)
for f in "${cases[@]}"; do
  name=$(basename "$f" .sh)
  case_out=$OUT/$name
  rm -rf "$case_out"
  mkdir -p "$case_out"
  echo "=== $name"
  t0=$(date +%s.%N)
  rc=0
  # timeout makes its own process group: whatever the case leaves running
  # is killed with it afterwards. Output goes to a file (a leftover process
  # holding a pipe open would stall the runner) and is shown afterwards.
  HMIP_KERNEL_OUT=$case_out timeout -k 5 "$CASE_TIMEOUT" bash "$f" </dev/null >"$case_out/log.txt" 2>&1 &
  pid=$!
  wait "$pid" || rc=$?
  kill -KILL -- "-$pid" 2>/dev/null || true
  sed 's/^/  | /' "$case_out/log.txt"
  t1=$(date +%s.%N)
  dt=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}')
  if [ "$rc" -eq 0 ]; then
    echo "PASS $name (${dt}s)"
    passed=$((passed + 1))
  else
    [ "$rc" -eq 124 ] && echo "  (timed out after ${CASE_TIMEOUT}s)"
    echo "FAIL $name (${dt}s, status $rc; log: $case_out/log.txt)"
    failed=$((failed + 1))
    failed_names+=("$name")
  fi
done
echo "run-suite: cases took $(awk -v a="$t_suite" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')s on $(uname -r)"
[ "$failed" -eq 0 ] || echo "run-suite: failed: ${failed_names[*]}"
echo "kernel: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
