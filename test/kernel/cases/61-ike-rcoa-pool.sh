#!/usr/bin/env bash
# RCoA allocation through the IKEv2 configuration payload (RFC 5380 §6.1,
# RFC 4877 §9) and RCoA ownership, with real charon daemons, in the two
# steps hmip uses (charon's transport_proxy takes the SA endpoints from
# static single-host selectors only: with `dynamic` it keeps the IKE
# addresses, which step 1 shows):
#   1. mn asks for an address (vips = ::) on a childless IKE SA (RFC 6023)
#      to the MAP's generic connection, which holds the pool and no child;
#      the lease is the MN's RCoA; charon does not install it
#      (install_virtual_ip = no). A `dynamic` transport_proxy child (tried
#      first) gets SAs between the IKE addresses, not the lease.
#   2. The MAP loads a connection for that identity with a child for its
#      RCoA/128 (what mapd does on the ike-updown event); the MN loads its
#      child for the RCoA and sets up a fresh IKE SA: the pool gives the same
#      identity the same lease, the identity's own connection matches, and
#      the ESP SAs run between the RCoA and the MAP. A BU from the RCoA
#      reaches the MAP through HAO + ESP.
#   3. mn2, another identity with a valid certificate, asks for mn's RCoA
#      and a child for it: the pool leases it another address and the
#      CHILD_SA is refused with TS_UNACCEPTABLE (its IKE SA matches only the
#      generic connection, which has no child); the MAP holds no SA of mn2
#      for mn's RCoA.
#   4. get-pools lists the lease with its identity, online.
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=../lib/ike.sh
. "$(dirname "$0")/../lib/ike.sh"

PROBE=$HMIP_BUILD_DIR/test/kernel/mh_probe
[ -x "$PROBE" ] || hk_fail "$PROBE is not built (ninja -C $HMIP_BUILD_DIR mh_probe)"
command -v swanctl >/dev/null && [ -x "$IKE_CHARON_BIN" ] ||
  hk_fail "strongSwan is not installed (scripts/install-deps.sh)"

MAP=2001:db8:1::1
LCOA1=2001:db8:1::10
MAP2=2001:db8:2::1
LCOA2=2001:db8:2::10
POOL_LO=2001:db8:99::100
POOL_HI=2001:db8:99::1ff

hk_ns mn
hk_ns mn2
hk_ns map
hk_veth mn eth0 "$LCOA1/64" map eth0 "$MAP/64"
hk_veth mn2 eth0 "$LCOA2/64" map eth1 "$MAP2/64"
ip -n "$(hk_ns_name mn2)" route add default via "$MAP2"
mn=$(hk_ns_name mn)
map=$(hk_ns_name map)

ike_pki "$HMIP_KERNEL_OUT/pki" map mn mn2

# The MAP's generic connection: authentication and the pool, no child. With
# $1 set, also mn's own connection with a child for RCoA $1.
map_conf() {
  echo "connections {
  hmip-map {
    local_addrs = $MAP
    pools = rcoa
    local {
      auth = pubkey
      certs = map.pem
      id = map
    }
    remote {
      auth = pubkey
      cacerts = ca.pem
    }
    children {
      dyn {
        mode = transport_proxy
        local_ts = $MAP/128[mobility-header]
        remote_ts = dynamic[mobility-header]
        esp_proposals = aes128gcm16-x25519
      }
    }
    proposals = aes128-sha256-x25519
  }"
  [ -z "${1:-}" ] || echo "  hmip-mn-mn {
    local_addrs = $MAP
    pools = rcoa
    local {
      auth = pubkey
      certs = map.pem
      id = map
    }
    remote {
      auth = pubkey
      cacerts = ca.pem
      id = mn
    }
    children {
      mh {
        mode = transport_proxy
        local_ts = $MAP/128[mobility-header]
        remote_ts = $1/128[mobility-header]
        esp_proposals = aes128gcm16-x25519
      }
    }
    proposals = aes128-sha256-x25519
  }"
  echo "}
pools {
  rcoa {
    addrs = $POOL_LO-$POOL_HI
  }
}"
}
sa_lines() { ip -n "$1" xfrm state | tr -s ' \n\t' ' ' | sed 's/ src /\nsrc /g'; }

ike_charon map "$(map_conf)"
ike_charon mn "$(ike_mn_conf mn "$LCOA1" "$MAP" :: 'dynamic[mobility-header]')"

echo "-- 1. mn leases an RCoA; a dynamic transport_proxy child keeps the IKE addresses"
ike_swanctl mn --initiate --child mh --timeout 30 >"$HMIP_KERNEL_OUT/initiate-mn.txt" 2>&1 ||
  { cat "$HMIP_KERNEL_OUT/initiate-mn.txt"; hk_fail "mn's IKE_SA did not come up"; }
