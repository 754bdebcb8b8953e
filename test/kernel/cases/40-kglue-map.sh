#!/usr/bin/env bash
# kernel-glue, MAP side: NetlinkDataplane (through test/kernel/kglue_probe)
# installs a binding between a "map" and an "mn" namespace; a CN on the
# MAP's RCoA link pings the RCoA (proxy ND + tunnel + the MN's reverse
# tunnel); the LCoA changes in place with no loss window; a reverse-tunnelled
# packet with a wrong inner source (another global address, a link-local
# one) is dropped and counted by the nftables ingress check; the tunnel has
# no link-local address and sends no MLD/RS/DAD; two RCoAs bound through one
# LCoA share its tunnel, a move onto an LCoA with a tunnel joins it, packets
# to each RCoA leave through the right tunnel, a tunnel goes with its last
# RCoA; flush() leaves nothing (kill -9 + reconcile: 42-kglue-reconcile).
#
#   cn (2001:db8:99::100) --vc/vrc-- map (2001:db8:99::1; MAP 2001:db8:2::1) --vmap/vm-- mn (LCoA 2001:db8:2::10)
#   RCoA 2001:db8:99::5 (on the RCoA link, proxied by the MAP)
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=../lib/kglue.sh
. "$(dirname "$0")/../lib/kglue.sh"

KPROBE=$HMIP_BUILD_DIR/test/kernel/kglue_probe
[ -x "$KPROBE" ] || hk_fail "$KPROBE is not built (ninja -C $HMIP_BUILD_DIR kglue_probe)"
MAP=2001:db8:2::1
LCOA=2001:db8:2::10
LCOA2=2001:db8:2::20
RCOA=2001:db8:99::5
CN=2001:db8:99::100
SPOOF=2001:db8:99::77

hk_ns map
hk_ns mn
hk_ns cn
hk_veth map vmap "$MAP/64" mn vm "$LCOA/64"
hk_veth map vrc 2001:db8:99::1/64 cn vc "$CN/64"
map=$(hk_ns_name map)
mn=$(hk_ns_name mn)
cn=$(hk_ns_name cn)
ip -n "$mn" addr add "$LCOA2/64" dev vm nodad
ip -n "$cn" -6 route add default via 2001:db8:99::1
hk_in map sysctl -qw net.ipv6.conf.vrc.proxy_ndp=0
# Kernel messages of this case (a stack trace if something goes wrong).
dmesg -w >"$HMIP_KERNEL_OUT/dmesg.txt" 2>&1 &
HK_PIDS+=("$!")

# The MN end, by hand: two tunnels to the MAP (old and new LCoA), both up,
# so that downlink packets are received whichever LCoA the MAP sends to.
ip -n "$mn" -6 tunnel add t1 mode ip6ip6 local "$LCOA" remote "$MAP" encaplimit none
ip -n "$mn" -6 tunnel add t2 mode ip6ip6 local "$LCOA2" remote "$MAP" encaplimit none
# No address generation on them either (as mnd's tunnels): their link-local
# RS/MLD would reach the MAP's ingress check.
ip -n "$mn" link set t1 addrgenmode none
ip -n "$mn" link set t2 addrgenmode none
ip -n "$mn" link set t1 up
ip -n "$mn" link set t2 up
ip -n "$mn" addr add "$RCOA/128" dev t1 nodad
ip -n "$mn" -6 route add default dev t1 src "$RCOA"

# Everything the MAP tunnels to the MN's link, for the end: nothing the
# kernel would send through a tunnel with IPv6 address generation on.
TPCAP=$HMIP_KERNEL_OUT/tunnel-own.pcap
hk_capture_start mn vm "$TPCAP" "ip6 src $MAP and ip6 proto 41"
TCAP_PID=$HK_CAP_PID

kglue_start map map --proxy-link vrc --rcoa-prefix 2001:db8:99::/64
kg map-signalling
kg map-bind "$RCOA" "$MAP" "$LCOA" vrc
TUN=$(echo "$KG_REPLY" | awk '{print $2}')
[ "$TUN" = hmipm0001 ] || hk_fail "tunnel name $TUN, want hmipm0001"

