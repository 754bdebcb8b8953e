#!/usr/bin/env bash
# The HMIPv6 handover demo (README's first command): CN, a core router, MAP1
# with AR1 and AR2, MAP2 with AR3, a home agent on its home link, and a
# mobile node, in network namespaces. ard runs on the ARs, mapd on the MAPs
# and (home-agent role) on the HA, mnd on the MN. The MN registers at MAP1
# and its RCoA with the HA; CN streams UDP probes to its home address while
# the MN moves AR1 -> AR2 -> AR3; the demo prints the binding caches, the
# handover gaps and the home BUs the HA received per move, and writes a PNG
# plot of the packet arrivals. It exits non-zero, saying which step failed,
# unless the intra-MAP move cost the HA no BU, the inter-MAP move re-bound
# the home address to MAP2's RCoA, MAP2 binds that RCoA to the AR3 LCoA,
# mnd shows the registration, and CN's packets to the new RCoA arrive
# through MAP2.
#
# Runs directly on a kernel with ip6_tunnel, MIPv6 and netem, and inside
# Debian's distro kernel under qemu (scripts/vm-run.sh) otherwise.
#
# Usage: scripts/demo.sh [--insecure | --probe-only]
#   (default)      secure mode, as a deployment runs: strongSwan's charon on
#                  the MAPs, the HA and the MN, certificates from `pki`,
#                  RCoAs leased through IKEv2, local and home binding
#                  updates protected by ESP (RFC 5380 §12, RFC 4877)
#   --insecure     InsecureTestbedSignalling: unprotected binding updates
#   --probe-only   no mapd/mnd: the measurement machinery alone (a pinned
#                  address whose route is moved by hand, AR1 <-> AR2)
# Environment: HMIP_BUILD_DIR (default ./build). Output (logs, configs,
# plot): BUILD/testbed/demo/.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build=${HMIP_BUILD_DIR:-$repo/build}
mode=demo
targets=(ard hmipctl mapd mnd)
secure=(--secure)
case "${1:-}" in
  --probe-only) mode=probe-demo; targets=(ard hmipctl); secure=() ;;
  --insecure) secure=() ;;
  "") ;;
  *) echo "usage: scripts/demo.sh [--insecure | --probe-only]" >&2; exit 2 ;;
esac

[ "$(id -u)" -eq 0 ] || { echo "demo: run as root (network namespaces, raw sockets, apt)" >&2; exit 1; }

echo "==> dependencies"
"$repo/scripts/install-deps.sh"
echo "==> build"
cmake -S "$repo" -B "$build" -G Ninja >/dev/null
ninja -C "$build" "${targets[@]}"
build=$(cd "$build" && pwd -P)
out=$build/testbed/demo
rm -rf "$out"
mkdir -p "$out"

tb=("$repo/scripts/testbed/hmip-testbed" "$mode" --build-dir "$build" --out "$out" "${secure[@]}")
missing=$("$repo/scripts/testbed/hmip-testbed" features)
rc=0
if [ "$missing" = "nothing missing" ]; then
  echo "==> testbed on the running kernel ($(uname -r))"
  "${tb[@]}" || rc=$?
else
  echo "==> the running kernel lacks: $missing; the testbed runs in the distro-kernel VM (emulated: slower)"
  "$repo/scripts/vm-run.sh" --out "$out" --timeout 900 -- "${tb[@]}" || rc=$?
fi
if [ "$rc" -ne 0 ]; then
  # The testbed said what failed (e.g. the inter-MAP registration at MAP2).
  echo "demo: FAILED (exit status $rc); logs, configurations and the plot (if any) in $out" >&2
  exit "$rc"
fi
echo "==> plot: $out/handover.png"
