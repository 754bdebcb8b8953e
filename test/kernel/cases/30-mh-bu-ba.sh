#!/usr/bin/env bash
# HMIPv6 local binding signalling through the kernel's MIPv6 code
# (CONFIG_IPV6_MIP6), between raw IPPROTO_MH sockets, with hmip's own
# encoders and decoders (test/kernel/mh_probe):
#   1. MN -> MAP Binding Update (A and M flags) from the RCoA: the kernel
#      inserts the Home Address option itself (RCoA->MAP "proto hao" state and
#      a SUB OUT policy, as UMIP does) and sends from the LCoA.
#   2. MAP -> MN Binding Acknowledgement to the RCoA with a type 2 routing
#      header (IPV6_RTHDR cmsg built by hmip's encoder).
# The receivers check the source and destination the upper layer sees, every
# decoded field, the checksum, and the HAO / RH2 the kernel hands up in the
# cmsg (decoded with hmip's decoder). The wire is checked with tcpdump.
# The XFRM states and policies are the ones shared/notes/kernel-testbed.md
# records as the kernel's rules.
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

PROBE=$HMIP_BUILD_DIR/test/kernel/mh_probe
[ -x "$PROBE" ] || hk_fail "$PROBE is not built (ninja -C $HMIP_BUILD_DIR mh_probe)"

LCOA=2001:db8:1::10
MAP=2001:db8:1::1
RCOA=2001:db8:99::5
SEQ=4242
LIFETIME=150   # units of 4 s

hk_ns mn
hk_ns map
hk_veth mn eth0 "$LCOA/64" map eth0 "$MAP/64"
mn=$(hk_ns_name mn)
map=$(hk_ns_name map)

# The RCoA is the MN's home address for this MAP: IFA_F_HOMEADDRESS, or the
# kernel refuses the RH2 (Ip6InAddrErrors).
ip -n "$mn" addr add "$RCOA/128" dev lo home nodad

# MN: the kernel inserts the HAO on BUs from the RCoA to the MAP, accepts
# an RH2 from anyone and lets MH that came with one through. MAP: the same
# for a HAO (lib/common.sh spells out the states and SUB policies).
hk_mip6_mn mn "$RCOA" "$MAP" "$LCOA"
hk_mip6_map map

OUT=$HMIP_KERNEL_OUT
PCAP=$OUT/mh.pcap
# Only packets with a Destination Options or Routing header (BU, BA).
hk_capture_start map eth0 "$PCAP" "ip6[6] == 60 or ip6[6] == 43"

echo "-- Binding Update MN -> MAP (kernel-inserted HAO)"
hk_mh_exchange map mn bu --expect-src "$RCOA" --expect-dst "$MAP" --expect-hao "$LCOA" \
  --seq "$SEQ" --lifetime "$LIFETIME" --flags AM -- \
  --src "$RCOA" --dst "$MAP" --seq "$SEQ" --lifetime "$LIFETIME" --flags AM ||
  hk_fail "the MAP did not receive the BU as sent (see above; xfrm_stat: $(hk_in map awk '$2 != 0' /proc/net/xfrm_stat | tr '\n' ' '))"

echo "-- Binding Acknowledgement MAP -> MN (type 2 routing header)"
hk_mh_exchange mn map ba --expect-src "$MAP" --expect-dst "$RCOA" --expect-rh2 "$LCOA" \
  --seq "$SEQ" --lifetime "$LIFETIME" --status 0 -- \
  --src "$MAP" --dst "$RCOA" --rh2 "$LCOA" --seq "$SEQ" --lifetime "$LIFETIME" --status 0 ||
  hk_fail "the MN did not receive the BA as sent (see above; xfrm_stat: $(hk_in mn awk '$2 != 0' /proc/net/xfrm_stat | tr '\n' ' '); snmp6: $(hk_in mn awk '/Ip6InAddrErrors|Ip6InHdrErrors/' /proc/net/snmp6 | tr '\n' ' '))"
hk_capture_stop 2

# On the wire: the BU from the LCoA with a HAO carrying the RCoA; the BA to
# the LCoA with an RH2 carrying the RCoA (tcpdump's own dissectors).
hk_mh_wire "$PCAP"
# tcpdump prints the lifetime in seconds and knows the A flag, not M.
grep "$LCOA > $MAP: DSTOPT .*(homeaddr: $RCOA) mobility: BU seq#=$SEQ A lifetime=$((LIFETIME * 4))" \
  "$PCAP.txt" >/dev/null || hk_fail "no BU from the LCoA with a HAO carrying the RCoA on the wire"
grep "$MAP > $LCOA: RT6 (len=2, type=2, segleft=1, .*\[0\]$RCOA) mobility: BA status=0 seq#=$SEQ lifetime=$((LIFETIME * 4))" \
  "$PCAP.txt" >/dev/null || hk_fail "no BA to the LCoA with an RH2 carrying the RCoA on the wire"
echo "ok: BU with kernel-inserted HAO and BA with RH2 between raw MH sockets"
