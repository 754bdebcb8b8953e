#!/usr/bin/env bash
# kernel-glue's XfrmTable (libnl-xfrm-3 + hmip's libnl 3.7 fixes) against the
# kernel's MIPv6 code, through test/kernel/xfrm_probe (one XfrmTable per
# namespace, driven line by line):
#   1. MAP and MN put the states and SUB policies of shared/notes/
#      kernel-testbed.md; `ip xfrm state/policy` must show every field
#      (care-of address, wildrecv, mode ro, reqid tag, priority tag, ptype
#      sub, template addresses and level).
#   4. delete_state/delete_policy, flush: nothing of the MN's left; a state
#      of someone else is refused (EEXIST) and left alone.
#   5. kill -9 of the MAP's probe, a new one: remove_leftovers() removes the
#      four tagged objects and nothing else.
#   6. A benchmark (printed, not asserted): put/update/delete costs.
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

echo "-- 4. delete, flush"
xp mn state-del hao "$RCOA" "$MAP" || hk_fail "MN hao state delete"
xp mn policy-del out "$RCOA/128" "$MAP/128" || hk_fail "MN OUT policy delete"
has "$(states mn)" "^src $RCOA dst $MAP " && hk_fail "the MN's hao state is still there"
has "$(policies mn)" "^src $RCOA/128 dst $MAP/128 " && hk_fail "the MN's OUT policy is still there"
xp mn state-del hao "$RCOA" "$MAP" || hk_fail "deleting an unknown state is not a no-op"
xp mn flush || hk_fail "MN flush"
xp mn counts && [ "$XP_ANS" = "ok states=0 policies=0" ] || hk_fail "MN counts after flush"
left=$(states mn | grep -v "^src 2001:db8:77::1 " || true)
[ -z "$left" ] || hk_fail "states left after flush: $left"
[ -z "$(policies mn)" ] || hk_fail "policies left after flush: $(policies mn)"
has "$(states mn)" "^src 2001:db8:77::1 dst 2001:db8:77::2 " || hk_fail "flush removed a foreign state"

echo "-- 5. kill -9, then remove_leftovers"
ip -n "$(hk_ns_name map)" xfrm state add src 2001:db8:77::1 dst 2001:db8:77::2 proto route2 mode ro coa 2001:db8:77::3
ip -n "$(hk_ns_name map)" xfrm policy add src 2001:db8:77::1/128 dst 2001:db8:77::2/128 proto 135 dir out ptype sub \
  priority 100 tmpl src 2001:db8:77::1 dst 2001:db8:77::2 proto route2 mode ro
kill -9 "$XP_PID_map"
wait "$XP_PID_map" 2>/dev/null || true
[ "$(states map | wc -l)" = 3 ] || hk_fail "expected the killed probe's 2 states (+1 foreign) in the kernel"
xp_start map2 map
xp map2 leftovers || hk_fail "remove_leftovers"
[[ $XP_ANS == "ok removed=4 "* ]] || hk_fail "remove_leftovers did not remove exactly 4 objects"
[ "$(states map)" = "$(states map | grep "^src 2001:db8:77::1 ")" ] || hk_fail "leftover states: $(states map)"
[ "$(policies map)" = "$(policies map | grep "^src 2001:db8:77::1/128 ")" ] || hk_fail "leftover policies: $(policies map)"
[ "$(states map | wc -l)" = 1 ] && [ "$(policies map | wc -l)" = 1 ] || hk_fail "a foreign object was removed"
xp map2 leftovers && [ "$XP_ANS" = "ok removed=0" ] || hk_fail "a second remove_leftovers found more"

echo "-- 6. benchmark (printed only)"
xp map2 bench 200 || hk_fail "bench"
[ "$(states map | wc -l)" = 1 ] || hk_fail "bench left states behind"
xp map2 quit || true
echo "ok: XfrmTable states/policies read back, delete, flush, EEXIST, leftovers after kill -9"
