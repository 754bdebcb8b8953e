// mapd's configuration: what /etc/hmip/mapd.conf says (man mapd.conf(5)), as
// plain values. Parsed by hmip/map/config_parse.h, consumed by the sans-IO
// MAP core (hmip/map/map_agent.h) and by mapd's wiring.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hmip/core/log_level.h"
#include "hmip/core/prefix.h"
#include "hmip/core/time.h"
#include "hmip/wire/addr.h"

namespace hmip::map {

using core::Duration;

/// A prefix RCoAs are formed from (RFC 5380 §6.1: the MAP's subnet; 4140bis
/// §6.1 stateless formation from the MAP option's prefix).
struct RcoaPrefixConfig {
  Ip6Prefix prefix;
  /// Link on which the MAP answers Neighbour Solicitations for RCoAs of this
  /// prefix (proxy ND, RFC 5380 §6.2) and runs DAD for new RCoAs. Empty: the
  /// prefix is routed to the MAP, no proxy ND, no DAD on a link.
  std::string interface;
  /// The prefix's valid lifetime as the MAP's domain advertises it (seconds;
  /// 0xffffffff infinite): a binding never outlives it (RFC 5380 §6.1).
  std::uint32_t valid_lifetime = 0xffffffff;
  int line = 0;
  friend bool operator==(const RcoaPrefixConfig&, const RcoaPrefixConfig&) = default;
};

/// Unprotected local binding updates. Off by default: then binding updates
/// must be protected by IPsec (`ike`, RFC 5380 §12.1). On, unprotected BUs
/// are accepted from LCoAs inside `trusted_prefixes`. Testbeds only.
struct InsecureSignallingConfig {
  bool enabled = false;                 ///< InsecureTestbedSignalling yes
  std::vector<Ip6Prefix> trusted_prefixes;  ///< TrustedPrefix (required when enabled)
  int line = 0;
  friend bool operator==(const InsecureSignallingConfig&, const InsecureSignallingConfig&) = default;
};

/// An inclusive range of RCoAs handed out through the IKEv2 configuration
/// payload (RFC 5380 §6.1, RFC 4877 §9).
struct RcoaPoolConfig {
  Ip6Addr first;
  Ip6Addr last;
  int line = 0;
  friend bool operator==(const RcoaPoolConfig&, const RcoaPoolConfig&) = default;
};

/// The `Ike { ... }` block: how mapd drives strongSwan's charon to protect
/// binding updates (RFC 5380 §12; the model is in hmip/ike/charon_conn.h).
/// Required unless InsecureTestbedSignalling is on.
struct MapIkeConfig {
  bool configured = false;                   ///< an Ike block is present
  std::string vici_socket = "unix:///run/charon.vici";  ///< ViciSocket
  std::string identity;                      ///< Identity: the MAP's IKE identity (its certificate's subjectAltName)
  std::string certificate;                   ///< Certificate: PEM file of the MAP's certificate
  std::string private_key;                   ///< PrivateKey: PEM file of its private key
  std::vector<std::string> ca_certificates;  ///< CaCertificate: PEM files of the CAs mobile nodes' certificates come from
  /// AuthorizedIdentity: the IKE identities (charon's wildcard syntax,
  /// "*@mn.example.net") allowed to register; empty: any identity a
  /// trusted CA certified.
  std::vector<std::string> authorized_identities;
  std::optional<RcoaPoolConfig> pool;        ///< RcoaPool FIRST-LAST: RCoAs the MAP allocates (ard's RFlag yes)
  std::uint32_t dpd_delay_s = 30;            ///< DpdDelay: dead peer detection interval (seconds)
  /// EapSecrets: a file of "IDENTITY SECRET" lines (hmip/ike/eap_secrets.h);
  /// set, mobile nodes authenticate with EAP-MD5 inside IKEv2 instead of
  /// certificates (RFC 5380 §12.1). Empty: by certificate.
  std::string eap_secrets;
  int line = 0;
  friend bool operator==(const MapIkeConfig&, const MapIkeConfig&) = default;
};

/// A prefix home addresses are on (RFC 6275 §10.1: the home agent serves
/// the mobile nodes whose home addresses are on its home link's prefixes).
struct HomePrefixConfig {
  Ip6Prefix prefix;
  /// The home link: the home agent runs DAD for a new home address there
  /// (RFC 6275 §10.3.1, status 134) and answers Neighbour Solicitations for
  /// home addresses while their nodes are away (proxy ND, §10.4.1). Empty:
  /// the prefix is routed to mapd, no DAD, no proxy ND.
  std::string interface;
  /// The prefix's valid lifetime (seconds; 0xffffffff infinite): a home
  /// binding never outlives it (RFC 6275 §10.3.1).
  std::uint32_t valid_lifetime = 0xffffffff;
  int line = 0;
  friend bool operator==(const HomePrefixConfig&, const HomePrefixConfig&) = default;
};

/// `HomeAddress ADDRESS "IDENTITY"` inside the HomeAgent block: the IKE (or
/// EAP) identity that owns a home address (RFC 4877 §4.3: the home agent
/// checks that the mobile node is authorized to use the home address). In
/// secure mode only this identity may hold the home address's CHILD_SA and
/// register it; insecure testbed mode ignores these lines.
struct HomeAddressOwner {
  Ip6Addr address;
  std::string identity;
  int line = 0;
  friend bool operator==(const HomeAddressOwner&, const HomeAddressOwner&) = default;
};

/// The `HomeAgent { ... }` block: mapd's home agent role (RFC 6275 §10).
/// Secure mode (the default) protects home registrations with IPsec set up
/// by IKEv2 (RFC 4877; the model is in hmip/ike/charon_conn.h, "Home
/// registrations"): it needs the Ike block and at least one HomeAddress.
struct HomeAgentConfig {
  /// Address: where home BUs are sent, the home binding's tunnel local end,
  /// the address DHAAD lists. May equal MapAddress (one address, both roles:
  /// the BU's flags pick the role).
  Ip6Addr address;
  std::vector<HomePrefixConfig> prefixes;  ///< HomePrefix ... (at least one)
  /// MaxBindingLifetime inside the block: home bindings are capped to this
  /// (seconds); default: the top-level MaxBindingLifetime.
  std::uint32_t max_binding_lifetime = 600;
  bool dad = true;                                  ///< HomeDad
  Duration dad_timeout = core::milliseconds(1000);  ///< HomeDadTimeout
  std::int16_t preference = 0;  ///< Preference: Home Agent Preference (RFC 6275 §7.4, §10.5: DHAAD order)
  /// HomeAddress ADDRESS "IDENTITY" (repeatable): who owns which home
  /// address, in config order (secure mode: at least one).
  std::vector<HomeAddressOwner> owners;
  /// ProtectTraffic: offer the RFC 4877 §5 payload child (ESP transport on
  /// IP protocol 41 between the care-of address and Address, i.e. the
  /// ip6ip6 home tunnel inside ESP). Off by default.
  bool protect_traffic = false;
  int line = 0;
  /// The HomeAddress line naming `home`, or nullptr.
  [[nodiscard]] const HomeAddressOwner* owner_of(const Ip6Addr& home) const;
  friend bool operator==(const HomeAgentConfig&, const HomeAgentConfig&) = default;
};

/// MultipleCoa (RFC 5648; issue 15): what mapd does with a BU carrying
/// Binding Identifier options.
enum class MultipleCoaMode : std::uint8_t {
  on,      ///< served (both roles: local BUs with M, home registrations with H)
  off,     ///< refused whole with status 166 (MCOA PROHIBITED)
  ignore,  ///< the options skipped as an RFC 6275 node skips an option it does not know: a regular BU, a BA without BID options
};
std::string_view to_string(MultipleCoaMode m) noexcept;

/// McoaSelection: which binding of an address carries its traffic by
/// default (map_agent.h, "Multiple CoA", says how it becomes a rank).
enum class McoaSelection : std::uint8_t {
  recent,    ///< the binding most recently created or moved
  priority,  ///< the lowest non-zero BID-PRI (RFC 6089), ties by recent
};
std::string_view to_string(McoaSelection s) noexcept;

/// An inclusive port range (SourcePort / DestinationPort P[-Q]); 1..65535.
struct PortRange {
  std::uint16_t lo = 0;
  std::uint16_t hi = 0;
  friend bool operator==(const PortRange&, const PortRange&) = default;
};

/// `FlowPolicy { Bid N; ... }`: downlink packets matching every statement
/// given go through the binding with BID `bid` of their destination address
/// when it has one; otherwise the default (top-ranked) binding. At least one
/// match statement; in file order (the first match wins).
struct FlowPolicyConfig {
  std::uint16_t bid = 0;                     ///< Bid 1..65535
  std::optional<std::uint8_t> protocol;      ///< Protocol tcp|udp|icmpv6|NUMBER (next header); nullopt: any
  std::optional<PortRange> source_port;      ///< SourcePort (Protocol tcp, udp, sctp 132 or dccp 33)
  std::optional<PortRange> destination_port; ///< DestinationPort (likewise)
  std::optional<std::uint8_t> dscp;          ///< Dscp 1..63 (0 cannot be matched: a kernel rule with dsfield 0 matches any)
  std::optional<Ip6Prefix> from;             ///< From: the sender's (the correspondent's) source
  std::optional<Ip6Prefix> to;               ///< To: the destination (an RCoA or home address)
  int line = 0;
  friend bool operator==(const FlowPolicyConfig&, const FlowPolicyConfig&) = default;
};

/// Defaults and limits of the Multiple CoA keywords.
inline constexpr std::uint32_t kDefaultMaxCareOfAddresses = 8;
inline constexpr std::uint32_t kMaxCareOfAddressesCap = 256;

/// Defaults of the caps (mapd.conf(5) explains the choice).
inline constexpr std::uint32_t kDefaultMaxBindings = 16384;
inline constexpr std::uint32_t kDefaultMaxBindingsPerIdentity = 16;
inline constexpr std::uint32_t kDefaultMaxPendingRegistrations = 1024;
inline constexpr std::uint32_t kDefaultMaxConcurrentDad = 256;

/// A mapd is a MAP (MapAddress, RcoaPrefix, LcoaPrefix), a home agent
/// (a HomeAgent block), or both; validation requires at least one role.
struct MapdConfig {
  Ip6Addr map_address;                          ///< MapAddress: where BUs are sent; tunnel local end (:: without the MAP role)
  std::vector<RcoaPrefixConfig> rcoa_prefixes;  ///< RcoaPrefix ... (at least one with the MAP role; none without)
  std::vector<Ip6Prefix> lcoa_prefixes;         ///< LcoaPrefix: valid on-link prefixes of the MAP domain (else 129)
  std::vector<Ip6Prefix> neighbour_prefixes;    ///< NeighbourPrefix: other MAP domains a moved-on MN may register from (RFC 5380 §8)

