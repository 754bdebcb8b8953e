#!/usr/bin/env bash
# mapd answers a refused binding update for an RCoA it has no route to
# (issue 13 item 6). The kernel routes a BA to its final destination, the
# RCoA, before the route2 state's bundle sends it to the care-of address; a
# MAP with no route there (an RCoA outside its prefixes, no default route)
# failed the send with "Network is unreachable" and the node got no answer.
#
#   mn (LCoA 2001:db8:1::10, RCoA 2001:db8:99::5 home on lo) --eth0-- map (2001:db8:1::1)
#   map --up0-- cn (RcoaPrefix 2001:db8:100::/64 on up0); the MAP has no default route.
#
#   1. a BU (kernel HAO) for 2001:db8:99::5, outside every RcoaPrefix: mapd's
#      BA with status 132 reaches the LCoA with a type 2 routing header
#      carrying the RCoA (mh_probe, and tcpdump on the wire); afterwards no
#      route, rule, route2 state or policy for it is left, and the MAP still
#      has no route to the RCoA;
#   2. the same with a route of the operator's to the RCoA (via the CN): the
#      BA still goes to the LCoA and that route is untouched;
#   3. SIGTERM: mapd leaves no route, rule, state or policy behind.
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

PROBE=$HMIP_BUILD_DIR/test/kernel/mh_probe
MAPD=$HMIP_BUILD_DIR/daemons/mapd
HMIPCTL=$HMIP_BUILD_DIR/daemons/hmipctl
for b in "$PROBE" "$MAPD" "$HMIPCTL"; do
  [ -x "$b" ] || hk_fail "$b is not built (ninja -C $HMIP_BUILD_DIR mh_probe mapd hmipctl)"
done

MAP=2001:db8:1::1
LCOA=2001:db8:1::10
RCOA=2001:db8:99::5
CN=2001:db8:100::100
BA_TABLE=$((0x4d4900))  # Tags::mapd(): the BA table and rule priority
BA_RULE_PRIO=1900

hk_ns mn
hk_ns map
hk_ns cn
hk_veth mn eth0 "$LCOA/64" map eth0 "$MAP/64"
hk_veth map up0 2001:db8:100::1/64 cn eth0 "$CN/64"
mn=$(hk_ns_name mn)
map=$(hk_ns_name map)
ip -n "$mn" addr add "$RCOA/128" dev lo home nodad
hk_mip6_mn mn "$RCOA" "$MAP" "$LCOA"
hk_in map ip -6 route get "$RCOA" >/dev/null 2>&1 && hk_fail "the MAP has a route to the RCoA (test is void)"

TMP=$(mktemp -d /tmp/hk-mapd.XXXXXX)  # the control socket cannot live on 9p
HK_TMPDIRS+=("$TMP")
SOCK=$TMP/mapd.sock
CONF=$HMIP_KERNEL_OUT/mapd.conf
cat >"$CONF" <<EOF
ControlSocket "$SOCK";
LogLevel debug;
MapAddress $MAP;
RcoaPrefix 2001:db8:100::/64 { Interface up0; };
LcoaPrefix 2001:db8:1::/64;
InsecureTestbedSignalling yes;
TrustedPrefix 2001:db8:1::/64;
EOF
LOG=$HMIP_KERNEL_OUT/mapd.log
hk_bg map "$LOG" "$MAPD" -f -c "$CONF"
MAPD_PID=$HK_BG_PID
i=0
until grep -q "started, MAP" "$LOG"; do
  kill -0 "$MAPD_PID" 2>/dev/null || { cat "$LOG"; hk_fail "mapd exited at start"; }
  i=$((i + 1))
  [ "$i" -le 600 ] || { cat "$LOG"; hk_fail "mapd did not start within 60 s"; }
  sleep 0.1
done

counter() { hk_in map "$HMIPCTL" -s "$SOCK" -j mapd show counters | /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin)[\"data\"]; print($1)"; }

