#!/usr/bin/env bash
# A ping through an ip6ip6 tunnel (ip6tnl) between two namespaces joined by
# veth. Checks: the ping answers; the tunnel devices count what was sent and
# received; on the veth the echo requests travel encapsulated (outer header
# between the tunnel endpoints, inner between the tunnel addresses).
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

A_OUT=2001:db8:1::1
B_OUT=2001:db8:1::2
A_IN=2001:db8:100::1
B_IN=2001:db8:100::2

hk_ns a
hk_ns b
hk_veth a va "$A_OUT/64" b vb "$B_OUT/64"

# tunnel_end NS LOCAL REMOTE INNER
tunnel_end() {
  local ns
  ns=$(hk_ns_name "$1")
  ip -n "$ns" -6 tunnel add tnl mode ip6ip6 local "$2" remote "$3"
  ip -n "$ns" link set tnl up
  ip -n "$ns" addr add "$4/64" dev tnl nodad
}
tunnel_end a "$A_OUT" "$B_OUT" "$A_IN"
tunnel_end b "$B_OUT" "$A_OUT" "$B_IN"
hk_log "tunnel a: $(ip -n "$(hk_ns_name a)" -6 tunnel show tnl)"

# The inner prefix is reachable only through the tunnel.
ip -n "$(hk_ns_name a)" -6 route get "$B_IN" | grep -q 'dev tnl' || hk_fail "no route to $B_IN via tnl"

PCAP=$HMIP_KERNEL_OUT/ip6ip6.pcap
# Tunnelled packets (next header 41, or 60 for the encapsulation limit
# option) and any echo request that would cross in clear.
hk_capture_start b vb "$PCAP" "ip6 proto 41 or ip6 proto 60 or (icmp6 and ip6[40] == 128)"
hk_in a ping -6 -n -c 3 -i 0.2 -W 5 "$B_IN" || hk_fail "ping $B_IN through the tunnel failed"
hk_capture_stop 6

tnl_stat() { hk_in "$1" cat "/sys/class/net/tnl/statistics/$2"; }
a_tx=$(tnl_stat a tx_packets)
b_rx=$(tnl_stat b rx_packets)
hk_log "tnl counters: a tx_packets=$a_tx, b rx_packets=$b_rx"
[ "$a_tx" -ge 3 ] || hk_fail "tunnel a sent $a_tx packets, want >= 3"
[ "$b_rx" -ge 3 ] || hk_fail "tunnel b received $b_rx packets, want >= 3"

# tcpdump prints an encapsulated packet as "IP6 OUTER > OUTER: [DSTOPT] IP6
# INNER > INNER: ICMP6, echo request".
tcpdump -n -r "$PCAP" 2>/dev/null >"$PCAP.txt"
enc=$(grep -c "IP6 $A_OUT > $B_OUT: .*IP6 $A_IN > $B_IN: ICMP6, echo request" "$PCAP.txt" || true)
bare=$(grep -c "^[0-9:.]* IP6 $A_IN > $B_IN: ICMP6, echo request" "$PCAP.txt" || true)
hk_log "on the veth: $enc encapsulated echo requests, $bare bare ones"
[ "$enc" -ge 3 ] || { cat "$PCAP.txt"; hk_fail "want >= 3 encapsulated echo requests on the veth"; }
[ "$bare" -eq 0 ] || hk_fail "echo requests crossed the veth unencapsulated"
echo "ok: ping through ip6ip6 tunnel"