# --- the objects, read back
link=$(ip -n "$map" -d link show "$TUN")
hk_log "link: $(echo "$link" | tr -s ' \n' ' ')"
echo "$link" | grep -c "ip6tnl ip6ip6 remote $LCOA local $MAP" >/dev/null || hk_fail "tunnel endpoints wrong"
echo "$link" | grep -c "encaplimit none" >/dev/null || hk_fail "tunnel does not ignore the encapsulation limit"
echo "$link" | grep -c "state UNKNOWN\|,UP" >/dev/null || hk_fail "tunnel not up"
ip -n "$map" -6 route show table all proto 203 | grep -c "^$RCOA dev $TUN" >/dev/null || hk_fail "no RCoA route proto 203"
ip -n "$map" -6 neigh show proxy | grep -c "^$RCOA dev vrc proxy" >/dev/null || hk_fail "no proxy entry for the RCoA"
ip -n "$map" xfrm state | grep -A2 "src $MAP dst $RCOA" | grep -c "proto route2" >/dev/null || hk_fail "no route2 state"
ip -n "$map" xfrm state | grep -c "coa $LCOA" >/dev/null || hk_fail "route2 state has no coa $LCOA"
pol=$(ip -n "$map" xfrm policy list ptype sub)
echo "$pol" | sed 's/^/  policy: /'
echo "$pol" | grep -A1 "src $MAP/128 dst $RCOA/128" | grep -c "dir out" >/dev/null || hk_fail "no SUB out policy"
echo "$pol" | grep -c "dir in" >/dev/null || hk_fail "no SUB in policy (signalling)"
hk_in map nft list table inet hmip_mapd | grep -c 'iifname "hmipm\*" fib saddr . iif oif 0 counter' >/dev/null ||
  hk_fail "no ingress check in nftables"
[ "$(hk_in map sysctl -n net.ipv6.conf.vrc.proxy_ndp)" = 1 ] || hk_fail "proxy_ndp not set"
[ "$(hk_in map sysctl -n net.ipv6.neigh.vrc.proxy_delay)" = 0 ] || hk_fail "proxy_delay not 0"
# No IPv6 address generation on the tunnel (issue 13 item 12): no link-local
# address, no fe80::/64 route into it.
[ "$(hk_in map sysctl -n "net.ipv6.conf.$TUN.addr_gen_mode")" = 1 ] || hk_fail "tunnel addr_gen_mode is not none"
tunaddr=$(ip -n "$map" -6 addr show dev "$TUN")
echo "$tunaddr" | grep -c inet6 >/dev/null && { echo "$tunaddr"; hk_fail "the tunnel has an IPv6 address"; }
ip -n "$map" -6 route show table all dev "$TUN" | grep -c "^fe80" >/dev/null && hk_fail "fe80::/64 routed into the tunnel"

# --- traffic both ways: the CN pings the RCoA (proxy NA, tunnel, reverse tunnel, ingress check passes)
hk_in cn ping -6 -n -c 3 -i 0.2 -W 5 "$RCOA" >/dev/null || hk_fail "CN cannot ping the RCoA"
kg counters
[ "$KG_REPLY" = "ok 0 0" ] || hk_fail "ingress check dropped legitimate packets: $KG_REPLY"

# --- update in place: new LCoA, no loss window on the downlink
rx() { hk_in mn cat "/sys/class/net/$1/statistics/rx_packets"; }
r1=$(rx t1)
r2=$(rx t2)
N=100
hk_bg cn "$HMIP_KERNEL_OUT/ping-update.txt" ping -6 -n -c "$N" -i 0.05 -W 2 "$RCOA"
PING=$HK_BG_PID
# Update once the stream runs through the old LCoA.
i=0
while [ $(($(rx t1) - r1)) -lt 5 ]; do
  i=$((i + 1))
  [ "$i" -le 300 ] || hk_fail "the ping stream did not start"
  sleep 0.05
done
kg map-bind "$RCOA" "$MAP" "$LCOA2" vrc
[ "$(echo "$KG_REPLY" | awk '{print $2}')" = "$TUN" ] || hk_fail "update made a new tunnel: $KG_REPLY"
# The MN moves its uplink too (the reply path).
ip -n "$mn" addr del "$RCOA/128" dev t1
ip -n "$mn" addr add "$RCOA/128" dev t2 nodad
ip -n "$mn" -6 route replace default dev t2 src "$RCOA"
wait "$PING" || true
d1=$(($(rx t1) - r1))
d2=$(($(rx t2) - r2))
hk_log "echo requests received during the update: $d1 via the old LCoA, $d2 via the new one ($(tail -n 2 "$HMIP_KERNEL_OUT/ping-update.txt" | head -n 1))"
[ "$d1" -gt 0 ] && [ "$d2" -gt 0 ] || hk_fail "the LCoA change did not happen during the stream"
[ $((d1 + d2)) -ge $((N - 1)) ] || hk_fail "downlink lost $((N - d1 - d2)) of $N packets across the update (want <= 1)"
hk_log "step: read back after the update"
ip -n "$map" -d link show "$TUN" | grep -c "remote $LCOA2 local $MAP" >/dev/null || hk_fail "tunnel remote not updated"
ip -n "$map" xfrm state | grep -c "coa $LCOA2" >/dev/null || hk_fail "route2 state coa not updated"
hk_log "step: a BA route to another CoA while the binding exists borrows its route2 state"
kg ba-route "$MAP" "$RCOA" 2001:db8:1::77
ip -n "$map" xfrm state | grep -c "coa 2001:db8:1::77" >/dev/null || hk_fail "BA route: route2 state not re-pointed"
kg ba-unroute "$MAP" "$RCOA"
ip -n "$map" xfrm state | grep -c "coa $LCOA2" >/dev/null || hk_fail "BA route: the binding's route2 state not restored"
ip -n "$map" xfrm state | grep -c "coa 2001:db8:1::77" >/dev/null && hk_fail "BA route: the borrowed coa is still there"
ip -n "$map" xfrm policy list ptype sub | grep -c "dst $RCOA/128" >/dev/null || hk_fail "BA route: the binding's policy went with the BA route"
hk_log "step: ping after the update"
hk_in cn ping -6 -n -c 2 -i 0.2 -W 5 "$RCOA" >/dev/null || hk_fail "CN cannot ping the RCoA after the update"
hk_log "step: spoofed packets"

