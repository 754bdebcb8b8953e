#!/usr/bin/env bash
# Handover gap benchmark with mapd and mnd: `hmip-testbed bench --mapd --mnd
# --count N` (intra-MAP moves AR1 <-> AR2, CN streaming UDP probes to the
# RCoA) once with the MAP next to the ARs and once with --map-delay D (netem
# D ms each way on the MAP1 - AR1/AR2 links: a MAP 2*D ms round trip away),
# both in ONE run of the same kernel (one VM boot when the VM is needed, so
# the two medians are comparable). Prints both median gaps and their ratio.
# With --home (issue 14): CN streams to the MN's home address, the HA is
# --ha-delay D ms away each way (netem on the core - HA link), and the two
# runs are (a) `bench --home hmipv6` (the RCoA registered with the HA: an
# intra-MAP move updates MAP1 only) and (b) `bench --home plain` (mnd.conf
# Hmipv6 off: every move a home BU to the HA); prints both medians, the
# ratio b/a and RTT(MN, MAP1), RTT(MN, HA).
#
# Usage: scripts/bench/handover.sh [--build-dir DIR] [--direct | --vm]
#                                  [--count N] [--map-delay D] [--timeout S]
#                                  [--home [--ha-delay D]]
#   --build-dir DIR  CMake build dir with daemons/ard, hmipctl, mapd, mnd
#                    (default $HMIP_BUILD_DIR or <repo>/build)
#   --direct / --vm  run here / in the distro-kernel VM (default: here if the
#                    running kernel has ip6tnl, MIPv6 and netem, else the VM)
#   --count N        moves per run (default 20)
#   --map-delay D    ms each way for the second run (default 20)
#   --home           the home-registration runs (a) and (b) instead
#   --ha-delay D     with --home: ms each way core <-> HA (default 20)
#   --timeout S      the VM's time limit (default 900)
# Output: DIR/bench/handover.log (everything, also the guest console) and
# DIR/bench/handover-0ms/, DIR/bench/handover-Dms/ (testbed logs, configs,
# handover.png); with --home DIR/bench/home-handover.log and
# DIR/bench/home-handover-{hmipv6,plain}/. Gaps are kernel receive time stamps (SO_TIMESTAMPNS); under
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
HOME_RUNS=
HA_DELAY=20
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) BUILD_DIR=$2; shift 2 ;;
    --direct) MODE=direct; shift ;;
    --vm) MODE=vm; shift ;;
    --count) COUNT=$2; shift 2 ;;
    --map-delay) DELAY=$2; shift 2 ;;
    --home) HOME_RUNS=1; shift ;;
    --ha-delay) HA_DELAY=$2; shift 2 ;;
    --timeout) VM_TIMEOUT=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "handover: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ "$COUNT" =~ ^[1-9][0-9]*$ ]] || { echo "handover: --count wants a positive whole number" >&2; exit 2; }
