#!/usr/bin/env bash
# kernel-glue's XfrmTable (libnl-xfrm-3 + hmip's libnl 3.7 fixes) against the
# kernel's MIPv6 code, through test/kernel/xfrm_probe (one XfrmTable per
# namespace, driven line by line):
#   1. MAP and MN put the states and SUB policies of shared/notes/
#      kernel-testbed.md; `ip xfrm state/policy` must show every field
#      (care-of address, wildrecv, mode ro, reqid tag, priority tag, ptype
#      sub, template addresses and level).
#   2. BU from the RCoA (mh_probe, no cmsg): leaves with a HAO from the LCoA
#      (MN's hao state), is received from the RCoA (MAP's wildcard state and
#      IN policy, templates with the tag reqid). BA to the RCoA with no cmsg
#      (xfrm_probe send-ba): the MAP's route2 state inserts the RH2, the MN
#      receives it. tcpdump checks the wire.
#   3. The care-of address changes (the state replaced: a new state, so the
#      kernel's cached bundles for the old one go; see xfrm_table.cpp), both messages
#      again, now via the new LCoA.
#   4. flush in both: `ip xfrm state/policy` empty.
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

PROBE=$HMIP_BUILD_DIR/test/kernel/mh_probe
XPROBE=$HMIP_BUILD_DIR/test/kernel/xfrm_probe
[ -x "$PROBE" ] || hk_fail "$PROBE is not built (ninja -C $HMIP_BUILD_DIR mh_probe)"
[ -x "$XPROBE" ] || hk_fail "$XPROBE is not built (ninja -C $HMIP_BUILD_DIR xfrm_probe)"

LCOA=2001:db8:1::10
LCOA2=2001:db8:1::20
MAP=2001:db8:1::1
RCOA=2001:db8:99::5
MAP_LO=$((0x4d490000))  # mapd's tag range: reqid and /128 policy priority
MN_LO=$((0x4d4e0000))
LIFETIME=150

hk_ns mn
hk_ns map
hk_veth mn eth0 "$LCOA/64" map eth0 "$MAP/64"
ip -n "$(hk_ns_name mn)" addr add "$LCOA2/64" dev eth0 nodad
ip -n "$(hk_ns_name mn)" addr add "$RCOA/128" dev lo home nodad
# The MAP's route to the RCoA (mapd's goes into the binding's tunnel): the
# kernel routes the BA to the RCoA first, then the route2 state's bundle
# re-routes it to the care-of address.
ip -n "$(hk_ns_name map)" route add "$RCOA/128" dev eth0

# shellcheck source=45-xfrm-lib.bash
. "$(dirname "$0")/45-xfrm-lib.bash"

echo "-- 1. put: the MAP's and the MN's states and SUB policies"
xp_start map map
xp_start mn mn --prio-lo "$MN_LO" --prio-hi $((MN_LO + 0xffff))
xp map state-put hao :: :: :: wildrecv || hk_fail "MAP wildcard hao state"
xp map policy-put in ::/0 ::/0 hao :: :: || hk_fail "MAP IN policy"
xp map state-put route2 "$MAP" "$RCOA" "$LCOA" || hk_fail "MAP route2 state"
xp map policy-put out "$MAP/128" "$RCOA/128" route2 "$MAP" "$RCOA" || hk_fail "MAP OUT policy"
xp mn state-put route2 :: :: :: wildrecv || hk_fail "MN wildcard route2 state"
xp mn policy-put in ::/0 ::/0 route2 :: :: || hk_fail "MN IN policy"
xp mn state-put hao "$RCOA" "$MAP" "$LCOA" || hk_fail "MN hao state"
xp mn policy-put out "$RCOA/128" "$MAP/128" hao "$RCOA" "$MAP" || hk_fail "MN OUT policy"
xp map counts && [ "$XP_ANS" = "ok states=2 policies=2" ] || hk_fail "MAP counts"

states map | sed 's/^/  map state: /'
policies map | sed 's/^/  map policy: /'
expect_state map "^src :: dst :: " "proto hao " "reqid $MAP_LO " "mode ro" "flag wildrecv" "coa :: "
expect_state map "^src $MAP dst $RCOA " "proto route2 " "reqid $MAP_LO " "mode ro" "coa $LCOA( |$)"
expect_policy map "^src ::/0 dst ::/0 proto (135|mobility-header|ipv6-mh)" "dir in priority $((MAP_LO + 256)) ptype sub" \
  "tmpl src :: dst :: proto hao reqid $MAP_LO mode ro" "level use"
expect_policy map "^src $MAP/128 dst $RCOA/128 proto (135|mobility-header|ipv6-mh)" "dir out priority $MAP_LO ptype sub" \
  "tmpl src $MAP dst $RCOA proto route2 reqid $MAP_LO mode ro"
has "$(policies map)" "dir out" "level use" && hk_fail "MAP OUT policy template is optional"
expect_state mn "^src :: dst :: " "proto route2 " "reqid $MN_LO " "flag wildrecv"
expect_state mn "^src $RCOA dst $MAP " "proto hao " "reqid $MN_LO " "mode ro" "coa $LCOA( |$)"
expect_policy mn "^src ::/0 dst ::/0 " "dir in priority $((MN_LO + 256)) ptype sub" \
  "tmpl src :: dst :: proto route2 reqid $MN_LO mode ro" "level use"
expect_policy mn "^src $RCOA/128 dst $MAP/128 " "dir out priority $MN_LO ptype sub" \
  "tmpl src $RCOA dst $MAP proto hao reqid $MN_LO mode ro"