# --- spoofed reverse-tunnelled packets: another global inner source, and a
# link-local one (issue 13 item 11) to the CN and to the MAP itself: dropped
# and counted, and the MAP answers none of them. (One python: scapy's import
# is slow under emulation.)
LL=fe80::99
LPCAP=$HMIP_KERNEL_OUT/spoof.pcap
hk_capture_start mn vm "$LPCAP" "ip6 src $MAP and ip6 proto 41"
hk_in mn /usr/bin/python3 - "$LCOA2" "$MAP" "$SPOOF" "$CN" "$LL" <<'PY'
import sys
from scapy.all import IPv6, ICMPv6EchoRequest, send, conf
conf.verb = 0
lcoa, mapa, spoof, cn, ll = sys.argv[1:6]
for _ in range(3):
    send(IPv6(src=lcoa, dst=mapa, nh=41) / IPv6(src=spoof, dst=cn) / ICMPv6EchoRequest(id=7, seq=1))
for dst in (cn, mapa, "2001:db8:99::1"):
    send(IPv6(src=lcoa, dst=mapa, nh=41) / IPv6(src=ll, dst=dst) / ICMPv6EchoRequest(id=8, seq=1))
PY
sleep 0.5
hk_capture_stop
kg counters
dropped=$(echo "$KG_REPLY" | awk '{print $2}')
[ "$dropped" -ge 6 ] || hk_fail "ingress check counted $dropped spoofed packets, want >= 6"
chain=$(hk_in map nft list chain inet hmip_mapd ingress_check)
echo "$chain" | sed 's/^/  nft: /'
lldropped=$(echo "$chain" | sed -n 's/.*saddr fe80::\/10 counter packets \([0-9]*\) .*/\1/p')
[ "${lldropped:-0}" -ge 3 ] || hk_fail "ingress check dropped ${lldropped:-0} of 3 link-local-sourced packets"
tcpdump -n -r "$LPCAP" 2>/dev/null | grep -c "> $LL" >/dev/null && hk_fail "the MAP answered a link-local inner source"
# ... while the RCoA still passes.
hk_in cn ping -6 -n -c 1 -W 5 "$RCOA" >/dev/null || hk_fail "CN cannot ping the RCoA after the link-local test"

