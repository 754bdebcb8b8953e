#!/usr/bin/env bash
# kernel-glue, MAP side: the proxy ND entry of a binding across carrier loss
# on the RCoA link. NetlinkDataplane (through test/kernel/kglue_probe)
# installs a binding; then
#   1. the CN end of the RCoA link goes down and up again (the MAP's end
#      loses and regains carrier, as when a cable is pulled): the case
#      records what the kernel did with the proxy entry, then
#      refresh_proxies() must leave exactly one entry;
#   2. the MAP's own end goes admin down and up (mapd sees that as carrier
#      loss too): the kernel flushes the entry (measured on 6.1.0-57; if a
#      kernel keeps it, the case deletes it by hand so the refresh below
#      always re-adds a missing entry), then refresh_proxies() brings it back.
# After each: the binding's tunnel, route, XFRM state and policy and nft
# table are as they were, and the CN reaches the RCoA through the proxy
# (its neighbour cache went with the carrier, so it must solicit the RCoA
# again). mapd does this on MapAgent's RefreshProxies action, followed by an
# unsolicited NA per RCoA.
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
RCOA=2001:db8:99::5
CN=2001:db8:99::100

hk_ns map
hk_ns mn
hk_ns cn
hk_veth map vmap "$MAP/64" mn vm "$LCOA/64"
hk_veth map vrc 2001:db8:99::1/64 cn vc "$CN/64"
map=$(hk_ns_name map)
mn=$(hk_ns_name mn)
cn=$(hk_ns_name cn)
# The CN's end goes down and up below: keep its address across that (its
# on-link route to the RCoA comes back with it).
hk_in cn sysctl -qw net.ipv6.conf.vc.keep_addr_on_down=1
# Kernel messages of this case (a stack trace if something goes wrong).
dmesg -w >"$HMIP_KERNEL_OUT/dmesg.txt" 2>&1 &
HK_PIDS+=("$!")
hk_log "kernel $(uname -r)"

# The MN end, by hand: a tunnel to the MAP carrying the RCoA.
ip -n "$mn" -6 tunnel add t1 mode ip6ip6 local "$LCOA" remote "$MAP" encaplimit none
ip -n "$mn" link set t1 up
ip -n "$mn" addr add "$RCOA/128" dev t1 nodad
ip -n "$mn" -6 route add default dev t1 src "$RCOA"

# proxies: the MAP's proxy entries for the RCoA on vrc (0 or 1 lines).
proxies() { ip -n "$map" -6 neigh show proxy | grep -c "^$RCOA dev vrc proxy" || true; }
# carrier_is VALUE SECONDS: waits until vrc's carrier reads VALUE (1/0).
carrier_is() {
  local want=$1 limit=$(($2 * 20)) i=0
  until [ "$(hk_in map cat /sys/class/net/vrc/carrier 2>/dev/null)" = "$want" ]; do
    i=$((i + 1))
    [ "$i" -le "$limit" ] || return 1
    sleep 0.05
  done
}
# snapshot: the binding's objects other than the proxy entry, as text.
snapshot() {
  echo "ifindex $(hk_in map cat "/sys/class/net/$TUN/ifindex")"
  ip -n "$map" -d link show "$TUN" | sed -n 's/.*\(ip6tnl .*\)/\1/p'
  ip -n "$map" -6 route show table all proto 203
  ip -n "$map" xfrm state
  ip -n "$map" xfrm policy list ptype sub
  hk_in map nft list table inet hmip_mapd | sed 's/counter packets [0-9]* bytes [0-9]*/counter/'
}

kglue_start map map --proxy-link vrc --rcoa-prefix 2001:db8:99::/64
kg map-signalling
kg map-bind "$RCOA" "$MAP" "$LCOA" vrc
TUN=$(echo "$KG_REPLY" | awk '{print $2}')

hk_log "step: the binding's proxy entry"
ip -n "$map" -6 neigh show proxy | sed 's/^/  proxy: /'
[ "$(proxies)" = 1 ] || hk_fail "no proxy entry for the RCoA after install"
hk_in cn ping -6 -n -c 2 -i 0.2 -W 5 "$RCOA" >/dev/null || hk_fail "CN cannot ping the RCoA before the carrier loss"
before=$(snapshot)
echo "$before" >"$HMIP_KERNEL_OUT/objects-before.txt"

