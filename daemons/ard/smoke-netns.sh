#!/usr/bin/env bash
# A smoke run of ard between two network namespaces joined by a veth pair
# (no VM needed): ard advertises on ar0 in one namespace, tcpdump and scapy
# act as the mobile node on mn0 in the other, which also holds the MAP
# address 2001:db8:f::1 (answers Echo); 2001:db8:f::99 does not exist (its
# MAP option must go to Valid Lifetime 0).
#
# Checks: RAs with the configured prefix and MAP options; an RS answered;
# invalid RS/RA counted, not fatal; hmipctl show maps/-j; SIGHUP with a
# changed file changes the next RA; SIGHUP with a broken file keeps the
# running configuration; SIGTERM sends a final RA with Router Lifetime 0,
# removes the control socket and exits 0.
#
# usage: sudo daemons/ard/smoke-netns.sh BUILD_DIR     (KEEP=1 keeps the work dir)
# exit: 0 pass, 1 fail, 77 skipped (not root, no tools)
set -euo pipefail
build=$(cd "${1:?usage: smoke-netns.sh BUILD_DIR}" && pwd)
ard=$build/daemons/ard
ctl=$build/daemons/hmipctl
[ "$(id -u)" -eq 0 ] || { echo "smoke: needs root (network namespaces, raw sockets)"; exit 77; }
# scapy is Debian's python3-scapy: use the system interpreter, not one on PATH.
py=/usr/bin/python3
"$py" -c 'import scapy' 2>/dev/null || { echo "smoke: no python3-scapy"; exit 77; }
for t in ip tcpdump tshark; do command -v $t >/dev/null || { echo "smoke: no $t"; exit 77; }; done

AR=hmip-smoke-ar-$$
MN=hmip-smoke-mn-$$
work=$(mktemp -d /tmp/ard-smoke.XXXXXX)
sock=$work/run/ard.sock
ard_pid=
cap_pid=
failures=0

