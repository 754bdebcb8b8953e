#!/usr/bin/env bash
# Multiple CoA benchmark (issue 15): the gap in a CN -> MN stream when one of
# the MN's two interfaces dies, with and without MCoA, in ONE run of the same
# kernel (one VM boot when the VM is needed, so the medians are comparable).
#
# Both runs are `hmip-testbed bench --mcoa on|off --count N`: the MN's mn0 on
# AR1's link and mn1 on AR2's (both under MAP1), mapd on MAP1, mnd with both
# interfaces and `MultipleCoa on` (both registered: one BID each) or
# `MultipleCoa off` (one binding; the other interface has an LCoA but is not
# registered). CN streams UDP probes to the RCoA; N times the interface MAP1
# sends the stream to loses its carrier, and the gap is that carrier loss ->
# the first probe packet after it (kernel receive time stamps); the
# interface comes back and the MN settles before the next round.
#
# Usage: test/bench/mcoa-gap.sh [--build-dir DIR] [--direct | --vm]
#                               [--count N] [--interval S] [--timeout S]
#   --build-dir DIR  CMake build dir with daemons/ard, hmipctl, mapd, mnd
#                    (default $HMIP_BUILD_DIR or <repo>/build)
#   --direct / --vm  run here / in the distro-kernel VM (default: here if the
#                    running kernel has ip6tnl, MIPv6 and netem, else the VM)
#   --count N        carrier losses per run (default 20)
#   --interval S     CN's probe interval (default 0.002: the gap's resolution;
#                    it is a few ms here, so 10 ms probes would hide it)
#   --timeout S      the VM's time limit (default 1200)
# Output: DIR/bench/mcoa-gap.log (everything, also the guest console) and
# DIR/bench/mcoa-gap-{on,off}/ (testbed logs, configurations, handover.png).
# Under the VM's TCG emulation the gaps are longer than on hardware: compare
# the two runs of one boot, as a ratio or a difference.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
# shellcheck source=scripts/bench/lib.sh
. "$REPO/scripts/bench/lib.sh"
BUILD_DIR=${HMIP_BUILD_DIR:-$REPO/build}
MODE=auto
VM_TIMEOUT=${HMIP_VM_TIMEOUT:-1200}
COUNT=20
INTERVAL=0.002
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) BUILD_DIR=$2; shift 2 ;;
    --direct) MODE=direct; shift ;;
    --vm) MODE=vm; shift ;;
    --count) COUNT=$2; shift 2 ;;
    --interval) INTERVAL=$2; shift 2 ;;
    --timeout) VM_TIMEOUT=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "mcoa-gap: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ "$COUNT" =~ ^[1-9][0-9]*$ ]] || { echo "mcoa-gap: --count wants a positive whole number" >&2; exit 2; }
BUILD_DIR=$(cd "$BUILD_DIR" && pwd -P)
for d in ard hmipctl mapd mnd; do
  [ -x "$BUILD_DIR/daemons/$d" ] || { echo "mcoa-gap: $BUILD_DIR/daemons/$d is not built" >&2; exit 2; }
done
OUT=$BUILD_DIR/bench
mkdir -p "$OUT"

MODE=$(bench_mode "$MODE" mcoa-gap)
if [ "$MODE" = vm ]; then
  rc=0
  "$REPO/scripts/vm-run.sh" --out "$OUT" --timeout "$VM_TIMEOUT" -- \
    "$HERE/mcoa-gap.sh" --direct --build-dir "$BUILD_DIR" --count "$COUNT" --interval "$INTERVAL" 2>&1 | tee "$OUT/mcoa-gap.log" || rc=$?
  exit "$rc"
fi

echo "mcoa-gap: kernel $(uname -r), $(nproc) CPUs${HMIP_IN_VM:+, inside the qemu VM (TCG)}"
declare -A median outage
for r in on off; do
  dir=$OUT/mcoa-gap-$r
  rm -rf "$dir"
  mkdir -p "$dir"
  echo "==> hmip-testbed bench --mcoa $r --count $COUNT"
  "$REPO/scripts/testbed/hmip-testbed" --name mcoa bench --build-dir "$BUILD_DIR" --out "$dir" \
    --count "$COUNT" --interval "$INTERVAL" --mcoa "$r" 2>&1 | tee "$dir/bench.txt" || true
  # "bench: median interface-loss gap 123.4 ms over 20/20 carrier losses, ..."
  median[$r]=$(sed -n 's/^bench: median interface-loss gap \([0-9.]*\) ms.*/\1/p' "$dir/bench.txt" | tail -n1)
  # "bench: median interface-loss outage 98.7 ms (last packet before -> first after)"
  outage[$r]=$(sed -n 's/^bench: median interface-loss outage \([0-9.]*\) ms.*/\1/p' "$dir/bench.txt" | tail -n1)
done
echo "==> medians over $COUNT carrier losses of the interface carrying a CN -> RCoA stream (kernel $(uname -r)), ms"
printf '%-44s %10s %10s %7s %12s\n' "" "MCoA on" "MCoA off" "off/on" "difference"
row() {
  awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN {
    if (a == "" || b == "") { printf "%-44s %10s %10s\n", n, (a == "" ? "none" : a), (b == "" ? "none" : b); exit }
    printf "%-44s %10.1f %10.1f %7.2f %9.1f ms\n", n, a, b, (a > 0 ? b / a : 0), b - a
  }'
}
row "gap (carrier loss -> first packet)" "${median[on]:-}" "${median[off]:-}"
row "outage (last packet -> first packet)" "${outage[on]:-}" "${outage[off]:-}"
if [ -z "${median[on]:-}" ] || [ -z "${median[off]:-}" ]; then
  echo "mcoa-gap: a run gave no median; see $OUT/mcoa-gap-*/" >&2
  exit 1
fi
