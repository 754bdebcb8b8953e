// The strongSwan (charon) configuration hmip loads over VICI to protect
// MN-MAP signalling (RFC 5380 §12, RFC 4877): pure builders of `load-conn`
// and `load-pool` requests. No I/O; the daemons send them with
// io::ViciClient.
//
// The model, proven against the real kernel and charon in test/kernel cases
// 60 and 61:
//   * The IKE SA runs between the MN's LCoA and the MAP (MOBIKE on: it
//     follows the LCoA).
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
/// Name of the MN's connection to its MAP.
inline constexpr std::string_view kMnConn = "hmip-mn";
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
  std::optional<PoolRange> pool;        ///< RCoAs the MAP hands out (the MAP option's R flag)
  Proposals proposals;
  unsigned dpd_delay_s = 30;            ///< dead peer detection
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
};

/// The name of the MAP's connection for the mobile node holding `rcoa`.
std::string map_mn_conn_name(const Ip6Addr& rcoa);

/// `load-conn` for the MAP's generic connection: local address and
/// certificate, remote authenticated by `ca_certs`, the pool if any, no
/// child.
vici::Section map_generic_conn(const MapIke& m);

/// `load-conn` for the connection of identity `remote_id` holding `rcoa`:
/// as the generic one, but for that identity only, with the transport_proxy
/// child protecting MH between `rcoa`/128 and the MAP.
vici::Section map_mn_conn(const MapIke& m, std::string_view remote_id, const Ip6Addr& rcoa);

/// `load-pool` for the MAP's RCoA pool.
vici::Section rcoa_pool(const PoolRange& r);

/// `load-conn` for the MN's connection from `lcoa`. Without `rcoa`: asks
/// for an address (vips = ::) and has no child (the first, childless IKE
/// SA). With it: asks for that address again and has the child for it.
vici::Section mn_conn(const MnIke& m, const Ip6Addr& lcoa, const std::optional<Ip6Addr>& rcoa);

/// `initiate` for the MN's child (and its IKE SA when there is none).
vici::Section mn_initiate(unsigned timeout_ms);

}  // namespace hmip::ike
