// mnd's configuration: what /etc/hmip/mnd.conf says (man mnd.conf(5)), as
// plain values. Parsed by hmip/mn/config_parse.h, consumed by the sans-IO
// mobile-node core (hmip/mn/mobile_node.h) and by mnd's wiring.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hmip/core/log_level.h"
#include "hmip/core/prefix.h"
#include "hmip/core/time.h"
#include "hmip/wire/addr.h"

namespace hmip::mn {

using core::Duration;

/// How the MN picks its MAP among those its ARs advertise.
enum class MapSelection : std::uint8_t {
  furthest,            ///< RFC 5380 §9.1 (default): largest Dist with Pref > 0 and lifetime > 0; Pref breaks ties
  highest_preference,  ///< RFC 5380 §7.1: highest Pref; the smaller Dist breaks ties
};

/// The `Ike { ... }` block: how mnd drives strongSwan's charon to protect its
/// binding updates (RFC 5380 §12; the model is in hmip/ike/charon_conn.h).
/// Required unless InsecureTestbedSignalling is on.
struct MnIkeConfig {
  bool configured = false;                   ///< an Ike block is present
  std::string vici_socket = "unix:///run/charon.vici";  ///< ViciSocket
  std::string identity;                      ///< Identity: the MN's IKE identity (its certificate's subjectAltName)
  std::string certificate;                   ///< Certificate: PEM file of the MN's certificate
  std::string private_key;                   ///< PrivateKey: PEM file of its private key
  std::vector<std::string> ca_certificates;  ///< CaCertificate: PEM files of the CAs MAP certificates come from
  /// MapIdentity: the identity MAPs must prove (charon's wildcard syntax);
  /// empty: any identity a trusted CA certified.
  std::string map_identity;
  std::uint32_t dpd_delay_s = 30;            ///< DpdDelay (seconds)
  /// IkeTimeout: how long one IKE exchange round (lease or child) may take
  /// before the MAP is held down.
  Duration ike_timeout = core::seconds(10);
  /// EapSecret: a file holding the MN's EAP secret (hmip/ike/eap_secrets.h);
  /// set, the MN authenticates with EAP inside IKEv2 (a MAP offering it,
  /// RFC 5380 §12.1) instead of with Certificate and PrivateKey.
  std::string eap_secret;
  int line = 0;
  friend bool operator==(const MnIkeConfig&, const MnIkeConfig&) = default;
};

/// The `Home { ... }` block: the node's home address and home agent (RFC
/// 6275 §11; RFC 5380 §6.1: the RCoA registered with the HA). Without it,
/// mnd runs in local mobility mode (the node is reachable at its RCoA only).
/// In secure mode (the default) home registrations are protected per RFC
/// 4877 through charon, with the Ike block's credentials.
struct HomeConfig {
  Ip6Addr address;                     ///< Address: the home address (its prefix length in prefix_len)
  std::uint8_t prefix_len = 64;        ///< the home prefix's length (on the home link)
  std::optional<Ip6Addr> home_agent;   ///< HomeAgent ADDRESS; nullopt: `HomeAgent discover` (DHAAD, RFC 6275 §11.4.1)
  std::uint32_t binding_lifetime = 600;  ///< BindingLifetime: asked for in home BUs (never above the MAP's grant)
  bool hmipv6 = true;                  ///< Hmipv6 on|off: off = plain Mobile IPv6 mode always (the LCoA registered)
  /// HomeAgentIdentity: the IKE identity the HA must prove (charon's
  /// wildcard syntax); empty: any identity a trusted CA certified.
  std::string home_agent_identity;
  /// ProtectTraffic on|off: ask the HA for the payload child (RFC 4877 §5:
  /// the home tunnel's packets in ESP); a refusal leaves MH protected.
  bool protect_traffic = false;
  int line = 0;                        ///< where the block starts
  [[nodiscard]] Ip6Prefix prefix() const { return Ip6Prefix::of(address, prefix_len); }
  friend bool operator==(const HomeConfig&, const HomeConfig&) = default;
};

/// The selectors of one FlowPolicy block (mnd.conf(5); the same as
/// mapd.conf's): mirrors hmip::kglue::MnFlowRule. Unset / 0 = any.
struct FlowMatch {
  std::uint8_t ip_proto = 0;                 ///< Protocol (0 = any)
  std::uint16_t sport_lo = 0, sport_hi = 0;  ///< SourcePort P[-Q] (0/0 = any)
  std::uint16_t dport_lo = 0, dport_hi = 0;  ///< DestinationPort P[-Q]
  std::optional<std::uint8_t> dscp;          ///< Dscp 0..63
  std::optional<Ip6Prefix> from;             ///< From PREFIX (the source: the RCoA or inside it)
  std::optional<Ip6Prefix> to;               ///< To PREFIX (the correspondent)
  friend bool operator==(const FlowMatch&, const FlowMatch&) = default;
};

/// MultipleCoa (RFC 5648 on the MAP binding): auto = on when two or more
/// Interfaces are configured.
enum class MultipleCoaMode : std::uint8_t { automatic, on, off };

/// `Interface NAME { Bid N; Priority P; };` (both optional).
struct InterfaceOptions {
  std::uint16_t bid = 0;      ///< Bid 1..65535; 0 = not pinned: the interface's 1-based position in the file
  std::uint8_t priority = 0;  ///< Priority 1..127 = BID-PRI (RFC 6089; lower preferred); 0 = none (worst)
  friend bool operator==(const InterfaceOptions&, const InterfaceOptions&) = default;
};

/// `FlowPolicy { Bid N; Protocol ...; ... };`: uplink packets from the
/// RCoA that match leave through the tunnel of the interface whose BID is
/// `bid` (while that BID is registered; else the default binding).
struct FlowPolicyConfig {
  std::uint16_t bid = 0;
  FlowMatch match;
  int line = 0;
  friend bool operator==(const FlowPolicyConfig&, const FlowPolicyConfig&) = default;
};

struct MndConfig {
  std::vector<std::string> interfaces;  ///< Interface: access interfaces mnd watches (at least one)
  /// Interface blocks, parallel to `interfaces` (shorter or empty: the
  /// rest as `Interface NAME;`; the parser leaves no trailing defaults).
  std::vector<InterfaceOptions> interface_options;
  MultipleCoaMode multiple_coa = MultipleCoaMode::automatic;  ///< MultipleCoa auto|on|off
  std::vector<FlowPolicyConfig> flow_policies;                 ///< FlowPolicy blocks, in order

