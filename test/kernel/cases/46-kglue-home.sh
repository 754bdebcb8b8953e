#!/usr/bin/env bash
# kernel-glue, home registration (issue 14): three kglue_probes hold a MAP's
# binding (at the MAP), the home agent's binding (install_map_binding with
# the HA address, L flag on, at the HA) and the MN's MAP binding with its
# nested home binding (install_mn_home_binding via the MAP binding).
# Outcomes: CN -> HoA pings are answered and arrive at the MN doubly
# encapsulated (MAP > LCoA around HA > RCoA around CN > HoA), the replies
# leave reverse-tunnelled the same way and pass the MAP's and the HA's
# ingress checks; a forged inner source is dropped (and counted) by the HA's;
# a home BU sent from the HoA leaves inside the MAP tunnel from the RCoA
# with a kernel-inserted HAO and reaches the HA from the HoA; a BA from the
# HA with the kernel's RH2 reaches the MN's MH socket; the L flag's
# link-local proxy answers an NS on the home link; a second local address
# on the HA's dataplane gets its own ESP policy, the wildcard state once;
# ProtectTraffic's ip6ip6 policies (MN and HA) drop the home tunnel's
# packets while no payload SA exists, and go again when switched off;
# an update to a new RCoA moves the home tunnel in place; plain mode (the
# LCoA registered directly, switched to in place) carries traffic without
# the MAP; at_home puts the address on the home link without DAD (which would fail
# while the HA still proxies it: the documented order) and removes the
# rest; a failed install rolls back; removal and flush leave no tagged
# object; a crashed run's at-home address is reconciled, a crashed HA's
# L-flag entry adopted or reconciled with its binding.
#
#   mn (LCoA 2001:db8:1::10) -vm/va- ar -vam/vma- map (MAP 2001:db8:2::1, RCoAs 2001:db8:99::/64)
#     -vmh/vhm- ha (HA 2001:db8:200::1 on br0) -vhc/vch- cn (2001:db8:200::100)
#   home address 2001:db8:200::10; the MN's vmhome is a second port of the
#   home link's bridge, down while away.
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=../lib/kglue.sh
. "$(dirname "$0")/../lib/kglue.sh"

KPROBE=$HMIP_BUILD_DIR/test/kernel/kglue_probe
PROBE=$HMIP_BUILD_DIR/test/kernel/mh_probe
XPROBE=$HMIP_BUILD_DIR/test/kernel/xfrm_probe
for p in "$KPROBE" "$PROBE" "$XPROBE"; do
  [ -x "$p" ] || hk_fail "$p is not built (ninja -C $HMIP_BUILD_DIR kglue_probe mh_probe xfrm_probe)"
done
LCOA=2001:db8:1::10
AR=2001:db8:1::1
MAP=2001:db8:2::1
RCOA=2001:db8:99::5
RCOA2=2001:db8:99::6
HA=2001:db8:200::1
HA2=2001:db8:3::2
HOA=2001:db8:200::10
HOA_LL=fe80::10
CN=2001:db8:200::100
SPOOF=2001:db8:200::77
MNTAB=$((0x4d4e00))
HTAB=$((MNTAB + 1))
STAB=$((HTAB + 128))

