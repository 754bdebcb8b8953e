#!/usr/bin/env bash
# RFC 5380 §12 / RFC 4877 on the real kernel with real charon daemons: the
# MN's IKEv2 SA runs from its LCoA to the MAP; a transport-mode CHILD_SA
# (strongSwan's transport_proxy: the SA's endpoints are the single-host
# traffic selectors RCoA and MAP, not the IKE addresses) protects Mobility
# Header traffic between the RCoA and the MAP. Both sides configure the
# child with static single-host selectors (a prefix or `dynamic` makes
# charon fall back to the IKE addresses: measured, see 61-ike-rcoa-pool), so
# the MAP has one child per RCoA (mapd loads them). MIPv6's route-optimisation
# states and SUB policies (hmip's: HAO on the MN, RH2 on the MAP) combine
# with the IPsec policies, so that:
#   1. IKE with certificates from one CA: IKE SA LCoA <-> MAP, ESP SAs
#      RCoA <-> MAP in transport mode.
#   2. BU from the RCoA: on the wire from the LCoA with a HAO and ESP, never
#      cleartext MH; the MAP's socket gets it from the RCoA.
#   3. BA to the RCoA: on the wire to the LCoA with an RH2 and ESP; the MN's
#      socket gets it.
#   4. A cleartext BU for the RCoA from another host (user-built HAO) is
#      dropped by the kernel's IN policy and counted (XfrmInTmplMismatch).
#   5. An MN whose certificate comes from another CA is refused.
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=../lib/ike.sh
. "$(dirname "$0")/../lib/ike.sh"

PROBE=$HMIP_BUILD_DIR/test/kernel/mh_probe
XPROBE=$HMIP_BUILD_DIR/test/kernel/xfrm_probe
[ -x "$PROBE" ] || hk_fail "$PROBE is not built (ninja -C $HMIP_BUILD_DIR mh_probe)"
[ -x "$XPROBE" ] || hk_fail "$XPROBE is not built (ninja -C $HMIP_BUILD_DIR xfrm_probe)"
command -v swanctl >/dev/null && [ -x "$IKE_CHARON_BIN" ] ||
  hk_fail "strongSwan is not installed (scripts/install-deps.sh)"

LCOA=2001:db8:1::10
MAP=2001:db8:1::1
EVIL=2001:db8:2::10
EVIL_GW=2001:db8:2::1
RCOA=2001:db8:99::5
SEQ=100
LIFETIME=150

hk_ns mn
hk_ns map
hk_ns evil
hk_veth mn eth0 "$LCOA/64" map eth0 "$MAP/64"
hk_veth evil eth0 "$EVIL/64" map eth1 "$EVIL_GW/64"
mn=$(hk_ns_name mn)
map=$(hk_ns_name map)
evil=$(hk_ns_name evil)
ip -n "$evil" route add default via "$EVIL_GW"
ip -n "$map" route add "$RCOA/128" dev eth0
ip -n "$mn" addr add "$RCOA/128" dev lo home nodad

echo "-- certificates (pki)"
ike_pki "$HMIP_KERNEL_OUT/pki" map mn other-ca:evil

echo "-- charon on the MAP and the MN"
ike_charon map "connections {
  hmip-map {
    local_addrs = $MAP
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
      mh {
        mode = transport_proxy
        local_ts = $MAP/128[mobility-header]
        remote_ts = $RCOA/128[mobility-header]
        esp_proposals = aes128gcm16-x25519, aes128-sha256-x25519
      }
    }
    proposals = aes128-sha256-x25519
  }
}"
ike_charon mn "$(ike_mn_conf mn "$LCOA" "$MAP" - "$RCOA/128[mobility-header]")"
ike_swanctl mn --initiate --child mh --timeout 30 >"$HMIP_KERNEL_OUT/initiate-mn.txt" 2>&1 ||
  { cat "$HMIP_KERNEL_OUT/initiate-mn.txt"; hk_fail "the MN's IKE_SA/CHILD_SA did not come up"; }
ike_swanctl mn --list-sas | sed 's/^/  mn sas: /'
ip -n "$mn" xfrm state | sed 's/^/  mn state: /'
ip -n "$mn" xfrm policy | sed 's/^/  mn policy: /'
ip -n "$map" xfrm policy | sed 's/^/  map policy: /'
for ns in "$mn" "$map"; do
  st=$(ip -n "$ns" xfrm state | tr -s ' \n\t' ' ' | sed 's/ src /\nsrc /g')
  grep -q "^src $RCOA dst $MAP proto esp .* mode transport" <<<"$st" || hk_fail "no ESP transport SA RCoA -> MAP in $ns"
  grep -q "^src $MAP dst $RCOA proto esp .* mode transport" <<<"$st" || hk_fail "no ESP transport SA MAP -> RCoA in $ns"
done

echo "-- hmip's route-optimisation states and SUB policies"
hk_mip6_mn mn "$RCOA" "$MAP" "$LCOA"
hk_mip6_map map "$MAP" "$RCOA" "$LCOA"

