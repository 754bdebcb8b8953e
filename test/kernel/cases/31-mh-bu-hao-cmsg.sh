#!/usr/bin/env bash
# The other way to send a Binding Update with a Home Address option: the MN
# builds the Destination Options header itself (hmip's encode_hao_dstopts,
# passed as an IPV6_DSTOPTS cmsg) and sends from the LCoA, with the kernel's
# MH checksum off (IPV6_CHECKSUM -1) and the checksum computed by hmip over
# src = RCoA, dst = MAP (RFC 6275 §6.1.1). No XFRM state on the MN; the MAP
# needs the same wildcard hao state and IN policy as in 30-mh-bu-ba.
# Checks as in 30-mh-bu-ba: what the MAP's raw MH socket sees (source RCoA,
# every decoded field, checksum, HAO in the cmsg) and the wire (tcpdump).
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

PROBE=$HMIP_BUILD_DIR/test/kernel/mh_probe
[ -x "$PROBE" ] || hk_fail "$PROBE is not built (ninja -C $HMIP_BUILD_DIR mh_probe)"

LCOA=2001:db8:1::10
MAP=2001:db8:1::1
RCOA=2001:db8:99::5
SEQ=7
LIFETIME=60

hk_ns mn
hk_ns map
hk_veth mn eth0 "$LCOA/64" map eth0 "$MAP/64"
mn=$(hk_ns_name mn)
map=$(hk_ns_name map)
ip -n "$mn" addr add "$RCOA/128" dev lo home nodad
ip -n "$map" xfrm state add src :: dst :: proto hao mode ro coa :: flag wildrecv
ip -n "$map" xfrm policy add src ::/0 dst ::/0 proto 135 dir in ptype sub \
  tmpl proto hao mode ro level use

OUT=$HMIP_KERNEL_OUT
PCAP=$OUT/mh.pcap
hk_capture_start map eth0 "$PCAP" "ip6[6] == 60"

hk_mh_exchange map mn bu --expect-src "$RCOA" --expect-dst "$MAP" --expect-hao "$LCOA" \
  --seq "$SEQ" --lifetime "$LIFETIME" --flags AM -- \
  --src "$RCOA" --dst "$MAP" --hao "$LCOA" --seq "$SEQ" --lifetime "$LIFETIME" --flags AM ||
  hk_fail "the MAP did not receive the BU as sent (xfrm_stat: $(hk_in map awk '$2 != 0' /proc/net/xfrm_stat | tr '\n' ' '))"
hk_capture_stop 1

hk_mh_wire "$PCAP"
grep "$LCOA > $MAP: DSTOPT .*(homeaddr: $RCOA) mobility: BU seq#=$SEQ A lifetime=$((LIFETIME * 4))" \
  "$PCAP.txt" >/dev/null || hk_fail "no BU from the LCoA with a HAO carrying the RCoA on the wire"
echo "ok: BU with a user-built HAO (IPV6_DSTOPTS) and user-computed checksum"