# refused_ba SEQ: a BU for the RCoA (kernel HAO from the LCoA); the MN must
# get the BA with status 132 from the MAP, through the LCoA, with the RH2.
refused_ba() {
  local seq=$1 ready="$HMIP_KERNEL_OUT/ba.ready" log="$HMIP_KERNEL_OUT/recv-ba-$1.txt" rc=0 rx
  rm -f "$ready"
  hk_bg mn "$log" "$PROBE" recv-ba --expect-src "$MAP" --expect-dst "$RCOA" --expect-rh2 "$LCOA" \
    --seq "$seq" --lifetime 0 --status 132 --timeout 20 --ready "$ready"
  rx=$HK_BG_PID
  hk_wait_file "$ready" 30 || hk_fail "recv-ba did not start"
  hk_in mn "$PROBE" send-bu --src "$RCOA" --dst "$MAP" --seq "$seq" --lifetime 60 --flags AM | sed 's/^/  send: /'
  wait "$rx" || rc=$?
  sed 's/^/  recv: /' "$log"
  return "$rc"
}

# transient: what is left of the BA's transient objects in the MAP.
transient() {
  ip -n "$map" -6 route show table all proto 203
  ip -n "$map" -6 route show table "$BA_TABLE" 2>/dev/null || true
  ip -n "$map" -6 rule show | grep -E "^$BA_RULE_PRIO:|lookup $BA_TABLE( |$)" || true
  ip -n "$map" xfrm state | grep -E "^src $MAP dst $RCOA( |$)" || true
  ip -n "$map" xfrm policy list ptype sub | grep -E "dst $RCOA/128( |$)" || true
}

PCAP=$HMIP_KERNEL_OUT/mh.pcap
hk_capture_start map eth0 "$PCAP" "ip6[6] == 60 or ip6[6] == 43"

echo "-- 1. BU for an RCoA the MAP has no route to: BA 132 to the LCoA with an RH2"
refused_ba 300 || {
  grep -E "BA to|unreachable" "$LOG" | sed 's/^/  mapd: /'
  hk_fail "the MN did not get the MAP's BA with status 132 (xfrm_stat: $(hk_in map awk '$2 != 0' /proc/net/xfrm_stat | tr '\n' ' '))"
}
[ "$(counter 'd["bu_refused"].get("132", 0)')" = 1 ] || hk_fail "mapd did not count one refusal with 132"
[ "$(counter 'd["dataplane_errors"]')" = 0 ] || hk_fail "mapd counted dataplane errors"
left=$(transient)
[ -z "$left" ] || hk_fail "transient BA objects left: $left"
hk_in map ip -6 route get "$RCOA" >/dev/null 2>&1 && hk_fail "the MAP has a route to the RCoA after the BA"

echo "-- 2. the same with an operator's route to the RCoA: the BA goes to the LCoA, the route stays"
ip -n "$map" -6 route add "$RCOA/128" via "$CN" dev up0
refused_ba 301 || hk_fail "the MN did not get the second BA with status 132"
[ "$(ip -n "$map" -6 route show "$RCOA/128")" = "$RCOA via $CN dev up0 metric 1024 pref medium" ] ||
  hk_fail "the operator's route changed: $(ip -n "$map" -6 route show "$RCOA/128")"
left=$(transient)
[ -z "$left" ] || hk_fail "transient BA objects left: $left"
hk_capture_stop 4
hk_mh_wire "$PCAP"
for seq in 300 301; do
  grep -q "$LCOA > $MAP: DSTOPT .*(homeaddr: $RCOA) mobility: BU seq#=$seq" "$PCAP.txt" ||
    hk_fail "no BU seq $seq from the LCoA on the wire"
  grep -q "$MAP > $LCOA: RT6 (len=2, type=2, segleft=1, .*\[0\]$RCOA) mobility: BA status=132 seq#=$seq" "$PCAP.txt" ||
    hk_fail "no BA 132 seq $seq to the LCoA with an RH2 carrying the RCoA on the wire"
done
grep -q "unreachable" "$LOG" && hk_fail "mapd logged an unreachable destination: $(grep unreachable "$LOG")"

echo "-- 3. SIGTERM leaves nothing"
kill -TERM "$MAPD_PID"
wait "$MAPD_PID" || hk_fail "mapd did not exit cleanly"
ip -n "$map" -6 route del "$RCOA/128" via "$CN" dev up0
left=$(transient; ip -n "$map" xfrm state; ip -n "$map" xfrm policy list ptype sub)
[ -z "$left" ] || hk_fail "objects left after SIGTERM: $left"
echo "ok: mapd's BA 132 for an RCoA it cannot route reaches the LCoA with an RH2; nothing transient is left"