RCOA=$(ike_swanctl mn --list-sas --raw | grep -o 'local-vips=\[[0-9a-f:]*' | head -n1 | sed 's/.*\[//')
[ -n "$RCOA" ] || hk_fail "mn was given no virtual IP"
hk_log "mn's RCoA from the pool: $RCOA"
ip -n "$mn" -6 addr show | grep -q "$RCOA" && hk_fail "charon installed the RCoA itself (install_virtual_ip = no)"
sa_lines "$mn" | sed 's/^/  mn state: /'
sa_lines "$mn" | grep -A1 "^src $LCOA1 dst $MAP proto esp .* mode transport" | grep -q "^src $RCOA/128 dst $MAP/128" ||
  hk_fail "charon's dynamic transport_proxy child changed: SA endpoints are no longer the IKE addresses"
ike_swanctl mn --terminate --ike hmip-mn --timeout 20 >/dev/null

echo "-- 2. per-identity child for the RCoA on both sides: SAs RCoA <-> MAP"
printf '%s\n' "$(map_conf "$RCOA")" >"$(ike_dir map)/swanctl/swanctl.conf"
ike_swanctl map --load-conns | sed 's/^/  map: /'
printf '%s\n' "$(ike_mn_conf mn "$LCOA1" "$MAP" "$RCOA" "$RCOA/128[mobility-header]")" >"$(ike_dir mn)/swanctl/swanctl.conf"
ike_swanctl mn --load-conns | sed 's/^/  mn: /'
ike_swanctl mn --initiate --child mh --timeout 30 >"$HMIP_KERNEL_OUT/initiate-mn-2.txt" 2>&1 ||
  { cat "$HMIP_KERNEL_OUT/initiate-mn-2.txt"; hk_fail "mn's CHILD_SA for its RCoA did not come up"; }
ike_swanctl mn --list-sas | sed 's/^/  mn sas: /'
again=$(ike_swanctl mn --list-sas --raw | grep -o 'local-vips=\[[0-9a-f:]*' | head -n1 | sed 's/.*\[//')
[ "$again" = "$RCOA" ] || hk_fail "the pool leased mn $again on the new IKE SA, not its RCoA $RCOA"
ike_swanctl map --list-sas --raw | grep -q 'hmip-mn-mn {' ||
  hk_fail "the MAP did not pick mn's own connection for its new IKE SA"
for ns in "$mn" "$map"; do
  sa_lines "$ns" | grep -q "^src $RCOA dst $MAP proto esp .* mode transport" || hk_fail "no ESP SA RCoA -> MAP in $ns"
  sa_lines "$ns" | grep -q "^src $MAP dst $RCOA proto esp .* mode transport" || hk_fail "no ESP SA MAP -> RCoA in $ns"
done
ip -n "$mn" addr add "$RCOA/128" dev lo home nodad
ip -n "$map" route add "$RCOA/128" dev eth0
hk_mip6_mn mn "$RCOA" "$MAP" "$LCOA1"
hk_mip6_map map
hk_mh_exchange map mn bu --expect-src "$RCOA" --expect-dst "$MAP" --expect-hao "$LCOA1" \
  --seq 1 --lifetime 100 --flags AM -- --src "$RCOA" --dst "$MAP" --seq 1 --lifetime 100 --flags AM ||
  hk_fail "the MAP did not receive the BU from the leased RCoA (xfrm_stat: $(hk_in map awk '$2 != 0' /proc/net/xfrm_stat | tr '\n' ' '))"

echo "-- 3. mn2 asks for mn's RCoA"
ike_charon mn2 "$(ike_mn_conf mn2 "$LCOA2" "$MAP" "$RCOA" "$RCOA/128[mobility-header]")"
if ike_swanctl mn2 --initiate --child mh --timeout 30 >"$HMIP_KERNEL_OUT/initiate-mn2.txt" 2>&1; then
  cat "$HMIP_KERNEL_OUT/initiate-mn2.txt"
  hk_fail "mn2 got a CHILD_SA for mn's RCoA"
fi
ike_swanctl mn2 --list-sas | sed 's/^/  mn2 sas: /'
RCOA2=$(ike_swanctl mn2 --list-sas --raw | grep -o 'local-vips=\[[0-9a-f:]*' | head -n1 | sed 's/.*\[//' || true)
hk_log "mn2 was leased: ${RCOA2:-nothing}"
[ "$RCOA2" != "$RCOA" ] || hk_fail "the pool leased mn's RCoA to mn2"
grep -q "TS_UNACCEPTABLE" "$HMIP_KERNEL_OUT/charon-mn2.log" ||
  hk_fail "mn2 was not told TS_UNACCEPTABLE (see charon-mn2.log)"
n=$(sa_lines "$map" | grep -c "^src $RCOA dst $MAP proto esp" || true)
[ "$n" -eq 1 ] || hk_fail "the MAP holds $n inbound ESP SAs for mn's RCoA (expected mn's only)"

echo "-- 4. the leases and who holds them"
ike_swanctl map --list-pools --leases | sed 's/^/  map pools: /'
ike_swanctl map --list-pools --leases | grep -Eq "$RCOA +online +'mn'" ||
  hk_fail "get-pools does not show mn's identity on its RCoA"
echo "ok: RCoA leased through IKEv2 CP; per-identity transport_proxy child on the lease; another identity cannot take it"
