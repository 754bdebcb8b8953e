#!/usr/bin/env bash
# lib/io's MhSocket (test/kernel/io_probe) between two namespaces on a MIPv6
# kernel, with the XFRM states a MAP and an MN install (set up here with
# `ip xfrm`, as in 30-mh-bu-ba):
#   1. BU MN -> MAP through MhSocket::send from the RCoA: the MN's "proto
#      hao" state inserts the HAO; the MAP's MhSocket reports src = RCoA,
#      dst = MAP, hao = LCoA. A BU with a corrupted checksum sent just
#      before it never reaches the MAP's handler (the kernel checks the MH
#      checksum over the upper-layer addresses).
#   2. BU with a user-built HAO (send_with_header, IPV6_DSTOPTS, checksum
#      computed in user space over src = RCoA).
#   3. BA MAP -> MN with a user-built RH2 (send_with_header, IPV6_RTHDR).
#   4. BA through MhSocket::send to the RCoA: the MAP's "proto route2"
#      state + SUB OUT policy insert the RH2; the MN's MhSocket reports
#      src = MAP, dst = RCoA, rh2 = LCoA.
# The wire is checked with tshark (HAO / RH2 addresses) and scapy (every
# MH checksum recomputed over the RFC 6275 §6.1.1 pseudo-header).
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

PROBE=$HMIP_BUILD_DIR/test/kernel/io_probe
[ -x "$PROBE" ] || hk_fail "$PROBE is not built (ninja -C $HMIP_BUILD_DIR io_probe)"

LCOA=2001:db8:1::10
MAP=2001:db8:1::1
RCOA=2001:db8:99::5
OUT=$HMIP_KERNEL_OUT

hk_ns mn
hk_ns map
hk_veth mn eth0 "$LCOA/64" map eth0 "$MAP/64"
mn=$(hk_ns_name mn)
map=$(hk_ns_name map)

ip -n "$mn" addr add "$RCOA/128" dev lo home nodad
# MN: HAO on BUs from the RCoA; RH2 accepted on the way in.
ip -n "$mn" xfrm state add src "$RCOA" dst "$MAP" proto hao mode ro coa "$LCOA"
ip -n "$mn" xfrm policy add src "$RCOA/128" dst "$MAP/128" proto 135 dir out ptype sub \
  tmpl src "$RCOA" dst "$MAP" proto hao mode ro
ip -n "$mn" xfrm state add src :: dst :: proto route2 mode ro coa :: flag wildrecv
ip -n "$mn" xfrm policy add src ::/0 dst ::/0 proto 135 dir in ptype sub tmpl proto route2 mode ro level use
# MAP: HAO accepted on the way in; the RCoA reachable (mapd's tunnel route
# would do this; here it is on-link, the route2 state changes the wire dst).
ip -n "$map" xfrm state add src :: dst :: proto hao mode ro coa :: flag wildrecv
ip -n "$map" xfrm policy add src ::/0 dst ::/0 proto 135 dir in ptype sub tmpl proto hao mode ro level use
ip -n "$map" -6 route add "$RCOA/128" dev eth0

PCAP=$OUT/mh.pcap
hk_capture_start map eth0 "$PCAP" "ip6[6] == 60 or ip6[6] == 43"

# recv_start NS NAME ARGS...: io_probe recv in NS in the background; waits until it listens.
recv_start() {
  local ns=$1 name=$2
  shift 2
  rm -f "$OUT/$name.ready"
  hk_bg "$ns" "$OUT/$name.json" "$PROBE" recv --timeout 30 --ready "$OUT/$name.ready" "$@"
  RX=$HK_BG_PID
  hk_wait_file "$OUT/$name.ready" 30 || hk_fail "io_probe recv ($name) did not start"
}
# recv_check NAME JQ-LIKE-PYTHON-EXPR...: the receiver's first JSON line must satisfy every check.
recv_check() {
  local name=$1
  shift
  wait "$RX" || { cat "$OUT/$name.json"; hk_fail "$name: io_probe recv got nothing"; }
  sed "s/^/  $name: /" "$OUT/$name.json"
  /usr/bin/python3 - "$OUT/$name.json" "$@" <<'PY' || hk_fail "$name: received packet not as expected"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.startswith('{')]
p = lines[0]
bad = [c for c in sys.argv[2:] if not eval(c, {}, {"p": p})]
for c in bad:
    print("  MISMATCH:", c)
sys.exit(1 if bad else 0)
PY
}

echo "-- 1. BU via the kernel's hao state (a corrupted one first)"
recv_start map bu1
hk_in mn "$PROBE" send-bu --src "$RCOA" --dst "$MAP" --seq 1 --lifetime 10 --corrupt-checksum
hk_in mn "$PROBE" send-bu --src "$RCOA" --dst "$MAP" --seq 2 --lifetime 10
recv_check bu1 "p['src']=='$RCOA'" "p['dst']=='$MAP'" "p['hao']=='$LCOA'" "p['rh2'] is None" \
  "p['mh']['mh_type']==5" "p['mh']['seq']==2" "p['mh']['m'] and p['mh']['a']" "p['checksum_ok']" \
  "p['hop_limit']==64" "p['ifindex']>0"
