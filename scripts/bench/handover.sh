#!/usr/bin/env bash
# Handover gap benchmark with mapd and mnd: `hmip-testbed bench --mapd --mnd
# --count N` (intra-MAP moves AR1 <-> AR2, CN streaming UDP probes to the
# RCoA) once with the MAP next to the ARs and once with --map-delay D (netem
# D ms each way on the MAP1 - AR1/AR2 links: a MAP 2*D ms round trip away),
# both in ONE run of the same kernel (one VM boot when the VM is needed, so
# the two medians are comparable). Prints both median gaps and their ratio.
#
# Usage: scripts/bench/handover.sh [--build-dir DIR] [--direct | --vm]
#                                  [--count N] [--map-delay D] [--timeout S]
#   --build-dir DIR  CMake build dir with daemons/ard, hmipctl, mapd, mnd
#                    (default $HMIP_BUILD_DIR or <repo>/build)
#   --direct / --vm  run here / in the distro-kernel VM (default: here if the
#                    running kernel has ip6tnl, MIPv6 and netem, else the VM)
#   --count N        moves per run (default 20)
#   --map-delay D    ms each way for the second run (default 20)
#   --timeout S      the VM's time limit (default 900)
# Output: DIR/bench/handover.log (everything, also the guest console) and
# DIR/bench/handover-0ms/, DIR/bench/handover-Dms/ (testbed logs, configs,
# handover.png). Gaps are kernel receive time stamps (SO_TIMESTAMPNS); under
# the VM's TCG emulation they are longer than on hardware: compare the two
# runs as a ratio. Two figures: the gap (carrier loss -> first packet, the
# issue's "link switch -> first packet") and the resume time (new link up
# -> first packet), which leaves out the emulated link switch itself.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
# shellcheck source=scripts/bench/lib.sh
. "$HERE/lib.sh"
BUILD_DIR=${HMIP_BUILD_DIR:-$REPO/build}
MODE=auto
VM_TIMEOUT=${HMIP_VM_TIMEOUT:-900}
COUNT=20
DELAY=20
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) BUILD_DIR=$2; shift 2 ;;
    --direct) MODE=direct; shift ;;
    --vm) MODE=vm; shift ;;
    --count) COUNT=$2; shift 2 ;;
    --map-delay) DELAY=$2; shift 2 ;;
    --timeout) VM_TIMEOUT=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "handover: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ "$COUNT" =~ ^[1-9][0-9]*$ ]] || { echo "handover: --count wants a positive whole number" >&2; exit 2; }
[[ "$DELAY" =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "handover: --map-delay wants milliseconds" >&2; exit 2; }
BUILD_DIR=$(cd "$BUILD_DIR" && pwd -P)
for d in ard hmipctl mapd mnd; do
  [ -x "$BUILD_DIR/daemons/$d" ] || { echo "handover: $BUILD_DIR/daemons/$d is not built" >&2; exit 2; }
done
OUT=$BUILD_DIR/bench
mkdir -p "$OUT"

MODE=$(bench_mode "$MODE" handover)
if [ "$MODE" = vm ]; then
  rc=0
  "$REPO/scripts/vm-run.sh" --out "$OUT" --timeout "$VM_TIMEOUT" -- \
    "$HERE/handover.sh" --direct --build-dir "$BUILD_DIR" --count "$COUNT" --map-delay "$DELAY" \
    2>&1 | tee "$OUT/handover.log" || rc=$?
  exit "$rc"
fi

echo "handover: kernel $(uname -r), $(nproc) CPUs${HMIP_IN_VM:+, inside the qemu VM (TCG)}"
declare -A median resume
for d in 0 "$DELAY"; do
  dir=$OUT/handover-${d}ms
  rm -rf "$dir"
  mkdir -p "$dir"
  echo "==> hmip-testbed bench --mapd --mnd --count $COUNT --map-delay $d"
  "$REPO/scripts/testbed/hmip-testbed" --name bench bench --build-dir "$BUILD_DIR" --out "$dir" \
    --mapd --mnd --count "$COUNT" --map-delay "$d" 2>&1 | tee "$dir/bench.txt" || true
  # "bench: median handover gap 123.4 ms over ..." (or "-" when no move completed)
  median[$d]=$(sed -n 's/^bench: median handover gap \([0-9.]*\) ms.*/\1/p' "$dir/bench.txt" | tail -n1)
  # "bench: median resume 45.6 ms (new link up -> first packet)"
  resume[$d]=$(sed -n 's/^bench: median resume \([0-9.]*\) ms.*/\1/p' "$dir/bench.txt" | tail -n1)
done
# One table row per figure: near, delayed, ratio, difference.
row() {
  awk -v n="$1" -v a="$2" -v b="$3" -v d="$DELAY" 'BEGIN {
    if (a == "" || b == "") { printf "%-44s %10s %10s\n", n, (a == "" ? "none" : a), (b == "" ? "none" : b); exit }
    printf "%-44s %10.1f %10.1f %7.2f %9.1f ms (added round trip %g ms)\n", n, a, b, (a > 0 ? b / a : 0), b - a, 2 * d
  }'
}
echo "==> medians over $COUNT intra-MAP moves (kernel $(uname -r)), ms"
printf '%-44s %10s %10s %7s %12s\n' "" "MAP near" "${DELAY} ms/way" "ratio" "difference"
row "gap (carrier loss -> first packet)" "${median[0]:-}" "${median[$DELAY]:-}"
row "resume (new link up -> first packet)" "${resume[0]:-}" "${resume[$DELAY]:-}"
if [ -z "${median[0]:-}" ] || [ -z "${median[$DELAY]:-}" ]; then
  echo "handover: a run gave no median; see $OUT/handover-*ms/" >&2
  exit 1
fi