hk_log "step: refresh with the entry in place (replace, no duplicate); refresh of a link without proxies"
kg refresh vrc
[ "$(proxies)" = 1 ] || hk_fail "refresh with the entry in place: $(proxies) entries, want 1"
kg refresh vmap
[ "$(ip -n "$map" -6 neigh show proxy | wc -l)" = 1 ] || hk_fail "refresh of vmap added proxy entries"

hk_log "step: carrier loss on the RCoA link (the CN's end goes down)"
# The kernel handles carrier loss asynchronously (link watch): its
# neigh_carrier_down() evicts the ordinary neighbour entries of the link
# (ndisc_evict_nocarrier, on by default) and, on kernels that do, the proxy
# entries in the same step. The MAP's entry for the CN (from the pings above)
# going away says that step has run.
[ -n "$(ip -n "$map" -6 neigh show "$CN" dev vrc)" ] || hk_fail "the MAP has no neighbour entry for the CN"
ip -n "$cn" link set vc down
carrier_is 0 10 || hk_fail "vrc kept its carrier with the peer down"
i=0
while [ -n "$(ip -n "$map" -6 neigh show "$CN" dev vrc)" ]; do
  i=$((i + 1))
  [ "$i" -le 200 ] || hk_fail "the kernel did not process the carrier loss (neighbour entry for the CN kept)"
  sleep 0.05
done
hk_log "vrc: $(ip -n "$map" -br link show vrc)"
if [ "$(proxies)" = 0 ]; then
  flushed_on_loss=yes
else
  flushed_on_loss=no
fi
hk_log "kernel $(uname -r): proxy entry flushed on carrier loss: $flushed_on_loss"
ip -n "$map" -6 neigh show proxy | sed 's/^/  proxy while down: /'

hk_log "step: carrier back"
ip -n "$cn" link set vc up
carrier_is 1 10 || hk_fail "vrc did not regain its carrier"
hk_log "vrc: $(ip -n "$map" -br link show vrc)"
i=0
until ip -n "$cn" -6 route show 2001:db8:99::/64 | grep -q "dev vc"; do
  i=$((i + 1))
  [ "$i" -le 200 ] || hk_fail "the CN's on-link route did not come back with its link"
  sleep 0.05
done
back_by_itself=$(proxies)
hk_log "kernel $(uname -r): proxy entries for the RCoA after carrier return, before refresh: $back_by_itself"
[ "$flushed_on_loss" = no ] || [ "$back_by_itself" = 0 ] ||
  hk_log "note: the kernel restored the flushed entry by itself"
after_carrier=$(snapshot)
echo "$after_carrier" >"$HMIP_KERNEL_OUT/objects-after-carrier.txt"
[ "$after_carrier" = "$before" ] ||
  { diff "$HMIP_KERNEL_OUT/objects-before.txt" "$HMIP_KERNEL_OUT/objects-after-carrier.txt" || true
    hk_fail "carrier loss changed the binding's other objects"; }

hk_log "step: refresh_proxies after the carrier loss: exactly one entry"
kg refresh vrc
ip -n "$map" -6 neigh show proxy | sed 's/^/  proxy: /'
[ "$(proxies)" = 1 ] || hk_fail "after refresh: $(proxies) proxy entries for the RCoA, want 1"
[ "$(ip -n "$map" -6 neigh show proxy | wc -l)" = 1 ] || hk_fail "refresh added other proxy entries"
after_refresh=$(snapshot)
echo "$after_refresh" >"$HMIP_KERNEL_OUT/objects-after-refresh.txt"
[ "$after_refresh" = "$before" ] ||
  { diff "$HMIP_KERNEL_OUT/objects-before.txt" "$HMIP_KERNEL_OUT/objects-after-refresh.txt" || true
    hk_fail "refresh changed the binding's other objects"; }
[ "$(hk_in map sysctl -n net.ipv6.conf.vrc.proxy_ndp)" = 1 ] || hk_fail "proxy_ndp lost across the carrier loss"
# The CN's own neighbour cache went with its link: it must solicit the RCoA
# again, and only the re-added proxy entry answers.
hk_in cn ping -6 -n -c 2 -i 0.2 -W 5 "$RCOA" >/dev/null || hk_fail "CN cannot ping the RCoA after the refresh"
ip -n "$cn" -6 neigh show "$RCOA" | sed 's/^/  cn neigh: /'

