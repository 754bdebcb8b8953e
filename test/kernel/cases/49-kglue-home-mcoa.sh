#!/usr/bin/env bash
# kernel-glue, MN home side, Multiple CoA towards the home agent in plain
# mode (issue 15, RFC 5648; dataplane.h MnHomeCoa): the MN's home binding
# with its primary CoA (LCoA1, link A) and an extra CoA (BID 2, LCoA2,
# link B, a receive-only tunnel); the HA (a MAP-role kglue_probe with two
# ranked bindings {HoA, 1} and {HoA, 2}) sends the downlink through its
# top-ranked one. Outcomes: CN -> HoA echo requests arrive through the
# tunnel of whichever LCoA the HA ranks first (rx counters of the MN's two
# home tunnels), the replies always leave through the primary's (tx
# counters) and pass the HA's ingress check; without the extra tunnel the
# HA's downlink to LCoA2 is lost (what the tunnel is for); the primary
# swapped with the extra CoA (one install) moves the uplink to link B and
# keeps receiving on both; an extra CoA whose tunnel the kernel refuses
# (a foreign device with its endpoints) is reported, the rest installed;
# flush leaves no tagged object.
#
#   cn (2001:db8:200::100) --vc/vhc-- ha (HA 2001:db8:200::1; home link)
#                                      |--vha/va-- mn (LCoA1 2001:db8:2::10)  link A
#                                      |--vhb/vb-- mn (LCoA2 2001:db8:3::10)  link B
#   home address 2001:db8:200::10 (proxied by the HA on the home link)
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=../lib/kglue.sh
. "$(dirname "$0")/../lib/kglue.sh"

KPROBE=$HMIP_BUILD_DIR/test/kernel/kglue_probe
[ -x "$KPROBE" ] || hk_fail "$KPROBE is not built (ninja -C $HMIP_BUILD_DIR kglue_probe)"
HA=2001:db8:200::1
HOA=2001:db8:200::10
CN=2001:db8:200::100
LCOA1=2001:db8:2::10
LCOA2=2001:db8:3::10
R1=2001:db8:2::1
R2=2001:db8:3::1

hk_ns ha
hk_ns mn
hk_ns cn
hk_veth ha vha "$R1/64" mn va "$LCOA1/64"
hk_veth ha vhb "$R2/64" mn vb "$LCOA2/64"
hk_veth ha vhc "$HA/64" cn vc "$CN/64"
ha=$(hk_ns_name ha)
mn=$(hk_ns_name mn)
cn=$(hk_ns_name cn)
hk_in ha sysctl -qw net.ipv6.conf.all.forwarding=1
ip -n "$cn" -6 route add default via "$HA"
dmesg -w >"$HMIP_KERNEL_OUT/dmesg.txt" 2>&1 &
HK_PIDS+=("$!")

# --- the HA: two bindings of the home address, BID 1 ranked first
kglue_start ha map --proxy-link vhc
kg_save ha
kg map-signalling "$HA"
kg mcoa-bind "$HOA" 1 20 "$HA" "$LCOA1" vhc
kg mcoa-bind "$HOA" 2 10 "$HA" "$LCOA2" vhc

# --- the MN: the home binding from LCoA1 with LCoA2 as BID 2
kglue_start mn mn
kg_save mn
kg mn-signalling
kg home-bind "$HA" "$HOA" away "$LCOA1" plain va "$R1" "coa=2,$LCOA2,vb,$R2"
HTUN=$(echo "$KG_REPLY" | awk '{print $2}')
XTUN=$(echo "$KG_REPLY" | awk '{print $5}' | cut -d: -f2)
[ -n "$XTUN" ] && [ "$(echo "$KG_REPLY" | awk '{print $5}' | cut -d: -f1)" = 2 ] ||
  hk_fail "no extra tunnel for BID 2: $KG_REPLY"
[ "$HTUN" != "$XTUN" ] || hk_fail "one tunnel for both CoAs: $KG_REPLY"
ip -n "$mn" -d link show "$XTUN" | grep -c "remote $HA local $LCOA2" >/dev/null ||
  { ip -n "$mn" -d link show "$XTUN"; hk_fail "extra tunnel endpoints"; }