[[ "$DELAY" =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "handover: --map-delay wants milliseconds" >&2; exit 2; }
[[ "$HA_DELAY" =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "handover: --ha-delay wants milliseconds" >&2; exit 2; }
BUILD_DIR=$(cd "$BUILD_DIR" && pwd -P)
for d in ard hmipctl mapd mnd; do
  [ -x "$BUILD_DIR/daemons/$d" ] || { echo "handover: $BUILD_DIR/daemons/$d is not built" >&2; exit 2; }
done
OUT=$BUILD_DIR/bench
mkdir -p "$OUT"
# The two runs: RUNS[i] names run i, ARGS[i] are its `bench` options.
if [ -n "$HOME_RUNS" ]; then
  NAME=home-handover RUNS=(hmipv6 plain) SUFFIX=
  ARGS=("--home hmipv6 --ha-delay $HA_DELAY" "--home plain --ha-delay $HA_DELAY")
else
  NAME=handover RUNS=(0 "$DELAY") SUFFIX=ms
  ARGS=("--mapd --mnd --map-delay 0" "--mapd --mnd --map-delay $DELAY")
fi

MODE=$(bench_mode "$MODE" handover)
if [ "$MODE" = vm ]; then
  rc=0
  "$REPO/scripts/vm-run.sh" --out "$OUT" --timeout "$VM_TIMEOUT" -- \
    "$HERE/handover.sh" --direct --build-dir "$BUILD_DIR" --count "$COUNT" --map-delay "$DELAY" \
    ${HOME_RUNS:+--home} --ha-delay "$HA_DELAY" 2>&1 | tee "$OUT/$NAME.log" || rc=$?
  exit "$rc"
fi

echo "handover: kernel $(uname -r), $(nproc) CPUs${HMIP_IN_VM:+, inside the qemu VM (TCG)}"
declare -A median resume rtt_map rtt_ha
for i in 0 1; do
  r=${RUNS[$i]}
  dir=$OUT/$NAME-$r$SUFFIX
  rm -rf "$dir"
  mkdir -p "$dir"
  echo "==> hmip-testbed bench --count $COUNT ${ARGS[$i]}"
  # shellcheck disable=SC2086 # ARGS[i] is a list of options
  "$REPO/scripts/testbed/hmip-testbed" --name bench bench --build-dir "$BUILD_DIR" --out "$dir" \
    --count "$COUNT" ${ARGS[$i]} 2>&1 | tee "$dir/bench.txt" || true
  # "bench: median handover gap 123.4 ms over ..." (or "-" when no move completed)
  median[$r]=$(sed -n 's/^bench: median handover gap \([0-9.]*\) ms.*/\1/p' "$dir/bench.txt" | tail -n1)
  # "bench: median resume 45.6 ms (new link up -> first packet)"
  resume[$r]=$(sed -n 's/^bench: median resume \([0-9.]*\) ms.*/\1/p' "$dir/bench.txt" | tail -n1)
  # "bench: RTT(MN, MAP1) 1.23 ms median of 10/10 pings ..." (--home only)
  rtt_map[$r]=$(sed -n 's/^bench: RTT(MN, MAP1) \([0-9.]*\) ms.*/\1/p' "$dir/bench.txt" | tail -n1)
  rtt_ha[$r]=$(sed -n 's/^bench: RTT(MN, HA) \([0-9.]*\) ms.*/\1/p' "$dir/bench.txt" | tail -n1)
done
a=${RUNS[0]} b=${RUNS[1]}
# One table row per figure: run 0, run 1, ratio, difference.
row() {
  awk -v n="$1" -v a="$2" -v b="$3" -v note="$4" 'BEGIN {
    if (a == "" || b == "") { printf "%-44s %10s %10s\n", n, (a == "" ? "none" : a), (b == "" ? "none" : b); exit }
    printf "%-44s %10.1f %10.1f %7.2f %9.1f ms%s\n", n, a, b, (a > 0 ? b / a : 0), b - a, note
  }'
}
if [ -n "$HOME_RUNS" ]; then
  echo "==> CN -> home address, medians over $COUNT intra-MAP moves, HA $HA_DELAY ms away each way (kernel $(uname -r)), ms"
  printf '%-44s %10s %10s %7s %12s\n' "" "(a) HMIPv6" "(b) plain" "b/a" "difference"
  note=""
else
  echo "==> medians over $COUNT intra-MAP moves (kernel $(uname -r)), ms"
  printf '%-44s %10s %10s %7s %12s\n' "" "MAP near" "${DELAY} ms/way" "ratio" "difference"
  note=" (added round trip $(awk -v d="$DELAY" 'BEGIN { printf "%g", 2 * d }') ms)"
fi
row "gap (carrier loss -> first packet)" "${median[$a]:-}" "${median[$b]:-}" "$note"
row "resume (new link up -> first packet)" "${resume[$a]:-}" "${resume[$b]:-}" "$note"
if [ -n "$HOME_RUNS" ]; then
  printf '%-44s %10s %10s\n' "RTT(MN, MAP1), ping from the LCoA" "${rtt_map[$a]:-none}" "${rtt_map[$b]:-none}"
  printf '%-44s %10s %10s\n' "RTT(MN, HA), ping from the LCoA" "${rtt_ha[$a]:-none}" "${rtt_ha[$b]:-none}"
  # The issue's goal, printed to be judged (never asserted: a benchmark).
  awk -v g="${median[$a]:-}" -v r="${resume[$a]:-}" -v gb="${median[$b]:-}" -v rb="${resume[$b]:-}" \
      -v t="${rtt_map[$a]:-}" 'BEGIN {
    if (g == "" || r == "" || gb == "" || rb == "" || t == "") exit
    printf "goal (issue 14): (a) <= RTT(MN, MAP) + 5 ms = %.1f ms: gap %.1f, resume %.1f; b/a >= 5: gap %.2f, resume %.2f\n",
      t + 5, g, r, (g > 0 ? gb / g : 0), (r > 0 ? rb / r : 0)
  }'
fi
if [ -z "${median[$a]:-}" ] || [ -z "${median[$b]:-}" ]; then
  echo "handover: a run gave no median; see $OUT/$NAME-*/" >&2
  exit 1
fi
