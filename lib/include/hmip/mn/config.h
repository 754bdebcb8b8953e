// mnd's configuration: what /etc/hmip/mnd.conf says (man mnd.conf(5)), as
// plain values. Parsed by hmip/mn/config_parse.h, consumed by the sans-IO
// mobile-node core (hmip/mn/mobile_node.h) and by mnd's wiring.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hmip/core/log_level.h"
#include "hmip/core/time.h"

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

struct MndConfig {
  std::vector<std::string> interfaces;  ///< Interface: access interfaces mnd watches (at least one)
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

  std::string control_socket = "/run/hmip/mnd.sock";
  core::LogLevel log_level = core::LogLevel::info;
  friend bool operator==(const MndConfig&, const MndConfig&) = default;
};

}  // namespace hmip::mn
