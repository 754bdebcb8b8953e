#!/usr/bin/env bash
# kernel-glue, MAP side: NetlinkDataplane (through test/kernel/kglue_probe)
# installs a binding between a "map" and an "mn" namespace; a CN on the
# MAP's RCoA link pings the RCoA (proxy ND + tunnel + the MN's reverse
# tunnel); the LCoA changes in place with no loss window; a reverse-tunnelled
# packet with a wrong inner source is dropped and counted by the nftables
# ingress check; flush() leaves nothing (kill -9 + reconcile: 42-kglue-reconcile).
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
ip -n "$mn" link set t1 up
ip -n "$mn" link set t2 up
ip -n "$mn" addr add "$RCOA/128" dev t1 nodad
ip -n "$mn" -6 route add default dev t1 src "$RCOA"

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

# --- spoofed reverse-tunnelled packet: dropped and counted
hk_in mn /usr/bin/python3 - "$LCOA2" "$MAP" "$SPOOF" "$CN" "$RCOA" <<'PY'
import sys
from scapy.all import IPv6, ICMPv6EchoRequest, send, conf
conf.verb = 0
lcoa, mapa, spoof, cn, rcoa = sys.argv[1:6]
for _ in range(3):
    send(IPv6(src=lcoa, dst=mapa, nh=41) / IPv6(src=spoof, dst=cn) / ICMPv6EchoRequest(id=7, seq=1))
PY
sleep 0.5
kg counters
dropped=$(echo "$KG_REPLY" | awk '{print $2}')
[ "$dropped" -ge 3 ] || hk_fail "ingress check counted $dropped spoofed packets, want >= 3"

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

echo "ok: kglue MAP binding install, traffic, update in place, ingress check, flush"
