// The strongSwan (charon) configuration hmip loads over VICI to protect
// MN-MAP signalling (RFC 5380 §12, RFC 4877): pure builders of `load-conn`
// and `load-pool` requests. No I/O; the daemons send them with
// io::ViciClient.
//
// The model, proven against the real kernel and charon in test/kernel cases
// 60 and 61:
//   * The IKE SA runs between the MN's LCoA and the MAP. MOBIKE is off: it
//     would pick its new source by route lookup, and the kernel prefers a
//     home address (RFC 6724 rule 4), i.e. the RCoA, inside the binding the
//     SA protects. mnd re-establishes the IKE SA from a new LCoA instead,
//     make-before-break; the ESP SAs (RCoA <-> MAP) do not depend on the
//     LCoA, so the BU after a move is protected at once. BUs carry K = 0
//     (RFC 6275 §11.7.1: the IKE SA does not move with the MN).
//   * Binding updates and acknowledgements are protected by a CHILD_SA in
//     charon's `transport_proxy` mode: ESP transport SAs between the RCoA and
//     the MAP, MH only (`[mobility-header]` selectors). charon takes those
//     SA endpoints only from STATIC single-host selectors (with `dynamic` or
//     a prefix it keeps the IKE addresses, which the kernel cannot use for
//     packets sourced from the RCoA), so every CHILD_SA names its RCoA/128.
//   * The MAP therefore has one generic connection (authentication, the
//     RCoA pool, no child: the MN's first IKE SA is childless, RFC 6023) and,
//     per mobile node, a connection for that identity with a child for its
//     RCoA, loaded once the RCoA is known (a lease from the pool, or the
//     RCoA the MN asked for). charon picks the identity's own connection for
//     the MN's next IKE SA; another identity's IKE SA matches only the
//     generic connection, which has no child, so its CHILD_SA for that RCoA
//     is refused with TS_UNACCEPTABLE. That is how an RCoA in use is refused
//     to another identity (IKEv2 has no INVALID-ID-INFORMATION for it).
//   * IPsec policies are MAIN and charon's (policies = yes: one owner);
//     hmip's MIPv6 route-optimisation states and policies are SUB and
//     hmip's (kglue); the two types combine in the kernel.
//   * charon installs no virtual IP and no route (install_virtual_ip = no,
//     install_routes = no in strongswan.conf): mnd adds the RCoA with the
//     home flag itself.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hmip/vici/message.h"
#include "hmip/wire/addr.h"

