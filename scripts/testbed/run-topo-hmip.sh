#!/usr/bin/env bash
# Runs the HMIPv6 testbed scenarios (test/topo/hmip, pytest) on a kernel that
# has what they need: ip6tnl, MIPv6 (route2/hao XFRM states) and netem.
#
# Usage: scripts/testbed/run-topo-hmip.sh [--build-dir DIR] [--direct | --vm]
#                                         [--timeout S] [-- PYTEST-ARGS...]
#   --build-dir DIR  the CMake build dir (daemons/ard, hmipctl, and mapd, mnd
#                    when built); default $HMIP_BUILD_DIR or <repo>/build
#   --direct         run on the running kernel whatever it lacks
#   --vm             run inside Debian's distro kernel (scripts/vm-run.sh)
#   --timeout S      the VM's overall time limit (default 900)
#   --probe          print what the running kernel lacks (nothing: it has it
#                    all) and exit
#   PYTEST-ARGS      e.g. -s -k stream, or test files test/topo/hmip/test_X.py
#                    (without a *.py argument: the whole folder)
#
# By default the running kernel is probed in a scratch namespace, as
# test/kernel/run-suite.sh does: if it has everything (and we are root) the
# scenarios run here; otherwise the whole folder runs in ONE boot of the
# distro kernel under qemu. Per-test logs, configurations, pcaps and plots go
# to DIR/test/topo/out-hmip/<test>/ (shared writable with the guest), the
# guest's console to DIR/test/topo/out-hmip/vm-console.log. The last line is
# pytest's summary; the exit status is pytest's (1 if the VM gave none).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
BUILD_DIR=${HMIP_BUILD_DIR:-$REPO/build}
MODE=auto
VM_TIMEOUT=${HMIP_VM_TIMEOUT:-900}
PYTEST_ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) BUILD_DIR=$2; shift 2 ;;
    --direct) MODE=direct; shift ;;
    --vm) MODE=vm; shift ;;
    --timeout) VM_TIMEOUT=$2; shift 2 ;;
    --probe) MODE=probe; shift ;;
    --) shift; PYTEST_ARGS=("$@"); break ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "run-topo-hmip: unknown argument $1" >&2; exit 2 ;;
  esac
done
BUILD_DIR=$(cd "$BUILD_DIR" && pwd -P)
OUT=$BUILD_DIR/test/topo/out-hmip
PY=/usr/bin/python3

missing_features() {
  [ "$(id -u)" -eq 0 ] || { echo root; return; }
  # shellcheck disable=SC2016 # the script runs in the scratch namespace
  unshare --net sh -c '
    m=""
    ip link set lo up
    ip link add hk0 type ip6tnl mode ip6ip6 local 2001:db8::1 remote 2001:db8::2 2>/dev/null || m="$m ip6tnl"
    ip xfrm state add src 2001:db8::1 dst 2001:db8::2 proto route2 mode ro coa 2001:db8::3 2>/dev/null || m="$m mip6"
    tc qdisc add dev lo root netem delay 1ms 2>/dev/null || m="$m netem"
    echo $m
  ' 2>/dev/null || echo netns
}

if [ "$MODE" = probe ]; then
  missing_features
  exit 0
fi
if [ "$MODE" = auto ]; then
  miss=$(missing_features)
  if [ -z "$miss" ]; then
    MODE=direct
  elif [ -n "${HMIP_IN_VM:-}" ]; then
    echo "run-topo-hmip: inside the test VM and still missing:$miss" >&2
    exit 1
  else
    MODE=vm
    echo "run-topo-hmip: the running kernel ($(uname -r)) lacks:$miss; running in the distro-kernel VM"
  fi
fi

if [ "$MODE" = vm ]; then
  rm -rf "$OUT"
  mkdir -p "$OUT"
  log=$OUT/vm-console.log
  rc=0
  "$REPO/scripts/vm-run.sh" --out "$OUT" --timeout "$VM_TIMEOUT" -- \
    "$HERE/run-topo-hmip.sh" --direct --build-dir "$BUILD_DIR" -- "${PYTEST_ARGS[@]}" 2>&1 | tee "$log" || rc=$?
  # pytest's summary line ("N passed, ... in Ss") last, after vm-run's own lines.
  summary=$(grep -E '^=*( |)[0-9]+ (passed|failed|error)' "$log" | tail -n1 || true)
  [ -n "$summary" ] && echo "$summary"
  exit "$rc"
fi

# --opt=value: pytest finds the conftest that defines these options from the
# positional arguments, and a separate value would look like one.
args=("--ard=$BUILD_DIR/daemons/ard" "--hmipctl=$BUILD_DIR/daemons/hmipctl" "--outdir=$OUT")
for d in mapd mnd; do
  if [ -x "$BUILD_DIR/daemons/$d" ]; then args+=("--$d=$BUILD_DIR/daemons/$d"); fi
done
# Without a test file among them (*.py, *.py::test), the whole folder.
has_path=0
for a in "${PYTEST_ARGS[@]}"; do case "$a" in *.py|*.py::*) has_path=1 ;; esac; done
[ "$has_path" -eq 1 ] || PYTEST_ARGS+=("$REPO/test/topo/hmip")
mkdir -p "$OUT"
cd "$REPO"
echo "run-topo-hmip: on $(uname -r)"
# --durations: the slowest tests, for the time budget (test/README.md).
PYTHONDONTWRITEBYTECODE=1 exec "$PY" -m pytest -q --color=no --durations=12 -c "$REPO/test/topo/pytest.ini" "${PYTEST_ARGS[@]}" "${args[@]}"