# Same settings again: no request, no error; a foreign state with a key in use: EEXIST.
xp map state-put route2 "$MAP" "$RCOA" "$LCOA" || hk_fail "idempotent put"
ip -n "$(hk_ns_name mn)" xfrm state add src 2001:db8:77::1 dst 2001:db8:77::2 proto route2 mode ro coa 2001:db8:77::3
xp mn state-put route2 2001:db8:77::1 2001:db8:77::2 "$LCOA" && hk_fail "a foreign state was overwritten"
grep -q "File exists" <<<"$XP_ANS" || hk_fail "the error does not say EEXIST: $XP_ANS"

# ba_exchange SEQ LCOA: BA MAP -> RCoA with no cmsg; the MN must see the RH2 with LCOA.
ba_exchange() {
  local seq=$1 coa=$2 ready="$HMIP_KERNEL_OUT/ba.ready" log="$HMIP_KERNEL_OUT/recv-ba-$1.txt" rc=0 rx
  rm -f "$ready"
  hk_bg mn "$log" "$PROBE" recv-ba --expect-src "$MAP" --expect-dst "$RCOA" --expect-rh2 "$coa" \
    --seq "$seq" --lifetime "$LIFETIME" --status 0 --timeout 30 --ready "$ready"
  rx=$HK_BG_PID
  hk_wait_file "$ready" 30 || hk_fail "recv-ba did not start"
  hk_in map "$XPROBE" send-ba --src "$MAP" --dst "$RCOA" --seq "$seq" --lifetime "$LIFETIME" | sed 's/^/  send: /'
  wait "$rx" || rc=$?
  sed 's/^/  recv: /' "$log"
  return "$rc"
}

PCAP=$HMIP_KERNEL_OUT/mh.pcap
hk_capture_start map eth0 "$PCAP" "ip6[6] == 60 or ip6[6] == 43"

echo "-- 2. BU with the kernel's HAO, BA with the kernel's RH2"
hk_mh_exchange map mn bu --expect-src "$RCOA" --expect-dst "$MAP" --expect-hao "$LCOA" \
  --seq 100 --lifetime "$LIFETIME" --flags AM -- \
  --src "$RCOA" --dst "$MAP" --seq 100 --lifetime "$LIFETIME" --flags AM ||
  hk_fail "the MAP did not receive the BU (xfrm_stat: $(hk_in map awk '$2 != 0' /proc/net/xfrm_stat | tr '\n' ' '))"
ba_exchange 100 "$LCOA" ||
  hk_fail "the MN did not receive the BA (xfrm_stat: $(hk_in mn awk '$2 != 0' /proc/net/xfrm_stat | tr '\n' ' '))"

echo "-- 3. care-of address change: the state is replaced"
add_time() { ip -n "$(hk_ns_name "$1")" -s xfrm state list | records | grep -E "^src $2 dst $3 " | grep -oE 'add [0-9-]+ [0-9:]+' || true; }
before=$(add_time map "$MAP" "$RCOA")
sleep 1.1
xp map state-put route2 "$MAP" "$RCOA" "$LCOA2" || hk_fail "MAP route2 update"
xp mn state-put hao "$RCOA" "$MAP" "$LCOA2" || hk_fail "MN hao update"
expect_state map "^src $MAP dst $RCOA " "proto route2 " "coa $LCOA2( |$)"
expect_state mn "^src $RCOA dst $MAP " "proto hao " "coa $LCOA2( |$)"
[ "$(states map | grep -c "^src $MAP dst $RCOA ")" = 1 ] || hk_fail "the MAP has more than one route2 state for the RCoA"
after=$(add_time map "$MAP" "$RCOA")
echo "  route2 state added: before '$before', after '$after'"
[ -n "$before" ] && [ -n "$after" ] && [ "$before" != "$after" ] ||
  hk_fail "the route2 state was updated in place, not replaced (cached bundles would keep the old route)"
hk_mh_exchange map mn bu --expect-src "$RCOA" --expect-dst "$MAP" --expect-hao "$LCOA2" \
  --seq 101 --lifetime "$LIFETIME" --flags AM -- \
  --src "$RCOA" --dst "$MAP" --seq 101 --lifetime "$LIFETIME" --flags AM ||
  hk_fail "the MAP did not receive the BU via the new LCoA"
ba_exchange 101 "$LCOA2" || hk_fail "the MN did not receive the BA via the new LCoA"
hk_capture_stop 4
hk_mh_wire "$PCAP"
for c in "$LCOA:100" "$LCOA2:101"; do
  coa=${c%:*} seq=${c##*:}
  grep -q "$coa > $MAP: DSTOPT .*(homeaddr: $RCOA) mobility: BU seq#=$seq" "$PCAP.txt" ||
    hk_fail "no BU seq $seq from $coa with a HAO carrying the RCoA on the wire"
  grep -q "$MAP > $coa: RT6 (len=2, type=2, segleft=1, .*\[0\]$RCOA) mobility: BA status=0 seq#=$seq" "$PCAP.txt" ||
    hk_fail "no BA seq $seq to $coa with an RH2 carrying the RCoA on the wire"
done

echo "-- 4. flush leaves nothing"
xp mn flush || hk_fail "MN flush"
xp map flush || hk_fail "MAP flush"
left=$(states mn | grep -v "^src 2001:db8:77::1 " || true)
[ -z "$left" ] && [ -z "$(states map)" ] || hk_fail "states left after flush: $left $(states map)"
[ -z "$(policies mn)" ] && [ -z "$(policies map)" ] || hk_fail "policies left after flush"
echo "ok: BU with the kernel's HAO and BA with the kernel's RH2 through XfrmTable's states, before and after a coa update"