  /// Multiple CoA in effect (MultipleCoa on, or auto with 2+ Interfaces).
  [[nodiscard]] bool mcoa() const noexcept {
    return multiple_coa == MultipleCoaMode::on ||
           (multiple_coa == MultipleCoaMode::automatic && interfaces.size() >= 2);
  }
  /// The BID of interfaces[k]: its pinned Bid, else k + 1 (its position).
  [[nodiscard]] std::uint16_t bid_of(std::size_t k) const noexcept {
    if (k < interface_options.size() && interface_options[k].bid != 0) return interface_options[k].bid;
    return static_cast<std::uint16_t>(k + 1);
  }
  /// The BID-PRI of interfaces[k] (0 = none).
  [[nodiscard]] std::uint8_t priority_of(std::size_t k) const noexcept {
    return k < interface_options.size() ? interface_options[k].priority : std::uint8_t{0};
  }
  MapSelection selection = MapSelection::furthest;  ///< MapSelection furthest|preference

  /// Lifetime asked for in BUs (seconds; the MAP may grant less).
  std::uint32_t binding_lifetime = 600;  ///< BindingLifetime
  /// Lifetime of the BU sent to the previous MAP after an inter-MAP move
  /// (RFC 5380 §8: short, so in-flight packets follow).
  std::uint32_t previous_map_lifetime = 12;  ///< PreviousMapLifetime (a multiple of 4: what goes out)
  /// Refresh a binding when this fraction of its granted lifetime is left.
  unsigned refresh_percent = 20;  ///< RefreshPercent (1..90)

  /// RFC 6275 §13 / §12 retransmission (InitialBindackTimeoutFirstReg 1.5 s,
  /// INITIAL_BINDACK_TIMEOUT 1 s, MAX_BINDACK_TIMEOUT 32 s). Smaller values
  /// for testbeds only.
  Duration initial_bindack_timeout_first_reg = core::milliseconds(1500);
  Duration initial_bindack_timeout = core::milliseconds(1000);
  Duration max_bindack_timeout = core::seconds(32);

  /// Send a Router Solicitation as soon as a link comes up or changes
  /// (movement detection without waiting for periodic RAs).
  bool solicit_on_link_change = true;
  /// Deregister (lifetime 0) the current binding on a clean stop.
  bool deregister_on_stop = true;

  /// InsecureTestbedSignalling yes: BUs go out without IPsec and the RCoA is
  /// formed statelessly (4140bis §6.1). Testbeds only. Off (the default):
  /// every binding is protected through charon (`ike`).
  bool insecure = false;
  int insecure_line = 0;
  MnIkeConfig ike;

  /// The Home block; nullopt: local mobility mode (no home registration).
  std::optional<HomeConfig> home;

  std::string control_socket = "/run/hmip/mnd.sock";
  core::LogLevel log_level = core::LogLevel::info;
  friend bool operator==(const MndConfig&, const MndConfig&) = default;
};

}  // namespace hmip::mn