PCAP=$HMIP_KERNEL_OUT/esp.pcap
hk_capture_start map eth0 "$PCAP" ip6

echo "-- 2. Binding Update MN -> MAP: HAO + ESP"
hk_mh_exchange map mn bu --expect-src "$RCOA" --expect-dst "$MAP" --expect-hao "$LCOA" \
  --seq "$SEQ" --lifetime "$LIFETIME" --flags AM -- \
  --src "$RCOA" --dst "$MAP" --seq "$SEQ" --lifetime "$LIFETIME" --flags AM ||
  hk_fail "the MAP did not receive the protected BU (xfrm_stat: $(hk_in map awk '$2 != 0' /proc/net/xfrm_stat | tr '\n' ' '))"

echo "-- 3. Binding Acknowledgement MAP -> MN: RH2 (the MAP's route2 state) + ESP"
rm -f "$HMIP_KERNEL_OUT/ba.ready"
hk_bg mn "$HMIP_KERNEL_OUT/recv-ba.txt" "$PROBE" recv-ba --expect-src "$MAP" --expect-dst "$RCOA" \
  --expect-rh2 "$LCOA" --seq "$SEQ" --lifetime "$LIFETIME" --status 0 --timeout 30 --ready "$HMIP_KERNEL_OUT/ba.ready"
rx=$HK_BG_PID
hk_wait_file "$HMIP_KERNEL_OUT/ba.ready" 30 || hk_fail "recv-ba did not start"
hk_in map "$XPROBE" send-ba --src "$MAP" --dst "$RCOA" --seq "$SEQ" --lifetime "$LIFETIME" | sed 's/^/  send: /'
rc=0
wait "$rx" || rc=$?
sed 's/^/  recv: /' "$HMIP_KERNEL_OUT/recv-ba.txt"
[ "$rc" -eq 0 ] ||
  hk_fail "the MN did not receive the protected BA (xfrm_stat: $(hk_in mn awk '$2 != 0' /proc/net/xfrm_stat | tr '\n' ' '))"
hk_capture_stop 2

tcpdump -v -n -r "$PCAP" 2>/dev/null | tr -s ' \n' ' ' | sed 's/ IP6 /\nIP6 /g' >"$PCAP.txt" || true
grep -E 'mobility|ESP' "$PCAP.txt" | sed 's/^/  wire: /'
grep -q "$LCOA > $MAP: DSTOPT .*(homeaddr: $RCOA) ESP" "$PCAP.txt" ||
  hk_fail "no BU from the LCoA with a HAO and ESP on the wire"
grep -q "$MAP > $LCOA: RT6 (len=2, type=2, segleft=1, .*\[0\]$RCOA) ESP" "$PCAP.txt" ||
  hk_fail "no BA to the LCoA with an RH2 and ESP on the wire"
grep -q mobility "$PCAP.txt" && hk_fail "cleartext Mobility Header on the MN-MAP link"

echo "-- 4. a forged cleartext BU for the RCoA from another host"
tmpl_before=$(hk_in map awk '$1 == "XfrmInTmplMismatch" {print $2}' /proc/net/xfrm_stat)
if hk_mh_exchange map evil bu --expect-src "$RCOA" --expect-dst "$MAP" --expect-hao "$EVIL" \
  --seq $((SEQ + 1)) --lifetime "$LIFETIME" --flags AM --timeout 4 -- \
  --src "$RCOA" --dst "$MAP" --hao "$EVIL" --seq $((SEQ + 1)) --lifetime "$LIFETIME" --flags AM; then
  hk_fail "the MAP's socket received a cleartext BU for a protected RCoA"
fi
tmpl_after=$(hk_in map awk '$1 == "XfrmInTmplMismatch" {print $2}' /proc/net/xfrm_stat)
[ "$tmpl_after" -gt "$tmpl_before" ] ||
  hk_fail "the cleartext BU was not dropped by the IN policy (XfrmInTmplMismatch $tmpl_before -> $tmpl_after)"
hk_log "dropped by the kernel: XfrmInTmplMismatch $tmpl_before -> $tmpl_after"

echo "-- 5. a certificate from another CA is refused"
ike_charon evil "$(ike_mn_conf evil "$EVIL" "$MAP" - "$RCOA/128[mobility-header]")"
if ike_swanctl evil --initiate --child mh --timeout 20 >"$HMIP_KERNEL_OUT/initiate-evil.txt" 2>&1; then
  cat "$HMIP_KERNEL_OUT/initiate-evil.txt"
  hk_fail "an MN with a certificate from an untrusted CA got a CHILD_SA"
fi
grep -q "constraint check failed\|no trusted .* public key found\|no issuer certificate found" \
  "$HMIP_KERNEL_OUT/charon-map.log" || hk_fail "the MAP's log does not say why it refused the untrusted certificate"
ike_swanctl map --list-sas | grep -q evil && hk_fail "the MAP holds an SA for the untrusted MN"
echo "ok: IKEv2 with certificates; BU/BA protected by ESP with HAO/RH2; cleartext BU dropped; untrusted CA refused"
