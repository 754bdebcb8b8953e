#!/usr/bin/env bash
# kernel-glue, MN side: two kglue_probes (a "map" and an "mn" instance of
# NetlinkDataplane) set up a binding; on the MN: new connections pick the
# RCoA and go through the tunnel, LCoA-sourced traffic goes out directly, a
# BU sent from the RCoA leaves from the LCoA with a Home Address option
# inserted by the kernel (hao state + SUB policy) and reaches the MAP from
# the RCoA; a secondary binding deprecates the RCoA and drops the catch-all
# rule; flush() leaves nothing.
#
#   cn (2001:db8:99::100) --vc/vrc-- map (MAP 2001:db8:2::1) --vmap/vm-- mn (LCoA 2001:db8:2::10, RCoA 2001:db8:99::5)
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=../lib/kglue.sh
. "$(dirname "$0")/../lib/kglue.sh"

KPROBE=$HMIP_BUILD_DIR/test/kernel/kglue_probe
PROBE=$HMIP_BUILD_DIR/test/kernel/mh_probe
[ -x "$KPROBE" ] || hk_fail "$KPROBE is not built (ninja -C $HMIP_BUILD_DIR kglue_probe)"
[ -x "$PROBE" ] || hk_fail "$PROBE is not built (ninja -C $HMIP_BUILD_DIR mh_probe)"
MAP=2001:db8:2::1
LCOA=2001:db8:2::10
RCOA=2001:db8:99::5
CN=2001:db8:99::100
TABLE=$((0x4d4e00))

hk_ns map
hk_ns mn
hk_ns cn
hk_veth map vmap "$MAP/64" mn vm "$LCOA/64"
hk_veth map vrc 2001:db8:99::1/64 cn vc "$CN/64"
map=$(hk_ns_name map)
mn=$(hk_ns_name mn)
ip -n "$(hk_ns_name cn)" -6 route add default via 2001:db8:99::1
# The MN's access network: the MAP is its router.
ip -n "$mn" -6 route add default via "$MAP"


kglue_start map map --proxy-link vrc
kg_save map
kg map-signalling
kg map-bind "$RCOA" "$MAP" "$LCOA" vrc
kglue_start mn mn
kg_save mn
kg mn-signalling
kg mn-bind "$MAP" "$RCOA" "$LCOA" vm - primary
TUN=$(echo "$KG_REPLY" | awk '{print $2}')
[ "$TUN" = hmipn0001 ] || hk_fail "tunnel $TUN, want hmipn0001"
[ "$(echo "$KG_REPLY" | awk '{print $4}')" = "$TABLE" ] || hk_fail "table: $KG_REPLY, want $TABLE"

# --- the objects, read back
rules=$(ip -n "$mn" -6 rule show)
echo "$rules" | sed 's/^/  rule: /'
echo "$rules" | grep -c "^2000:	from $LCOA lookup $TABLE suppress_prefixlength 0 proto 204" >/dev/null || hk_fail "no 'from LCoA lookup TABLE' rule (host route to the MAP)"
echo "$rules" | grep -c "^2001:	from all lookup main suppress_prefixlength 0 proto 204" >/dev/null || hk_fail "no suppress rule"
echo "$rules" | grep -c "^2002:	from $LCOA lookup main proto 204" >/dev/null || hk_fail "no 'from LCoA lookup main' rule (no router given)"
echo "$rules" | grep -c "^2003:	from $RCOA lookup $TABLE proto 204" >/dev/null || hk_fail "no 'from RCoA' rule"
echo "$rules" | grep -c "^2010:	from all lookup $TABLE proto 204" >/dev/null || hk_fail "no catch-all rule for the primary"
routes=$(ip -n "$mn" -6 route show table "$TABLE")
echo "$routes" | sed 's/^/  route: /'
echo "$routes" | grep -c "^default dev $TUN proto 204 .*src $RCOA" >/dev/null || hk_fail "no default route through the tunnel"
echo "$routes" | grep -c "^$MAP dev vm proto 204" >/dev/null || hk_fail "no host route to the MAP"
addr=$(ip -n "$mn" -6 addr show dev "$TUN")
rcoa_line=$(echo "$addr" | grep "inet6 $RCOA/128 scope global" || true)
case "$rcoa_line" in *home*nodad* | *nodad*home*) ;; *) echo "$addr"; hk_fail "RCoA not on the tunnel with home nodad" ;; esac
ip -n "$mn" -d link show "$TUN" | grep -c "remote $MAP local $LCOA .*encaplimit none" >/dev/null || hk_fail "tunnel endpoints"
ip -n "$mn" xfrm state | grep -A3 "src $RCOA dst $MAP" | grep -c "proto hao" >/dev/null || hk_fail "no hao state"
# No IPv6 address generation on the tunnel (issue 13 item 12): the RCoA is
# its only address; no link-local one, so no RS, MLD or DAD through it.
[ "$(hk_in mn sysctl -n "net.ipv6.conf.$TUN.addr_gen_mode")" = 1 ] || hk_fail "tunnel addr_gen_mode is not none"
[ "$(echo "$addr" | grep -c inet6)" = 1 ] || { echo "$addr"; hk_fail "the tunnel has addresses besides the RCoA"; }