[ "$(ip -n "$mn" -d link show "$XTUN" | grep -c "link/tunnel6")" = 1 ] || hk_fail "extra tunnel is not an ip6tnl"
# Receive-only: no route, rule or address of ours points into it.
[ -z "$(ip -n "$mn" -6 route show table all dev "$XTUN" proto 204)" ] || hk_fail "a route into the extra tunnel"
ip -n "$mn" -6 addr show dev "$XTUN" | grep -c "$HOA" >/dev/null && hk_fail "the home address on the extra tunnel"

rx() { hk_in mn cat "/sys/class/net/$1/statistics/rx_packets"; }
tx() { hk_in mn cat "/sys/class/net/$1/statistics/tx_packets"; }
# deliver: 3 CN -> HoA echo requests (answered or not); prints
# "rx_primary rx_extra tx_primary tx_extra" accumulated meanwhile.
deliver() {
  local a b c d
  a=$(rx "$HTUN") b=$(rx "$XTUN") c=$(tx "$HTUN") d=$(tx "$XTUN")
  hk_in cn ping -6 -n -c 3 -i 0.2 -W 1 "$HOA" >/dev/null 2>&1 || true
  echo "$(($(rx "$HTUN") - a)) $(($(rx "$XTUN") - b)) $(($(tx "$HTUN") - c)) $(($(tx "$XTUN") - d))"
}
# expect GOT WANT-RX-PRIMARY WANT-RX-EXTRA WHAT: rx counts (>= 3 where 3, 0 where 0),
# every reply through the primary (tx >= 3), none through the extra tunnel.
expect() {
  local got=$1 p x tp tx_
  read -r p x tp tx_ <<<"$got"
  hk_log "$4: rx primary/extra tx primary/extra = $got"
  [ "$2" = 0 ] && { [ "$p" = 0 ] || hk_fail "$4: $p on the primary tunnel, want 0 ($got)"; }
  [ "$2" = 3 ] && { [ "$p" -ge 3 ] || hk_fail "$4: $p on the primary tunnel, want >= 3 ($got)"; }
  [ "$3" = 0 ] && { [ "$x" = 0 ] || hk_fail "$4: $x on the extra tunnel, want 0 ($got)"; }
  [ "$3" = 3 ] && { [ "$x" -ge 3 ] || hk_fail "$4: $x on the extra tunnel, want >= 3 ($got)"; }
  [ "$tp" -ge 3 ] || hk_fail "$4: $tp replies through the primary tunnel, want >= 3 ($got)"
  [ "$tx_" = 0 ] || hk_fail "$4: $tx_ packets left through the receive-only tunnel ($got)"
}

# --- BID 1 top: the downlink through the primary's tunnel
expect "$(deliver)" 3 0 "HA ranks BID 1 (LCoA1) first"
kg_use ha
kg counters
[ "$KG_REPLY" = "ok 0 0" ] || hk_fail "the HA's ingress check dropped the replies: $KG_REPLY"

# --- BID 2 top: the downlink through the extra CoA's tunnel, replies still by the primary
kg mcoa-bind "$HOA" 2 30 "$HA" "$LCOA2" vhc
expect "$(deliver)" 0 3 "HA ranks BID 2 (LCoA2) first"
kg counters
[ "$KG_REPLY" = "ok 0 0" ] || hk_fail "the HA's ingress check dropped replies after the rank swap: $KG_REPLY"

# --- without the extra tunnel the HA's downlink to LCoA2 is lost
kg_use mn
kg home-bind "$HA" "$HOA" away "$LCOA1" plain va "$R1"
PRIMARY=$(echo "$KG_REPLY" | awk '{print $2, $3, $4}')   # tunnel, ifindex, table
ip -n "$mn" link show "$XTUN" >/dev/null 2>&1 && hk_fail "the extra tunnel stayed after its CoA went"
hk_in cn ping -6 -n -c 2 -i 0.2 -W 1 "$HOA" >/dev/null 2>&1 && hk_fail "CN -> HoA works through LCoA2 without its tunnel"
# --- an extra tunnel the kernel refuses (a foreign ip6tnl holds its
# endpoints and link: EEXIST): the install succeeds without it, BID 2 is reported
# failed, the primary's state stays; the foreign device gone, it is made
hk_in mn ip -6 tunnel add xforeign mode ip6ip6 local "$LCOA2" remote "$HA" dev vb
kg home-bind "$HA" "$HOA" away "$LCOA1" plain va "$R1" "coa=2,$LCOA2,vb,$R2"
[ "$(echo "$KG_REPLY" | awk '{print $1, $2, $3, $4, $5, NF}')" = "ok $PRIMARY failed:2 5" ] ||
  hk_fail "want the same primary tunnel (ifindex, table) and BID 2 failed: $KG_REPLY (before: $PRIMARY)"