hk_ns mn
hk_ns ar
hk_ns map
hk_ns ha
hk_ns cn
hk_veth mn vm "$LCOA/64" ar va "$AR/64"
hk_veth ar vam 2001:db8:2::2/64 map vma "$MAP/64"
hk_veth map vmh 2001:db8:3::1/64 ha vhm "$HA2/64"
ip link add vhc netns "$(hk_ns_name ha)" type veth peer name vch netns "$(hk_ns_name cn)"
ip link add vhh netns "$(hk_ns_name ha)" type veth peer name vmhome netns "$(hk_ns_name mn)"
mn=$(hk_ns_name mn)
map=$(hk_ns_name map)
ha=$(hk_ns_name ha)
cn=$(hk_ns_name cn)
ip -n "$ha" link add br0 type bridge
ip -n "$ha" link set vhc master br0
ip -n "$ha" link set vhh master br0
for l in br0 vhc vhh; do ip -n "$ha" link set "$l" up; done
ip -n "$ha" addr add "$HA/64" dev br0 nodad
ip -n "$cn" addr add "$CN/64" dev vch nodad
ip -n "$cn" link set vch up
for n in ar map ha; do hk_in "$n" sysctl -qw net.ipv6.conf.all.forwarding=1; done
ip -n "$mn" -6 route add default via "$AR"
ip -n "$(hk_ns_name ar)" -6 route add default via "$MAP"
ip -n "$map" -6 route add 2001:db8:1::/64 via 2001:db8:2::2
ip -n "$map" -6 route add 2001:db8:200::/64 via "$HA2"
ip -n "$ha" -6 route add default via 2001:db8:3::1
ip -n "$cn" -6 route add default via "$HA"
dmesg -w >"$HMIP_KERNEL_OUT/dmesg.txt" 2>&1 &
HK_PIDS+=("$!")


# --- the MAP: a binding RCoA -> LCoA (routed RCoA prefix: no proxy entry)
kglue_start map map
kg_save map
kg map-signalling "$MAP"
kg map-bind "$RCOA" "$MAP" "$LCOA" -
# --- the HA: the home binding HoA -> RCoA, proxy on the home link, L flag
kglue_start ha map --proxy-link br0
kg_save ha
kg map-signalling "$HA"
kg map-bind "$HOA" "$HA" "$RCOA" br0 ll
HATUN=$(echo "$KG_REPLY" | awk '{print $2}')
# A second local address (one mapd, MAP role on one address, HA role on the
# other): its signalling adds its own MAIN ESP policy (a second call, a
# reload, replaces it); the wildcard hao state and SUB IN policy stay single.
kg map-signalling "$HA2" 2001:db8:99::/64
kg map-signalling "$HA2" 2001:db8:98::/64   # replaces HA2's prefix
[ "$(ip -n "$ha" xfrm state | grep -c '^src :: dst ::')" = 1 ] || hk_fail "the wildcard hao state is not single"
[ "$(ip -n "$ha" xfrm policy list ptype sub | grep -c 'dir in')" = 1 ] || hk_fail "the SUB IN policy is not single"
main_pol=$(ip -n "$ha" xfrm policy list ptype main)
echo "$main_pol" | grep -cE "src 2001:db8:98::/64 dst $HA2/128 proto (135|mobility-header)" >/dev/null ||
  { echo "$main_pol"; hk_fail "no ESP policy for the second address's new prefix"; }
echo "$main_pol" | grep -c "2001:db8:99::/64" >/dev/null && hk_fail "a second call for the same address kept the old prefix"
pr=$(ip -n "$ha" -6 neigh show proxy)
echo "$pr" | sed 's/^/  HA proxy: /'
echo "$pr" | grep -c "^$HOA dev br0 proxy" >/dev/null || hk_fail "no proxy entry for the home address"
echo "$pr" | grep -c "^$HOA_LL dev br0 proxy" >/dev/null || hk_fail "no L-flag proxy entry for $HOA_LL"
# --- the MN: its MAP binding and the nested home binding
kglue_start mn mn
kg_save mn
kg mn-signalling
kg mn-bind "$MAP" "$RCOA" "$LCOA" vm "$AR" primary
MTUN=$(echo "$KG_REPLY" | awk '{print $2}')
# A failed install rolls back: a foreign hao state with the home binding's
# key makes the XFRM step fail after the tunnel, address, routes and rules
# went in; none of them stays.
ip -n "$mn" xfrm state add src "$HOA" dst "$HA" proto hao mode ro coa 2001:db8:77::1
kg_error home-bind "$HA" "$HOA" away "$RCOA" via "$MAP" "$RCOA"
ip -n "$mn" link show | grep -c hmipn0002 >/dev/null && hk_fail "rollback left the home tunnel"
ip -n "$mn" -6 rule show | grep -c "^200[4-9]:" >/dev/null && hk_fail "rollback left home rules"
[ -z "$(ip -n "$mn" -6 route show table all proto 204 | grep -v "table $MNTAB" | grep -v "table $((MNTAB + 128))" || true)" ] ||
  hk_fail "rollback left home routes"
