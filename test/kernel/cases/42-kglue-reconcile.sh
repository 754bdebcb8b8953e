#!/usr/bin/env bash
# kernel-glue, MAP side: NetlinkDataplane (through test/kernel/kglue_probe)
# installs a binding between a "map" and an "mn" namespace; a CN on the
# MAP's RCoA link pings the RCoA (proxy ND + tunnel + the MN's reverse
# tunnel); the LCoA changes in place with no loss window; a reverse-tunnelled
# packet with a wrong inner source is dropped and counted by the nftables
# ingress check; flush() leaves nothing; after kill -9 a new instance
# adopts the complete bindings (same tunnel, no loss) and reconcile()
# removes the rest; reconcile() alone removes everything.
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

# --- kill -9, then a new instance adopts the complete bindings and
# reconcile removes only the rest (issue 13 item 13): RCOA and RCOA2 share
# the tunnel to LCOA; RCOA3's binding (tunnel to LCOA2) lost its route2
# state, as a run killed in the middle of an update can leave it, and the
# BA route is no binding: both incomplete. Pings from the CN to RCOA run
# through the kill, the adoption and reconcile without a loss; the tunnel
# keeps its ifindex; the adopted bindings are then moved, removed and
# flushed like any others.
RCOA2=2001:db8:99::8
RCOA3=2001:db8:99::9
kglue_start map map --proxy-link vrc --rcoa-prefix 2001:db8:99::/64
kg map-signalling
kg map-bind "$RCOA" "$MAP" "$LCOA" vrc
read -r _ TUN IFX <<<"$KG_REPLY"
kg map-bind "$RCOA2" "$MAP" "$LCOA" -
kg map-bind "$RCOA3" "$MAP" "$LCOA2" vrc
read -r _ TUN3 _ <<<"$KG_REPLY"
kg ba-route "$MAP" 2001:db8:99::6 "$LCOA2"
ip -n "$map" xfrm state delete src "$MAP" dst "$RCOA3" proto route2
hk_in cn ping -6 -c 1 -W 5 "$RCOA" >/dev/null || hk_fail "CN cannot reach the RCoA before the restart"
hk_in cn ping -6 -i 0.1 -c 80 -W 2 "$RCOA" >"$HMIP_KERNEL_OUT/ping-restart.txt" 2>&1 &
PING_PID=$!
kill -9 "$KG_PID"
wait "$KG_PID" 2>/dev/null || true
exec {KG_FD}>&-
kglue_start map map --proxy-link vrc --rcoa-prefix 2001:db8:99::/64
kg adopt
case "$KG_REPLY" in
  "ok 2 adopted: $RCOA $MAP $LCOA vrc $TUN $IFX; $RCOA2 $MAP $LCOA - $TUN $IFX;") ;;
  *) hk_fail "adopted other than the two complete bindings in $TUN ($IFX): $KG_REPLY" ;;
esac
kg reconcile
for gone in "link $TUN3" "route $RCOA3/128" "xfrm state route2 src $MAP dst 2001:db8:99::6" "proxy $RCOA3"; do
  case "$KG_REPLY" in *"$gone"*) ;; *) hk_fail "reconcile did not remove '$gone': $KG_REPLY" ;; esac
done
for kept in "link $TUN;" "route $RCOA/128" "route $RCOA2/128" "dst $RCOA;" "dst $RCOA2;" "dst $RCOA/128" "dst $RCOA2/128" "proxy $RCOA "; do
  case "$KG_REPLY" in *"$kept"*) hk_fail "reconcile removed the adopted '$kept': $KG_REPLY" ;; esac
done
kg map-signalling
wait "$PING_PID" || true
grep -q " 0% packet loss" "$HMIP_KERNEL_OUT/ping-restart.txt" ||
  hk_fail "CN -> RCoA lost packets through the restart: $(tail -n 2 "$HMIP_KERNEL_OUT/ping-restart.txt")"
ip -n "$map" -6 route show "$RCOA/128" | grep -q "dev $TUN " ||
  hk_fail "RCoA route after adoption: $(ip -n "$map" -6 route show "$RCOA/128")"
[ "$(ip -n "$map" -o link show "$TUN" | cut -d: -f1)" = "$IFX" ] || hk_fail "$TUN changed its ifindex"
[ "$(ip -n "$map" link show | grep -c hmipm)" = 1 ] || hk_fail "tunnels after adoption: $(ip -n "$map" link show)"
grep -q "^$RCOA dev vrc" <<<"$(ip -n "$map" -6 neigh show proxy)" || hk_fail "the adopted proxy entry is gone"
# Read whole, then matched: `ip xfrm state | grep -q` under pipefail fails
# when grep exits at the first match and ip's next write gets SIGPIPE.
STATES=$(ip -n "$map" xfrm state)
grep -q "dst $RCOA2" <<<"$STATES" || hk_fail "the adopted route2 state of $RCOA2 is gone: $STATES"
# Adopted bindings are bindings: one leaves the shared tunnel, the other
# moves to LCOA2 in place (same device, new remote), and flush() removes all.
kg map-unbind "$RCOA2"
kg map-bind "$RCOA" "$MAP" "$LCOA2" vrc
[ "$KG_REPLY" = "ok $TUN $IFX" ] || hk_fail "the move of the adopted binding did not stay in $TUN: $KG_REPLY"
ip -n "$map" -d link show "$TUN" | grep -q "remote $LCOA2 " || hk_fail "$TUN is not to $LCOA2: $(ip -n "$map" -d link show "$TUN")"
# The MN on its new LCoA (its RCoA on t2), and back for what follows.
mn_on() {
  ip -n "$mn" addr flush dev t1 scope global
  ip -n "$mn" addr flush dev t2 scope global
  ip -n "$mn" addr add "$RCOA/128" dev "$1" nodad
  ip -n "$mn" -6 route replace default dev "$1" src "$RCOA"
}
mn_on t2
hk_in cn ping -6 -c 1 -W 5 "$RCOA" >/dev/null || hk_fail "CN cannot reach the RCoA after the adopted binding moved"
mn_on t1
kg flush
[ "$(leftovers | tr -d '\n')" = 0000000 ] || hk_fail "flush left adopted objects: $(leftovers | tr '\n' ' ')"
echo "quit" >&"$KG_FD"
wait "$KG_PID" || true
echo "ok: kglue adopts complete bindings after kill -9 (same tunnel, no loss), reconcile removes the incomplete"

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