# --- new connections: RCoA source, through the tunnel; LCoA-sourced: direct
get=$(ip -n "$mn" -6 route get "$CN")
hk_log "route get $CN: $get"
echo "$get" | grep -c "dev $TUN .*src $RCOA" >/dev/null || hk_fail "new connections do not pick the RCoA through the tunnel"
ip -n "$mn" -6 route get "$CN" from "$LCOA" | grep -c "dev vm" >/dev/null || hk_fail "LCoA-sourced traffic does not go out directly"
PCAP=$HMIP_KERNEL_OUT/mn.pcap
hk_capture_start map vmap "$PCAP" "ip6 proto 41 or icmp6"
hk_in mn ping -6 -n -c 2 -i 0.2 -W 5 "$CN" >/dev/null || hk_fail "ping CN (no source) failed"
hk_in mn ping -6 -n -c 2 -i 0.2 -W 5 -I "$LCOA" "$CN" >/dev/null || hk_fail "ping -I LCoA CN failed"
# Wait for the four echo requests themselves, not for a packet count: the
# NS/NA pair may or may not be there, and tcpdump writes the last packets
# late on a loaded host.
count_requests() {
  tcpdump -n -r "$PCAP" 2>/dev/null >"$PCAP.txt"
  enc=$(grep -c "IP6 $LCOA > $MAP: IP6 $RCOA > $CN: ICMP6, echo request" "$PCAP.txt" || true)
  direct=$(grep -c "^[0-9:.]* IP6 $LCOA > $CN: ICMP6, echo request" "$PCAP.txt" || true)
}
for _ in $(seq 75); do
  count_requests
  [ "$enc" -ge 2 ] && [ "$direct" -ge 2 ] && break
  sleep 0.2
done
hk_capture_stop
count_requests
hk_log "on the MAP link: $enc tunnelled echo requests from the RCoA, $direct direct ones from the LCoA"
[ "$enc" -ge 2 ] || { cat "$PCAP.txt"; hk_fail "want >= 2 tunnelled echo requests RCoA > CN"; }
[ "$direct" -ge 2 ] || { cat "$PCAP.txt"; hk_fail "want >= 2 direct echo requests LCoA > CN"; }
own=$(tshark -r "$PCAP" -Y "ipv6.src == $LCOA && ipv6.nxt == 41 && (icmpv6.type == 133 || icmpv6.type == 143 || icmpv6.type == 131 || icmpv6.type == 135)" 2>/dev/null | wc -l)
hk_log "RS/MLD/NS the MN sent through its tunnel: $own"
[ "$own" = 0 ] || { tshark -r "$PCAP" 2>/dev/null | head -20; hk_fail "the MN sent $own RS/MLD/NS packets through its tunnel"; }