# The corrupted BU reached the socket and the kernel dropped it there.
grep -q '"kernel_drops":1' "$OUT/bu1.json" || hk_fail "bu1: the kernel did not count the corrupted BU as dropped"

echo "-- 2. BU with a user-built HAO (IPV6_DSTOPTS)"
recv_start map bu2
hk_in mn "$PROBE" send-bu-hao --src "$LCOA" --home "$RCOA" --dst "$MAP" --seq 3 --lifetime 10
recv_check bu2 "p['src']=='$RCOA'" "p['hao']=='$LCOA'" "p['mh']['seq']==3" "p['checksum_ok']"

echo "-- 3. BA with a user-built RH2 (IPV6_RTHDR)"
recv_start mn ba3
hk_in map "$PROBE" send-ba-rh2 --src "$MAP" --dst "$RCOA" --coa "$LCOA" --seq 3 --lifetime 10
recv_check ba3 "p['src']=='$MAP'" "p['dst']=='$RCOA'" "p['rh2']=='$LCOA'" "p['hao'] is None" \
  "p['mh']['mh_type']==6" "p['mh']['seq']==3" "p['checksum_ok']"

echo "-- 4. BA via the kernel's route2 state"
ip -n "$map" xfrm state add src "$MAP" dst "$RCOA" proto route2 mode ro coa "$LCOA"
ip -n "$map" xfrm policy add src "$MAP/128" dst "$RCOA/128" proto 135 dir out ptype sub \
  tmpl src "$MAP" dst "$RCOA" proto route2 mode ro
recv_start mn ba4
hk_in map "$PROBE" send-ba --src "$MAP" --dst "$RCOA" --seq 2 --lifetime 10 --status 0
recv_check ba4 "p['src']=='$MAP'" "p['dst']=='$RCOA'" "p['rh2']=='$LCOA'" "p['mh']['seq']==2" \
  "p['mh']['status']==0" "p['checksum_ok']"
hk_capture_stop 5

echo "-- the wire (tshark)"
tshark -r "$PCAP" -T fields -E separator=' ' -e ipv6.src -e ipv6.dst -e mip6.mhtype \
  -e ipv6.opt.mipv6.home_address -e ipv6.routing.mipv6.home_address -e mip6.csum 2>/dev/null | tee "$PCAP.txt"
grep -q "^$LCOA $MAP 5 $RCOA " "$PCAP.txt" || hk_fail "no BU from the LCoA with a HAO carrying the RCoA"
grep -q "^$MAP $LCOA 6  $RCOA " "$PCAP.txt" || hk_fail "no BA to the LCoA with an RH2 carrying the RCoA"
[ "$(grep -c "^$MAP $LCOA 6  $RCOA " "$PCAP.txt")" -eq 2 ] || hk_fail "expected 2 BAs with one RH2 each"

echo "-- the wire's MH checksums (pseudo-header per RFC 6275 §6.1.1, computed here; scapy dissects)"
# (scapy's own in6_chksum only honours a HAO that is the header's single
# option, so it is not used for the sum.)
/usr/bin/python3 - "$PCAP" <<'PY' || hk_fail "an MH checksum on the wire does not verify"
import socket, struct, sys
from scapy.all import rdpcap
from scapy.layers.inet6 import IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrRouting, HAO, MIP6MH_BU, MIP6MH_BA

def inet_sum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF

good = bad = 0
for pkt in rdpcap(sys.argv[1]):
    mh = next((pkt[c] for c in (MIP6MH_BU, MIP6MH_BA) if c in pkt), None)
    if mh is None:
        continue
    src, dst = pkt[IPv6].src, pkt[IPv6].dst
    u = pkt[IPv6].payload
    while u is not mh:
        if isinstance(u, IPv6ExtHdrDestOpt):
            src = next((o.hoa for o in u.options if isinstance(o, HAO)), src)
        if isinstance(u, IPv6ExtHdrRouting) and u.segleft > 0:
            dst = u.addresses[-1]
        u = u.payload
    raw = bytearray(bytes(mh))
    raw[4:6] = b"\0\0"
    ph = socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst)
    ph += struct.pack("!I3xB", len(raw), 135)
    calc = inet_sum(ph + bytes(raw))
    ok = calc == mh.cksum
    print(f"  {mh.name} seq {mh.seq} ({src} -> {dst}): wire {mh.cksum:#06x} computed {calc:#06x} {'ok' if ok else 'BAD'}")
    if ok:
        good += 1
    elif not (isinstance(mh, MIP6MH_BU) and mh.seq == 1):  # the corrupted one
        bad += 1
print(f"  {good} valid")
sys.exit(1 if bad or good < 4 else 0)
PY
echo "ok: MhSocket receive (HAO, RH2, checksum drop) and both send paths through the kernel"
