#!/usr/bin/env bash
# kernel-glue, MAP side, Multiple CoA (issue 15): a killed run's leftovers of
# two bindings {RCoA, BID 1/2} (two tunnels, RCoA/128 at metrics 1024/1025,
# a flow rule and a route in BID 1's table, path set elements): a new
# NetlinkDataplane adopts the lowest-metric (top-ranked) one as the
# address's bid-0 binding (same tunnel and ifindex), reconcile() removes
# the other tunnel, its routes and the flow rule, the re-installed ingress
# check has no stale path set element, traffic stays on the adopted tunnel,
# flush leaves nothing. Topology as 47-kglue-mcoa.
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=../lib/kglue.sh
. "$(dirname "$0")/../lib/kglue.sh"

KPROBE=$HMIP_BUILD_DIR/test/kernel/kglue_probe
[ -x "$KPROBE" ] || hk_fail "$KPROBE is not built (ninja -C $HMIP_BUILD_DIR kglue_probe)"
MAP=2001:db8:2::1
LCOA1=2001:db8:2::10
LCOA2=2001:db8:3::10
RCOA=2001:db8:99::5
CN=2001:db8:99::100

hk_ns map
hk_ns mn
hk_ns cn
hk_veth map vma "$MAP/64" mn va "$LCOA1/64"
hk_veth map vmb 2001:db8:3::1/64 mn vb "$LCOA2/64"
hk_veth map vrc 2001:db8:99::1/64 cn vc "$CN/64"
map=$(hk_ns_name map)
mn=$(hk_ns_name mn)
ip -n "$(hk_ns_name cn)" -6 route add default via 2001:db8:99::1
hk_in map sysctl -qw net.ipv6.conf.vrc.proxy_ndp=0
ip -n "$mn" -6 tunnel add t1 mode ip6ip6 local "$LCOA1" remote "$MAP" encaplimit none
ip -n "$mn" -6 tunnel add t2 mode ip6ip6 local "$LCOA2" remote "$MAP" encaplimit none
for t in t1 t2; do
  ip -n "$mn" link set "$t" addrgenmode none
  ip -n "$mn" link set "$t" up
done
ip -n "$mn" addr add "$RCOA/128" dev lo nodad
ip -n "$mn" -6 route add default dev t2 src "$RCOA"
rx() { hk_in mn cat "/sys/class/net/$1/statistics/rx_packets"; }
leftovers() {
  ip -n "$map" link show | grep -c hmipm || true
  ip -n "$map" -6 route show table all proto 203 | wc -l
  ip -n "$map" -6 rule show | grep -c "proto 203" || true
  ip -n "$map" -6 neigh show proxy | wc -l
  ip -n "$map" xfrm state | wc -l
  ip -n "$map" xfrm policy list ptype sub | wc -l
  hk_in map nft list tables | grep -c hmip_mapd || true
}

kglue_start map map --proxy-link vrc --rcoa-prefix 2001:db8:99::/64
# --- a killed run's MCoA leftovers: adopt the lowest metric, reconcile the rest
kg map-signalling
# BID 2 ranked above BID 1: its route has metric 1024.
kg mcoa-bind "$RCOA" 1 5 "$MAP" "$LCOA1" vrc
TUN1=$(echo "$KG_REPLY" | awk '{print $2}')
kg mcoa-bind "$RCOA" 2 10 "$MAP" "$LCOA2" vrc
TUN2=$(echo "$KG_REPLY" | awk '{print $2}')
kg flow-policies bid=1,proto=17,dport=5001
IFX2=$(hk_in map cat "/sys/class/net/$TUN2/ifindex")
kill -9 "$KG_PID"
wait "$KG_PID" 2>/dev/null || true
exec {KG_FD}>&-
kglue_start map map --proxy-link vrc --rcoa-prefix 2001:db8:99::/64
kg adopt
[ "$KG_REPLY" = "ok 1 adopted: $RCOA $MAP $LCOA2 vrc $TUN2 $IFX2;" ] ||
  hk_fail "want BID 2's (metric 1024) binding adopted in $TUN2 ($IFX2): $KG_REPLY"
kg reconcile
case "$KG_REPLY" in *"link $TUN1"*) ;; *) hk_fail "reconcile did not remove $TUN1: $KG_REPLY" ;; esac
case "$KG_REPLY" in *"lookup"*) ;; *) hk_fail "reconcile did not remove the flow rule: $KG_REPLY" ;; esac
ip -n "$map" link show "$TUN1" >/dev/null 2>&1 && hk_fail "$TUN1 survived reconcile"
[ "$(ip -n "$map" -6 route show table all proto 203 | wc -l)" = 1 ] ||
  hk_fail "want only the adopted route: $(ip -n "$map" -6 route show table all proto 203)"
[ "$(ip -n "$map" -6 rule show | grep -c "proto 203")" = 0 ] || hk_fail "a flow rule survived reconcile"
grep -q "^$RCOA dev vrc" <<<"$(ip -n "$map" -6 neigh show proxy)" || hk_fail "the adopted proxy entry is gone"
# The killed run's path set elements went with the re-installed ingress check.
hk_in map nft list set inet hmip_mapd mcoa_paths | grep -q hmipm && hk_fail "a killed run's path set element survived"
a1=$(rx t1)
a2=$(rx t2)
hk_in cn ping -6 -n -c 2 -i 0.2 -W 2 "$RCOA" >/dev/null || hk_fail "CN cannot reach the RCoA after adoption + reconcile"
[ $(($(rx t2) - a2)) -ge 2 ] && [ $(($(rx t1) - a1)) = 0 ] || hk_fail "after adoption the pings did not all arrive through BID 2's tunnel"
kg flush
[ "$(leftovers | tr -d '\n')" = 0000000 ] || hk_fail "flush after adoption left objects: $(leftovers | tr '\n' ' ')"
echo "quit" >&"$KG_FD"
wait "$KG_PID" || true
exec {KG_FD}>&-

echo "ok: kglue MCoA leftovers: the top binding adopted, the rest reconciled, flush"