# --- a second RCoA at the same MAP through the same LCoA (issue 13 item 4:
# the kernel refuses a second ip6tnl with the same endpoints): shares the
# tunnel; the tunnel stays until its last binding goes.
kg_use mn
RCOA2=2001:db8:99::6
kg mn-bind "$MAP" "$RCOA2" "$LCOA" vm - secondary
[ "$(echo "$KG_REPLY" | awk '{print $2}')" = "$TUN" ] || hk_fail "the second binding did not share $TUN: $KG_REPLY"
ip -n "$mn" -6 addr show dev "$TUN" | grep -c "inet6 $RCOA2/128" >/dev/null || hk_fail "RCOA2 not on the shared tunnel"
kg mn-unbind "$MAP" "$RCOA2"
ip -n "$mn" link show "$TUN" >/dev/null 2>&1 || hk_fail "$TUN went with the second binding"
ip -n "$mn" -6 addr show dev "$TUN" | grep -c "inet6 $RCOA2/128" >/dev/null && hk_fail "RCOA2 stayed on the tunnel"
ip -n "$mn" -6 addr show dev "$TUN" | grep -c "inet6 $RCOA/128" >/dev/null || hk_fail "RCOA went with RCOA2"

# --- a BU sent from the RCoA leaves from the LCoA with a HAO (kernel-inserted)
PCAP=$HMIP_KERNEL_OUT/bu.pcap
hk_capture_start map vmap "$PCAP" "ip6[6] == 60"
hk_mh_exchange map mn bu --expect-src "$RCOA" --expect-dst "$MAP" --expect-hao "$LCOA" \
  --seq 9 --lifetime 60 --flags AM -- --src "$RCOA" --dst "$MAP" --seq 9 --lifetime 60 --flags AM ||
  hk_fail "the MAP did not receive the BU from the RCoA"
hk_capture_stop 1
hk_mh_wire "$PCAP"
grep -q "$LCOA > $MAP: DSTOPT .*(homeaddr: $RCOA) mobility: BU" "$PCAP.txt" ||
  hk_fail "no BU from the LCoA with a HAO carrying the RCoA on the wire"

# --- with a router: LCoA-sourced traffic follows the binding's LCoA table
# (default via the current router), never main's defaults, which after a
# move still name the routers of the links left behind (issue 13 item 1:
# the IKE_SA_INIT to a new MAP queued on such a router and was lost).
LTABLE=$((TABLE + 128))
ip -n "$mn" -6 route add default via fe80::dead dev vm metric 1  # a stale router main prefers
kg_use mn
kg mn-bind "$MAP" "$RCOA" "$LCOA" vm "$MAP" primary
ip -n "$mn" -6 route show table "$LTABLE" | grep -c "^default via $MAP dev vm proto 204" >/dev/null ||
  hk_fail "no default via the router in the LCoA table $LTABLE"
get=$(ip -n "$mn" -6 route get "$CN" from "$LCOA")
hk_log "route get $CN from $LCOA: $get"
echo "$get" | grep -c "via $MAP dev vm" >/dev/null || hk_fail "LCoA-sourced traffic does not follow the binding's router"
hk_in mn ping -6 -n -c 1 -W 5 -I "$LCOA" "$CN" >/dev/null || hk_fail "ping -I LCoA CN failed with a stale router in main"
ip -n "$mn" -6 route del default via fe80::dead dev vm metric 1

# --- secondary: RCoA deprecated, no catch-all rule
kg_use mn
kg mn-bind "$MAP" "$RCOA" "$LCOA" vm - secondary
ip -n "$mn" -6 addr show dev "$TUN" | grep -c "deprecated" >/dev/null || hk_fail "RCoA not deprecated when secondary"
ip -n "$mn" -6 rule show | grep -c "^2010:" >/dev/null && hk_fail "catch-all rule still there for a secondary binding"
ip -n "$mn" -6 rule show | grep -c "^2003:	from $RCOA" >/dev/null || hk_fail "secondary lost its 'from RCoA' rule"

# --- flush leaves nothing
kg flush
[ "$(ip -n "$mn" -6 rule show | grep -c 'proto 204' || true)" = 0 ] || hk_fail "flush left rules"
[ -z "$(ip -n "$mn" -6 route show table all proto 204)" ] || hk_fail "flush left routes"
ip -n "$mn" link show | grep -c hmipn >/dev/null && hk_fail "flush left the tunnel"
[ -z "$(ip -n "$mn" xfrm state)" ] || hk_fail "flush left xfrm states"
[ -z "$(ip -n "$mn" xfrm policy list ptype sub)" ] || hk_fail "flush left xfrm policies"
echo quit >&"$KG_FD"
kg_use map
echo quit >&"$KG_FD"
echo "ok: kglue MN binding: RCoA source through the tunnel, LCoA direct, BU with kernel HAO, secondary, flush"