cleanup() {
  [ -n "$ard_pid" ] && kill "$ard_pid" 2>/dev/null || true
  [ -n "$cap_pid" ] && kill "$cap_pid" 2>/dev/null || true
  ip netns del "$AR" 2>/dev/null || true
  ip netns del "$MN" 2>/dev/null || true
  if [ "${KEEP:-0}" = 1 ]; then echo "smoke: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

ok() { echo "  ok: $*"; }
bad() { echo "  FAIL: $*"; failures=$((failures + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
# poll CMD... until it succeeds, at most $1 tenths of a second
poll() { local n=$1; shift; for _ in $(seq "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }
ctl_ar() { ip netns exec "$AR" "$ctl" -s "$sock" ard "$@"; }
counter() { ctl_ar -j show counters | python3 -c "import json,sys; d=json.load(sys.stdin)['data']; print(eval(sys.argv[1]))" "$1"; }

echo "smoke: namespaces $AR, $MN; work dir $work"
ip netns add "$AR"
ip netns add "$MN"
ip link add ar0 netns "$AR" type veth peer name mn0 netns "$MN"
ip -n "$AR" link set lo up
ip -n "$MN" link set lo up
ip -n "$AR" link set ar0 up
ip -n "$MN" link set mn0 up
ip -n "$AR" addr add 2001:db8:f::2/64 dev ar0 nodad
ip -n "$MN" addr add 2001:db8:f::1/64 dev mn0 nodad
# ard must wait for DAD on the link-local; the test waits too before sending.
poll 50 sh -c "ip -n $AR -6 addr show dev ar0 scope link | grep -q 'inet6' && ! ip -n $AR -6 addr show dev ar0 | grep -q tentative"
ar_ll=$(ip -n "$AR" -6 addr show dev ar0 scope link | awk '/inet6/ {sub(/\/.*/, "", $2); print $2; exit}')
mn_mac=$(ip -n "$MN" link show mn0 | awk '/link\/ether/ {print $2}')
poll 50 sh -c "ip -n $MN -6 addr show dev mn0 scope link | grep -q inet6 && ! ip -n $MN -6 addr show dev mn0 | grep -q tentative"
mn_ll=$(ip -n "$MN" -6 addr show dev mn0 scope link | awk '/inet6/ {sub(/\/.*/, "", $2); print $2; exit}')
echo "smoke: ar0 $ar_ll, mn0 $mn_ll ($mn_mac)"

write_conf() {  # PREFIX PREF
  cat >"$work/ard.conf" <<CONF
ControlSocket "$sock";
LogLevel info;
interface ar0 {
    AdvSendAdvert on;
    MaxRtrAdvInterval 1;
    MinRtrAdvInterval 0.5;
    MinDelayBetweenRAs 0.1;
    MaxRADelay 0;
    prefix $1 { AdvOnLink on; AdvAutonomous on; AdvValidLifetime 7200; AdvPreferredLifetime 3600; };
    map 2001:db8:f::1 { Dist 1; Pref $2; ValidLifetime 3600;
        Probe on; ProbeInterval 1; ProbeRetryInterval 0.5; ProbeFailAfter 1; ProbeTimeout 0.5; ProbeRestoreAfter 2; };
    map 2001:db8:f::99 { Dist 2; Pref 8; ValidLifetime 3600;
        Probe on; ProbeInterval 1; ProbeRetryInterval 0.5; ProbeFailAfter 1; ProbeTimeout 0.5; ProbeRestoreAfter 2; };
};
CONF
}
write_conf 2001:db8:10:1::/64 12
check "--check-config accepts the file" "$ard" --check-config "$work/ard.conf"

ip netns exec "$MN" tcpdump -i mn0 -n -U --immediate-mode -w "$work/mn.pcap" icmp6 2>"$work/tcpdump.log" &
cap_pid=$!
poll 50 grep -q listening "$work/tcpdump.log"

ip netns exec "$AR" "$ard" -f -d -c "$work/ard.conf" >"$work/ard.log" 2>&1 &
ard_pid=$!
check "ard answers on its control socket" poll 50 ctl_ar ping
check "ard sends RAs" poll 50 sh -c "[ \$(ip netns exec $AR $ctl -s $sock -j ard show counters | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"data\"][\"ra_sent\"])') -ge 2 ]"

echo "smoke: RS from $mn_ll, RS with hop limit 64, RA from a global source"
ip netns exec "$MN" "$py" - "$mn_mac" "$mn_ll" <<'PY' >"$work/scapy.log" 2>&1
import sys
from scapy.all import Ether, IPv6, ICMPv6ND_RS, ICMPv6ND_RA, ICMPv6NDOptSrcLLAddr, sendp
mac, ll = sys.argv[1], sys.argv[2]
rs = ICMPv6ND_RS() / ICMPv6NDOptSrcLLAddr(lladdr=mac)
to_routers = Ether(src=mac, dst="33:33:00:00:00:02")
sendp(to_routers / IPv6(src=ll, dst="ff02::2", hlim=255) / rs, iface="mn0", verbose=0)
sendp(to_routers / IPv6(src=ll, dst="ff02::2", hlim=64) / rs, iface="mn0", verbose=0)
sendp(Ether(src=mac, dst="33:33:00:00:00:01") / IPv6(src="2001:db8:f::1", dst="ff02::1", hlim=255) / ICMPv6ND_RA(),
      iface="mn0", verbose=0)
PY
check "a valid RS is answered by unicast" poll 30 sh -c "[ \$(ip netns exec $AR $ctl -s $sock -j ard show counters | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"data\"][\"interfaces\"][\"ar0\"][\"ra_solicited_unicast\"])') -ge 1 ]"
check "the hop limit 64 RS is counted invalid" [ "$(counter "d['interfaces']['ar0']['invalid_hop_limit']")" -ge 1 ]
check "the RA from a global source is counted invalid" \
  [ "$(counter "d['interfaces']['ar0']['invalid_ra_source_not_link_local']")" -ge 1 ]
check "MAP 2001:db8:f::99 fails (no echo reply)" poll 50 sh -c \
  "ip netns exec $AR $ctl -s $sock -j ard show maps | python3 -c 'import json,sys; m={x[\"address\"]: x for x in json.load(sys.stdin)[\"data\"]}; sys.exit(0 if m[\"2001:db8:f::99\"][\"state\"]==\"failed\" and m[\"2001:db8:f::1\"][\"state\"]==\"up\" else 1)'"
echo "smoke: hmipctl ard show maps"
ctl_ar show maps | sed 's/^/    /'

echo "smoke: SIGHUP with a broken file, then with prefix 2001:db8:10:2::/64 and Pref 14"
cp "$work/ard.conf" "$work/ard.conf.good"
echo "interface ar0 { MaxRtrAdvInterval lots; };" >>"$work/ard.conf"
kill -HUP "$ard_pid"
check "a broken file is reported with its line and the old configuration kept" \
  poll 30 grep -q "ard.conf:14.*error.*keeping\|reload failed" "$work/ard.log"
check "ard still runs after the failed reload" ctl_ar ping >/dev/null
write_conf 2001:db8:10:2::/64 14
kill -HUP "$ard_pid"
check "the new prefix is configured" poll 30 sh -c "ip netns exec $AR $ctl -s $sock ard show prefixes | grep -q 2001:db8:10:2::/64"
sleep 1.5  # at least one RA with the new content

echo "smoke: SIGTERM"
kill -TERM "$ard_pid"
rc=0
for _ in $(seq 50); do kill -0 "$ard_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$ard_pid" 2>/dev/null; then bad "ard exits after SIGTERM"; else wait "$ard_pid" || rc=$?; check "ard exits 0 after SIGTERM" [ "$rc" -eq 0 ]; fi
ard_pid=
check "the control socket is removed" [ ! -e "$sock" ]
check "hmipctl says when ard is not running" sh -c "! ip netns exec $AR $ctl -s $sock ard show maps 2>&1 | grep -q 'no daemon is listening'; [ \$? -eq 1 ]"
sleep 0.3
kill "$cap_pid"; wait "$cap_pid" 2>/dev/null || true; cap_pid=

echo "smoke: RAs seen on mn0 (time; router lifetime; prefix; MAP addresses; MAP prefs; MAP valid lifetimes)"
tshark -r "$work/mn.pcap" -Y "icmpv6.type == 134 && ipv6.src == $ar_ll" -T fields -E separator=';' -E aggregator=',' \
  -e frame.time_relative -e icmpv6.nd.ra.router_lifetime -e icmpv6.opt.prefix \
  -e icmpv6.opt.map.global_address -e icmpv6.opt.map.preference -e icmpv6.opt.map.valid_lifetime >"$work/ras.txt" 2>/dev/null
sed 's/^/    /' "$work/ras.txt"
check "RAs carry prefix 1 and both MAP options" grep -q ';2001:db8:10:1::;2001:db8:f::1,2001:db8:f::99;12,8;3600,3600' "$work/ras.txt"
check "the failed MAP is advertised with Valid Lifetime 0" grep -q ';2001:db8:10:1::;2001:db8:f::1,2001:db8:f::99;12,8;3600,0' "$work/ras.txt"
check "after SIGHUP the RAs carry prefix 2 and Pref 14" grep -q ';2001:db8:10:2::;2001:db8:f::1,2001:db8:f::99;14,8;' "$work/ras.txt"
check "prefix 1 never follows prefix 2" sh -c "! awk -F';' '\$3 == \"2001:db8:10:2::\" {p2=1} p2 && \$3 == \"2001:db8:10:1::\" {bad=1} END {exit !bad}' $work/ras.txt"
check "the last RA has Router Lifetime 0" sh -c "tail -n 1 $work/ras.txt | awk -F';' '{exit \$2 != 0}'"
check "only the last RA has Router Lifetime 0" [ "$(awk -F';' '$2 == 0' "$work/ras.txt" | wc -l)" -eq 1 ]
check "a unicast RA went to $mn_ll" sh -c "tshark -r $work/mn.pcap -Y 'icmpv6.type == 134 && ipv6.dst == $mn_ll' 2>/dev/null | grep -q ."
check "echo requests reached the MAP and were answered" \
  sh -c "tshark -r $work/mn.pcap -Y 'icmpv6.type == 129 && ipv6.src == 2001:db8:f::1' 2>/dev/null | grep -q ."
check "every RA has hop limit 255" sh -c "! tshark -r $work/mn.pcap -Y 'icmpv6.type == 134 && ipv6.hlim != 255' 2>/dev/null | grep -q ."

if [ "$failures" -ne 0 ]; then
  echo "smoke: $failures check(s) failed; ard's log:"
  sed 's/^/    /' "$work/ard.log"
  exit 1
fi
echo "smoke: all checks passed"