ip -n "$mn" xfrm state delete src "$HOA" dst "$HA" proto hao
# Nested needs the MAP binding it names.
kg_error home-bind "$HA" "$HOA" away 2001:db8:99::9 via "$MAP" 2001:db8:99::9
kg home-bind "$HA" "$HOA" away "$RCOA" via "$MAP" "$RCOA"
HTUN=$(echo "$KG_REPLY" | awk '{print $2}')
[ "$(echo "$KG_REPLY" | awk '{print $4}')" = "$HTAB" ] || hk_fail "home table: $KG_REPLY, want $HTAB"

# --- the MN's objects, read back
ip -n "$mn" -d link show "$HTUN" | grep -c "remote $HA local $RCOA .*encaplimit none" >/dev/null ||
  { ip -n "$mn" -d link show "$HTUN"; hk_fail "home tunnel endpoints"; }
[ "$(hk_in mn sysctl -n "net.ipv6.conf.$HTUN.addr_gen_mode")" = 1 ] || hk_fail "home tunnel addr_gen_mode is not none"
haddr=$(ip -n "$mn" -6 addr show dev "$HTUN")
case "$(echo "$haddr" | grep "inet6 $HOA/128" || true)" in *home*nodad* | *nodad*home*) ;; *) echo "$haddr"; hk_fail "HoA not on the home tunnel with home nodad" ;; esac
rules=$(ip -n "$mn" -6 rule show)
echo "$rules" | sed 's/^/  rule: /'
echo "$rules" | grep -cE "^2007:	from $HOA to $HA ipproto (135|mobility-header) lookup $STAB proto 204" >/dev/null ||
  hk_fail "no MH rule for the home BU"
echo "$rules" | grep -c "^2008:	from $HOA lookup $HTAB proto 204" >/dev/null || hk_fail "no 'from HoA' rule"
echo "$rules" | grep -c "^2009:	from all lookup $HTAB proto 204" >/dev/null || hk_fail "no home catch-all rule"
echo "$rules" | grep -c "^2010:	from all lookup $MNTAB proto 204" >/dev/null || hk_fail "the MAP binding's catch-all is gone"
ip -n "$mn" -6 route show table "$HTAB" | grep -c "^default dev $HTUN proto 204 .*src $HOA" >/dev/null || hk_fail "no home default route"
ip -n "$mn" -6 route show table "$STAB" | grep -c "^$HA dev $MTUN proto 204 .*src $RCOA" >/dev/null || hk_fail "no HA/128 route into the MAP tunnel"
ip -n "$mn" xfrm state | grep -A3 "src $HOA dst $HA" | grep -c "proto hao" >/dev/null || hk_fail "no hao state HoA -> HA"
ip -n "$mn" xfrm policy list ptype sub | grep -A1 "src $HOA/128 dst $HA/128" | grep -c "dir out" >/dev/null ||
  hk_fail "no SUB OUT policy HoA -> HA"
get=$(ip -n "$mn" -6 route get "$CN")
hk_log "route get $CN: $get"
echo "$get" | grep -c "dev $HTUN .*src $HOA" >/dev/null || hk_fail "new connections do not take the home tunnel and the HoA"
ip -n "$mn" -6 route get "$CN" from "$RCOA" | grep -c "dev $MTUN" >/dev/null || hk_fail "RCoA-sourced traffic left the MAP tunnel"