[ "$(ip -n "$mn" link show | grep -c hmipn)" = 1 ] || hk_fail "failed extra: want the primary tunnel only: $(ip -n "$mn" link show | grep hmipn)"
ip -n "$mn" -6 addr show dev "$HTUN" | grep -q "$HOA" || hk_fail "failed extra: the home address left the primary tunnel"
kg_use ha
kg mcoa-bind "$HOA" 1 50 "$HA" "$LCOA1" vhc
a=$(rx "$HTUN") c=$(tx "$HTUN")
hk_in cn ping -6 -n -c 3 -i 0.2 -W 1 "$HOA" >/dev/null 2>&1 || hk_fail "an extra refused by the kernel: CN -> HoA through the primary failed"
got="$(($(rx "$HTUN") - a)) $(($(tx "$HTUN") - c))"
hk_log "an extra refused by the kernel, BID 1 top: rx/tx primary = $got"
read -r a c <<<"$got"
[ "$a" -ge 3 ] && [ "$c" -ge 3 ] || hk_fail "an extra refused by the kernel: the primary tunnel carried $got"
kg mcoa-bind "$HOA" 1 20 "$HA" "$LCOA1" vhc
kg_use mn
hk_in mn ip -6 tunnel del xforeign
kg home-bind "$HA" "$HOA" away "$LCOA1" plain va "$R1" "coa=2,$LCOA2,vb,$R2"
echo "$KG_REPLY" | grep -q "failed:" && hk_fail "the extra still failed: $KG_REPLY"
XTUN=$(echo "$KG_REPLY" | awk '{print $5}' | cut -d: -f2)
expect "$(deliver)" 0 3 "the extra tunnel back"

# --- the primary swapped with the extra CoA in one install: the uplink
# leaves by link B, the downlink (BID 2 top) arrives there, BID 1's CoA
# gets a receive-only tunnel
kg home-bind "$HA" "$HOA" away "$LCOA2" plain vb "$R2" "coa=1,$LCOA1,va,$R1"
HTUN=$(echo "$KG_REPLY" | awk '{print $2}')
XTUN=$(echo "$KG_REPLY" | awk '{print $5}' | cut -d: -f2)
ip -n "$mn" -d link show "$HTUN" | grep -c "remote $HA local $LCOA2" >/dev/null || hk_fail "swap: primary tunnel endpoints"
ip -n "$mn" -d link show "$XTUN" | grep -c "remote $HA local $LCOA1" >/dev/null || hk_fail "swap: extra tunnel endpoints"
[ "$(ip -n "$mn" link show | grep -c hmipn)" = 2 ] || hk_fail "swap: want two home tunnels: $(ip -n "$mn" link show | grep hmipn)"
vb_tx=$(hk_in mn cat /sys/class/net/vb/statistics/tx_packets)
expect "$(deliver)" 3 0 "after the swap, BID 2 (now primary) first"
[ "$(($(hk_in mn cat /sys/class/net/vb/statistics/tx_packets) - vb_tx))" -ge 3 ] || hk_fail "swap: the uplink did not leave by link B"
kg_use ha
kg mcoa-bind "$HOA" 1 40 "$HA" "$LCOA1" vhc
expect "$(deliver)" 0 3 "after the swap, BID 1 (now extra) first"

# --- flush leaves no tagged object on the MN
kg_use mn
kg flush
leftovers() {
  ip -n "$mn" link show | grep -c hmipn || true
  ip -n "$mn" -6 route show table all proto 204 | wc -l
  ip -n "$mn" -6 rule show | grep -c "proto 204" || true
  ip -n "$mn" xfrm state | wc -l
  ip -n "$mn" xfrm policy | wc -l
}
[ "$(leftovers | tr -d '\n')" = 00000 ] || hk_fail "flush left objects: $(leftovers | tr '\n' ' ')"
for p in mn ha; do
  kg_use "$p"
  echo "quit" >&"$KG_FD"
  wait "$KG_PID" || true
  exec {KG_FD}>&-
done

echo "ok: kglue home MCoA: downlink through either CoA's tunnel (HA's rank), uplink by the primary, no receive without the extra tunnel, primary/extra swap, flush"
