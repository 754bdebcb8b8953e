#!/usr/bin/env bash
# The hmip namespace testbed demo (README's first command).
#
# Two network namespaces joined by veth: a mobile node (LCoA 2001:db8:1::10,
# RCoA 2001:db8:99::5) and its MAP (2001:db8:1::1). The MN sends a local
# Binding Update (A and M flags) from its RCoA; the kernel's Mobile IPv6 code
# inserts the Home Address option. The MAP answers with a Binding
# Acknowledgement carrying a type 2 routing header. Both messages are built
# and read by libhmip's encoders and decoders; each side prints what it
# decoded, and tshark shows the capture.
#
# Runs on a kernel with ip6_tunnel, esp6 and CONFIG_IPV6_MIP6 directly, and
# inside Debian's distro kernel under qemu (scripts/vm-run.sh) otherwise.
# The full handover demo arrives with mapd and mnd.
#
# Environment: HMIP_BUILD_DIR (default ./build).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build=${HMIP_BUILD_DIR:-$repo/build}

[ "$(id -u)" -eq 0 ] || { echo "demo: run as root (network namespaces, raw sockets, apt)" >&2; exit 1; }

echo "==> dependencies"
"$repo/scripts/install-deps.sh"
echo "==> build"
cmake -S "$repo" -B "$build" -G Ninja >/dev/null
ninja -C "$build" mh_probe

echo "==> testbed: MN and MAP namespaces, BU and BA through the kernel"
"$repo/test/kernel/run-suite.sh" --build-dir "$build" 30-mh-bu-ba

pcap=$(find "$build/test/kernel/out/30-mh-bu-ba" -name '*.pcap' | head -n 1)
if [ -n "$pcap" ]; then
  echo
  echo "==> tshark's view of the capture on the MAP's link ($pcap)"
  tmp_home=$(mktemp -d)
  # One row per Mobility Header message; "-" where a field does not apply.
  HOME=$tmp_home tshark -r "$pcap" -Y mipv6 -T fields -E header=y -E occurrence=f \
    -e frame.number -e ipv6.src -e ipv6.dst -e ipv6.opt.mipv6.home_address \
    -e ipv6.routing.mipv6.home_address -e mip6.mhtype -e mip6.bu.seqnr -e mip6.bu.a_flag \
    -e mip6.bu.m_flag -e mip6.bu.lifetime -e mip6.ba.status -e mip6.ba.seqnr -e mip6.ba.lifetime \
    2>/dev/null | sed -E 's/\t\t/\t-\t/g; s/\t\t/\t-\t/g; s/\t$/\t-/' | column -t -s $'\t'
  rm -rf "$tmp_home"
fi