# --- CN -> HoA: answered; on the MN's access link the requests are doubly
# encapsulated and the replies doubly reverse-tunnelled (the kernel nests)
PCAP=$HMIP_KERNEL_OUT/nested.pcap
hk_capture_start mn vm "$PCAP" "ip6 proto 41"
hk_in cn ping -6 -n -c 3 -i 0.2 -W 5 "$HOA" >/dev/null || hk_fail "CN cannot ping the home address"
count_nested() {
  tcpdump -n -r "$PCAP" 2>/dev/null >"$PCAP.txt"
  down=$(grep -c "IP6 $MAP > $LCOA: IP6 $HA > $RCOA: IP6 $CN > $HOA: ICMP6, echo request" "$PCAP.txt" || true)
  up=$(grep -c "IP6 $LCOA > $MAP: IP6 $RCOA > $HA: IP6 $HOA > $CN: ICMP6, echo reply" "$PCAP.txt" || true)
}
for _ in $(seq 75); do
  count_nested
  [ "$down" -ge 3 ] && [ "$up" -ge 3 ] && break
  sleep 0.2
done
hk_capture_stop
count_nested
hk_log "on the MN's access link: $down echo requests MAP>LCoA/HA>RCoA/CN>HoA, $up replies LCoA>MAP/RCoA>HA/HoA>CN"
[ "$down" -ge 3 ] || { cat "$PCAP.txt"; hk_fail "want >= 3 doubly encapsulated echo requests"; }
[ "$up" -ge 3 ] || { cat "$PCAP.txt"; hk_fail "want >= 3 doubly reverse-tunnelled echo replies"; }
kg_use ha
kg counters
[ "$KG_REPLY" = "ok 0 0" ] || hk_fail "the HA's ingress check dropped legitimate packets: $KG_REPLY"
kg_use map
kg counters
[ "$KG_REPLY" = "ok 0 0" ] || hk_fail "the MAP's ingress check dropped legitimate packets: $KG_REPLY"

# --- a forged inner source through the home tunnel: the MAP passes it (its
# outer source is the RCoA), the HA's ingress check drops and counts it
ip -n "$mn" addr add "$SPOOF/128" dev "$HTUN" nodad
hk_in mn ping -6 -n -c 3 -i 0.2 -W 1 -I "$SPOOF" "$CN" >/dev/null && hk_fail "the forged source got an answer"
ip -n "$mn" addr del "$SPOOF/128" dev "$HTUN"
kg_use ha
kg counters
dropped=$(echo "$KG_REPLY" | awk '{print $2}')
[ "$dropped" -ge 3 ] || hk_fail "the HA's ingress check counted $dropped forged packets, want >= 3"
kg_use map
kg counters
[ "$KG_REPLY" = "ok 0 0" ] || hk_fail "the MAP dropped the forged packets (outer source RCoA): $KG_REPLY"

# --- the home BU from the HoA: inside the MAP tunnel, from the RCoA, with the
# kernel's HAO; the HA receives it from the HoA
PCAP=$HMIP_KERNEL_OUT/home-bu.pcap
hk_capture_start mn vm "$PCAP" "ip6 proto 41"
hk_mh_exchange ha mn bu --expect-src "$HOA" --expect-dst "$HA" --expect-hao "$RCOA" \
  --seq 9 --lifetime 60 --flags AH -- --src "$HOA" --dst "$HA" --seq 9 --lifetime 60 --flags AH ||
  hk_fail "the HA did not receive the home BU from the home address"
hk_capture_stop 1
wire=$(tcpdump -v -n -r "$PCAP" 2>/dev/null | tr -s ' \n' ' ')
echo "$wire" | grep -oE "$LCOA > $MAP: IP6 [^>]* $RCOA > $HA: DSTOPT [^>]*homeaddr: $HOA\) mobility: BU" >/dev/null ||
  { echo "$wire"; hk_fail "no home BU LCoA>MAP / RCoA>HA with a HAO carrying the HoA on the wire"; }
