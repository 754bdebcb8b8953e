#!/usr/bin/env bash
# kernel-glue, MAP side: NetlinkDataplane (through test/kernel/kglue_probe)
# installs a binding between a "map" and an "mn" namespace; a CN on the
# MAP's RCoA link pings the RCoA (proxy ND + tunnel + the MN's reverse
# tunnel); the LCoA changes in place with no loss window; a reverse-tunnelled
# packet with a wrong inner source is dropped and counted by the nftables
# ingress check; flush() leaves nothing; after kill -9 reconcile() removes
# everything.
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

leftovers() {
  ip -n "$map" link show | grep -c hmipm || true
  ip -n "$map" -6 route show table all proto 203 | wc -l
  # The BA route's rule (Tags::mapd(): priority 1900, table 0x4d4900).
  ip -n "$map" -6 rule show | grep -c "lookup $((0x4d4900))" || true
  untagged | wc -l
  ip -n "$map" xfrm state | wc -l
  ip -n "$map" xfrm policy list ptype sub | wc -l
  hk_in map nft list tables | grep -c hmip_mapd || true
}
# Objects that are not hmip's: must survive reconcile.
ip -n "$map" -6 route add 2001:db8:77::/64 via 2001:db8:2::10
ip -n "$map" -6 neigh add proxy 2001:db8:2::99 dev vmap
untagged() { ip -n "$map" -6 neigh show proxy | grep -v "^2001:db8:2::99 " || true; }

# --- kill -9, then reconcile in a new instance removes everything
kglue_start map map --proxy-link vrc --rcoa-prefix 2001:db8:99::/64
kg map-signalling
kg map-bind "$RCOA" "$MAP" "$LCOA" vrc
kg ba-route "$MAP" 2001:db8:99::6 "$LCOA2"
kill -9 "$KG_PID"
wait "$KG_PID" 2>/dev/null || true
exec {KG_FD}>&-
[ "$(leftovers | tr -d '\n')" != 0000000 ] || hk_fail "nothing left after kill -9 (test is void)"
# The BA without a binding has its route (in the BA table) and rule.
ip -n "$map" -6 route show table $((0x4d4900)) | grep -q "^2001:db8:99::6 " || hk_fail "no BA route to leave behind"
kglue_start map map --proxy-link vrc --rcoa-prefix 2001:db8:99::/64
kg reconcile
[ "$(leftovers | tr -d '\n')" = 0000000 ] || hk_fail "reconcile left objects: $(leftovers | tr '\n' ' ')"
echo "quit" >&"$KG_FD"
wait "$KG_PID" || true
ip -n "$map" -6 route show | grep -c "^2001:db8:77::/64" >/dev/null || { ip -n "$map" -6 route show; hk_fail "reconcile removed an untagged route"; }
ip -n "$map" -6 neigh show proxy | grep -c "^2001:db8:2::99 " >/dev/null || hk_fail "reconcile removed a proxy entry outside the RCoA prefix"
echo "ok: kglue reconcile after kill -9 removes the leftovers, nothing else"