namespace hmip::ike {

/// Name of the MAP's generic connection (and the pool's).
inline constexpr std::string_view kMapConn = "hmip-map";
inline constexpr std::string_view kRcoaPool = "hmip-rcoa";
/// Prefix of every connection hmip loads (a MAP's and an MN's).
inline constexpr std::string_view kConnPrefix = "hmip-";
/// Name of the protecting child on both sides.
inline constexpr std::string_view kMhChild = "mh";

/// An inclusive address range for the RCoA pool.
struct PoolRange {
  Ip6Addr first;
  Ip6Addr last;
};

/// Algorithms (strongSwan proposal syntax); the defaults need charon's
/// openssl plugin (libstrongswan-standard-plugins).
struct Proposals {
  std::vector<std::string> ike{"aes128gcm16-prfsha256-x25519", "aes128-sha256-x25519"};
  std::vector<std::string> esp{"aes128gcm16", "aes128-sha256"};
};

/// What the MAP's connections need.
struct MapIke {
  Ip6Addr map_address;
  std::string local_id;                 ///< the MAP's IKE identity (its certificate's subjectAltName)
  std::vector<std::string> local_certs;  ///< the MAP's certificate(s), PEM or DER blobs
  std::vector<std::string> ca_certs;    ///< trusted CAs for mobile nodes, PEM or DER blobs
  /// Identities allowed to register (charon wildcards); empty: any one a
  /// trusted CA certified.
  std::vector<std::string> authorized_ids;
  std::optional<PoolRange> pool;        ///< RCoAs the MAP hands out (the MAP option's R flag)
  Proposals proposals;
  unsigned dpd_delay_s = 30;            ///< dead peer detection
  /// Mobile nodes authenticate by EAP (kEapMethod) inside IKEv2 instead of
  /// by certificate (RFC 5380 §12.1); the MAP still proves itself with its
  /// certificate. The EAP identity is the IKE identity.
  bool eap = false;
};

/// What the MN's connection needs.
struct MnIke {
  Ip6Addr map_address;
  std::string map_id;                   ///< the MAP's identity the MN expects
  std::string local_id;
  std::vector<std::string> local_certs;
  std::vector<std::string> ca_certs;
  Proposals proposals;
  unsigned dpd_delay_s = 30;
  /// Authenticate by EAP (kEapMethod only; the secret loaded with
  /// eap_shared()) instead of by local_certs.
  bool eap = false;
};

/// The name of the MAP's connection for the mobile node holding `rcoa`.
std::string map_mn_conn_name(const Ip6Addr& rcoa);

/// `load-conn` for the MAP's generic connection: local address and
/// certificate, remote authenticated by `ca_certs` (any identity), the pool
/// if any, no child.
vici::Section map_generic_conn(const MapIke& m);
/// The generic connections to load: map_generic_conn() without
/// authorized_ids, else one per authorised identity pattern
/// ("hmip-map-1", ...), each for that pattern only.
std::vector<vici::Section> map_generic_conns(const MapIke& m);

/// `load-conn` for the connection of identity `remote_id` holding `rcoa`:
/// as the generic one, but for that identity only, with the transport_proxy
/// child protecting MH between `rcoa`/128 and the MAP.
vici::Section map_mn_conn(const MapIke& m, std::string_view remote_id, const Ip6Addr& rcoa);

/// `load-pool` for the MAP's RCoA pool.
vici::Section rcoa_pool(const PoolRange& r);

/// The MN's connections to the MAP at `map`: the one leasing the RCoA and
/// the one protecting it.
std::string mn_lease_conn_name(const Ip6Addr& map);
std::string mn_conn_name(const Ip6Addr& map);

/// `load-conn` for the MN's connection from `lcoa`. Without `rcoa`
/// (mn_lease_conn_name): asks for an address (vips = ::) and has no child
/// (the first, childless IKE SA, RFC 6023). With it (mn_conn_name): asks
/// for that address again and has the child for it.
vici::Section mn_conn(const MnIke& m, const Ip6Addr& lcoa, const std::optional<Ip6Addr>& rcoa);

/// `initiate` for the MN's child at `map` (its IKE SA with it), or, for
/// `lease`, the childless leasing IKE SA. `timeout_ms` < 0: charon answers
/// at once and the outcome comes as ike-updown / child-updown events.
vici::Section mn_initiate(const Ip6Addr& map, int timeout_ms, bool lease = false);

// ---------------------------------------------------------------------------
// Home registrations (RFC 4877, issue 14): the same model between a mobile
// node and its home agent. The IKE SA runs from the care-of address the
// node registers (the RCoA in HMIPv6 mode: it survives every move inside
// the MAP's domain; the LCoA in plain Mobile IPv6 mode; the home address
// itself when the node is at home with no SA left to deregister with). The
// CHILD_SA protects MH between the home address and the HA in
// transport_proxy mode (RFC 4877 §4.1: the home address is the CHILD_SA's
// selector, and the ESP SAs do not depend on the care-of address, so the
// BU after a move is protected at once). No configuration payload: the
// home address is configured on both sides, and the HA owns which identity
// may use it (one connection per identity, one child per home address it
// owns, so another identity's CHILD_SA for it is refused, TS_UNACCEPTABLE).
// Optionally a second child protects the home-address payload traffic
// (RFC 4877 §5): ESP in transport mode over the ip6ip6 tunnel between the
// care-of address and the HA (IP protocol 41, the IKE endpoints), which is
// ESP tunnel mode's protection with the tunnel hmip already runs.

/// Name of the payload-traffic child on both sides (kMhChild protects MH).
inline constexpr std::string_view kTrafficChild = "traffic";

/// The HA's connection for the `index`th identity (0-based) owning home
/// addresses: "hmip-home-1", ...
std::string ha_mn_conn_name(std::size_t index);

/// `load-conn` for the HA (m.map_address: the HomeAgent Address; m.pool
/// is ignored) and the identity `remote_id` owning `home_addresses`: one
/// transport_proxy child per home address ("mh-1", ...), MH between the HA
/// and it; with `traffic`, also kTrafficChild (transport, protocol 41
/// between the IKE endpoints).
vici::Section ha_mn_conn(const MapIke& m, std::size_t index, std::string_view remote_id,
                         const std::vector<Ip6Addr>& home_addresses, bool traffic);

/// The MN's connection with the HA at `ha`.
std::string mn_home_conn_name(const Ip6Addr& ha);

/// `load-conn` for the MN's connection from `coa` to the HA (m.map_address:
/// the HA's address, m.map_id: the identity it must prove): no virtual IP,
/// child kMhChild (MH between `home_address` and the HA, transport_proxy);
/// with `traffic`, also kTrafficChild (transport, protocol 41, `coa` <-> HA).
vici::Section mn_home_conn(const MnIke& m, const Ip6Addr& coa, const Ip6Addr& home_address, bool traffic);

/// `initiate` for child `child` (kMhChild or kTrafficChild) of the MN's
/// connection with the HA at `ha` (timeout as mn_initiate()).
vici::Section mn_home_initiate(const Ip6Addr& ha, std::string_view child, int timeout_ms);

/// `terminate` for the IKE SA with unique id `uniqueid` (timeout as above).
vici::Section terminate_ike(std::string_view uniqueid, int timeout_ms);

/// `unload-conn` / `unload-pool` for `name`.
vici::Section unload(std::string_view name);

}  // namespace hmip::ike