# --- the BA: the HA's route2 state (of its binding) inserts the RH2, the MN's
# wildcard route2 state and SUB IN policy let it reach the MH socket
ready=$HMIP_KERNEL_OUT/ba.ready
rm -f "$ready"
hk_bg mn "$HMIP_KERNEL_OUT/recv-ba.txt" "$PROBE" recv-ba --expect-src "$HA" --expect-dst "$HOA" --expect-rh2 "$RCOA" \
  --seq 9 --lifetime 60 --status 0 --timeout 30 --ready "$ready"
rx=$HK_BG_PID
hk_wait_file "$ready" 30 || hk_fail "recv-ba did not start"
hk_in ha "$XPROBE" send-ba --src "$HA" --dst "$HOA" --seq 9 --lifetime 60 | sed 's/^/  send: /'
rc=0
wait "$rx" || rc=$?
sed 's/^/  recv: /' "$HMIP_KERNEL_OUT/recv-ba.txt"
[ "$rc" = 0 ] || hk_fail "the BA with the RH2 did not reach the MN's MH socket"

# --- the L flag: an NS for fe80::<HoA's interface id> on the home link is
# answered by the HA (the CN's neighbour entry gets the HA's MAC)
ha_mac=$(ip -n "$ha" link show br0 | awk '/link\/ether/ {print $2}')
hk_in cn ping -6 -n -c 1 -W 1 "$HOA_LL%vch" >/dev/null 2>&1 || true
got=""
for _ in $(seq 50); do
  got=$(ip -n "$cn" -6 neigh show "$HOA_LL" dev vch | awk '/lladdr/ {print $3}')
  [ -n "$got" ] && break
  sleep 0.1
done
hk_log "CN's neighbour entry for $HOA_LL: ${got:-none} (HA br0: $ha_mac)"
[ "$got" = "$ha_mac" ] || hk_fail "the L-flag proxy did not answer the NS for $HOA_LL"

# --- ProtectTraffic (RFC 4877 §5) without a payload SA: the MN's and the
# HA's MAIN policies require ESP for ip6ip6 to and from the HA, so with no
# SA (the care-of address changed, the IKE SA not yet moved) the home
# tunnel's packets are dropped (XfrmOutNoStates), never sent in clear;
# switched off again (a re-call replaces the HA's settings) traffic flows
nostates() { hk_in "$1" cat /proc/net/xfrm_stat | awk '/^XfrmOutNoStates/ {print $2}'; }
kg_use mn
kg home-bind "$HA" "$HOA" away "$RCOA" via "$MAP" "$RCOA" protect
kg_use ha
kg map-signalling "$HA" tunnel
ip -n "$mn" xfrm policy list ptype main | tr -s ' \n\t' ' ' | grep -oE "src ::/0 dst $HA/128 proto (41|ipv6) dir out" >/dev/null ||
  { ip -n "$mn" xfrm policy list ptype main; hk_fail "no MAIN OUT policy for ip6ip6 to the HA on the MN"; }
ip -n "$ha" xfrm policy list ptype main | tr -s ' \n\t' ' ' | grep -oE "src ::/0 dst $HA/128 proto (41|ipv6) dir in" >/dev/null ||
  { ip -n "$ha" xfrm policy list ptype main; hk_fail "no MAIN IN policy for ip6ip6 to the HA"; }
ip -n "$ha" xfrm policy list ptype main | tr -s ' \n\t' ' ' | grep -oE "src $HA/128 dst ::/0 proto (41|ipv6) dir out" >/dev/null ||
  { ip -n "$ha" xfrm policy list ptype main; hk_fail "no MAIN OUT policy for ip6ip6 from the HA"; }