# --- shared tunnels (issue 13 item 4): the kernel refuses a second ip6tnl
# with the same endpoints, so RCoAs bound through one LCoA share a tunnel.
hk_log "step: two RCoAs through one LCoA, a move onto an LCoA with a tunnel"
RCOA2=2001:db8:99::6
RCOA3=2001:db8:99::7
kg map-bind "$RCOA2" "$MAP" "$LCOA2" vrc
[ "$(echo "$KG_REPLY" | awk '{print $2}')" = "$TUN" ] || hk_fail "a second RCoA from $LCOA2 did not share $TUN: $KG_REPLY"
kg map-bind "$RCOA3" "$MAP" "$LCOA" vrc
TUN2=$(echo "$KG_REPLY" | awk '{print $2}')
[ "$TUN2" != "$TUN" ] || hk_fail "the RCoA from $LCOA got $LCOA2's tunnel"
[ "$(hk_in map sysctl -n "net.ipv6.conf.$TUN2.addr_gen_mode")" = 1 ] || hk_fail "$TUN2: addr_gen_mode is not none"
# RCOA2 moves onto LCOA, which has a tunnel: it joins that one, and TUN
# stays for RCOA.
kg map-bind "$RCOA2" "$MAP" "$LCOA" vrc
[ "$(echo "$KG_REPLY" | awk '{print $2}')" = "$TUN2" ] || hk_fail "the move onto $LCOA did not join $TUN2: $KG_REPLY"
ip -n "$map" -d link show "$TUN" | grep -c "remote $LCOA2 local $MAP" >/dev/null || hk_fail "$TUN changed although RCOA still uses it"
[ "$(ip -n "$map" link show | grep -c hmipm)" = 2 ] || hk_fail "want 2 tunnels: $(ip -n "$map" link show | grep hmipm)"
# Both in mapd's device group: flush() deletes them with one request (item 16).
[ "$(ip -n "$map" link show group 0x4d490000 | grep -c hmipm)" = 2 ] || hk_fail "the tunnels are not in group 0x4d490000"
routes=$(ip -n "$map" -6 route show table all proto 203)
echo "$routes" | sed 's/^/  route: /'
echo "$routes" | grep -c "^$RCOA dev $TUN " >/dev/null || hk_fail "RCOA not routed into $TUN"
echo "$routes" | grep -c "^$RCOA2 dev $TUN2 " >/dev/null || hk_fail "RCOA2 not routed into $TUN2"
echo "$routes" | grep -c "^$RCOA3 dev $TUN2 " >/dev/null || hk_fail "RCOA3 not routed into $TUN2"
# Packets to each RCoA leave through its tunnel: counted where the MN
# receives them (t1 ends at LCOA, t2 at LCOA2).
deliver() { # RCOA: echo requests the MN gets on t1 and t2 for 3 pings
  local a1 a2
  a1=$(rx t1)
  a2=$(rx t2)
  hk_in cn ping -6 -n -c 3 -i 0.2 -W 1 "$1" >/dev/null || true
  echo "$(($(rx t1) - a1)) $(($(rx t2) - a2))"
}
for pair in "$RCOA:t2" "$RCOA2:t1" "$RCOA3:t1"; do
  r=${pair%:*}
  want=${pair#*:}
  got=$(deliver "$r")
  hk_log "to $r: t1 t2 got $got"
  case "$want" in
    t1) [ "${got% *}" -ge 3 ] && [ "${got#* }" = 0 ] || hk_fail "packets to $r did not all go to LCOA ($got)" ;;
    t2) [ "${got#* }" -ge 3 ] && [ "${got% *}" = 0 ] || hk_fail "packets to $r did not all go to LCOA2 ($got)" ;;
  esac
done
# A tunnel goes with its last RCoA, not before.
kg map-unbind "$RCOA2"
ip -n "$map" link show "$TUN2" >/dev/null 2>&1 || hk_fail "$TUN2 went while RCOA3 still uses it"
ip -n "$map" -6 route show table all proto 203 | grep -c "^$RCOA2 " >/dev/null && hk_fail "RCOA2's route stayed"
ip -n "$map" -6 neigh show proxy | grep -c "^$RCOA2 " >/dev/null && hk_fail "RCOA2's proxy entry stayed"
kg map-unbind "$RCOA3"
ip -n "$map" link show "$TUN2" >/dev/null 2>&1 && hk_fail "$TUN2 outlived its last RCoA"
ip -n "$map" xfrm state | grep -c "dst $RCOA3" >/dev/null && hk_fail "RCOA3's route2 state stayed"
ip -n "$map" link show "$TUN" >/dev/null 2>&1 || hk_fail "$TUN went with the other tunnel's RCoAs"

# Nothing of the kernel's own went through a tunnel: no MLD report, Router
# Solicitation or DAD (issue 13 item 12).
HK_CAP_PID=$TCAP_PID
HK_CAP_PCAP=$TPCAP
hk_capture_stop
own=$(tshark -r "$TPCAP" -Y "icmpv6.type == 133 || icmpv6.type == 135 || icmpv6.type == 143 || icmpv6.type == 131" 2>/dev/null | wc -l)
hk_log "tunnelled MLD/RS/NS of the MAP's own: $own"
[ "$own" = 0 ] || { tshark -r "$TPCAP" 2>/dev/null | head -20; hk_fail "the MAP sent $own MLD/RS/NS packets through its tunnels"; }

# --- flush leaves nothing
kg flush
leftovers() {
  ip -n "$map" link show | grep -c hmipm || true
  ip -n "$map" -6 route show table all proto 203 | wc -l
  ip -n "$map" -6 neigh show proxy | wc -l
  ip -n "$map" xfrm state | wc -l
  ip -n "$map" xfrm policy list ptype sub | wc -l
  hk_in map nft list tables | grep -c hmip_mapd || true
}
[ "$(leftovers | tr -d '\n')" = 000000 ] || hk_fail "flush left objects: $(leftovers | tr '\n' ' ')"
[ "$(hk_in map sysctl -n net.ipv6.conf.vrc.proxy_ndp)" = 0 ] || hk_fail "flush did not restore proxy_ndp"
echo "quit" >&"$KG_FD"
wait "$KG_PID" || true
exec {KG_FD}>&-

echo "ok: kglue MAP binding install, traffic, update in place, ingress check, shared tunnels, no address generation, flush"