hk_log "step: the MAP's end of the RCoA link goes admin down and up"
# Keep the MAP's address on vrc across that (the CN's replies go back by it).
hk_in map sysctl -qw net.ipv6.conf.vrc.keep_addr_on_down=1
# Admin down is synchronous: what the kernel flushes is gone when ip returns.
ip -n "$map" link set vrc down
if [ "$(proxies)" = 0 ]; then
  flushed_on_down=yes
else
  flushed_on_down=no
fi
hk_log "kernel $(uname -r): proxy entry flushed on admin down: $flushed_on_down"
ip -n "$map" link set vrc up
carrier_is 1 10 || hk_fail "vrc did not come back up"
i=0
until ip -n "$map" -6 route show 2001:db8:99::/64 | grep -q "dev vrc"; do
  i=$((i + 1))
  [ "$i" -le 200 ] || hk_fail "the MAP's on-link route did not come back with vrc"
  sleep 0.05
done
hk_log "kernel $(uname -r): proxy entries for the RCoA after admin up, before refresh: $(proxies)"
if [ "$(proxies)" != 0 ]; then
  hk_log "the kernel kept the entry: deleting it by hand, so the refresh re-adds a missing one"
  ip -n "$map" -6 neigh del proxy "$RCOA" dev vrc
fi
[ "$(proxies)" = 0 ] || hk_fail "the proxy entry is still there before the refresh"
after_down=$(snapshot)
echo "$after_down" >"$HMIP_KERNEL_OUT/objects-after-down.txt"
[ "$after_down" = "$before" ] ||
  { diff "$HMIP_KERNEL_OUT/objects-before.txt" "$HMIP_KERNEL_OUT/objects-after-down.txt" || true
    hk_fail "admin down/up of vrc changed the binding's other objects"; }
kg refresh vrc
ip -n "$map" -6 neigh show proxy | sed 's/^/  proxy: /'
[ "$(proxies)" = 1 ] || hk_fail "after refresh: $(proxies) proxy entries for the RCoA, want 1"
[ "$(ip -n "$map" -6 neigh show proxy | wc -l)" = 1 ] || hk_fail "refresh added other proxy entries"
after_refresh2=$(snapshot)
echo "$after_refresh2" >"$HMIP_KERNEL_OUT/objects-after-refresh2.txt"
[ "$after_refresh2" = "$before" ] ||
  { diff "$HMIP_KERNEL_OUT/objects-before.txt" "$HMIP_KERNEL_OUT/objects-after-refresh2.txt" || true
    hk_fail "the second refresh changed the binding's other objects"; }
[ "$(hk_in map sysctl -n net.ipv6.conf.vrc.proxy_ndp)" = 1 ] || hk_fail "proxy_ndp lost across admin down/up"
[ "$(hk_in map sysctl -n net.ipv6.neigh.vrc.proxy_delay)" = 0 ] || hk_fail "proxy_delay lost across admin down/up"
hk_in cn ping -6 -n -c 2 -i 0.2 -W 5 "$RCOA" >/dev/null || hk_fail "CN cannot ping the RCoA after the second refresh"
ip -n "$cn" -6 neigh show "$RCOA" | sed 's/^/  cn neigh: /'
kg counters
[ "$KG_REPLY" = "ok 0 0" ] || hk_fail "ingress check dropped legitimate packets: $KG_REPLY"

hk_log "step: flush removes the re-added entry too"
kg flush
[ "$(ip -n "$map" -6 neigh show proxy | wc -l)" = 0 ] || hk_fail "flush left a proxy entry"
ip -n "$map" link show | grep -c hmipm >/dev/null && hk_fail "flush left the tunnel"
echo "quit" >&"$KG_FD"
wait "$KG_PID" || true
exec {KG_FD}>&-

echo "ok: kglue proxy entry across carrier loss (kernel $(uname -r) flushed it on carrier loss: $flushed_on_loss, on admin down: $flushed_on_down; back after refresh)"