ha0=$(nostates ha)
PCAP=$HMIP_KERNEL_OUT/protect.pcap
hk_capture_start mn vm "$PCAP" "ip6 proto 41"
hk_in cn ping -6 -n -c 2 -i 0.2 -W 1 "$HOA" >/dev/null && hk_fail "CN reached the home address without a payload SA"
hk_in mn ping -6 -n -c 1 -W 1 -I "$HOA" "$CN" >/dev/null && hk_fail "the MN reached CN without a payload SA"
hk_capture_stop
clear=$(tcpdump -n -r "$PCAP" 2>/dev/null | grep -cE "IP6 ($HA > $RCOA|$RCOA > $HA): IP6" || true)
hk_log "ProtectTraffic without an SA: $clear cleartext home-tunnel packets on the MN's link, HA XfrmOutNoStates $ha0 -> $(nostates ha)"
[ "$clear" = 0 ] || hk_fail "home-tunnel packets left in clear under ProtectTraffic"
[ "$(nostates ha)" -ge $((ha0 + 2)) ] || hk_fail "the HA's kernel did not count the blocked tunnel packets"
kg_use mn
kg home-bind "$HA" "$HOA" away "$RCOA" via "$MAP" "$RCOA"
kg_use ha
kg map-signalling "$HA"
ip -n "$ha" xfrm policy list ptype main | grep -qE "proto (41|ipv6)" && hk_fail "the HA kept its ip6ip6 policies"
ip -n "$mn" xfrm policy list ptype main | grep -qE "proto (41|ipv6)" && hk_fail "the MN kept its ip6ip6 policies"
hk_in cn ping -6 -n -c 2 -i 0.2 -W 5 "$HOA" >/dev/null || hk_fail "CN cannot ping the home address after ProtectTraffic off"

# --- update in place (an inter-MAP move, here a new RCoA): the MN's new MAP
# binding, the home binding re-pointed (same device, local end changed),
# the HA's binding moved; traffic goes on; the old MAP binding goes
kg_use map
kg map-bind "$RCOA2" "$MAP" "$LCOA" -
kg_use mn
kg mn-bind "$MAP" "$RCOA2" "$LCOA" vm "$AR" primary
kg home-bind "$HA" "$HOA" away "$RCOA2" via "$MAP" "$RCOA2"
[ "$(echo "$KG_REPLY" | awk '{print $2}')" = "$HTUN" ] || hk_fail "the update made a new home tunnel: $KG_REPLY"
ip -n "$mn" -d link show "$HTUN" | grep -c "remote $HA local $RCOA2" >/dev/null || hk_fail "home tunnel local end not updated"
ip -n "$mn" xfrm state | grep -c "coa $RCOA2" >/dev/null || hk_fail "hao state not moved to the new CoA"
kg_use ha
kg map-bind "$HOA" "$HA" "$RCOA2" br0 ll
[ "$(echo "$KG_REPLY" | awk '{print $2}')" = "$HATUN" ] || hk_fail "the HA's update made a new tunnel: $KG_REPLY"
kg_use mn
kg mn-bind "$MAP" "$RCOA" "$LCOA" vm "$AR" secondary
kg mn-unbind "$MAP" "$RCOA"
kg_use map
kg map-unbind "$RCOA"
hk_in cn ping -6 -n -c 2 -i 0.2 -W 5 "$HOA" >/dev/null || hk_fail "CN cannot ping the home address after the move"

# --- plain mode, switched to in place: the LCoA registered with the HA, no MAP
kg_use mn
kg home-bind "$HA" "$HOA" away "$LCOA" plain vm "$AR"
[ "$(echo "$KG_REPLY" | awk '{print $2}')" = "$HTUN" ] || hk_fail "the switch to plain mode made a new home tunnel: $KG_REPLY"
kg_use ha
kg map-bind "$HOA" "$HA" "$LCOA" br0 ll
kg_use mn
kg mn-unbind "$MAP" "$RCOA2"
kg_use map
kg map-unbind "$RCOA2"
ip -n "$mn" -d link show "$HTUN" | grep -c "remote $HA local $LCOA" >/dev/null || hk_fail "plain: home tunnel endpoints"
rules=$(ip -n "$mn" -6 rule show)
echo "$rules" | sed 's/^/  plain rule: /'
echo "$rules" | grep -c "^2005:	from $LCOA lookup $STAB proto 204" >/dev/null || hk_fail "plain: no 'from LCoA' rule"
ip -n "$mn" -6 route show table "$STAB" | grep -c "^$HA via $AR dev vm proto 204" >/dev/null || hk_fail "plain: no HA/128 via the router"
PCAP=$HMIP_KERNEL_OUT/plain.pcap
hk_capture_start mn vm "$PCAP" "ip6 proto 41"
hk_in cn ping -6 -n -c 3 -i 0.2 -W 5 "$HOA" >/dev/null || hk_fail "plain: CN cannot ping the home address"
count_plain() {
  tcpdump -n -r "$PCAP" 2>/dev/null >"$PCAP.txt"
  down=$(grep -c "^[0-9:.]* IP6 $HA > $LCOA: IP6 $CN > $HOA: ICMP6, echo request" "$PCAP.txt" || true)
  up=$(grep -c "^[0-9:.]* IP6 $LCOA > $HA: IP6 $HOA > $CN: ICMP6, echo reply" "$PCAP.txt" || true)
}
for _ in $(seq 75); do
  count_plain
  [ "$down" -ge 3 ] && [ "$up" -ge 3 ] && break
  sleep 0.2
