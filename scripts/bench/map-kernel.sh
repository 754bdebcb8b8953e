#!/usr/bin/env bash
# mapd's binding path on the real kernel: test/bench/bench_map_kernel
# (MapAgent + NetlinkDataplane) for N = 1000 2000 5000 bindings, in a fresh
# network namespace with a veth "map0" holding the MAP address. New
# bindings/s, refreshes/s, moves/s, deregistrations/s, the seconds flush() takes
# to remove N bindings (mapd's SIGTERM) and kernel memory per binding are
# printed as a table.
#
# Usage: scripts/bench/map-kernel.sh [--build-dir DIR] [--direct | --vm]
#                                    [--timeout S] [-- BENCH-ARGS...]
#   --build-dir DIR  CMake build dir with test/bench/bench_map_kernel
#                    (default $HMIP_BUILD_DIR or <repo>/build)
#   --direct / --vm  run here / in the distro-kernel VM (default: here if the
#                    running kernel has ip6tnl and MIPv6, else the VM)
#   --timeout S      the VM's time limit (default 900)
#   BENCH-ARGS       passed on: [--routed] [--one-by-one] [N ...]
# Output (also the guest console): DIR/bench/map-kernel.log. Under the VM's
# TCG emulation the absolute rates are roughly 10x lower than on hardware.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
# shellcheck source=scripts/bench/lib.sh
. "$HERE/lib.sh"
BUILD_DIR=${HMIP_BUILD_DIR:-$REPO/build}
MODE=auto
VM_TIMEOUT=${HMIP_VM_TIMEOUT:-900}
ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) BUILD_DIR=$2; shift 2 ;;
    --direct) MODE=direct; shift ;;
    --vm) MODE=vm; shift ;;
    --timeout) VM_TIMEOUT=$2; shift 2 ;;
    --) shift; ARGS=("$@"); break ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "map-kernel: unknown argument $1" >&2; exit 2 ;;
  esac
done
BUILD_DIR=$(cd "$BUILD_DIR" && pwd -P)
BENCH=$BUILD_DIR/test/bench/bench_map_kernel
[ -x "$BENCH" ] || { echo "map-kernel: $BENCH is not built (ninja -C $BUILD_DIR bench_map_kernel)" >&2; exit 2; }
OUT=$BUILD_DIR/bench
mkdir -p "$OUT"

MODE=$(bench_mode "$MODE" map-kernel)
if [ "$MODE" = vm ]; then
  rc=0
  "$REPO/scripts/vm-run.sh" --out "$OUT" --timeout "$VM_TIMEOUT" -- \
    "$HERE/map-kernel.sh" --direct --build-dir "$BUILD_DIR" -- "${ARGS[@]}" 2>&1 | tee "$OUT/map-kernel.log" || rc=$?
  exit "$rc"
fi

echo "map-kernel: kernel $(uname -r), $(nproc) CPUs${HMIP_IN_VM:+, inside the qemu VM}"
# The namespace lives as long as the benchmark; everything in it goes with it.
# shellcheck disable=SC2016 # "$0" "$@" are the inner shell's
exec unshare --net sh -c '
  set -e
  ip link set lo up
  ip link add map0 type veth peer name map0p
  ip link set map0p up
  ip link set map0 up
  ip -6 addr add 2001:db8:100::1/64 dev map0 nodad
  exec "$0" "$@"
' "$BENCH" "${ARGS[@]}"
