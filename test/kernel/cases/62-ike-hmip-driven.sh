#!/usr/bin/env bash
# The IKEv2 flow of case 61, driven by hmip's own code (test/kernel/ike_probe:
# io::ViciClient and lib/ike's builders, views and RcoaHolders) instead of
# swanctl, against two real charons with empty swanctl.conf files:
#   1. the MAP loads its key, RCoA pool and generic connection (no child);
#   2. the MN loads its key and a childless connection asking for an
#      address, and gets its RCoA from the pool;
#   3. the MAP loads the connection of that identity for that RCoA (what
#      mapd does on ike-updown); the MN loads its child for the RCoA and
#      sets up a fresh IKE SA: a TRANSPORT_PROXY child, and ESP SAs between
#      the RCoA and the MAP in both kernels;
#   4. RcoaHolders on the MAP's list-sas: held from the LCoA, care-of
#      mismatch from another address, no IKE SA for another RCoA.
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=../lib/ike.sh
. "$(dirname "$0")/../lib/ike.sh"

IPROBE=$HMIP_BUILD_DIR/test/kernel/ike_probe
[ -x "$IPROBE" ] || hk_fail "$IPROBE is not built (ninja -C $HMIP_BUILD_DIR ike_probe)"
command -v swanctl >/dev/null && [ -x "$IKE_CHARON_BIN" ] ||
  hk_fail "strongSwan is not installed (scripts/install-deps.sh)"

MAP=2001:db8:1::1
LCOA=2001:db8:1::10
POOL=2001:db8:99::100-2001:db8:99::1ff

hk_ns mn
hk_ns map
hk_veth mn eth0 "$LCOA/64" map eth0 "$MAP/64"
mn=$(hk_ns_name mn)
map=$(hk_ns_name map)
ike_pki "$HMIP_KERNEL_OUT/pki" map mn
P=$IKE_PKI
ike_charon map "connections {
}"
ike_charon mn "connections {
}"
map_args=(--vici "unix://$(ike_vici map)" --map "$MAP" --id map --cert "$P/map.pem" --ca "$P/ca.pem" --pool "$POOL")
mn_args=(--vici "unix://$(ike_vici mn)" --map "$MAP" --map-id map --id mn --cert "$P/mn.pem" --ca "$P/ca.pem"
  --lcoa "$LCOA")

echo "-- 1. the MAP's pool and generic connection"
"$IPROBE" map-setup "${map_args[@]}" --key "$P/map.key" || hk_fail "map-setup"

echo "-- 2. the MN leases its RCoA on a childless IKE SA"
out=$(hk_in mn "$IPROBE" mn-lease "${mn_args[@]}" --key "$P/mn.key") || hk_fail "mn-lease: $out"
RCOA=${out#rcoa }
hk_log "leased: $RCOA"
[[ $RCOA == 2001:db8:99::1* ]] || hk_fail "the lease $RCOA is not from the pool"
grep -q esp <<<"$(ip -n "$mn" xfrm state)" && hk_fail "a childless IKE SA installed ESP SAs"

echo "-- 3. the MAP admits the identity for its RCoA; the MN protects MH from it"
"$IPROBE" map-admit "${map_args[@]}" --peer mn --rcoa "$RCOA" || hk_fail "map-admit"
out=$(hk_in mn "$IPROBE" mn-protect "${mn_args[@]}" --rcoa "$RCOA") || hk_fail "mn-protect: $out"
hk_log "$out"
[[ $out == "child INSTALLED TRANSPORT_PROXY reqid "*" vip $RCOA" ]] || hk_fail "unexpected child: $out"
for ns in "$mn" "$map"; do
  st=$(ip -n "$ns" xfrm state | tr -s ' \n\t' ' ' | sed 's/ src /\nsrc /g')
  grep -q "^src $RCOA dst $MAP proto esp .* mode transport" <<<"$st" || hk_fail "no ESP SA RCoA -> MAP in $ns"
  grep -q "^src $MAP dst $RCOA proto esp .* mode transport" <<<"$st" || hk_fail "no ESP SA MAP -> RCoA in $ns"
done

echo "-- 4. the MAP's view: who holds the RCoA"
v=$("$IPROBE" map-check --vici "unix://$(ike_vici map)" --rcoa "$RCOA" --coa "$LCOA")
hk_log "RCoA from the LCoA: $v"
[[ $v == "protected by the holder's CHILD_SA holder=mn "* ]] ||
  hk_fail "the MAP does not see mn's CHILD_SA protecting its RCoA from its LCoA: $v"
v=$("$IPROBE" map-check --vici "unix://$(ike_vici map)" --rcoa "$RCOA" --coa 2001:db8:1::99)
[[ $v == "protected, the holder's IKE SA from another care-of address holder=mn "* ]] ||
  hk_fail "a BU from another care-of address looked backed: $v"
v=$("$IPROBE" map-check --vici "unix://$(ike_vici map)" --rcoa 2001:db8:99::1ff --coa "$LCOA")
[[ $v == "no IKE SA holds the RCoA holder=- "* ]] || hk_fail "an unleased RCoA looked held: $v"
echo "ok: hmip's VICI client and lib/ike drive lease, admission and protection; RcoaHolders reads charon's SAs"