done
hk_capture_stop
count_plain
hk_log "plain mode on the MN's access link: $down requests HA>LCoA/CN>HoA, $up replies LCoA>HA/HoA>CN"
[ "$down" -ge 3 ] && [ "$up" -ge 3 ] || { cat "$PCAP.txt"; hk_fail "plain: want >= 3 singly encapsulated requests and replies"; }

# --- at home: the address on the home link without DAD (RFC 6275 §11.5.5):
# usable at once although the HA still proxies it, so that the
# deregistration BU can leave from it.
ip -n "$mn" link set vmhome up
hk_in mn sysctl -qw net.ipv6.conf.vmhome.accept_dad=1
kg_use mn
kg home-bind "$HA" "$HOA" home vmhome 64
[ "$KG_REPLY" = "ok - 0 0" ] || hk_fail "at home: $KG_REPLY"
state=$(ip -n "$mn" -6 addr show dev vmhome | grep "inet6 $HOA/64" || true)
hk_log "at home before the deregistration: $state"
case "$state" in *dadfailed* | *tentative* | *home*) hk_fail "at home: the address is not usable at once: $state" ;; "") hk_fail "at home: no address" ;; esac
ip -n "$mn" link show | grep -c "$HTUN" >/dev/null && hk_fail "the home tunnel outlived the return home"
# The deregistration: the HA removes its binding (proxy entries with it).
kg_use ha
kg map-unbind "$HOA"
ip -n "$ha" -6 neigh show proxy | grep -c "$HOA\|$HOA_LL" >/dev/null && hk_fail "the HA kept a proxy entry"
kg_use mn
state=$(ip -n "$mn" -6 addr show dev vmhome | grep "inet6 $HOA/64" || true)
hk_log "at home after the deregistration: $state"
case "$state" in *dadfailed* | *tentative* | *home*) hk_fail "at home: the address is not an ordinary usable one: $state" ;; "") hk_fail "at home: no address" ;; esac
hk_in cn ping -6 -n -c 2 -i 0.2 -W 5 "$HOA" >/dev/null || hk_fail "at home: CN cannot ping the home address on the home link"
[ -z "$(ip -n "$mn" -6 route show table "$HTAB")" ] || hk_fail "at home: the home table is not empty"
ip -n "$mn" -6 rule show | grep -c "^200[4-9]:" >/dev/null && hk_fail "at home: home rules left"
ip -n "$mn" xfrm state | grep -c "src $HOA" >/dev/null && hk_fail "at home: the hao state is left"

