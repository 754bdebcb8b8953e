#!/usr/bin/env bash
# lib/io's DAD and proxy-NA helpers (nd_dad.h, through test/kernel/io_probe)
# on a link between a MAP and a neighbour:
#   1. DAD probe for an address the neighbour owns: the neighbour's kernel
#      defends it with an NA, the probe reports "in_use" (RFC 4862 §5.4.4).
#   2. DAD probe for a free address: "free". The probe on the wire is an NS
#      from :: to the solicited-node group, hop limit 255, no options.
#   3. Unsolicited proxy NA for an RCoA: the neighbour's cache entry for the
#      RCoA (stale, with another MAC) now holds the MAP's MAC (O flag).
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

PROBE=$HMIP_BUILD_DIR/test/kernel/io_probe
[ -x "$PROBE" ] || hk_fail "$PROBE is not built (ninja -C $HMIP_BUILD_DIR io_probe)"

MAP=2001:db8:99::1
PEER=2001:db8:99::2
TAKEN=2001:db8:99::7
FREE=2001:db8:99::8
RCOA=2001:db8:99::5
OUT=$HMIP_KERNEL_OUT

hk_ns map
hk_ns peer
hk_veth map eth1 "$MAP/64" peer eth0 "$PEER/64"
peer=$(hk_ns_name peer)
ip -n "$peer" addr add "$TAKEN/64" dev eth0 nodad
map_mac=$(hk_in map cat /sys/class/net/eth1/address)

PCAP=$OUT/nd.pcap
hk_capture_start map eth1 "$PCAP" icmp6

echo "-- 1. DAD for an address the neighbour owns"
hk_in map "$PROBE" dad --ifname eth1 --target "$TAKEN" --timeout 5 | tee "$OUT/dad-taken.json"
grep -q '"verdict":"in_use"' "$OUT/dad-taken.json" || hk_fail "DAD did not see $TAKEN in use"
grep -q '"event":"defended"' "$OUT/dad-taken.json" || hk_fail "DAD in_use, but not through the neighbour's NA"

echo "-- 2. DAD for a free address"
hk_in map "$PROBE" dad --ifname eth1 --target "$FREE" --timeout 2 | tee "$OUT/dad-free.json"
grep -q '"verdict":"free"' "$OUT/dad-free.json" || hk_fail "DAD reported $FREE in use"

echo "-- 3. unsolicited proxy NA for the RCoA"
ip -n "$peer" -6 neigh add "$RCOA" lladdr 02:00:00:00:00:99 dev eth0 nud stale
hk_in map "$PROBE" na --ifname eth1 --target "$RCOA" | tee "$OUT/na.json"
ok=0
for _ in $(seq 1 50); do
  if ip -n "$peer" -6 neigh show "$RCOA" dev eth0 | grep -qi "lladdr $map_mac"; then
    ok=1
    break
  fi
  sleep 0.1
done
ip -n "$peer" -6 neigh show "$RCOA" dev eth0 | sed 's/^/  peer neigh: /'
[ "$ok" -eq 1 ] || hk_fail "the neighbour's cache entry for $RCOA does not hold the MAP's MAC $map_mac"
hk_capture_stop 4

echo "-- the wire"
tcpdump -v -n -r "$PCAP" 2>/dev/null | tr -s ' \n' ' ' | sed 's/ IP6 /\nIP6 /g' | grep -i "neighbor" | tee "$PCAP.txt"
grep -q ":: > ff02::1:ff00:7: .*neighbor solicitation, length 24, who has $TAKEN" "$PCAP.txt" ||
  hk_fail "no DAD NS from :: to the solicited-node group for $TAKEN"
grep -q "hlim 255.*:: > ff02::1:ff00:8" "$PCAP.txt" || hk_fail "the DAD NS did not go out with hop limit 255"
grep -q "fe80::[0-9a-f:]* > ff02::1: .*neighbor advertisement, length 32, tgt is $RCOA, Flags \[override\]" "$PCAP.txt" ||
  hk_fail "no unsolicited NA (override, not router, not solicited) for $RCOA to ff02::1"
echo "ok: DAD probe (in use / free) and the unsolicited proxy NA"