  /// MaxBindingLifetime: granted lifetimes are capped to this (seconds).
  std::uint32_t max_binding_lifetime = 600;
  /// AdvertisedValidLifetime: the Valid Lifetime of this MAP's option in the
  /// ARs' RAs (seconds); a binding never outlives it (RFC 5380 §10).
  std::uint32_t advertised_valid_lifetime = 3600;
  /// BRR: send a Binding Refresh Request this long before a binding expires
  /// (RFC 6275 §9.5.5; 0 disables). Retried every brr_interval until expiry.
  Duration brr_lead = core::seconds(10);
  Duration brr_interval = core::seconds(2);
  /// DAD for a new RCoA on its prefix's link (4140bis §6.1): NS from ::, the
  /// RCoA is taken if an NA or an NS for it from :: arrives within dad_timeout.
  bool dad = true;                                ///< RcoaDad
  Duration dad_timeout = core::milliseconds(1000);  ///< RcoaDadTimeout (RetransTimer * DupAddrDetectTransmits)
  /// Tunnel MTU for bindings (0: link MTU - 40).
  std::uint32_t tunnel_mtu = 0;

  /// Caps on what BUs make mapd hold (issue 13 item 14; map_agent.h lists
  /// how they apply). Only a new RCoA is refused by them (status 130); a
  /// refresh or a move of an existing binding never is.
  /// MaxBindings: bindings plus new registrations in progress, all nodes.
  std::uint32_t max_bindings = kDefaultMaxBindings;
  /// MaxBindingsPerIdentity (secure mode): per IKE identity holding the RCoAs.
  std::uint32_t max_bindings_per_identity = kDefaultMaxBindingsPerIdentity;
  /// MaxBindingsPerTrustedPrefix (insecure testbed mode): per TrustedPrefix
  /// entry the bound care-of address is in; unset: MaxBindings alone.
  std::optional<std::uint32_t> max_bindings_per_trusted_prefix;
  /// MaxPendingRegistrations: new registrations waiting for DAD or the kernel.
  std::uint32_t max_pending_registrations = kDefaultMaxPendingRegistrations;
  /// MaxConcurrentDad: DADs running at once (each joins a solicited-node group).
  std::uint32_t max_concurrent_dad = kDefaultMaxConcurrentDad;

  /// Multiple Care-of Addresses (RFC 5648; issue 15), both roles.
  MultipleCoaMode multiple_coa = MultipleCoaMode::on;        ///< MultipleCoa on|off|ignore
  bool bulk_registration = true;                             ///< BulkRegistration: more than one BID option per BU (else 168)
  std::uint32_t max_care_of_addresses = kDefaultMaxCareOfAddresses;  ///< MaxCareOfAddresses: BIDs per address (1..256)
  McoaSelection mcoa_selection = McoaSelection::recent;      ///< McoaSelection
  std::vector<FlowPolicyConfig> flow_policies;               ///< FlowPolicy blocks, in file order

  InsecureSignallingConfig insecure;
  MapIkeConfig ike;
  /// HomeAgent: the home agent role; nullopt: a MAP only.
  std::optional<HomeAgentConfig> home_agent;

  std::string control_socket = "/run/hmip/mapd.sock";
  core::LogLevel log_level = core::LogLevel::info;

  /// Whether the MAP role is configured (MapAddress and RcoaPrefix).
  [[nodiscard]] bool map_role() const noexcept { return !rcoa_prefixes.empty(); }
  friend bool operator==(const MapdConfig&, const MapdConfig&) = default;
};

}  // namespace hmip::map