# --- removal and flush leave no tagged object
kg home-unbind "$HA" "$HOA"
ip -n "$mn" -6 addr show dev vmhome | grep -c "$HOA" >/dev/null && hk_fail "home-unbind left the address on the home link"
# A crashed mnd at home: the next start's reconcile() removes the address
# (tagged with IFA_PROTO) and nothing else on the link.
kg home-bind "$HA" "$HOA" home vmhome 64
kill -9 "$KG_PID"
wait "$KG_PID" 2>/dev/null || true
exec {KG_FD}>&-
ip -n "$mn" -6 addr show dev vmhome | grep -c "$HOA/64" >/dev/null || hk_fail "the killed probe's address is gone already"
kglue_start mn mn
kg_save mn
kg reconcile
echo "$KG_REPLY" | grep -c "address $HOA/64" >/dev/null || hk_fail "reconcile did not report the at-home address"
ip -n "$mn" -6 addr show dev vmhome | grep -c "$HOA" >/dev/null && hk_fail "reconcile left the at-home address"
ip -n "$mn" -6 addr show dev vm | grep -c "$LCOA/64" >/dev/null || hk_fail "reconcile removed an untagged address"
kg flush
[ "$(ip -n "$mn" -6 rule show | grep -c 'proto 204' || true)" = 0 ] || hk_fail "MN: flush left rules"
[ -z "$(ip -n "$mn" -6 route show table all proto 204)" ] || hk_fail "MN: flush left routes"
ip -n "$mn" link show | grep -c hmipn >/dev/null && hk_fail "MN: flush left a tunnel"
[ -z "$(ip -n "$mn" xfrm state)" ] || hk_fail "MN: flush left xfrm states"
[ -z "$(ip -n "$mn" xfrm policy list ptype sub)" ] || hk_fail "MN: flush left xfrm policies"
# The HA's L-flag entry is adopted and reconciled with the home address's:
# a killed HA's binding is adopted (flush then removes both entries), and
# without adoption reconcile() removes both.
ha_restart() {
  kg_use ha
  kill -9 "$KG_PID"
  wait "$KG_PID" 2>/dev/null || true
  exec {KG_FD}>&-
  kglue_start ha map --proxy-link br0 --rcoa-prefix 2001:db8:200::/64
  kg_save ha
}
kg_use ha
kg map-bind "$HOA" "$HA" "$LCOA" br0 ll
ha_restart
kg adopt
case "$KG_REPLY" in "ok 1 adopted: $HOA $HA $LCOA br0 "*) ;; *) hk_fail "the HA's binding was not adopted: $KG_REPLY" ;; esac
kg flush
[ -z "$(ip -n "$ha" -6 neigh show proxy)" ] || hk_fail "flush after adoption left proxy entries: $(ip -n "$ha" -6 neigh show proxy)"
kg map-bind "$HOA" "$HA" "$LCOA" br0 ll
ha_restart
kg reconcile
echo "$KG_REPLY" | grep -c "proxy $HOA_LL dev" >/dev/null || hk_fail "reconcile did not remove the L-flag entry: $KG_REPLY"
[ -z "$(ip -n "$ha" -6 neigh show proxy)" ] || hk_fail "reconcile left proxy entries: $(ip -n "$ha" -6 neigh show proxy)"
for n in ha map; do
  kg_use "$n"
  kg flush
  ns=$(hk_ns_name "$n")
  left="$(ip -n "$ns" link show | grep -c hmipm || true) $(ip -n "$ns" -6 route show table all proto 203 | wc -l)"
  left="$left $(ip -n "$ns" -6 neigh show proxy | wc -l) $(ip -n "$ns" xfrm state | wc -l)"
  left="$left $(ip -n "$ns" xfrm policy list ptype sub | wc -l) $(ip -n "$ns" xfrm policy list ptype main | wc -l)"
  left="$left $(hk_in "$n" nft list tables | grep -c hmip_mapd || true)"
  [ "$left" = "0 0 0 0 0 0 0" ] || hk_fail "$n: flush left objects: $left"
done
for n in mn ha map; do
  kg_use "$n"
  echo quit >&"$KG_FD"
done
echo "ok: kglue home registration: nested double encapsulation both ways, HA ingress check, home BU with HAO in the MAP tunnel, BA with RH2, L-flag proxy, second signalling address, move in place, plain mode, at home without DAD, flush"
